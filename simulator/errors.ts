/**
 * Meta's error bodies, as the Cloud API writes them: synchronously as a Graph API error, or asynchronously as the
 * `errors[]` of a `failed` status webhook. Written from Meta's pages, independently of the connector's own table
 * (lib/meta-errors.ts), so the simulator can catch the connector's mistakes:
 * - https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes
 * - https://developers.facebook.com/docs/graph-api/guides/error-handling
 */
import { randomBytes } from 'node:crypto';
import type { Response } from 'express';

/** HTTP status and title of each code the simulator answers with (titles as Meta's error-code page gives them). */
export const META_ERRORS: Record<number, { status: number; title: string }> = {
  100: { status: 400, title: 'Invalid parameter' },
  190: { status: 401, title: 'Access token has expired' },
  130429: { status: 429, title: 'Rate limit hit' },
  131000: { status: 500, title: 'Something went wrong' },
  131008: { status: 400, title: 'Required parameter is missing' },
  131009: { status: 400, title: 'Parameter value is not valid' },
  131026: { status: 400, title: 'Message undeliverable' },
  131047: { status: 400, title: 'Re-engagement message' },
  131048: { status: 400, title: 'Spam rate limit hit' },
  131049: { status: 400, title: 'This message was not delivered to maintain healthy ecosystem engagement.' },
  131050: { status: 400, title: 'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.' },
  131051: { status: 400, title: 'Unsupported message type' },
  131053: { status: 400, title: 'Media upload error' },
  131056: { status: 400, title: 'Pair rate limit hit' },
  132000: { status: 400, title: 'Number of parameters does not match the expected number of params' },
  132001: { status: 404, title: 'Template does not exist' },
  132012: { status: 400, title: 'Parameter format does not match format in the created template' },
  132015: { status: 400, title: 'Template is paused' },
  132016: { status: 400, title: 'Template is disabled' },
  132018: { status: 400, title: 'There was an issue with the parameters in your template.' },
};

/** A refusal before it is written: Meta's code, the optional Graph subcode, and `error_data.details`. */
export interface MetaRefusal {
  code: number;
  subcode?: number;
  details: string;
  /** Overrides the code's title (template creation answers carry their own user title). */
  title?: string;
}

export const refusal = (code: number, details: string, extra: { subcode?: number; title?: string } = {}): MetaRefusal => ({
  code,
  details,
  ...(extra.subcode !== undefined ? { subcode: extra.subcode } : {}),
  ...(extra.title !== undefined ? { title: extra.title } : {}),
});

/** The Graph API error body: `message` is "(#code) title", `fbtrace_id` a fresh opaque id, `details` in error_data. */
export function metaErrorBody(r: MetaRefusal) {
  const title = r.title ?? META_ERRORS[r.code]?.title ?? 'Something went wrong';
  return {
    error: {
      message: `(#${r.code}) ${title}`,
      type: 'OAuthException',
      code: r.code,
      ...(r.subcode !== undefined ? { error_subcode: r.subcode } : {}),
      ...(r.subcode !== undefined ? { error_user_title: title, error_user_msg: r.details } : {}),
      error_data: { messaging_product: 'whatsapp', details: r.details },
      fbtrace_id: randomBytes(9).toString('base64url'),
    },
  };
}

export function sendMetaError(res: Response, r: MetaRefusal, status?: number): void {
  res.status(status ?? META_ERRORS[r.code]?.status ?? 400).json(metaErrorBody(r));
}

/** One entry of a `failed` status webhook's `errors[]`, for failures Meta reports asynchronously (131026…). */
export function webhookError(r: MetaRefusal) {
  const title = r.title ?? META_ERRORS[r.code]?.title ?? 'Something went wrong';
  return {
    code: r.code,
    title,
    message: title,
    error_data: { details: r.details },
    href: 'https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes',
  };
}

/**
 * Writes Meta's error body (above) for a refusal given as a status, a code and a message: `message` is "(#code)
 * <title>" once, the specifics (which field, why) in `error_data.details`, as the error-codes page shows them.
 * `message` may come with its "(#code)" already and with the specifics after the title's ": ".
 */
export function cloudError(res: Response, status: number, code: number, message: string) {
  const said = message.replace(/^\(#\d+\)\s*/, '');
  const known = META_ERRORS[code]?.title;
  const title = known && said.startsWith(known) ? known : (said.split(': ')[0] ?? said);
  return res.status(status).json(metaErrorBody(refusal(code, said, { title })));
}
