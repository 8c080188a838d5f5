/**
 * WhatsApp calls: a number's calling settings (supervisors; pushed to Meta's POST /<PHONE_NUMBER_ID>/settings),
 * a conversation's calls (its call history beside the thread), and the calls' KPIs (analysts).
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/call-settings/
 */
import { isIP } from 'node:net';
import { Router } from 'express';
import { z } from 'zod';
import { ConversationId } from './conversations.schema';
import type { CallSettingsService } from '../services/call-settings.service';
import { listCalls } from '../store/calls.store';
import type { Store } from '../store/db';
import { allow, may, principalOf } from './auth';
import { parseIn } from './request';
import { AppError } from '../lib/errors';
import { callPermissionView, numberOfConversation } from '../services/business-calls.service';
import { conversationIdParts } from '../lib/conversation-id';

const onOff = z.enum(['ENABLED', 'DISABLED']);
const hhmm = z.string().regex(/^([01]\d|2[0-3])[0-5]\d$/, 'expected HHMM (24 h), as Meta writes it');
const timeZone = z.string().refine((zone) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}, 'not an IANA time zone (e.g. America/Manaus)');

/**
 * Where Meta's SIP server sends the calls: an RFC 1123 host name or an IP address. Anything else would only show
 * when Meta fails to place the calls (nothing reaches us to say why), so it is refused here.
 */
const sipHost = z
  .string()
  .min(1)
  .max(253)
  .refine((host) => z.hostname().safeParse(host).success || isIP(host) !== 0, 'expected an RFC 1123 host name or an IP address, e.g. sip.cc.example.com')
  .meta({ description: 'An RFC 1123 host name or an IP address' });
/**
 * The `;name=value` pairs Meta adds to the Request-URI's user part (e.g. `tgrp`, `trunk-context`): a name is an
 * RFC 3261 token, a value param-chars that may stand in a user part (%HH escapes allowed), so neither `;`, `=`,
 * `:`, `@` nor a space breaks the INVITE Meta sends us (our parser would drop it, the caller hearing nothing).
 */
const userParamName = z.string().regex(/^[A-Za-z0-9\-_.!~*'+]+$/, 'expected an RFC 3261 token (letters, digits, - _ . ! ~ * \' +)');
const userParams = z.record(
  userParamName,
  z.string().regex(/^(?:[A-Za-z0-9\-_.!~*'()&+$,?/]|%[0-9A-Fa-f]{2})+$/, "expected RFC 3261 param-chars usable in a user part (letters, digits, - _ . ! ~ * ' ( ) & + $ , ? / or %HH)"),
);

/** Meta's `calling` object, in Meta's names. */
export const CallingSettingsBody = z
  .strictObject({
    status: onOff.meta({ description: 'Calling API on or off for the number' }),
    call_icon_visibility: z.enum(['DEFAULT', 'DISABLE_ALL']).optional(),
    call_hours: z
      .strictObject({
        status: onOff,
        timezone_id: timeZone,
        weekly_operating_hours: z
          .array(z.strictObject({ day_of_week: z.enum(['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY']), open_time: hhmm, close_time: hhmm }))
          .min(1)
          .refine((spans) => spans.every((s) => s.open_time < s.close_time), 'open_time must be before close_time'),
        holiday_schedule: z.array(z.strictObject({ date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), start_time: hhmm, end_time: hhmm })).max(20).optional(),
      })
      .optional()
      .meta({ description: 'Outside these hours the call is answered 480 and counted missed (Meta also shows the user the hours)' }),
    callback_permission_status: onOff.optional().meta({ description: 'Whether a user who calls grants call permission for a callback' }),
    sip: z
      .strictObject({
        status: onOff,
        servers: z
          .array(z.strictObject({ hostname: sipHost, port: z.number().int().min(1).max(65535).optional(), request_uri_user_params: userParams.optional() }))
          .max(1)
          .optional(),
      })
      .refine((s) => s.status === 'DISABLED' || s.servers?.length === 1, { message: 'one server when sip is ENABLED', path: ['servers'] })
      .optional()
      .meta({ description: "Where Meta's SIP server sends the calls: the connector (or the SBC in front of it)" }),
  })
  .meta({ id: 'CallingSettingsBody' });

export const KpiQuery = z.strictObject({
  from: z.iso.datetime({ offset: true }).optional().meta({ description: 'Default: 24 h before `to`' }),
  to: z.iso.datetime({ offset: true }).optional().meta({ description: 'Default: now' }),
});

const PhoneNumberId = z.string().regex(/^\d{1,32}$/);

export function callRoutes(settings: CallSettingsService, store: Store): Router {
  const router = Router();
  router.put('/v1/numbers/:phoneNumberId/calling', allow(...may.supervise), async (req, res) => {
    const id = parseIn('path', PhoneNumberId, req.params.phoneNumberId, 'phoneNumberId');
    const body = CallingSettingsBody.parse(req.body);
    res.json(await settings.put(id, body, principalOf(res).keyId));
  });
  router.get('/v1/numbers/:phoneNumberId/calling', allow(...may.supervise), async (req, res) => {
    res.json(await settings.get(parseIn('path', PhoneNumberId, req.params.phoneNumberId, 'phoneNumberId')));
  });
  router.get('/v1/conversations/:conversationId/calls', allow(...may.readConversations), async (req, res) => {
    const id = parseIn('path', ConversationId, req.params.conversationId, 'conversationId');
    const principal = principalOf(res);
    // An agent sees the calls it took; the other readers all of them.
    const calls = (await listCalls(store, id)).filter((c) => !principal.agent || c.agentId === principal.agent.id);
    res.json({ calls: calls.map(({ _id, updatedAt, ...call }) => ({ ...call, updatedAt: updatedAt.toISOString() })) });
  });
  router.get('/v1/conversations/:conversationId/call-permission', allow(...may.readConversations), async (req, res) => {
    const id = parseIn('path', ConversationId, req.params.conversationId, 'conversationId');
    // A conversation keyed by BSUID is asked about at the number the registry knows for the person.
    const parts = conversationIdParts(id);
    const waId = parts ? await numberOfConversation(store, parts.businessNumberId, parts.customerKey) : '';
    if (!parts || !waId) throw new AppError('unknown_conversation', `${id} is not a WhatsApp conversation whose customer's phone number is known (wa:<phone number id>:<customer key>)`);
    res.json(await callPermissionView(store, parts.businessNumberId, waId, id));
  });
  router.get('/v1/calls/kpis', allow(...may.analyse), async (req, res) => {
    const query = parseIn('query', KpiQuery, req.query);
    const to = query.to ? new Date(query.to) : new Date();
    const from = query.from ? new Date(query.from) : new Date(to.getTime() - 24 * 3_600_000);
    if (from.getTime() >= to.getTime()) {
      throw new AppError('invalid_request', 'from must be before to', { errors: [{ in: 'query', path: 'from', message: `${from.toISOString()} is not before ${to.toISOString()}` }] });
    }
    res.json(await settings.kpis(from, to));
  });
  return router;
}
