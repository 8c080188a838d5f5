/**
 * The simulator's controls for WhatsApp calls (like `/_sim/inbound` for messages): a simulated customer calls a
 * business number, hangs up; how it answers the business's calls; its call permissions; whether Meta sends `calls`
 * webhooks for the number's SIP calls. Bad input is answered 400 with what is wrong; a number without an enabled SIP
 * server in its calling settings 409 (Meta could not place the call either).
 */
import type { Express, Response } from 'express';
import { z } from 'zod';
import { DEFAULT_DISPLAY_PHONE_NUMBER } from './cloud-api.payloads';
import { callView } from './meta-sip.call';
import { CallNotPlaceable, type MetaSip } from './meta-sip';

const digits = z.string().regex(/^\d{6,20}$/, 'expected digits (a wa_id or E.164 without +)');
const ms = z.number().int().min(0).max(3_600_000);

const PlaceCall = z.strictObject({
  phoneNumberId: z.string().min(1),
  from: digits,
  displayPhoneNumber: digits.optional(),
  profileName: z.string().max(256).optional(),
  wabaId: z.string().min(1).optional(),
  hangUpAfterMs: ms.optional(),
  cancelAfterMs: ms.optional(),
});
const Answering = z.strictObject({
  customer: digits,
  outcome: z.enum(['answer', 'decline', 'no_answer']),
  ringMs: ms.optional(),
  hangUpAfterMs: ms.optional(),
  ringTimeoutMs: ms.optional(),
});
const Permission = z.strictObject({ phoneNumberId: z.string().min(1), customer: digits, expiresAt: z.iso.datetime().optional(), revoke: z.boolean().optional() });
const Webhooks = z.strictObject({ phoneNumberId: z.string().min(1), enabled: z.boolean() });

function parsed<T>(schema: z.ZodType<T>, body: unknown, res: Response): T | undefined {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  res.status(400).json({ error: 'invalid_request', detail: z.prettifyError(result.error) });
  return undefined;
}

export function installCallControls(app: Express, sip: MetaSip): void {
  app.get('/_sim/calls', async (_req, res) => void res.json({ sip: await sip.address(), calls: sip.calls().map(callView) }));

  app.post('/_sim/calls', async (req, res) => {
    const body = parsed(PlaceCall, req.body, res);
    if (!body) return;
    try {
      const call = await sip.placeCall({ ...body, displayPhoneNumber: body.displayPhoneNumber ?? DEFAULT_DISPLAY_PHONE_NUMBER });
      res.status(201).json(callView(call));
    } catch (err) {
      if (!(err instanceof CallNotPlaceable)) throw err;
      res.status(409).json({ error: 'call_not_placeable', detail: err.message });
    }
  });

  app.post('/_sim/calls/answering', (req, res) => {
    const body = parsed(Answering, req.body, res);
    if (!body) return;
    const { customer, ...plan } = body;
    sip.setAnswering(customer, plan);
    res.json({ customer, ...plan });
  });

  app.post('/_sim/calls/permissions', (req, res) => {
    const body = parsed(Permission, req.body, res);
    if (!body) return;
    sip.grantPermission(body.phoneNumberId, body.customer, body.revoke ? false : body.expiresAt ? Date.parse(body.expiresAt) : undefined);
    res.json(body);
  });

  app.post('/_sim/calls/webhooks', (req, res) => {
    const body = parsed(Webhooks, req.body, res);
    if (!body) return;
    sip.setCallWebhooks(body.phoneNumberId, body.enabled);
    res.json(body);
  });

  app.post('/_sim/calls/:callId/hangup', async (req, res) => {
    const call = await sip.hangUp(String(req.params.callId));
    if (!call) return void res.status(404).json({ error: 'unknown_call', detail: `no call ${req.params.callId}` });
    res.json(callView(call));
  });
}
