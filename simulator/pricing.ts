/**
 * What a sent message costs, as Meta's per-message pricing decides it (since July 2025), for the status webhooks'
 * `pricing` object: non-template messages are free (`free_customer_service`, category `service`); a utility template
 * inside the customer service window (24 h from the customer's last message or call) is free too; every other template is
 * `regular` (billable) at its category. Free entry points (72 h after a click-to-WhatsApp ad) are not simulated.
 * The same windows decide which free-form sends fail with 131047 (simulator/service-window.ts). Under `npm start` the
 * open windows are kept across restarts (`service-windows.json`, simulator/state-file.ts).
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing
 */
import type { StateFile } from './state-file';
import { receivedAt, webhookItems } from './webhook-items';

const WINDOW_MS = 24 * 60 * 60 * 1000;

/** What is kept across restarts (`service-windows.json`): when each open window opened (epoch ms, per number and user). */
export interface ServiceWindowsState {
  lastInbound: [key: string, at: number][];
}

export function serviceWindows(state?: StateFile<ServiceWindowsState>) {
  const lastInbound = new Map<string, number>(state?.load()?.lastInbound ?? []);
  // A window 24 hours old is closed: not kept, so after a restart its user is one never seen (never refused under
  // `known-users`: the safe side for a user whose newer messages were posted straight to the connector).
  const save = () => state?.save(() => ({ lastInbound: [...lastInbound.entries()].filter(([, at]) => Date.now() - at < WINDOW_MS) }));
  const key = (phoneNumberId: string, waId: string) => `${phoneNumberId}:${waId.replace(/\D/g, '')}`;
  return {
    /**
     * Every webhook the simulator delivers passes here (and every call of its SIP side, webhooks on or not): a
     * customer's message opens (or extends) their window, and so does their call, answered or not (`calls` `connect`,
     * USER_INITIATED: "the customer service window now also starts or refreshes for calls",
     * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/pricing/).
     */
    noteInbound(body: object): void {
      type Contact = { from: string; to: string; timestamp: string; event: string; direction: string; group_id: string };
      // A message written in a group opens the group's window, not the 1:1 one (Groups API pricing page).
      const messages = webhookItems<Contact>(body, 'messages').filter(({ item }) => item.group_id === undefined).map(({ phoneNumberId, item }) => ({ phoneNumberId, user: item.from, at: item.timestamp }));
      // A user's call opens it, and so does a user answering the business's call ("When a WhatsApp user accepts your call").
      const calls = webhookItems<Contact>(body, 'calls').filter(({ item }) => item.event === 'connect').map(({ phoneNumberId, item }) => ({ phoneNumberId, user: item.direction === 'BUSINESS_INITIATED' ? item.to : item.from, at: item.timestamp }));
      let noted = false;
      for (const m of [...messages, ...calls]) {
        if (!m.user) continue;
        // From when it was written, never later than its receipt (a clock running fast), never moved back by a late delivery.
        const at = receivedAt(m.at);
        lastInbound.set(key(m.phoneNumberId, m.user), Math.max(at, lastInbound.get(key(m.phoneNumberId, m.user)) ?? 0));
        noted = true;
      }
      if (noted) save();
    },
    /** When the user (by any of the numbers given) last wrote or called the number, epoch ms; undefined: never seen. */
    lastContact(phoneNumberId: string, users: string[]): number | undefined {
      const known = users.map((u) => lastInbound.get(key(phoneNumberId, u))).filter((at) => at !== undefined);
      return known.length ? Math.max(...known) : undefined;
    },
    isOpen: (lastContact: number): boolean => Date.now() - lastContact < WINDOW_MS,
    pricingFor(phoneNumberId: string, to: string | undefined, category: string): { category: string; type: string } {
      if (category === 'service') return { category, type: 'free_customer_service' };
      const opened = to ? lastInbound.get(key(phoneNumberId, to)) : undefined;
      const inWindow = opened !== undefined && Date.now() - opened < WINDOW_MS;
      return { category, type: category === 'utility' && inWindow ? 'free_customer_service' : 'regular' };
    },
  };
}
