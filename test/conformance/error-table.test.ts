import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { meaningOf, metaErrors } from '../../lib/meta-errors';

/**
 * The README's table of WhatsApp's error codes is the contract integrators read; lib/meta-errors.ts is the one
 * place the code maps them. This keeps the two saying the same thing, row by row.
 */
const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
const section = readme.slice(readme.indexOf("### What WhatsApp's error codes mean"), readme.indexOf("### Meta's rules, row by row"));
const rows = section
  .split('\n')
  .filter((line) => /^\| \d/.test(line))
  .map((line) => {
    const cells = line.split('|').map((c) => c.trim());
    return { codes: cells[1]!.split(',').map((c) => Number(c.trim())), action: /`(\w+)`/.exec(cells[3]!)?.[1] };
  });

describe("the README's error table and lib/meta-errors.ts", () => {
  it('lists every code the connector maps, once', () => {
    const listed = rows.flatMap((r) => r.codes).sort((a, b) => a - b);
    expect(listed).toEqual(Object.keys(metaErrors).map(Number).sort((a, b) => a - b));
  });

  it.each(rows.flatMap((r) => r.codes.map((code) => [code, r.action] as const)))('maps %i as the README says (%s)', (code, action) => {
    expect(meaningOf(code).action).toBe(action);
  });

  it('retries an unknown code answered with 5xx or 429, and refuses one answered with 4xx', () => {
    expect(meaningOf(999_999, 503).action).toBe('retry');
    expect(meaningOf(999_999, 429).action).toBe('retry');
    expect(meaningOf(999_999, 400).action).toBe('refuse');
  });
});
