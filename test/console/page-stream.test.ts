/**
 * The inbox's one live stream per page (GET /v1/console/live): a panel opened after six others still gets its
 * customer's messages live, and a hidden panel's conversation stops sending while the others go on. What the page
 * received is read from its own fetches (teed in the page), so the tests see the connections a browser would hold.
 */
import type { Page } from 'playwright-core';
import { closeHeldConversations, conversationOf, inboxPanel, useConsoleRig } from '../support/console-rig';
import { BUSINESS_NUMBER_ID } from '../support/service';
import { eventually } from '../support/workflow-env';

const shared = useConsoleRig();

/**
 * Records every live stream the page opens (its URL, the text received, whether it is still open) in
 * `window.__live`, by wrapping `fetch`, which the console's event sources stream over.
 */
const recordLiveStreams = `
  window.__live = [];
  const original = window.fetch.bind(window);
  window.fetch = async (input, init) => {
    const response = await original(input, init);
    const url = String(input instanceof Request ? input.url : input);
    if (!url.includes('/v1/console/live') || !response.body) return response;
    const [kept, copy] = response.body.tee();
    const entry = { url, text: '', open: true };
    window.__live.push(entry);
    void (async () => {
      const reader = copy.getReader();
      const decoder = new TextDecoder();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          entry.text += decoder.decode(value, { stream: true });
        }
      } catch {}
      entry.open = false;
    })();
    return new Response(kept, { status: response.status, statusText: response.statusText, headers: response.headers });
  };`;

interface LiveStream {
  url: string;
  text: string;
  open: boolean;
}

const liveStreams = (page: Page) => page.evaluate('window.__live') as Promise<LiveStream[]>;
const openStreams = async (page: Page) => (await liveStreams(page)).filter((s) => s.open);

/** Signs in as `role` with the live streams recorded from the first one on; `panels` seeded as opened from the board. */
async function openRecorded(role: 'agent' | 'integrator', panels: string[] = []): Promise<Page> {
  const { page } = await shared.rig.open(role);
  await page.context().addInitScript({ content: recordLiveStreams });
  await page.evaluate(`sessionStorage.setItem('wa-console-open', ${JSON.stringify(JSON.stringify(panels))})`);
  await page.reload();
  await page.getByRole('navigation', { name: 'Console pages' }).waitFor();
  return page;
}

describe('the inbox on one live stream', () => {
  it('gives a seventh panel, opened after six others, its live messages and replies', async () => {
    const { rig: service } = shared.rig;
    await closeHeldConversations(service);
    const customers = Array.from({ length: 7 }, () => shared.rig.newCustomer());
    for (const customer of customers.slice(0, 6)) {
      await shared.rig.customerWrites(customer, 'Anyone there?');
      await shared.rig.heldByAgent(customer);
    }
    const page = await openRecorded('agent');
    for (const customer of customers.slice(0, 6)) await (await inboxPanel(page, customer)).getByText('Anyone there?').waitFor({ timeout: 15_000 });

    // A seventh conversation routed to the agent while the page is open: its panel appears and streams.
    const seventh = customers[6]!;
    await shared.rig.customerWrites(seventh, 'A seventh customer');
    await shared.rig.heldByAgent(seventh);
    const panel = page.locator(`article[data-conversation="${conversationOf(seventh)}"]`);
    await panel.getByText('A seventh customer').waitFor({ timeout: 30_000 });
    await service.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: seventh, text: 'Written once the panel was open' });
    await service.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customers[0]!, text: 'The first one again' });
    await panel.getByText('Written once the panel was open').waitFor({ timeout: 15_000 });
    await (await inboxPanel(page, customers[0]!)).getByText('The first one again').waitFor({ timeout: 15_000 });

    await panel.getByLabel('Reply').fill('Here for you too.');
    await panel.getByRole('button', { name: 'Send' }).click();
    const sent = await eventually(() => Promise.resolve(service.simulator.sent().filter((m) => m.to === seventh)), (s) => s.length >= 1, 15_000);
    expect(sent.map((m) => m.body.text)).toEqual([expect.objectContaining({ body: 'Here for you too.' })]);
    // One connection for the agent's list and all seven panels.
    const open = await openStreams(page);
    expect(open).toHaveLength(1);
    for (const customer of customers) expect(decodeURIComponent(open[0]!.url)).toContain(conversationOf(customer));
  });

  it("stops a hidden panel's events and goes on with the others", async () => {
    const { rig: service } = shared.rig;
    const [hidden, kept] = [shared.rig.newCustomer(), shared.rig.newCustomer()];
    for (const [customer, text] of [[hidden, 'About to be hidden'], [kept, 'Staying open']] as const) {
      await shared.rig.customerWrites(customer, text);
      await shared.rig.heldByAgent(customer);
    }
    // An integrator's inbox: the panels it opened from the board, which it may hide.
    const page = await openRecorded('integrator', [conversationOf(hidden), conversationOf(kept)]);
    const hiddenPanel = await inboxPanel(page, hidden);
    await hiddenPanel.getByText('About to be hidden').waitFor({ timeout: 15_000 });
    const keptPanel = page.locator(`article[data-conversation="${conversationOf(kept)}"]`);
    await keptPanel.getByText('Staying open').waitFor({ timeout: 15_000 });

    await hiddenPanel.getByRole('button', { name: 'Hide' }).click();
    await hiddenPanel.waitFor({ state: 'detached' });
    // The page's stream no longer asks for the hidden conversation.
    await eventually(() => openStreams(page), (open) => open.length === 1 && !decodeURIComponent(open[0]!.url).includes(conversationOf(hidden)), 15_000);

    await service.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: hidden, text: 'Written after hiding' });
    await eventually(
      () => service.requestAs('integrator', 'GET', `/v1/conversations/${encodeURIComponent(conversationOf(hidden))}/messages`),
      (r) => JSON.stringify(r.body).includes('Written after hiding'),
      15_000,
    );
    await service.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: kept, text: 'Still writing' });
    await keptPanel.getByText('Still writing').waitFor({ timeout: 15_000 });
    // A poll round after the hidden conversation's message was stored, and nothing of it reached the page.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const streams = await liveStreams(page);
    expect(streams.filter((s) => s.text.includes('Written after hiding'))).toEqual([]);
    expect((await openStreams(page))[0]!.text).toContain('Still writing');
  });
});
