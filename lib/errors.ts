import { ApplicationFailure } from '@temporalio/common';
/**
 * The closed table of error codes the service answers with. Domain code throws {@link AppError} with one of
 * these codes and never knows about HTTP; the API's problem middleware maps the code to a status and title.
 * Codes are a public contract: add new ones, never rename.
 */
export const errorCatalog = {
  invalid_request: { status: 400, title: 'The request is invalid' },
  invalid_webhook_payload: { status: 400, title: 'The webhook body is not a WhatsApp Cloud API payload' },
  unauthenticated: { status: 401, title: 'Missing or unknown API key' },
  invalid_signature: { status: 401, title: 'The webhook signature does not match the body' },
  forbidden: { status: 403, title: 'This API key may not do that' },
  invalid_verify_token: { status: 403, title: 'The webhook verify token is wrong' },
  not_assigned: { status: 403, title: 'The conversation is not assigned to this agent' },
  sender_not_proven: { status: 403, title: 'The sender named is not who this API key proves' },
  analytics_filter_too_wide: { status: 400, title: 'The filter matches more conversation runs than one request may replay' },
  not_found: { status: 404, title: 'No such route' },
  unknown_conversation: { status: 404, title: 'No such conversation' },
  unknown_media: { status: 404, title: 'No such media' },
  unknown_api_key: { status: 404, title: 'No such API key' },
  unknown_config_version: { status: 404, title: 'No such configuration version' },
  unknown_template: { status: 404, title: 'No such template' },
  unknown_number: { status: 404, title: 'No such business number' },
  unknown_campaign: { status: 404, title: 'No such campaign' },
  unknown_message: { status: 404, title: 'No such message' },
  unknown_dead_letter: { status: 404, title: 'No such dead letter' },
  unknown_agent: { status: 404, title: 'No such registered agent' },
  unknown_customer: { status: 404, title: 'No conversation, message or campaign entry names this customer' },
  method_not_allowed: { status: 405, title: 'Method not allowed on this route' },
  template_required: {
    status: 409,
    title: 'The customer service window is closed: only an approved template may be sent',
  },
  conversation_closed: { status: 409, title: 'The conversation is closed' },
  not_transferable: { status: 409, title: 'Only a conversation an agent holds can be transferred' },
  no_config_draft: { status: 409, title: 'There is no configuration draft' },
  config_conflict: { status: 409, title: 'The configuration changed meanwhile' },
  template_exists: { status: 409, title: 'A template with this name and language already exists' },
  number_exists: { status: 409, title: 'This business number is already registered' },
  display_number_exists: { status: 409, title: 'Another phone-number id is registered with this display number' },
  agent_exists: { status: 409, title: 'An agent with this id is already registered' },
  campaign_finished: { status: 409, title: 'The campaign has already finished' },
  // Block users (https://developers.facebook.com/documentation/business-messaging/whatsapp/block-users/).
  block_requires_recent_message: { status: 409, title: 'WhatsApp blocks only people who wrote to the number in the last 24 hours' },
  blocklist_full: { status: 409, title: "The number's blocklist holds 64,000 people, WhatsApp's limit" },
  customer_blocked: { status: 409, title: 'The business blocked this person: nothing can be sent to them until they are unblocked' },
  // Account health (issue 20): a campaign paused by an account-health alert resumes once that alert is dealt with.
  campaign_on_hold: { status: 409, title: 'The campaign is paused by an account-health alert that is still active' },
  unknown_alert: { status: 404, title: 'No such account-health alert' },
  no_rate_card: { status: 404, title: 'No pricing rate card is set' },
  marketing_opted_out: { status: 422, title: 'The customer has stopped marketing messages from this business' },
  marketing_held: { status: 409, title: "WhatsApp limits this number for spam (131048): its marketing templates are held until a supervisor resolves the alert" },
  // Business-initiated WhatsApp calls (https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-call-permissions/).
  call_permission_required: {
    status: 409,
    title: 'The customer has not granted call permission, or it expired, was declined or revoked: send a call permission request first',
  },
  call_limit_reached: { status: 429, title: 'WhatsApp allows 100 connected business-initiated calls to this customer in 24 hours; retry after the time given' },
  request_timeout: { status: 408, title: 'The request did not arrive in time' },
  payload_too_large: { status: 413, title: 'The body is too large' },
  request_header_too_large: { status: 431, title: 'The request headers are too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported content type' },
  undecodable_payload: { status: 422, title: 'A payload cannot be decrypted: its key is not configured, or it was altered' },
  template_not_approved: { status: 422, title: 'The template is not approved for sending' },
  direct_send_unavailable: { status: 422, title: 'Direct Send (content marked utility) is not enabled for this business number' },
  invalid_config: { status: 422, title: 'The configuration does not validate' },
  template_invalid: { status: 422, title: 'WhatsApp would refuse this template; see errors for each field and rule' },
  template_parameters_mismatch: { status: 422, title: "The parameters do not match the template's placeholders" },
  invalid_phone_number: { status: 422, title: 'The phone number does not meet WhatsApp\'s numbering rules' },
  bsuid_recipient_unsupported: {
    status: 422,
    title: 'WhatsApp delivers this message to phone numbers only, and the customer is known by their business-scoped user id alone',
  },
  invalid_filename: { status: 400, title: 'The file name contains control or bidirectional formatting characters' },
  invalid_media: { status: 422, title: 'Only media types WhatsApp accepts, whose bytes match their declared type, are accepted' },
  too_many_in_flight: { status: 429, title: 'Too many sends in flight for this conversation; retry shortly' },
  messaging_limit_reached: {
    status: 429,
    title: "The business portfolio has used its messaging limit: no template to another customer outside the window until a unit frees",
  },
  template_edit_limit_reached: {
    status: 429,
    title: 'WhatsApp lets an approved template be edited once in 24 hours and 10 times in 30 days; retry after the time given',
  },
  too_many_streams: { status: 429, title: 'Too many live streams open; close one or retry later' },
  too_many_conversations: { status: 400, title: 'Too many conversations for one live stream; ask for fewer (`limit` says how many)' },
  idempotency_key_reused: { status: 422, title: 'This Idempotency-Key already named another message in this conversation' },
  too_many_requests: { status: 429, title: 'This API key has used its request rate; retry after the time given' },
  too_many_failed_authentications: { status: 429, title: 'Too many failed authentications from this address; retry after the time given' },
  internal: { status: 500, title: 'Internal error' },
  broker_refused: { status: 502, title: 'The WhatsApp broker refused the request' },
  temporarily_unavailable: { status: 503, title: 'A backing service is unavailable; retry later' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorCatalog;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCatalog, value);
}

/** A refusal or failure the caller should see, identified by a stable code from {@link errorCatalog}. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail?: string,
    /** Extra members for the problem document, e.g. the templates an agent may use instead. */
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail ?? errorCatalog[code].title);
    this.name = 'AppError';
  }
}

/** Finds the business refusal a workflow raised (ApplicationFailure type = our error code) inside a client error. */
export function refusalIn(err: unknown): AppError | undefined {
  for (let cause: unknown = err, depth = 0; cause && depth < 6; depth += 1) {
    if (cause instanceof ApplicationFailure && isErrorCode(cause.type)) return new AppError(cause.type);
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Whether Temporal itself rejected an Update that a worker completed its workflow task without taking (the server's
 * `unprocessedUpdateFailure`: type `UnprocessedUpdate`, source `Server`, "Workflow Update is rejected because it
 * wasn't processed by worker"), as happens under a burst of Updates to one workflow. Rejected means never accepted:
 * nothing was recorded, and a retry under the same Update id takes effect once.
 */
export function isUnprocessedUpdate(err: unknown): boolean {
  for (let cause: unknown = err, depth = 0; cause && depth < 6; depth += 1) {
    if (cause instanceof ApplicationFailure && cause.type === 'UnprocessedUpdate') return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}
