/**
 * What each Cloud API error code means for a conversation: the one place the connector maps Meta's codes.
 * Source: https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes
 * - `retry`: transient (rate limits, Meta's own faults); Temporal retries the send with backoff.
 * - `refuse`: this message can never go as it is (bad parameters, recipient unreachable); recorded as failed.
 * - `closeWindow`: the customer service window is closed at Meta (131047); only a template may follow.
 * - `blockTemplate`: the template may not be sent now (paused, disabled: our copy takes that status), or not as our
 *   copy says (132001: "does not exist in the specified language or the template has not been approved"): our copy
 *   takes the status WhatsApp's template list gives it, DELETED if the list no longer holds it
 *   (services/template-refusal.ts).
 * - `alert`: the account or its token needs a person (expired token, payment, locked account); failed and logged.
 * `consequence` says what else a code changes beyond its message (account health and marketing consent, issue 20):
 * - `marketingOptOut` (131050): the person stopped marketing messages; recorded on them in the customer registry.
 * - `holdMarketing` (131048): WhatsApp limits the number for spam; its marketing sends are held and supervisors alerted.
 */
import { WINDOW_CLOSED_ERROR_CODE } from '../machines/conversation.types';

export type MetaErrorAction = 'retry' | 'refuse' | 'closeWindow' | 'blockTemplate' | 'alert';

export interface MetaErrorMeaning {
  action: MetaErrorAction;
  /** Meta's title, for people. */
  title: string;
  /** For blockTemplate: the status the template takes in our store. */
  templateStatus?: 'PAUSED' | 'DISABLED';
  /** For blockTemplate without a status (132001): the status is asked of WhatsApp's template list. */
  templateRecheck?: true;
  /** What it means and what to do, in words, where Meta's title alone does not say it. */
  meaning?: string;
  /** What else the code changes (see the file's comment). */
  consequence?: 'marketingOptOut' | 'holdMarketing';
}

export const metaErrors: Record<number, MetaErrorMeaning> = {
  0: { action: 'alert', title: 'AuthException' },
  1: { action: 'retry', title: 'API Unknown' },
  2: { action: 'retry', title: 'API Service' },
  4: { action: 'retry', title: 'API Too Many Calls' },
  10: { action: 'alert', title: 'Permission Denied' },
  100: { action: 'refuse', title: 'Invalid parameter' },
  190: { action: 'alert', title: 'Access token has expired' },
  200: { action: 'alert', title: 'API Permission' },
  368: { action: 'alert', title: 'Temporarily blocked for policies violations' },
  80007: { action: 'retry', title: 'Rate limit issues' },
  130429: { action: 'retry', title: 'Rate limit hit' },
  130472: { action: 'refuse', title: "User's number is part of an experiment" },
  131000: { action: 'retry', title: 'Something went wrong' },
  131005: { action: 'alert', title: 'Access denied' },
  131008: { action: 'refuse', title: 'Required parameter is missing' },
  131009: { action: 'refuse', title: 'Parameter value is not valid' },
  131016: { action: 'retry', title: 'Service unavailable' },
  131021: { action: 'refuse', title: 'Recipient cannot be sender' },
  131026: { action: 'refuse', title: 'Message undeliverable' },
  131031: { action: 'alert', title: 'Account has been locked' },
  131037: { action: 'alert', title: 'WhatsApp provided number needs display name approval' },
  131042: { action: 'alert', title: 'Business eligibility payment issue' },
  131045: { action: 'alert', title: 'Incorrect certificate' },
  // The machine's own rule for it (machines/conversation.rules.ts) keys on the same constant.
  [WINDOW_CLOSED_ERROR_CODE]: { action: 'closeWindow', title: 'Re-engagement message' },
  // Not transient: retrying a number WhatsApp limits for spam makes it worse. A person acts (see the alert).
  131048: {
    action: 'alert',
    title: 'Spam rate limit hit',
    meaning: "WhatsApp limits how many messages this number may send because too many earlier ones were blocked or flagged as spam. The number's marketing sends are held; check its quality rating in WhatsApp Manager before releasing them.",
    consequence: 'holdMarketing',
  },
  // Final for this recipient: the same message sent again is refused again while the limit holds.
  131049: {
    action: 'refuse',
    title: 'Message not delivered to maintain healthy ecosystem engagement',
    meaning: "WhatsApp's per-user marketing limit: this person has received their share of marketing templates (from all businesses) for now. Not retried; try no sooner than 24 hours later, or wait for them to write.",
  },
  131050: {
    action: 'refuse',
    title: 'User stopped marketing messages',
    meaning: 'The person stopped marketing messages from this business; no marketing template goes to them until they resume.',
    consequence: 'marketingOptOut',
  },
  131051: { action: 'refuse', title: 'Unsupported message type' },
  131052: { action: 'refuse', title: 'Media download error' },
  // Final: the same file is refused again. WhatsApp reports it after accepting the send, by a failed status.
  131053: {
    action: 'refuse',
    title: 'Media upload error',
    meaning: "WhatsApp could not use this message's media: its type or size is not one WhatsApp takes for this message type (e.g. a static sticker over 100 KB), or a link it could not download; the details say which. Not retried; send a supported file.",
  },
  131056: { action: 'retry', title: 'Pair rate limit hit' },
  131057: { action: 'alert', title: 'Account in maintenance mode' },
  132000: { action: 'refuse', title: 'Template param count mismatch' },
  132001: {
    action: 'blockTemplate',
    title: 'Template does not exist',
    templateRecheck: true,
    meaning:
      "WhatsApp does not hold this template in this language, or holds it not approved. This language of it takes the status WhatsApp's template list gives (DELETED if the list no longer holds it: create it again with POST /v1/templates) and is refused up front unless that is APPROVED.",
  },
  132005: { action: 'refuse', title: 'Template hydrated text too long' },
  132007: { action: 'refuse', title: 'Template format character policy violated' },
  132012: { action: 'refuse', title: 'Template parameter format mismatch' },
  132015: { action: 'blockTemplate', title: 'Template is paused', templateStatus: 'PAUSED' },
  132016: { action: 'blockTemplate', title: 'Template is disabled', templateStatus: 'DISABLED' },
  132018: { action: 'refuse', title: 'Template parameter issue (newline, tab or more than 4 spaces)' },
  133004: { action: 'retry', title: 'Server temporarily unavailable' },
  133010: { action: 'alert', title: 'Phone number not registered' },
  134101: { action: 'retry', title: 'Template still syncing' },
};

/**
 * The meaning of a code. Unknown codes: a 5xx or 429 answer is transient (retry); anything else is final
 * (refuse), so a new Meta code never loops forever.
 */
export function meaningOf(code: number, httpStatus = 400): MetaErrorMeaning {
  const known = metaErrors[code];
  if (known) return known;
  return { action: httpStatus >= 500 || httpStatus === 429 ? 'retry' : 'refuse', title: `Cloud API error ${code}` };
}
