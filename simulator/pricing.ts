/**
 * What a sent message costs, as Meta's per-message pricing decides it (since July 2025), for the status webhooks'
 * `pricing` object: non-template messages are free (`free_customer_service`, category `service`); a utility template
 * inside the customer service window (24 h from the customer's last message or call) is free too; every other template is
 * `regular` (billable) at its category. Free entry points (72 h after a click-to-WhatsApp ad) are not simulated.
 * Under `npm start` the windows are kept across restarts (`service-windows.json`, simulator/state-file.ts).
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing
 */
import type { StateFile } from './state-file';

const WINDOW_MS = 24 * 60 * 60 * 1000;

/** What is kept across restarts (`service-windows.json`): when each open window opened (epoch ms, per number and user). */
export interface ServiceWindowsState {
  lastInbound: [key: string, at: number][];
}

export function serviceWindows(state?: StateFile<ServiceWindowsState>) {
  const lastInbound = new Map<string, number>(state?.load()?.lastInbound ?? []);
  // A window 24 hours old is closed: not kept.
  const save = () => state?.save(() => ({ lastInbound: [...lastInbound.entries()].filter(([, at]) => Date.now() - at < WINDOW_MS) }));
  const key = (phoneNumberId: string, waId: string) => `${phoneNumberId}:${waId.replace(/\D/g, '')}`;
  return {
    /**
     * Every webhook the simulator delivers passes here: a customer's message opens (or extends) their window, and so
     * does their call, answered or not (`calls` `connect`, USER_INITIATED: "the customer service window now also
     * starts or refreshes for calls", https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/pricing/).
     */
    noteInbound(body: object): void {
      type Contact = { from?: string; timestamp?: string; event?: string; direction?: string };
      const entries = (body as { entry?: { changes?: { value?: { metadata?: { phone_number_id?: string }; messages?: Contact[]; calls?: Contact[] } }[] }[] }).entry ?? [];
      let noted = false;
      for (const change of entries.flatMap((e) => e.changes ?? [])) {
        const number = change.value?.metadata?.phone_number_id;
        const calls = (change.value?.calls ?? []).filter((c) => c.event === 'connect' && c.direction === 'USER_INITIATED');
        for (const m of [...(change.value?.messages ?? []), ...calls]) {
          if (!number || !m.from) continue;
          lastInbound.set(key(number, m.from), Number(m.timestamp ?? 0) * 1000 || Date.now());
          noted = true;
        }
      }
      if (noted) save();
    },
    pricingFor(phoneNumberId: string, to: string | undefined, category: string): { category: string; type: string } {
      if (category === 'service') return { category, type: 'free_customer_service' };
      const opened = to ? lastInbound.get(key(phoneNumberId, to)) : undefined;
      const inWindow = opened !== undefined && Date.now() - opened < WINDOW_MS;
      return { category, type: category === 'utility' && inWindow ? 'free_customer_service' : 'regular' };
    },
  };
}
