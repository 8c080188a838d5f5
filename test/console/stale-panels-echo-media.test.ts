/**
 * What a fresh user found in the console: a saved panel list holding a malformed id took down every panel (the page
 * stream answered 400 for all); media sent from the WhatsApp Business app showed "[document on its way]" for ever,
 * its name never shown and its caption shown raw (a U+202E acting on the text around it).
 */
import { conversationOf, inboxPanel, useConsoleRig, type ConsoleRig } from '../support/console-rig';
import { BUSINESS_NUMBER_ID, WABA_ID, type ServiceRig } from '../support/service';

const consoleTest = useConsoleRig();
let consoleRig: ConsoleRig;
let rig: ServiceRig;
beforeAll(() => {
  ({ rig: consoleRig, service: rig } = consoleTest);
});

describe('the console, after a fresh user', () => {
  it('keeps the other panels live when the saved list holds a malformed id, and drops that id from the list', async () => {
    const customer = consoleRig.newCustomer();
    await consoleRig.customerWrites(customer, `Hello from ${customer}`);
    const { page } = await consoleRig.open('integrator');
    const saved = ['not-a-conversation', conversationOf(customer)];
    await page.evaluate(`sessionStorage.setItem('wa-console-open', ${JSON.stringify(JSON.stringify(saved))})`);
    await page.reload();
    await page.getByRole('link', { name: 'Agent inbox' }).click();
    const panel = page.locator(`article[data-conversation="${conversationOf(customer)}"]`);
    await panel.getByText(`Hello from ${customer}`).waitFor({ timeout: 20_000 });
    await page.waitForFunction(() => !(sessionStorage.getItem('wa-console-open') ?? '').includes('not-a-conversation'), undefined, { timeout: 15_000 });
    expect(await page.getByText(/request is invalid/i).count()).toBe(0);
    expect(JSON.parse((await page.evaluate('sessionStorage.getItem("wa-console-open")')) as string)).toEqual([conversationOf(customer)]);
    expect(await page.locator('article[data-conversation="not-a-conversation"]').count()).toBe(0);
  }, 90_000);

  it('shows a document sent from the WhatsApp Business app by its name, not fetched, name and caption with their bidi characters marked', async () => {
    const customer = consoleRig.newCustomer();
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'Send me the invoice' });
    await consoleRig.heldByAgent(customer);
    const echo = {
      from: '12025550107',
      to: customer,
      id: `wamid.echo-doc-${customer}`,
      timestamp: String(Math.floor(Date.now() / 1000)),
      type: 'document',
      document: { id: `echo-media-${customer}`, mime_type: 'application/pdf', sha256: 'x', filename: 'invoice\u202Efdp.exe', caption: 'here \u202Eit is' },
    };
    await rig.simulator.deliverWebhook({
      object: 'whatsapp_business_account',
      entry: [{ id: WABA_ID, changes: [{ field: 'smb_message_echoes', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '12025550107', phone_number_id: BUSINESS_NUMBER_ID }, message_echoes: [echo] } }] }],
    });
    const { page, accessibilityViolations } = await consoleRig.open('agent');
    const panel = await inboxPanel(page, customer);
    const shown = panel.locator('li.message.outbound').filter({ hasText: 'sent from the WhatsApp Business app' }).filter({ hasText: 'invoice' });
    await shown.waitFor({ timeout: 20_000 });
    const text = await shown.innerText();
    expect(text).toContain('[document sent from the WhatsApp Business app: invoice[U+202E]fdp.exe]');
    expect(text).toContain('here [U+202E]it is');
    expect(text).not.toContain('\u202E');
    expect(text).not.toMatch(/on its way/);
    expect(await accessibilityViolations()).toEqual([]);
  }, 90_000);
});
