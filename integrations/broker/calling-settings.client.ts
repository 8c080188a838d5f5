/**
 * Meta's calling settings of a business number: POST /<PHONE_NUMBER_ID>/settings `{ calling }` and
 * GET /<PHONE_NUMBER_ID>/settings?include_sip_credentials=true, which also returns the SIP password Meta generates
 * for the number and app (`calling.sip.servers[].sip_user_password`).
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/call-settings/
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/sip/
 */
import { graphTransport, type CloudApiOptions } from './cloud-api.client';
import type { CallingSettings } from '../../lib/call-hours';

export interface CallingSettingsClient {
  /** Throws CloudApiError on Meta's refusal (code 100 for an invalid field). */
  push(phoneNumberId: string, calling: CallingSettings): Promise<void>;
  /** The settings Meta holds, and the number's SIP password when SIP is enabled. */
  read(phoneNumberId: string): Promise<{ calling: Record<string, unknown>; sipPassword?: string }>;
}

export function createCallingSettingsClient(options: CloudApiOptions): CallingSettingsClient {
  const { base, call } = graphTransport(options);
  return {
    async push(phoneNumberId, calling) {
      await call(`${base}/${encodeURIComponent(phoneNumberId)}/settings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ calling }),
      });
    },
    async read(phoneNumberId) {
      const response = await call(`${base}/${encodeURIComponent(phoneNumberId)}/settings?include_sip_credentials=true`, { method: 'GET' });
      const body = (await response.json()) as { calling?: { sip?: { servers?: { sip_user_password?: string }[] } } & Record<string, unknown> };
      const password = body.calling?.sip?.servers?.find((s) => s.sip_user_password)?.sip_user_password;
      return { calling: body.calling ?? {}, ...(password ? { sipPassword: password } : {}) };
    },
  };
}
