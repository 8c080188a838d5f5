/**
 * Query parameters read as a person would write them. Express reads `?limit=1&limit=2` as an array and zod's
 * `z.coerce.number()` reads a blank as 0 and an array as NaN, so a refusal said "expected number, received NaN" or
 * "Too small: expected number to be >=1" for `?limit=%20`. These refuse such values with a sentence naming the
 * parameter (a zod `custom` issue, which parseIn also puts in the problem's `detail`); the OpenAPI document still
 * describes the plain schema inside.
 */
import { z } from 'zod';

const times = (count: number) => (count === 2 ? 'twice' : `${count} times`);

/** `schema`, given at most once: a repeated parameter is refused as "`name` given twice". */
export function once<S extends z.ZodType>(name: string, schema: S) {
  return z.preprocess((value, ctx) => {
    if (!Array.isArray(value)) return value;
    ctx.addIssue({ code: 'custom', message: `${name} given ${times(value.length)}` });
    return z.NEVER;
  }, schema);
}

/**
 * A whole number from `min` to `max` written in digits (no sign, blank, fraction or exponent), `fallback` when the
 * parameter is absent, given once. Refused: "`name` must be a whole number from `min` to `max`, not "<value>"".
 */
export function wholeNumber(name: string, { min, max, fallback }: { min: number; max: number; fallback: number }) {
  return digitsOnce(name, min, max, z.number().int().min(min).max(max).default(fallback));
}

/** {@link wholeNumber} with no fallback: absent stays undefined (the service picks its own default). */
export function optionalWholeNumber(name: string, { min, max }: { min: number; max: number }) {
  return digitsOnce(name, min, max, z.number().int().min(min).max(max).optional());
}

function digitsOnce<S extends z.ZodType>(name: string, min: number, max: number, inner: S) {
  return once(
    name,
    z.preprocess((value, ctx) => {
      if (value === undefined) return value;
      const number = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : Number.NaN;
      if (number >= min && number <= max) return number;
      ctx.addIssue({ code: 'custom', message: `${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(String(value).slice(0, 40))}` });
      return z.NEVER;
    }, inner),
  );
}
