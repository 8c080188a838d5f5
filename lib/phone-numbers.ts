import { parsePhoneNumberWithError, ParseError, type NumberType } from 'libphonenumber-js/max';

/** Why a number was refused; stable strings the API returns as `reason`. */
export type NumberRefusal = 'missing_country_code' | 'short_code' | 'invalid_number' | 'extension';

export interface CheckedNumber {
  /** +CC… */
  e164: string;
  /** Digits only, as WhatsApp writes wa_id and display numbers. */
  digits: string;
  countryCode: string;
  country?: string;
  type: NumberType | 'UNKNOWN';
  /** Advice for the verification step, e.g. for landlines. */
  notes: string[];
}

const VOICE_NOTE =
  'This number may not receive SMS: choose the voice-call verification method and make sure the line can take the call.';

/**
 * Applies WhatsApp's numbering rules to a business number: E.164 with a country code (a leading +), not a short
 * code, and valid for its country per libphonenumber's metadata. Landlines and virtual (VoIP) numbers are accepted
 * with a note recommending voice verification.
 */
export function checkBusinessNumber(text: string): CheckedNumber | { refused: NumberRefusal; message: string } {
  const trimmed = text.trim();
  const digitCount = trimmed.replace(/\D/g, '').length;
  if (!trimmed.startsWith('+') && !trimmed.startsWith('00')) {
    // Without a + the country is a guess; WhatsApp wants the full international number.
    return digitCount > 0 && digitCount <= 6
      ? { refused: 'short_code', message: `${text} is a short code; WhatsApp needs a full phone number` }
      : { refused: 'missing_country_code', message: `${text} has no country code; write it in international form, e.g. +1 202 555 0107` };
  }
  let parsed;
  try {
    parsed = parsePhoneNumberWithError(trimmed.startsWith('00') ? `+${trimmed.slice(2)}` : trimmed);
  } catch (err) {
    if (err instanceof ParseError && (err.message === 'TOO_SHORT' || err.message === 'NOT_A_NUMBER')) {
      return { refused: 'short_code', message: `${text} is too short to be a phone number (short codes are not allowed)` };
    }
    return { refused: 'invalid_number', message: `${text} is not a phone number (${(err as Error).message})` };
  }
  if (parsed.nationalNumber.length <= 6) {
    return { refused: 'short_code', message: `${text} is a short code; WhatsApp needs a full phone number` };
  }
  if (!parsed.isValid()) {
    return { refused: 'invalid_number', message: `${text} is not a valid number in ${parsed.country ?? `+${parsed.countryCallingCode}`}` };
  }
  const type = parsed.getType() ?? 'UNKNOWN';
  const notes = type === 'FIXED_LINE' || type === 'VOIP' ? [VOICE_NOTE] : [];
  return {
    e164: parsed.number,
    digits: parsed.number.slice(1),
    countryCode: parsed.countryCallingCode,
    ...(parsed.country ? { country: parsed.country } : {}),
    type,
    notes,
  };
}

/** An extension written after the number: "x12", "ext. 12", "extension 12", "#12", ";ext=12" (RFC 3966). */
const EXTENSION = /\d[\s.-]*(?:e?xt?n?\.?|extension|#|;ext=)\s*\d+\s*$/i;
/** What people write between the digits of a number: spaces, dashes, dots, slashes, parentheses. */
const SEPARATORS = /[\s().\-/]/g;

/**
 * Whether the text is written as a phone number, whether or not it is one: digits and what people write between them
 * ({@link SEPARATORS}), after an optional `+` (`00` is digits). Such a text names a person only as
 * {@link checkCustomerNumber} reads it; anything else (a BSUID, a username) is taken as written.
 */
export const isWrittenAsNumber = (text: string): boolean => /^\+?[\d\s().\-/]+$/.test(text.trim());

/**
 * A customer's number as an integrator typed it, checked against Meta's rule for `to` (the number with its country
 * code: https://developers.facebook.com/docs/whatsapp/cloud-api/guides/send-messages#phone-number-formats), to
 * WhatsApp's wa_id form (digits with country code).
 *
 * Accepted as international: digits alone (Meta's own form, "16505551234"), and any writing that starts with `+` or
 * `00` ("+1 (555) 010-4477", "0015550104477"). Refused, since the country would be a guess (the same digits are
 * another subscriber, or nobody, in another country): a number in national writing without `+`/`00` (parentheses,
 * spaces, dashes, a trunk `0`: "(555) 987-6543", "55 1234 5678", "020 7946 0958") → `missing_country_code`; a
 * number with an extension, which WhatsApp cannot deliver to → `extension`; anything libphonenumber does not
 * find possible → `short_code` / `invalid_number`. Validity per country is not asked (`isPossible`, not
 * `isValid`): fictional 555 numbers ("+1 555 987 6543") stay usable for tests and demos.
 */
export function checkCustomerNumber(text: string): { digits: string } | { refused: NumberRefusal; message: string } {
  const trimmed = text.trim();
  if (EXTENSION.test(trimmed)) {
    return { refused: 'extension', message: `${text} has an extension; WhatsApp reaches a phone number, not an extension: leave the extension out` };
  }
  const international = trimmed.startsWith('+') ? trimmed : trimmed.startsWith('00') ? `+${trimmed.slice(2)}` : /^[1-9]\d*$/.test(trimmed) ? `+${trimmed}` : undefined;
  if (!international) {
    return /^[\d\s().\-/]+$/.test(trimmed) && trimmed.replace(SEPARATORS, '').length > 0
      ? { refused: 'missing_country_code', message: `${text} has no country code; write the number with its country code, e.g. +1 555 010 4477 or 15550104477` }
      : { refused: 'invalid_number', message: `${text} is not a phone number; write it with its country code, e.g. +1 555 010 4477` };
  }
  try {
    const parsed = parsePhoneNumberWithError(international);
    if (parsed.ext) return { refused: 'extension', message: `${text} has an extension; WhatsApp reaches a phone number, not an extension: leave the extension out` };
    if (parsed.isPossible()) return { digits: parsed.number.slice(1) };
    // A WhatsApp id in a national form libphonenumber finds impossible (Mexico's `5215512345678`) is the form webhooks
    // carry: taken as written when the same person's number as dialled ({@link personPhone}) is possible.
    const digits = parsed.number.slice(1);
    const person = personPhone(digits);
    if (person !== digits && parsePhoneNumberWithError(`+${person}`).isPossible()) return { digits };
    if (parsed.nationalNumber.length <= 6) return { refused: 'short_code', message: `${text} is too short to be a phone number (short codes are not allowed)` };
    return { refused: 'invalid_number', message: `${text} is not a possible phone number in +${parsed.countryCallingCode}` };
  } catch (err) {
    const tooShort = err instanceof ParseError && err.message === 'TOO_SHORT';
    return tooShort
      ? { refused: 'short_code', message: `${text} is too short to be a phone number (short codes are not allowed)` }
      : { refused: 'invalid_number', message: `${text} is not a phone number with its country code, e.g. +1 555 010 4477` };
  }
}

/** {@link checkCustomerNumber}'s digits, or undefined when it refuses the number (lookups, where a refusal is "not found"). */
export function normaliseCustomerNumber(text: string): string | undefined {
  const checked = checkCustomerNumber(text);
  return 'digits' in checked ? checked.digits : undefined;
}

/** "+1 202 555 0107" style, for messages customers read. */
export function formatInternational(digitsOrE164: string): string {
  try {
    return parsePhoneNumberWithError(digitsOrE164.startsWith('+') ? digitsOrE164 : `+${digitsOrE164}`).formatInternational();
  } catch {
    return digitsOrE164;
  }
}

/**
 * One person's phone number in one form, whichever way it was written. WhatsApp ids keep national forms that
 * libphonenumber (and integrators) write differently; each rule below maps both forms of one subscriber to one key:
 * - Mexico: WhatsApp ids keep the mobile `1` after `52` (`5215512345678`); since 2019 the number is dialled
 *   without it (`525512345678`).
 * - Argentina: mobiles carry a `9` after `54` in WhatsApp ids (`5491123456789`), not in the number as written
 *   (`541123456789`).
 * - Brazil: accounts registered before the ninth digit keep an 8-digit mobile (`551187654321`), newer ones and
 *   integrators write 9 digits (`5511987654321`); only mobiles (first local digit 6-9) take the ninth digit.
 * Meta documents none of these forms (its send answer's `contacts[].wa_id` is the authority, and the registry
 * learns it, see `learnFromSendAnswer`); the rules are the ones BSPs publish, e.g.
 * https://support.whapi.cloud/help-desk/faq/specifics-of-sending-messages-to-numbers-of-different-countries
 */
export function personPhone(digits: string): string {
  const mexico = /^521(\d{10})$/.exec(digits);
  if (mexico) return `52${mexico[1]}`;
  const argentina = /^549(\d{10})$/.exec(digits);
  if (argentina) return `54${argentina[1]}`;
  const brazil = /^55(\d{2})9([6-9]\d{7})$/.exec(digits);
  if (brazil) return `55${brazil[1]}${brazil[2]}`;
  return digits;
}
