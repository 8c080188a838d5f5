import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Store } from '../store/db';
import { findAlert, firstHold, holdIds, insertAlert, liftHold, placeHold, resolveAlerts, type AlertDoc } from '../store/health.store';
import { listNumbers } from '../store/numbers.store';
import { findTemplatesByBrokerId, templateKey } from '../store/templates.store';
import { recordMarketingPreference } from '../store/marketing-consent.store';
import { meaningOf } from '../lib/meta-errors';
import {
  AccountAlertsValue,
  AccountUpdateValue,
  PhoneQualityValue,
  MessagesErrorValue,
  UserPreferencesValue,
  accountAlertsVerdict,
  messagesErrorVerdict,
  accountUpdateVerdict,
  pages,
  phoneQualityVerdict,
  templateQualityVerdict,
  templateStatusVerdict,
  type HealthVerdict,
} from './account-health.events';

/** The webhook fields this file handles (besides the template ones, which api/webhook.messages.ts applies first). */
export const healthFields = new Set(['account_update', 'phone_number_quality_update', 'account_alerts', 'user_preferences']);

/** The part name of one `errors[]` entry of a `messages` change (Meta's errors webhook), with the change's metadata. */
export const MESSAGES_ERROR = 'messages.errors';

/** A value that is not Meta's shape for its field: the ingest keeps it as a dead letter (`health_event_unreadable`). */
export class UnreadableHealthEvent extends Error {}

const digits = (s: string) => s.replace(/\D/g, '');

/** One alert per webhook event: the same event redelivered has the same id. */
function alertIdOf(field: string, entry: { id: string; time?: number }, value: unknown, extra = ''): string {
  return `alert_${createHash('sha256').update(`${field}\n${entry.id}\n${entry.time ?? ''}\n${JSON.stringify(value)}\n${extra}`).digest('hex').slice(0, 24)}`;
}

/**
 * The alert id for an errors-webhook event. Meta's errors body carries no time of its own, so the same error again
 * cannot be told from a redelivery by its content: while its alert is active it is the same one (a redelivery changes
 * nothing); once a supervisor has resolved it, it is a new occurrence with an alert of its own (`<id>.2`, `.3`, …),
 * since the broker redelivers only what was not acknowledged, which comes before anyone could resolve it.
 */
async function errorAlertId(store: Store, first: string): Promise<string> {
  for (let occurrence = 1; ; occurrence += 1) {
    const id = occurrence === 1 ? first : `${first}.${occurrence}`;
    if ((await findAlert(store, id))?.status !== 'resolved') return id;
  }
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new UnreadableHealthEvent(z.prettifyError(parsed.error));
  return parsed.data;
}

/**
 * Records what the verdict says: the alert (once per event), and its hold placed, or lifted with the alerts that
 * placed it resolved by WhatsApp. Campaigns paused by a lifted hold stay paused: resuming them is the supervisor's call.
 * Answers whether the alert is new (false: a redelivery of an event already recorded, whose effects are re-applied).
 */
export async function applyVerdict(store: Store, verdict: HealthVerdict, alert: Omit<AlertDoc, 'severity' | 'status' | 'title' | 'whatToDo' | 'source' | 'createdAt'>, holdId: string | undefined, at: Date): Promise<boolean> {
  let placing = verdict.hold === 'place' && holdId;
  const inserted = await insertAlert(store, {
    ...alert,
    severity: verdict.severity,
    status: verdict.hold === 'lift' ? 'resolved' : 'active',
    title: verdict.title,
    whatToDo: verdict.whatToDo,
    source: verdict.source,
    ...(verdict.details ? { details: verdict.details } : {}),
    ...(placing ? { holdId } : {}),
    createdAt: at,
    ...(verdict.hold === 'lift' ? { resolvedAt: at, resolvedBy: 'whatsapp' } : {}),
  });
  // A redelivery of an event whose alert a supervisor has resolved since must not hold the campaigns again.
  if (!inserted && placing && (await findAlert(store, alert._id))?.status === 'resolved') placing = false;
  if (placing && holdId) await placeHold(store, { _id: holdId, alertId: alert._id, reason: verdict.title, since: at });
  if (verdict.hold === 'lift' && holdId) {
    await liftHold(store, holdId);
    await resolveAlerts(store, { holdId }, 'whatsapp', at);
  }
  return inserted;
}

/**
 * Applies one account-health or marketing-preference change. `entry` is the webhook entry (its id is the WABA).
 * Throws {@link UnreadableHealthEvent} for a value not in Meta's shape. Answers how many events it applied: an alert
 * event already recorded (a redelivery) counts 0, as a redelivered `calls` event does; a marketing preference counts
 * each time (its store write cannot tell a redelivery).
 */
export async function ingestHealthEvent(store: Store, field: string, entry: { id: string; time?: number }, value: unknown, receivedAt: Date): Promise<number> {
  const wabaId = entry.id;
  if (field === 'user_preferences') {
    const prefs = parse(UserPreferencesValue, value);
    let applied = 0;
    for (const p of prefs.user_preferences) {
      if (p.category !== 'marketing_messages' || (p.value !== 'stop' && p.value !== 'resume')) continue;
      if (!p.wa_id && !p.user_id) throw new UnreadableHealthEvent('a user preference names no wa_id or user_id');
      const at = new Date(p.timestamp * 1000);
      await recordMarketingPreference(store, { ...(p.wa_id ? { waId: p.wa_id } : {}), ...(p.user_id ? { userId: p.user_id } : {}) }, {
        value: p.value,
        at,
        source: 'user_preferences',
        businessNumberId: prefs.metadata.phone_number_id,
      });
      applied += 1;
    }
    return applied;
  }
  if (field === MESSAGES_ERROR) {
    const { metadata, error } = parse(MessagesErrorValue, value);
    const numberId = metadata.phone_number_id;
    const alert = { _id: await errorAlertId(store, alertIdOf(field, entry, value)), field: 'messages', event: String(error.code), wabaId, businessNumberId: numberId };
    return (await applyVerdict(store, messagesErrorVerdict(error, meaningOf(error.code).meaning), alert, undefined, receivedAt)) ? 1 : 0;
  }
  if (field === 'phone_number_quality_update') {
    const quality = parse(PhoneQualityValue, value);
    const verdict = phoneQualityVerdict(quality);
    const numbers = (await listNumbers(store)).filter((n) => digits(n.displayNumber) === digits(quality.display_phone_number));
    if (numbers.length === 0) {
      // Not a number registered here: the alert still tells supervisors, but no campaign can be matched to it.
      const unmatched = { ...verdict, ...(verdict.hold === 'place' ? { whatToDo: `${verdict.whatToDo} (Number ${quality.display_phone_number} is not registered here, so no campaign could be paused: register it under Numbers.)` } : {}) };
      return (await applyVerdict(store, unmatched, { _id: alertIdOf(field, entry, value), field, event: quality.event, wabaId }, undefined, receivedAt)) ? 1 : 0;
    }
    let fresh = false;
    for (const number of numbers) {
      const alert = { _id: alertIdOf(field, entry, value, number._id), field, event: quality.event, wabaId, businessNumberId: number._id };
      if (await applyVerdict(store, verdict, alert, holdIds.number(number._id), receivedAt)) fresh = true;
    }
    return fresh ? 1 : 0;
  }
  if (field === 'account_update') {
    const update = parse(AccountUpdateValue, value);
    return (await applyVerdict(store, accountUpdateVerdict(update), { _id: alertIdOf(field, entry, value), field, event: update.event, wabaId }, holdIds.account(wabaId), receivedAt)) ? 1 : 0;
  }
  const alerts = parse(AccountAlertsValue, value);
  const numberId = alerts.entity_type === 'PHONE_NUMBER' ? alerts.entity_id : undefined;
  const alert = { _id: alertIdOf(field, entry, value), field, event: alerts.alert_info.alert_type, wabaId, ...(numberId ? { businessNumberId: numberId } : {}) };
  return (await applyVerdict(store, accountAlertsVerdict(alerts), alert, undefined, receivedAt)) ? 1 : 0;
}

/**
 * A template's status or quality changed at WhatsApp (after the template store recorded it): PAUSED, DISABLED or DELETED holds
 * the campaigns sending it, REINSTATED lifts that hold; a RED quality score warns.
 */
export async function templateHealthEvent(store: Store, field: string, entry: { id: string; time?: number }, value: { templateId: string; status?: string; quality?: string; reason?: string }, receivedAt: Date): Promise<void> {
  const verdict = value.status ? templateStatusVerdict(value.status, value.reason) : value.quality ? templateQualityVerdict(value.quality) : undefined;
  if (!verdict) return;
  for (const t of await findTemplatesByBrokerId(store, value.templateId)) {
    const alert = {
      _id: alertIdOf(field, entry, value, t._id),
      field,
      event: value.status ?? `quality ${value.quality}`,
      wabaId: entry.id,
      businessNumberId: t.businessNumberId,
      template: { name: t.name, language: t.language },
    };
    await applyVerdict(store, verdict, alert, holdIds.template(templateKey(t.businessNumberId, t.name, t.language)), receivedAt);
  }
}

/**
 * A send WhatsApp refused with 131048 (spam rate limit): the number's marketing sends are held until a supervisor
 * resolves the alert.
 */
export async function holdMarketingForSpam(store: Store, businessNumberId: string, at: Date): Promise<void> {
  const holdId = holdIds.marketing(businessNumberId);
  const verdict: HealthVerdict = {
    severity: 'critical',
    hold: 'place',
    title: 'WhatsApp limits this number for spam (131048)',
    whatToDo:
      "Marketing campaigns from this number are paused. Too many of its messages were blocked or reported: check its quality rating in WhatsApp Manager, send marketing only to people who opted in, then resolve this alert to resume (or keep) the paused campaigns.",
    source: pages.errorCodes,
  };
  // While the hold stands, further 131048 answers add nothing: one alert, not one per message.
  if (await firstHold(store, [holdId])) return;
  await applyVerdict(store, verdict, { _id: alertIdOf('send_error', { id: businessNumberId }, 131048, at.toISOString()), field: 'send_error', event: '131048', businessNumberId }, holdId, at);
}
