import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { newPayloadKeyEntry } from '../lib/payload-codec';

/**
 * The payload codec's key for the embedded demo (`npm start` without TEMPORAL_PAYLOAD_KEYS): generated once and kept
 * in a git-ignored file beside the dev API keys, so histories written by one run are readable by the next.
 * Deleting the file makes every history recorded with it unreadable.
 */
export function devPayloadKeys(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const entry = newPayloadKeyEntry('dev-1');
  writeFileSync(file, `${entry}\n`, { mode: 0o600 });
  return entry;
}
