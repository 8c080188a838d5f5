/**
 * The agent inbox beyond the basics: pictures in the thread, a send WhatsApp refused with its reason, a template
 * with header and link-button parameters filled in outside the window, and a reply sent with the keyboard alone.
 */
import type { Locator, Page } from 'playwright-core';
import { closeHeldConversations, conversationOf, inboxPanel, startConsoleRig, type ConsoleRig } from '../support/console-rig';
import { BUSINESS_NUMBER_ID, type ServiceRig } from '../support/service';
import { eventually } from '../support/workflow-env';

let consoleRig: ConsoleRig;
let rig: ServiceRig;
/** A real 1×1 PNG. */
const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

beforeAll(async () => {
  consoleRig = await startConsoleRig();
  rig = consoleRig.rig;
}, 60_000);
afterAll(async () => consoleRig?.stop());
afterEach(async () => {
  expect(await consoleRig.closePages()).toEqual([]);
});

/** Presses Tab until `target` has the focus (a keyboard user's way there); fails if it never does. */
async function tabTo(page: Page, target: Locator, most = 60): Promise<void> {
  for (let i = 0; i < most; i++) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((el) => el === el.ownerDocument.activeElement)) return;
  }
  throw new Error(`${String(target)} never took the focus in ${most} tabs`);
}

describe('the agent inbox', () => {
  it("shows the customer's picture, and a reply WhatsApp refused with the broker's reason", async () => {
    const customer = consoleRig.newCustomer();
    await rig.simulator.sendInboundImage({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, bytes: png, mimeType: 'image/png', caption: 'my parcel' });
    await consoleRig.heldByAgent(customer);
    const { page, accessibilityViolations } = await consoleRig.open('agent');
    const panel = await inboxPanel(page, customer);

    const picture = panel.getByRole('img', { name: 'my parcel' });
    await picture.waitFor({ timeout: 15_000 });
    // Decoded, not just present: the bytes came through the API with the agent's key.
    await eventually(() => picture.evaluate((img) => (img as unknown as { complete: boolean; naturalWidth: number }).naturalWidth), (width) => width === 1);

    rig.simulator.injectFault({ kind: 'http', status: 400, code: 131026, times: 1, match: { to: customer } });
    await panel.getByLabel('Reply').fill('Thanks, we will look at it.');
    await panel.getByRole('button', { name: 'Send' }).click();
    await panel.locator('li.message.outbound[data-status="failed"]').getByText('Not delivered: Message undeliverable (131026)').waitFor({ timeout: 15_000 });
    expect(rig.simulator.sent().filter((m) => m.to === customer)).toEqual([]);
    expect(await accessibilityViolations()).toEqual([]);
  });

  it('asks for every parameter of a template with a header and a link button, previews it, and sends them all', async () => {
    const created = await rig.requestAs('supervisor', 'POST', '/v1/templates', {
      businessNumberId: BUSINESS_NUMBER_ID,
      name: 'shipping_update',
      language: 'en_US',
      category: 'utility',
      definition: {
        // Every placeholder with its example, as WhatsApp requires at creation.
        header: { format: 'text', text: 'Order {{1}}', example: '1042' },
        body: { text: 'Hello {{1}}, your order ships on {{2}}.', examples: ['Ada', 'Monday'] },
        footer: { text: 'Reply STOP to opt out' },
        buttons: [{ type: 'url', text: 'Track it', url: 'https://shop.example/track/{{1}}', example: '1042' }],
      },
    });
    expect(created.status).toBe(201);
    await rig.simulator.setTemplateStatus(rig.simulator.templates().find((t) => t.name === 'shipping_update')!.id, 'APPROVED');
    await eventually(() => rig.requestAs('supervisor', 'GET', `/v1/templates/${BUSINESS_NUMBER_ID}:shipping_update:en_US`), (r) => r.body.status === 'APPROVED');

    const customer = consoleRig.newCustomer();
    // Written 25 hours ago, delivered only now: no window opens.
    await consoleRig.customerWrites(customer, 'Any news?', Math.floor(Date.now() / 1000) - 25 * 3600);
    await consoleRig.heldByAgent(customer, 'expiredNeedsTemplate');
    const { page, accessibilityViolations } = await consoleRig.open('agent');
    const panel = await inboxPanel(page, customer);
    await panel.getByLabel('Approved template', { exact: true }).selectOption({ label: 'shipping_update (en_US, utility)' });
    await panel.getByLabel('Header {{1}}').fill('A-1042');
    await panel.getByLabel('Parameter {{1}}').fill('Ada');
    await panel.getByLabel('Parameter {{2}}').fill('Friday');
    await panel.getByLabel('Button 1 link suffix {{1}}').fill('A-1042');
    const preview = panel.getByRole('group', { name: 'Preview' });
    expect(await eventually(() => preview.textContent(), (v) => v === 'Order A-1042Hello Ada, your order ships on Friday.Reply STOP to opt outTrack it', 15_000)).toBe('Order A-1042Hello Ada, your order ships on Friday.Reply STOP to opt outTrack it');
    expect(await accessibilityViolations()).toEqual([]);
    await panel.getByRole('button', { name: 'Send template' }).click();

    const sent = await eventually(() => rig.simulator.sent().filter((m) => m.to === customer), (s) => s.length === 1, 15_000);
    expect(sent[0]!.body.template).toMatchObject({
      name: 'shipping_update',
      components: [
        { type: 'header', parameters: [{ type: 'text', text: 'A-1042' }] },
        { type: 'body', parameters: [{ type: 'text', text: 'Ada' }, { type: 'text', text: 'Friday' }] },
        { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'A-1042' }] },
      ],
    });
  });

  it('transfers a conversation to another queue, and the panel follows where it went', async () => {
    const customer = consoleRig.newCustomer();
    await consoleRig.customerWrites(customer, 'I need billing');
    await consoleRig.heldByAgent(customer);
    const { page } = await consoleRig.open('agent');
    const panel = await inboxPanel(page, customer);
    await panel.getByLabel('Transfer to').selectOption({ label: 'a queue' });
    await panel.getByLabel('Queue name').fill('billing');
    await panel.getByRole('button', { name: 'Transfer' }).click();

    // The contact centre (sipp) answers the new call as agent-1 again, now from the billing queue.
    await panel.getByText(/agent agent-1 · queue billing$/).waitFor({ timeout: 30_000 });
    expect((await consoleRig.statusOf(customer)).body.routing).toMatchObject({ queue: 'billing' });
  });

  it('signs in and replies with the keyboard alone', async () => {
    const customer = consoleRig.newCustomer();
    await consoleRig.customerWrites(customer, 'Typing only, please');
    await consoleRig.heldByAgent(customer);

    const context = await consoleRig.browser.newContext({ viewport: { width: 1366, height: 800 } });
    const page = await context.newPage();
    const errors: string[] = [];
    await page.goto(`${rig.baseUrl}/console/`);
    await tabTo(page, page.getByLabel('API key'));
    await page.keyboard.type(rig.keys.agent);
    await page.keyboard.press('Enter');
    const inbox = page.getByRole('link', { name: 'Agent inbox' });
    await inbox.waitFor();
    await tabTo(page, inbox);
    await page.keyboard.press('Enter');
    const panel = page.locator(`article[data-conversation="${conversationOf(customer)}"]`);
    const reply = panel.getByLabel('Reply');
    await reply.waitFor({ timeout: 15_000 });
    await tabTo(page, reply);
    await page.keyboard.type('Typed and sent from the keyboard.');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');

    const sent = await eventually(() => rig.simulator.sent().filter((m) => m.to === customer), (s) => s.length === 1, 15_000);
    expect(sent[0]!.body.text).toMatchObject({ body: 'Typed and sent from the keyboard.' });
    await context.close();
    expect(errors).toEqual([]);
  });

  it('reads a long thread back a page at a time: the newest 200 first, then "Earlier messages" down to the first', async () => {
    // The conversations earlier tests left with the agent are closed first: see the next test for why it matters.
    await closeHeldConversations(rig);
    const customer = consoleRig.newCustomer();
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'And now, the newest' });
    await consoleRig.heldByAgent(customer);
    // 230 messages written before it, a second apart (stored as the webhook stores them, to save 230 round trips).
    const conversationId = conversationOf(customer);
    const start = Date.now() - 3_600_000;
    await rig.store.messages.insertMany(
      Array.from({ length: 230 }, (_, i) => ({
        _id: `wamid.earlier-${customer}-${i}`, direction: 'inbound', wamid: `wamid.earlier-${customer}-${i}`, conversationId, businessNumberId: BUSINESS_NUMBER_ID,
        customerKey: customer, sortAt: start + i * 1000, seq: (start + i * 1000) * 1000, createdAt: new Date(start + i * 1000),
        kind: 'text', type: 'text', text: `earlier ${i}`, raw: '{}', handled: true,
      })) as never,
    );
    const { page } = await consoleRig.open('agent');
    const panel = await inboxPanel(page, customer);
    await panel.getByText('And now, the newest').waitFor({ timeout: 15_000 });
    // The newest 200 of 231: earlier 31 … 229 and the newest; not the first 200, as the thread answered before.
    await panel.getByText('earlier 31', { exact: true }).waitFor({ timeout: 15_000 });
    expect(await panel.getByText('earlier 30', { exact: true }).count()).toBe(0);
    await panel.getByRole('button', { name: 'Earlier messages' }).click();
    await panel.getByText('earlier 0', { exact: true }).waitFor({ timeout: 15_000 });
    expect(await panel.locator('li.message').count()).toBe(231);
    expect(await panel.getByRole('button', { name: 'Earlier messages' }).count()).toBe(0);
  });

  // Every panel held a live stream of its own, and a browser keeps at most 6 HTTP/1.1 connections per origin, so with
  // the agent's own stream and 5 panels open every other request of the page (a reply, "Earlier messages") waited
  // forever. The page now holds one stream (GET /v1/console/live) for the agent and all its panels.
  it('still sends a reply with six conversations open in the inbox', async () => {
    await closeHeldConversations(rig);
    const customers = Array.from({ length: 6 }, () => consoleRig.newCustomer());
    for (const customer of customers) {
      await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'Anyone there?' });
      await consoleRig.heldByAgent(customer);
    }
    const { page } = await consoleRig.open('agent');
    const panel = await inboxPanel(page, customers[0]!);
    await panel.getByText('Anyone there?').waitFor({ timeout: 15_000 });
    await panel.getByLabel('Reply').fill('Yes, here.');
    await panel.getByRole('button', { name: 'Send' }).click();
    // WhatsApp received the agent's reply itself (any send to the customer would have done before).
    const sent = await eventually(() => Promise.resolve(rig.simulator.sent().filter((m) => m.to === customers[0])), (s) => s.length >= 1, 15_000);
    expect(sent.map((m) => m.body.text)).toEqual([expect.objectContaining({ body: 'Yes, here.' })]);
  });
});
