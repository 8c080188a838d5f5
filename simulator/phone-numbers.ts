/**
 * The business phone numbers the simulated WhatsApp Business Account holds, and Meta's answer for a phone number id it
 * does not know. The Graph API answers a request on an object that does not exist (or that the token may not see)
 * with HTTP 400, code 100, subcode 33, type `GraphMethodException` and the message
 * "Unsupported <get|post|delete> request. Object with ID '<id>' does not exist, cannot be loaded due to missing
 * permissions, or does not support this operation. Please read the Graph API documentation at
 * https://developers.facebook.com/docs/graph-api" (error fields: https://developers.facebook.com/docs/graph-api/guides/error-handling;
 * the message and subcode as the Graph API writes them in answers integrators have published).
 *
 * Known numbers: Meta's example number 106540352242922 (the README's) and those given at start (`phoneNumbers`), those
 * added through `POST /_sim/numbers {"phoneNumberId"}`, and every number a webhook the simulator delivered named in
 * `metadata.phone_number_id` (a simulated customer wrote to it, or a status of a send from it went out): a number
 * WhatsApp users reach exists.
 */
import { randomBytes } from 'node:crypto';
import type { Express, Request, Response } from 'express';

/** Meta's example business phone number id, the one the README's session uses. */
export const EXAMPLE_PHONE_NUMBER_ID = '106540352242922';

/** The Graph API's answer for an object id it does not know (see the file's comment). */
export function unknownObjectBody(method: string, id: string) {
  return {
    error: {
      message: `Unsupported ${method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
      type: 'GraphMethodException',
      code: 100,
      error_subcode: 33,
      fbtrace_id: randomBytes(9).toString('base64url'),
    },
  };
}

/**
 * Installs `POST`/`GET /_sim/numbers` (before the Graph routes) and answers the account's numbers. `initial` absent:
 * the account holds every number it is asked about (what `npm start` runs, where a supervisor may register any number
 * with the connector and the simulated account should hold it too); given (even empty), only those and the ones
 * learned as above, and Graph calls naming another are refused.
 */
export function installPhoneNumbers(app: Express, initial?: readonly string[]) {
  const strict = initial !== undefined;
  const known = new Set<string>([EXAMPLE_PHONE_NUMBER_ID, ...(initial ?? [])]);

  app.post('/_sim/numbers', (req, res) => {
    const id = (req.body as { phoneNumberId?: unknown } | undefined)?.phoneNumberId;
    if (typeof id !== 'string' || !/^\d{1,32}$/.test(id)) return void res.status(400).json({ error: 'invalid_request', detail: 'phoneNumberId: a phone number id (digits)' });
    known.add(id);
    res.status(201).json({ phoneNumbers: [...known] });
  });
  app.get('/_sim/numbers', (_req, res) => void res.json({ phoneNumbers: [...known] }));

  return {
    has: (id: string) => !strict || known.has(id),
    add: (id: string) => void known.add(id),
    /** Learns the numbers a delivered webhook names (`entry[].changes[].value.metadata.phone_number_id`). */
    noteDelivered(body: unknown): void {
      type Change = { value?: { metadata?: { phone_number_id?: unknown } } };
      for (const entry of (body as { entry?: { changes?: Change[] }[] } | undefined)?.entry ?? []) {
        for (const change of entry.changes ?? []) {
          const id = change.value?.metadata?.phone_number_id;
          if (typeof id === 'string' && id) known.add(id);
        }
      }
    },
    /** When the request's `:phoneNumberId` is not one the account holds: writes Meta's refusal and answers true. */
    refuseUnknown(req: Request, res: Response): boolean {
      const id = String(req.params.phoneNumberId);
      if (!strict || known.has(id)) return false;
      res.status(400).json(unknownObjectBody(req.method, id));
      return true;
    },
  };
}

export type PhoneNumbers = ReturnType<typeof installPhoneNumbers>;
