/**
 * Why a part of a webhook was kept aside instead of processed. A closed list: supervisors filter on it and a replay
 * tool picks what it can now handle by it.
 */
export const deadLetterReasons = [
  /** A `messages` change whose value is not Meta's shape (no `metadata.phone_number_id`, …). */
  'change_unreadable',
  /** A message that is not Meta's message shape (no id, a timestamp that is not unix seconds, …), or an echo `from` another number than the business's. */
  'message_unreadable',
  /** Likewise a delivery status. */
  'status_unreadable',
  /** A template status or category event without a template id or status. */
  'template_event_unreadable',
  /** An account-health or marketing-preference event (account_update, phone_number_quality_update, account_alerts, user_preferences) not in Meta's shape. */
  'health_event_unreadable',
  /**
   * A message naming no customer: no `from`/`from_user_id`, no matching contact with `wa_id`/`user_id`; or a `calls`
   * event naming no user on the user's side (api/webhook.calls.ts); or an `smb_message_echoes` echo addressed to the
   * business's own number (services/business-app-echoes.ts).
   */
  'no_customer',
  /** Temporal refused it for good (an id or payload past its limits), while answering. */
  'refused_by_temporal',
  /** The store refused it for good (a document it cannot hold), while answering. */
  'refused_by_store',
  /** Anything else that failed while MongoDB and Temporal both answered. */
  'unexpected_error',
  /**
   * A change of a webhook field this release does not act on (account_review_update, phone_number_name_update,
   * history, …), an `smb_message_echoes` change with no `message_echoes`, or a `messages` change carrying none of
   * messages, statuses or errors: acknowledged and kept whole, so nothing Meta sent is lost and a later release can
   * act on it.
   */
  'field_not_handled',
] as const;
export type DeadLetterReason = (typeof deadLetterReasons)[number];
/** A part of a webhook the connector could not use, kept as it arrived so a later release can replay it. */
export interface DeadLetterDoc {
  /** sha256 of reason, field, business number, context and raw part (store/dead-letters.store.ts `deadLetterId`): a redelivery of the same body keeps one letter, equal values from two accounts or events keep two. */
  _id: string;
  reason: DeadLetterReason;
  /** What went wrong, for people (a schema issue, an error message). */
  detail: string;
  /** The webhook change field it came in (`messages`, `message_template_status_update`, …). */
  field: string;
  /** The part itself (a message, a status, a change value), JSON as received. */
  raw: string;
  /** What a replay needs beside it: the change's `metadata` and `contacts`, JSON; for a `field_not_handled` change its entry (`{entry: {id, time}}`); else absent for a whole change. */
  context?: string;
  businessNumberId?: string;
  wamid?: string;
  receivedAt: Date;
}

/**
 * A webhook too large to process before answering it, kept whole as it arrived so it can be acknowledged at once
 * and handed to its conversations in chunks afterwards (by this process, or after a restart by any API process).
 */
export interface InboundBatchDoc {
  /** sha256 of the raw body: a redelivery of the same body finds the first copy. */
  _id: string;
  /** The raw body, UTF-8, exactly as signed. */
  body: string;
  /** How many parts (messages, statuses, template events, other changes) it carries. */
  parts: number;
  receivedAt: Date;
}
/** One chunk of a batch handed over: `<batch id>:<chunk index>`. Inserts only (FerretDB inserts in constant time). */
export interface InboundBatchChunkDoc {
  _id: string;
  at: Date;
}
