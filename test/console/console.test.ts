/**
 * The web console in headless Chromium against the real service: the broker simulator plays customers and WhatsApp's
 * template review, sipp plays the contact centre (answering every call as agent-1, the rig's agent key). Each test
 * drives the page the way a person would (labels, roles, buttons), checks what the page shows and what reached the
 * broker, requires no console errors and no serious accessibility violations, and screenshots the page.
 */
import { conversationOf, inboxPanel, startConsoleRig, type ConsoleRig } from '../support/console-rig';
import { BUSINESS_NUMBER_ID, type ServiceRig } from '../support/service';
import { eventually } from '../support/workflow-env';

let consoleRig: ConsoleRig;
let rig: ServiceRig;
const open = (role: keyof ServiceRig['keys']) => consoleRig.open(role);
const newCustomer = () => consoleRig.newCustomer();
const customerWrites = (customer: string, text: string, timestamp?: number) => consoleRig.customerWrites(customer, text, timestamp);

beforeAll(async () => {
  consoleRig = await startConsoleRig();
  rig = consoleRig.rig;
}, 60_000);

afterAll(async () => {
  await consoleRig?.stop();
});

afterEach(async () => {
  expect(await consoleRig.closePages()).toEqual([]);
});

describe('the web console', () => {
  it('shows a customer message on the board without a reload, with its agent and the window counting down', async () => {
    const { page, screenshot, accessibilityViolations } = await open('supervisor');
    await page.getByRole('heading', { name: 'Conversations' }).waitFor();
    const customer = newCustomer();
    await customerWrites(customer, 'Hello from the board test');

    const card = page.locator(`[data-state="handedToAgent"] [data-conversation="${conversationOf(customer)}"]`);
    await card.waitFor({ timeout: 30_000 });
    expect(await eventually(() => card.textContent(), (v) => String(v).includes('agent-1'), 15_000)).toContain('agent-1');
    const countdown = card.locator('.countdown');
    const first = await countdown.textContent();
    expect(first).toMatch(/^23 h 5\d min \d\d s$/);
    // It counts down in the page, with no reload and no new data.
    await eventually(() => countdown.textContent(), (now) => now !== first && /^23 h 5\d min \d\d s$/.test(now ?? ''));
    expect(await accessibilityViolations()).toEqual([]);
    await screenshot('board');
  });

  it('lets the agent reply from the inbox; the message reaches WhatsApp and its delivery shows', async () => {
    const customer = newCustomer();
    await customerWrites(customer, 'Where is my parcel?');
    await consoleRig.heldByAgent(customer);

    const { page, screenshot, accessibilityViolations } = await open('agent');
    const panel = await inboxPanel(page, customer);
    await panel.getByText('Where is my parcel?').waitFor({ timeout: 15_000 });
    await panel.getByLabel('Reply').fill('It arrives tomorrow morning.');
    await panel.getByRole('button', { name: 'Send' }).click();

    await eventually(() => rig.simulator.sent().filter((m) => m.to === customer && m.body.type === 'text'), (sent) => sent.length === 1, 15_000);
    await panel.locator('li.message.outbound[data-status="read"]').waitFor({ timeout: 15_000 });
    expect(await accessibilityViolations()).toEqual([]);
    await screenshot('agent-inbox');
    await panel.getByRole('button', { name: 'Close conversation' }).click();
    await panel.getByText(/^Closed ·/).waitFor();
  });

  it('refuses free text once the window has closed and sends the approved template the agent fills in', async () => {
    await rig.approveTemplate('order_update', 'en_US', 'APPROVED', { body: { text: 'Hello {{1}}, this is order_update.', examples: ['Ada'] } });
    const customer = newCustomer();
    // Written 25 hours ago, delivered only now: no window opens; only a template may answer.
    await customerWrites(customer, 'Are you still there?', Math.floor(Date.now() / 1000) - 25 * 3600);
    await consoleRig.heldByAgent(customer, 'expiredNeedsTemplate');

    const { page, screenshot } = await open('agent');
    const panel = await inboxPanel(page, customer);
    await panel.getByText("The customer's 24-hour window is closed: only an approved template can be sent.").waitFor({ timeout: 15_000 });
    expect(await panel.getByLabel('Reply').count()).toBe(0);
    // Chosen and typed in one go, before the browser paints (what a loaded machine does to a quick agent): kept.
    await panel.locator('form.reply.template').evaluate(async (form) => {
      const select = form.querySelector('select')!;
      select.value = 'order_update|en_US';
      select.dispatchEvent(new Event('change', { bubbles: true }));
      type Input = { value: string; dispatchEvent(event: Event): boolean };
      let input: Input | null = null;
      for (let i = 0; i < 20 && !input; i += 1) {
        await Promise.resolve(); // Preact renders on a microtask: no paint in between
        input = form.querySelector('input[id$="-body-1"]') as unknown as Input | null;
      }
      // On a loaded machine the template's parameters may need a task more to render: type the moment they do.
      for (let i = 0; i < 1_000 && !input; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        input = form.querySelector('input[id$="-body-1"]') as unknown as Input | null;
      }
      input!.value = 'Ada';
      input!.dispatchEvent(new Event('input', { bubbles: true }));
    });
    const preview = () => panel.getByLabel('Preview').textContent();
    expect(await eventually(preview, (v) => v === 'Hello Ada, this is order_update.', 5_000)).toBe('Hello Ada, this is order_update.');
    await panel.getByLabel('Approved template', { exact: true }).selectOption({ label: 'order_update (en_US, utility)' });
    await panel.getByLabel('Parameter {{1}}').fill('Ada');
    expect(await eventually(preview, (v) => v === 'Hello Ada, this is order_update.', 15_000)).toBe('Hello Ada, this is order_update.');
    await screenshot('template-required');
    await panel.getByRole('button', { name: 'Send template' }).click();

    const sent = await eventually(() => rig.simulator.sent().filter((m) => m.to === customer), (s) => s.length === 1, 15_000);
    expect(sent[0]!.body).toMatchObject({ type: 'template', template: { name: 'order_update', components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }] }] } });
  });

  it("fills a carousel template's cards, each card's image, body and link, and sends every card", async () => {
    const card = (n: number) => ({
      header: { format: 'image' as const, sample: { mediaId: `out_sample_${n}` } },
      body: { text: 'Use code {{1}} on this one.', examples: ['SAVE'] },
      buttons: [{ type: 'quick_reply' as const, text: 'More like this' }, { type: 'url' as const, text: 'Buy now', url: 'https://shop.example/p/{{1}}', example: 'lemon' }],
    });
    await rig.approveTemplate('weekly_picks', 'en_US', 'APPROVED', { body: { text: 'Our picks for this week, chosen for you.' }, carousel: { cards: [card(1), card(2)] } });
    const customer = newCustomer();
    await customerWrites(customer, 'Anything new?', Math.floor(Date.now() / 1000) - 25 * 3600);
    await consoleRig.heldByAgent(customer, 'expiredNeedsTemplate');

    const { page, screenshot } = await open('agent');
    const panel = await inboxPanel(page, customer);
    await panel.getByLabel('Approved template', { exact: true }).selectOption({ label: 'weekly_picks (en_US, utility)' });
    for (const n of [1, 2]) {
      await panel.getByLabel(`Card ${n}: Header image (HTTPS link)`).fill(`https://cdn.example/pick${n}.png`);
      await panel.getByLabel(`Card ${n}: Parameter {{1}}`).fill(`CODE${n}`);
      await panel.getByLabel(`Card ${n}: Button 2 link suffix {{1}}`).fill(`pick-${n}`);
    }
    expect(await eventually(() => panel.getByLabel('Card 2', { exact: true }).textContent(), (v) => String(v).includes('Use code CODE2 on this one.'), 15_000)).toContain('More like this');
    await screenshot('template-carousel');
    await panel.getByRole('button', { name: 'Send template' }).click();

    const sent = await eventually(() => rig.simulator.sent().filter((m) => m.to === customer), (s) => s.length === 1, 15_000);
    const carousel = (sent[0]!.body.template as { components: { type: string; cards?: unknown[] }[] }).components.find((c) => c.type === 'carousel');
    expect(carousel?.cards).toEqual([1, 2].map((n) => ({
      card_index: n - 1,
      components: [
        { type: 'header', parameters: [{ type: 'image', image: { link: `https://cdn.example/pick${n}.png` } }] },
        { type: 'body', parameters: [{ type: 'text', text: `CODE${n}` }] },
        { type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: `pick-${n}` }] },
      ],
    })));
  });

  it('lets a supervisor see field errors, publish a change with its diff, and roll it back, all audited', async () => {
    const { page, screenshot, accessibilityViolations } = await open('supervisor');
    await page.getByRole('link', { name: 'Configuration' }).click();
    const editor = page.getByLabel('Draft (JSON)');
    await page.getByTestId('published-version').getByText(/^\d+$/).waitFor();
    await eventually(() => editor.inputValue(), (text) => text.includes('"agentCapacity"'));
    const before = Number(await page.getByTestId('published-version').textContent());

    const config = JSON.parse(await editor.inputValue()) as Record<string, unknown>;
    await editor.fill(JSON.stringify({ ...config, agentCapacity: 0 }, null, 2));
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByRole('list', { name: 'Field errors' }).getByText('agentCapacity').waitFor();

    await editor.fill(JSON.stringify({ ...config, agentCapacity: 5, autoReplies: { welcome: 'Welcome to Acme!' } }, null, 2));
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByText('The draft is valid.').waitFor();
    const changes = page.getByRole('table', { name: 'Draft changes' });
    await changes.getByText('autoReplies.welcome').waitFor();
    await screenshot('configuration');
    await page.getByRole('button', { name: 'Publish draft' }).click();
    await page.getByTestId('published-version').getByText(String(before + 1)).waitFor();
    expect(((await rig.requestAs('supervisor', 'GET', '/v1/config')).body.published.config as { agentCapacity: number }).agentCapacity).toBe(5);

    await page.getByRole('button', { name: `Roll back to ${before}` }).click();
    await page.getByTestId('published-version').getByText(String(before + 2)).waitFor();
    expect(((await rig.requestAs('supervisor', 'GET', '/v1/config')).body.published.config as { agentCapacity: number }).agentCapacity).toBe(config.agentCapacity);
    await page.locator('ol.audit').getByText('rolledBack', { exact: false }).first().waitFor();
    expect(await accessibilityViolations()).toEqual([]);
  });

  it("shows a new template's approval arriving from WhatsApp without a reload", async () => {
    const { page, screenshot, accessibilityViolations } = await open('supervisor');
    await page.getByRole('link', { name: 'Templates' }).click();
    await page.getByLabel('Business number id').fill(BUSINESS_NUMBER_ID);
    await page.getByLabel('Name (lower case, digits, _)').fill('delivery_window');
    await page.getByLabel(/^Body/).fill('Hi {{1}}, your delivery comes {{2}}.');
    // Meta requires an example for every placeholder: the form asks for them, and refuses to submit without.
    await page.getByText('example values are required for every placeholder; missing {{1}}, {{2}}').waitFor();
    await page.getByLabel('Example for {{1}}').fill('Ada');
    await page.getByLabel('Example for {{2}}').fill('tomorrow');
    expect(await eventually(() => page.getByLabel('Preview').textContent(), (v) => String(v).includes('Hi [1], your delivery comes [2].'), 15_000)).toContain('Hi [1], your delivery comes [2].');
    await page.getByRole('button', { name: 'Submit for review' }).click();

    const row = page.locator('tr[data-template="delivery_window"]');
    await row.getByText('PENDING').waitFor();
    const brokerId = rig.simulator.templates().find((t) => t.name === 'delivery_window')!.id;
    await rig.simulator.setTemplateStatus(brokerId, 'APPROVED');
    await row.getByText('APPROVED').waitFor({ timeout: 15_000 });
    expect(await accessibilityViolations()).toEqual([]);
    await screenshot('templates');
  });

  it("draws the machine and a conversation's path, and charts KPIs", async () => {
    const customer = newCustomer();
    await customerWrites(customer, 'Path please');
    await consoleRig.heldByAgent(customer);

    const { page, screenshot, accessibilityViolations } = await open('analyst');
    await page.getByRole('link', { name: 'Analysis' }).click();
    await page.locator('.diagram svg').waitFor({ timeout: 30_000 });
    // The latest conversations are offered as the id is typed.
    await page.locator(`#recent-conversations option[value="${conversationOf(customer)}"]`).waitFor({ state: 'attached' });
    await page.getByLabel('Conversation id').fill(conversationOf(customer));
    await page.getByRole('button', { name: 'Draw its path' }).click();
    await page.getByText(/Run ending in handedToAgent/).waitFor({ timeout: 30_000 });
    await page.getByRole('img', { name: /path highlighted/ }).locator('svg').waitFor({ timeout: 30_000 });
    await page.getByLabel('Business number id').fill(BUSINESS_NUMBER_ID);
    await page.getByRole('button', { name: 'Compute' }).click();
    const byState = page.getByTestId('kpis').getByRole('img', { name: /Conversations by state/ });
    await byState.waitFor({ timeout: 60_000 });
    expect(await accessibilityViolations()).toEqual([]);
    await screenshot('analysis');

    // Narrowed to one state, the other states' conversations drop out (earlier tests closed one).
    expect(await eventually(() => byState.getAttribute('aria-label'), (v) => /closed [1-9]/.test(String(v)), 15_000)).toMatch(/closed [1-9]/);
    await page.getByLabel('State', { exact: true }).selectOption({ label: 'Handed to agent' });
    await page.getByRole('button', { name: 'Compute' }).click();
    await page.getByTestId('kpis').getByRole('img', { name: /closed 0/ }).waitFor({ timeout: 60_000 });
    expect(await eventually(() => byState.getAttribute('aria-label'), (v) => /handedToAgent [1-9]/.test(String(v)), 15_000)).toMatch(/handedToAgent [1-9]/);
  });
});
