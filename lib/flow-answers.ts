/**
 * A WhatsApp Flow's answers, read from the `interactive.nfm_reply.response_json` of Meta's interactive webhook
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/interactive):
 * a JSON object *in a string*, one field per Flow component (e.g. `{"screen_0_Rating_0":"Excelente","flow_token":"…"}`).
 * Answers: `[field, value]` pairs in the order the customer's phone wrote them, values as text (an object or list as its
 * JSON), without `flow_token` (ours, echoed back, nothing the customer answered). Empty for a string that is not a
 * JSON object: the raw string stays in the thread as `responseJson`.
 */
export function flowAnswers(responseJson: string | undefined): [string, string][] {
  if (!responseJson) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(responseJson);
  } catch {
    return [];
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return [];
  return Object.entries(parsed as Record<string, unknown>)
    .filter(([field]) => field !== 'flow_token')
    .map(([field, value]) => [field, typeof value === 'string' ? value : JSON.stringify(value)]);
}
