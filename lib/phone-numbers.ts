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
    // WhatsApp's own id for a Mexican mobile keeps the `1` after 52 that Mexico dropped in 2019 (`5215512345678`);
    // libphonenumber finds that form impossible. It is the form webhooks carry, so it is taken as written when the
    // number without the `1` is possible (lib/customer-identifiers.ts `personPhone` maps both to one person).
    const mexicanWaId = /^\+521(\d{10})$/.exec(parsed.number);
    if (mexicanWaId && parsePhoneNumberWithError(`+52${mexicanWaId[1]}`).isPossible()) return { digits: parsed.number.slice(1) };
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
