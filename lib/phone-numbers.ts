import { parsePhoneNumberWithError, ParseError, type NumberType } from 'libphonenumber-js/max';

/** Why a number was refused; stable strings the API returns as `reason`. */
export type NumberRefusal = 'missing_country_code' | 'short_code' | 'invalid_number';

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

/**
 * A customer's number as integrators type it ("+1 (555) 123-4567", "0015551234567", "15551234567") to WhatsApp's
 * wa_id form (digits with country code), or undefined when it cannot be a phone number.
 */
export function normaliseCustomerNumber(text: string): string | undefined {
  const trimmed = text.trim();
  const international = trimmed.startsWith('+') ? trimmed : trimmed.startsWith('00') ? `+${trimmed.slice(2)}` : `+${trimmed}`;
  try {
    const parsed = parsePhoneNumberWithError(international);
    return parsed.isPossible() ? parsed.number.slice(1) : undefined;
  } catch {
    return undefined;
  }
}

/** "+1 202 555 0107" style, for messages customers read. */
export function formatInternational(digitsOrE164: string): string {
  try {
    return parsePhoneNumberWithError(digitsOrE164.startsWith('+') ? digitsOrE164 : `+${digitsOrE164}`).formatInternational();
  } catch {
    return digitsOrE164;
  }
}
