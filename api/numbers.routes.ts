import { Router } from 'express';
import { z } from 'zod';
import { AppError } from '../lib/errors';
import { checkBusinessNumber, formatInternational } from '../lib/phone-numbers';
import type { Store } from '../store/db';
import { registerNumber } from '../store/display-numbers.store';
import { defaultReceipts, findNumber, listNumbers, setLegacy, setReceipts, setRetention, setSending, type BusinessNumberDoc } from '../store/numbers.store';
import { DEFAULT_PORTFOLIO } from '../store/portfolio.store';
import { allow, may, principalOf } from './auth';
import { parseIn } from './request';

const PhoneNumberId = z.string().regex(/^\d{1,32}$/, 'the Cloud API phone-number id (digits)');

export const RegisterNumberBody = z
  .strictObject({
    phoneNumberId: PhoneNumberId,
    displayNumber: z.string().min(1).max(32).meta({ description: 'International form with country code, e.g. +1 202 555 0107', example: '+1 202 555 0107' }),
    wabaId: z.string().regex(/^\d{1,32}$/).optional(),
    businessPortfolioId: z
      .string()
      .regex(/^\d{1,32}$/)
      .optional()
      .meta({
        description:
          "The Meta business portfolio owning the number's WhatsApp Business Account: its numbers share one messaging limit (https://developers.facebook.com/documentation/business-messaging/whatsapp/messaging-limits). Absent: the deployment's one portfolio, `default`",
      }),
    verificationMethod: z.enum(['sms', 'voice']),
    ownership: z.strictObject({
      attestedBy: z.string().trim().min(1).max(200).meta({ description: 'Who, at the business, attests it owns the number' }),
      statement: z.literal(true).meta({ description: 'The business owns this number and may register it with WhatsApp' }),
    }),
  })
  .meta({ id: 'RegisterNumberBody' });

export const ReceiptsBody = z
  .strictObject({
    markRead: z.boolean().meta({ description: "Mark the customer's messages read when an agent opens the conversation or a bot takes a message" }),
    typing: z.boolean().meta({ description: 'Show the typing indicator while an agent types (this also marks the message read)' }),
  })
  .meta({ id: 'ReceiptsBody' });

export const SendingBody = z
  .strictObject({
    directSend: z.boolean().meta({
      description:
        'Meta enabled Direct Send for this number: utility text and interactive (buttons, cta_url) messages marked `category: "utility"` may go outside the window (https://developers.facebook.com/documentation/business-messaging/whatsapp/direct-send/send-utility-and-authentication-messages/)',
    }),
    marketingMessages: z
      .strictObject({
        productPolicy: z.enum(['CLOUD_API_FALLBACK', 'STRICT']).optional(),
        messageActivitySharing: z.boolean().optional(),
      })
      .optional()
      .meta({ description: 'Options sent with marketing templates, which go through /marketing_messages (https://developers.facebook.com/documentation/business-messaging/whatsapp/marketing-messages/send-marketing-messages)' }),
  })
  .meta({ id: 'SendingBody' });

export const LegacyBody = z
  .strictObject({
    replacementNumber: z.string().min(1).max(32).meta({ example: '+1 202 555 0107' }),
    autoReply: z.string().trim().min(1).max(4096).optional().meta({ description: 'Default: "Hello, to better serve you, our number changed to …"' }),
    periodHours: z.number().int().min(1).max(24 * 365).default(24).meta({ description: 'At most one reply per customer per period' }),
  })
  .meta({ id: 'LegacyBody' });

export const RetentionBody = z
  .strictObject({
    days: z
      .number()
      .int()
      .min(7)
      .max(3650)
      .meta({ description: "Days this number's messages, media and closed conversations are kept; at least 7, since Meta redelivers a webhook for up to 7 days" }),
  })
  .meta({ id: 'RetentionBody' });

function refuse(field: string, checked: { refused: string; message: string }): never {
  throw new AppError('invalid_phone_number', checked.message, { reason: checked.refused, errors: [{ in: 'body', path: field, message: checked.message }] });
}

/** Supervisors register business numbers (WhatsApp's numbering rules) and mark old ones as legacy. */
export function numberRoutes(store: Store): Router {
  const router = Router();
  router.use('/v1/numbers', allow(...may.supervise));

  router.post('/v1/numbers', async (req, res) => {
    const body = RegisterNumberBody.parse(req.body);
    const checked = checkBusinessNumber(body.displayNumber);
    if ('refused' in checked) refuse('displayNumber', checked);
    const by = principalOf(res);
    const doc: BusinessNumberDoc = {
      _id: body.phoneNumberId,
      displayNumber: checked.e164,
      ...(checked.country ? { country: checked.country } : {}),
      numberType: checked.type,
      ...(body.wabaId ? { wabaId: body.wabaId } : {}),
      ...(body.businessPortfolioId ? { businessPortfolioId: body.businessPortfolioId } : {}),
      verificationMethod: body.verificationMethod,
      ownership: { attestedBy: body.ownership.attestedBy, attestedAt: new Date(), statement: 'The business owns this number' },
      notes: checked.notes,
      registeredAt: new Date(),
      registeredBy: `${by.name} (${by.keyId})`,
    };
    const registered = await registerNumber(store, doc);
    if (registered.outcome === 'id_exists') throw new AppError('number_exists', `Phone-number id ${body.phoneNumberId} is already registered`);
    if (registered.outcome === 'display_taken') {
      throw new AppError('display_number_exists', `${checked.e164} is already registered as phone-number id ${registered.heldBy}: a phone number is one WhatsApp phone-number id`, {
        phoneNumberId: registered.heldBy,
        errors: [{ in: 'body', path: 'displayNumber', message: `already registered as ${registered.heldBy}` }],
      });
    }
    res.status(201).json(toView(doc));
  });

  router.get('/v1/numbers', async (_req, res) => {
    res.json({ numbers: (await listNumbers(store)).map(toView) });
  });

  router.get('/v1/numbers/:phoneNumberId', async (req, res) => {
    res.json(toView(await requireNumber(store, parseIn('path', PhoneNumberId, req.params.phoneNumberId, 'phoneNumberId'))));
  });

  router.put('/v1/numbers/:phoneNumberId/legacy', async (req, res) => {
    const id = parseIn('path', PhoneNumberId, req.params.phoneNumberId, 'phoneNumberId');
    const body = LegacyBody.parse(req.body);
    const replacement = checkBusinessNumber(body.replacementNumber);
    if ('refused' in replacement) refuse('replacementNumber', replacement);
    const by = principalOf(res);
    const legacy = {
      replacementNumber: replacement.e164,
      autoReply:
        body.autoReply ??
        `Hello, to better serve you, our number changed to ${formatInternational(replacement.e164)}, please contact us through that number.`,
      periodHours: body.periodHours,
      markedAt: new Date(),
      markedBy: `${by.name} (${by.keyId})`,
    };
    if (!(await setLegacy(store, id, legacy))) throw new AppError('unknown_number', `No registered number ${id}`);
    res.json(toView(await requireNumber(store, id)));
  });

  // Read receipts and typing indicator for this number's customers (Meta: typing-indicators page); both on by default.
  router.put('/v1/numbers/:phoneNumberId/receipts', async (req, res) => {
    const id = PhoneNumberId.parse(req.params.phoneNumberId);
    if (!(await setReceipts(store, id, ReceiptsBody.parse(req.body)))) throw new AppError('unknown_number', `No registered number ${id}`);
    res.json(toView(await requireNumber(store, id)));
  });

  // How long this number's data is kept (README "Retention"); the purge Schedule applies it on its next run.
  router.put('/v1/numbers/:phoneNumberId/retention', async (req, res) => {
    const id = parseIn('path', PhoneNumberId, req.params.phoneNumberId, 'phoneNumberId');
    const by = principalOf(res);
    const retention = { days: RetentionBody.parse(req.body).days, setAt: new Date(), setBy: `${by.name} (${by.keyId})` };
    if (!(await setRetention(store, id, retention))) throw new AppError('unknown_number', `No registered number ${id}`);
    res.json(toView(await requireNumber(store, id)));
  });

  router.delete('/v1/numbers/:phoneNumberId/retention', async (req, res) => {
    const id = parseIn('path', PhoneNumberId, req.params.phoneNumberId, 'phoneNumberId');
    if (!(await setRetention(store, id, null))) throw new AppError('unknown_number', `No registered number ${id}`);
    res.json(toView(await requireNumber(store, id)));
  });

  // Direct Send and Marketing Messages API options, as Meta granted them to this number; both off by default.
  router.put('/v1/numbers/:phoneNumberId/sending', async (req, res) => {
    const id = parseIn('path', PhoneNumberId, req.params.phoneNumberId, 'phoneNumberId');
    if (!(await setSending(store, id, SendingBody.parse(req.body)))) throw new AppError('unknown_number', `No registered number ${id}`);
    res.json(toView(await requireNumber(store, id)));
  });

  router.delete('/v1/numbers/:phoneNumberId/legacy', async (req, res) => {
    const id = parseIn('path', PhoneNumberId, req.params.phoneNumberId, 'phoneNumberId');
    if (!(await setLegacy(store, id, null))) throw new AppError('unknown_number', `No registered number ${id}`);
    res.json(toView(await requireNumber(store, id)));
  });

  return router;
}

async function requireNumber(store: Store, id: string): Promise<BusinessNumberDoc> {
  const doc = await findNumber(store, id);
  if (!doc) throw new AppError('unknown_number', `No registered number ${id}`);
  return doc;
}

function toView(doc: BusinessNumberDoc) {
  const { _id, ownership, registeredAt, legacy, retention, ...rest } = doc;
  return {
    phoneNumberId: _id,
    ...rest,
    ownership: { ...ownership, attestedAt: ownership.attestedAt.toISOString() },
    registeredAt: registeredAt.toISOString(),
    ...(legacy ? { legacy: { ...legacy, markedAt: legacy.markedAt.toISOString() } } : {}),
    receipts: doc.receipts ?? defaultReceipts,
    ...(retention ? { retention: { ...retention, setAt: retention.setAt.toISOString() } } : {}),
    businessPortfolioId: doc.businessPortfolioId ?? DEFAULT_PORTFOLIO,
    sending: doc.sending ?? { directSend: false },
  };
}
