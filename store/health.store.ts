import { isDuplicateKey, type Store } from './db';

/**
 * Account health (issue 20): what WhatsApp said about the account, its numbers and templates, as alerts supervisors
 * read, and the holds that keep campaigns from sending into a problem.
 * - An alert is inserted once per webhook event (`_id` derived from the event, so a redelivery is a duplicate key) and
 *   only ever changes status: `active` → `resolved` (by WhatsApp's own all-clear, or by a supervisor).
 * - A hold exists while its cause does: `_id` names what it holds (`number:<phone-number id>`, `account:<WABA id>`,
 *   `template:<template key>`, `marketing:<phone-number id>`); lifting it deletes the document. Campaigns check holds
 *   before every recipient (activities/campaign.activities.ts), so nothing races a pause.
 */

export type AlertSeverity = 'critical' | 'warning' | 'info';

/** One thing WhatsApp said that a supervisor should know, with what to do about it. */
export interface AlertDoc {
  _id: string;
  /** The webhook field it came from (`account_update`, `phone_number_quality_update`, …) or `send_error` (131048). */
  field: string;
  /** Meta's event or type (`FLAGGED`, `ACCOUNT_RESTRICTION`, `PAUSED`, `INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED`…). */
  event: string;
  severity: AlertSeverity;
  status: 'active' | 'resolved';
  title: string;
  /** What a supervisor should do, in words (from Meta's pages). */
  whatToDo: string;
  /** The Meta page that describes the event. */
  source: string;
  wabaId?: string;
  businessNumberId?: string;
  template?: { name: string; language: string };
  /** Meta's own words, where the webhook carries any (alert_description, violation type, restriction types…). */
  details?: string;
  /** The hold this alert placed, if it holds campaigns. */
  holdId?: string;
  createdAt: Date;
  resolvedAt?: Date;
  /** `whatsapp` when Meta's all-clear resolved it; else the supervisor. */
  resolvedBy?: string;
  /** The supervisor's choice for the campaigns it paused, when they resolved it. */
  campaigns?: 'resumed' | 'keptPaused';
}

/** Campaigns may not send what this names while it exists. */
export interface HoldDoc {
  _id: string;
  /** The alert that placed it (the latest, when several name one cause). */
  alertId: string;
  /** Why, in one phrase, for the campaign's `pausedFor`. */
  reason: string;
  since: Date;
}

const alerts = (store: Store) => store.db.collection<AlertDoc>('account_alerts');
const holds = (store: Store) => store.db.collection<HoldDoc>('account_holds');

/** Inserts the alert; false when this event was recorded before (a redelivered webhook). */
export async function insertAlert(store: Store, alert: AlertDoc): Promise<boolean> {
  try {
    await alerts(store).insertOne(alert);
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}

export async function findAlert(store: Store, alertId: string): Promise<AlertDoc | null> {
  return alerts(store).findOne({ _id: alertId });
}

/** Newest first; `status` narrows to active or resolved ones. */
export async function listAlerts(store: Store, filter: { status?: AlertDoc['status']; limit: number }): Promise<AlertDoc[]> {
  return alerts(store)
    .find(filter.status ? { status: filter.status } : {})
    .sort({ createdAt: -1, _id: 1 })
    .limit(filter.limit)
    .toArray();
}

/** Marks active alerts resolved: those holding `holdId`, or the one alert `alertId`. */
export async function resolveAlerts(store: Store, by: { holdId?: string; alertId?: string }, resolvedBy: string, at: Date, campaigns?: AlertDoc['campaigns']): Promise<void> {
  const filter = by.alertId ? { _id: by.alertId } : { holdId: by.holdId!, status: 'active' as const };
  await alerts(store).updateMany(filter, { $set: { status: 'resolved', resolvedAt: at, resolvedBy, ...(campaigns ? { campaigns } : {}) } });
}

/** Places (or re-points to a newer alert) the hold `holdId`. */
export async function placeHold(store: Store, hold: HoldDoc): Promise<void> {
  const place = () => holds(store).updateOne({ _id: hold._id }, { $set: { alertId: hold.alertId, reason: hold.reason }, $setOnInsert: { since: hold.since } }, { upsert: true });
  try {
    await place();
  } catch (err) {
    // Two racing upserts of one hold (a webhook and its redelivery): the loser's insert collides; its update now finds it.
    if (!isDuplicateKey(err)) throw err;
    await place();
  }
}

export async function liftHold(store: Store, holdId: string): Promise<void> {
  await holds(store).deleteOne({ _id: holdId });
}

/** The first of these holds that exists, in the order given (each an `_id` look-up). */
export async function firstHold(store: Store, holdIds: readonly string[]): Promise<HoldDoc | undefined> {
  if (holdIds.length === 0) return undefined;
  const found = await holds(store).find({ _id: { $in: [...holdIds] } }).toArray();
  return holdIds.map((id) => found.find((h) => h._id === id)).find((h): h is HoldDoc => h !== undefined);
}

export async function listHolds(store: Store): Promise<HoldDoc[]> {
  return holds(store).find({}).sort({ _id: 1 }).toArray();
}

/** Hold ids, so every writer and reader names a cause the same way. */
export const holdIds = {
  number: (phoneNumberId: string) => `number:${phoneNumberId}`,
  account: (wabaId: string) => `account:${wabaId}`,
  template: (templateKey: string) => `template:${templateKey}`,
  marketing: (phoneNumberId: string) => `marketing:${phoneNumberId}`,
};

/** Active alerts' kinds (the metrics' gauge): field, event and severity only. */
export async function activeAlertKinds(store: Store): Promise<Pick<AlertDoc, 'field' | 'event' | 'severity'>[]> {
  return alerts(store).find({ status: 'active' }, { projection: { field: 1, event: 1, severity: 1 } }).toArray();
}
