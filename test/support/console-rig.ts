/**
 * What every console test file needs: the service, sipp answering every call as agent-1 (the rig's agent key),
 * a registered business number with a published configuration, and a browser whose pages must end a test with no
 * console errors.
 */
import type { Browser, Locator, Page } from 'playwright-core';
import { launchBrowser, openConsole, type ConsolePage } from './browser';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from './service';
import { startSipp, type SippPeer } from './sipp';
import { eventually } from './workflow-env';

export interface ConsoleRig {
  rig: ServiceRig;
  browser: Browser;
  /** The console signed in with this role's key, in a fresh context (default viewport 1366×800). */
  open(role: keyof ServiceRig['keys'], viewport?: { width: number; height: number }): Promise<ConsolePage>;
  /** Closes the pages opened since the last call; the console errors they saw. */
  closePages(): Promise<string[]>;
  newCustomer(): string;
  customerWrites(customer: string, text: string, timestamp?: number): Promise<void>;
  /** The customer's conversation as the API shows it. */
  statusOf(customer: string): ReturnType<ServiceRig['request']>;
  /** Waits until the rig's agent (agent-1, answering every call through sipp) holds the conversation in `state`. */
  heldByAgent(customer: string, state?: string): ReturnType<ServiceRig['request']>;
  stop(): Promise<void>;
}

/** Opens the agent inbox and answers the customer's conversation panel once it shows. */
export async function inboxPanel(page: Page, customer: string): Promise<Locator> {
  await page.getByRole('link', { name: 'Agent inbox' }).click();
  const panel = page.locator(`article[data-conversation="${conversationOf(customer)}"]`);
  await panel.waitFor({ timeout: 15_000 });
  return panel;
}

export const conversationOf = (customer: string) => `wa:${BUSINESS_NUMBER_ID}:${customer}`;

/** Closes every conversation the rig's agent holds, so a test's inbox shows only its own. */
export async function closeHeldConversations(rig: ServiceRig): Promise<void> {
  const held = (await rig.requestAs('agent', 'GET', '/v1/agent/conversations')).body.conversations as { conversationId: string }[];
  for (const c of held) await rig.requestAs('agent', 'POST', `/v1/conversations/${encodeURIComponent(c.conversationId)}/close`, {});
}

export async function startConsoleRig(): Promise<ConsoleRig> {
  const sipp: SippPeer = await startSipp({ scenario: 'answer', transport: 'udp', calls: 20, agent: 'agent-1', set: { hangup: 'us' }, timeoutSeconds: 900 });
  const rig = await startService({ sip: { connectorUri: sipp.uri } });
  const browser = await launchBrowser();
  // Templates belong to a registered number; and a first published configuration, so there is a version to go back to.
  const registered = await rig.requestAs('supervisor', 'POST', '/v1/numbers', { phoneNumberId: BUSINESS_NUMBER_ID, displayNumber: '+1 202 555 0107', verificationMethod: 'sms', ownership: { attestedBy: 'Grace', statement: true } });
  if (registered.status !== 201) throw new Error(`registering the number answered ${registered.status}`);
  // agent-1 answers every call in these tests: let them hold plenty.
  await rig.requestAs('supervisor', 'PUT', '/v1/config/draft', { agentCapacity: 50 });
  const published = await rig.requestAs('supervisor', 'POST', '/v1/config/publish', { note: 'baseline' });
  if (published.status !== 201) throw new Error(`publishing the baseline configuration answered ${published.status}`);

  const pages: ConsolePage[] = [];
  const statusOf = (customer: string) => rig.request('GET', `/v1/conversations/${encodeURIComponent(conversationOf(customer))}`);
  let nextCustomer = 15556000000 + Math.floor(Math.random() * 900_000);
  return {
    rig,
    browser,
    async open(role, viewport) {
      const opened = await openConsole(browser, rig.baseUrl, rig.keys[role], viewport);
      pages.push(opened);
      return opened;
    },
    async closePages() {
      const errors: string[] = [];
      for (const { page, errors: seen } of pages.splice(0)) {
        await page.context().close();
        errors.push(...seen);
      }
      return errors;
    },
    newCustomer: () => String((nextCustomer += 1)),
    statusOf,
    heldByAgent: (customer, state = 'handedToAgent') =>
      eventually(() => statusOf(customer), (r) => r.body.state === state && r.body.agentId === 'agent-1', 30_000),
    async customerWrites(customer, text, timestamp) {
      const { delivery } = await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, profileName: `Customer ${customer.slice(-4)}`, text, ...(timestamp ? { timestamp } : {}) });
      if (delivery.finalStatus !== 200) throw new Error(`the webhook answered ${delivery.finalStatus}`);
    },
    async stop() {
      // The browser first: its open connections would keep the API server from closing.
      await browser.close();
      await rig.stop();
      await sipp.stop();
    },
  };
}

/**
 * The set-up every console test file repeats, once: the rig started before the file's tests and stopped after them,
 * and each test ending with no console errors on the pages it opened. Call at the top of a test file; read `.rig` /
 * `.service` inside tests (they exist once `beforeAll` has run).
 */
export function useConsoleRig(): { readonly rig: ConsoleRig; readonly service: ServiceRig } {
  let consoleRig: ConsoleRig | undefined;
  beforeAll(async () => {
    consoleRig = await startConsoleRig();
  }, 60_000);
  afterAll(async () => consoleRig?.stop());
  afterEach(async () => {
    expect(await consoleRig?.closePages()).toEqual([]);
  });
  return {
    get rig() {
      if (!consoleRig) throw new Error('the console rig is not started yet: read it inside a test');
      return consoleRig;
    },
    get service() {
      return this.rig.rig;
    },
  };
}
