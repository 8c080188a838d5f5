/**
 * What a file name may not contain: control characters (Unicode `Cc`: C0, DEL, C1) and the bidirectional formatting
 * characters (ALM U+061C, LRM/RLM U+200E–F, the embeddings and overrides U+202A–E, the isolates U+2066–9). An override
 * makes `passwd\u202Efdp.exe` show as `passwdexe.pdf` (the "Trojan Source" spoofing, CVE-2021-42574; Unicode
 * UAX #9 §2); the customer sees the name on the document WhatsApp shows them. Joiners (U+200C/D) stay allowed:
 * Persian and Indic names and emoji need them.
 */
const UNSAFE = /[\p{Cc}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;

/**
 * The first character a file name may not carry, as `U+XXXX` (for the problem's detail), or undefined when it is
 * safe to store and show.
 */
export function unsafeFilenameCharacter(name: string): string | undefined {
  const found = UNSAFE.exec(name)?.[0];
  return found === undefined ? undefined : `U+${found.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The zod refinement's message for a name {@link unsafeFilenameCharacter} refuses. */
export const UNSAFE_FILENAME_MESSAGE = 'must not contain control or bidirectional formatting characters (U+202E and the like)';

/** Cuts a name to at most `max` characters without splitting a surrogate pair (an emoji stays whole or goes). */
export function truncateFilename(name: string, max: number): string {
  return Array.from(name).slice(0, max).join('');
}

/** A piece of text as the console shows it: plain text, or one unsafe character named `U+XXXX`. */
export type VisiblePart = { text: string } | { code: string };

/**
 * Splits what a customer sent (a document's file name, a profile name) so every control or bidirectional formatting
 * character ({@link unsafeFilenameCharacter}'s set) can be shown as a visible `U+XXXX` marker instead of acting on the
 * text around it: `passwd\u202Efdp.exe` shows its real order, not as `passwdexe.pdf`. The text itself is kept as sent.
 */
export function visibleParts(text: string): VisiblePart[] {
  const parts: VisiblePart[] = [];
  let plain = '';
  for (const char of text) {
    if (!UNSAFE.test(char)) {
      plain += char;
      continue;
    }
    if (plain) parts.push({ text: plain });
    plain = '';
    parts.push({ code: `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` });
  }
  if (plain) parts.push({ text: plain });
  return parts;
}

/**
 * A file name for a download's `Content-Disposition` header (RFC 6266): every control or bidirectional formatting
 * character ({@link unsafeFilenameCharacter}'s set) replaced with `_`, so an integrator's browser saves
 * `invoice\u202Efdp.exe` as `invoice_fdp.exe`, not as a file that reads `invoiceexe.pdf`. What was sent stays stored.
 */
export const downloadFilename = (name: string): string => name.replace(new RegExp(UNSAFE.source, 'gu'), '_');

/** {@link visibleParts} as one string (`passwd[U+202E]fdp.exe`), for attributes: a download's name, a label. */
export const visibleText = (text: string): string => visibleParts(text).map((p) => ('code' in p ? `[${p.code}]` : p.text)).join('');
