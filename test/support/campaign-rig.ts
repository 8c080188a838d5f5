/**
 * A campaign through the API, as the privacy tests set one up before an erasure or a retention pass: one approved
 * template (en_US) with one body parameter, sent to each of `recipients` (wa_ids), waited for until it has completed.
 */
import { uniqueId } from './env';
import { BUSINESS_NUMBER_ID, type ServiceRig } from './service';
import { eventually } from './workflow-env';

/**
 * Creates the campaign (`POST /v1/campaigns`, a fresh idempotency key), expects its 201, and waits up to 30 s for
 * `state: 'completed'` (every recipient handed to its conversation; the send itself may still be on its way).
 * `parameter` is the body's {{1}} for a recipient (default `you`). Answers the campaign id.
 */
export async function campaignCompleted(rig: ServiceRig, template: string, recipients: readonly string[], parameter: (waId: string) => string = () => 'you'): Promise<string> {
  const created = await rig.request(
    'POST',
    '/v1/campaigns',
    {
      businessNumberId: BUSINESS_NUMBER_ID,
      template: { name: template, language: 'en_US' },
      recipients: recipients.map((waId) => ({ waId, components: [{ type: 'body', parameters: [{ type: 'text', text: parameter(waId) }] }] })),
    },
    { 'idempotency-key': uniqueId('campaign') },
  );
  expect(created.status).toBe(201);
  const campaignId = created.body.campaignId as string;
  await eventually(() => rig.request('GET', `/v1/campaigns/${campaignId}`), (r) => r.body.state === 'completed', 30_000);
  return campaignId;
}
