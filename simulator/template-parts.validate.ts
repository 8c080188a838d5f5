/**
 * What every template component's check shares (Meta's template components page:
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/components): the parameter
 * syntax, the body's rules and the examples a parameter needs. The creation check (templates.validate.ts) and the
 * buttons and carousel checks (template-buttons.validate.ts) both build on it.
 */
import { refusal, type MetaRefusal } from './errors';

export type Component = Record<string, unknown> & { type: string };
export type Check = MetaRefusal | undefined;
export const PARAM = /\{\{\s*([^{}\s]+)\s*\}\}/g;
export const paramsIn = (text: string) => [...text.matchAll(PARAM)].map((m) => m[1]!);
export const invalid = (details: string, subcode?: number) => refusal(100, details, subcode !== undefined ? { subcode } : {});
export const str = (v: unknown): v is string => typeof v === 'string';

export interface CreationContext {
  category: string;
  namedFormat: boolean;
  /** True for a handle the Resumable Upload API of this simulator returned. */
  knownHandle(handle: string): boolean;
}

/** Body rules: length, parameter syntax and order, no parameter at the start or end, none adjacent, the ratio. */
export function checkBody(body: Component, ctx: CreationContext, maxLength = 1024, where = 'BODY'): Check {
  if (!str(body.text) || body.text.trim().length === 0) return invalid(`${where}: text is required`, 2388072);
  const text = body.text;
  if (text.length > maxLength) return invalid(`${where}: text is ${text.length} characters; at most ${maxLength}`, 2388040);
  const params = paramsIn(text);
  if (params.length === 0) return undefined;
  const syntax = checkParamSyntax(where, params, ctx.namedFormat);
  if (syntax) return syntax;
  const trimmed = text.trim();
  if (/^\{\{[^{}]*\}\}/.test(trimmed) || /\{\{[^{}]*\}\}$/.test(trimmed)) {
    return invalid(`${where}: a parameter may not be at the start or end of the text`, 2388299);
  }
  if (/\}\}\s*\{\{/.test(text)) return invalid(`${where}: two parameters may not be next to each other`, 2388072);
  const fixedWords = text.replace(PARAM, ' ').split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w)).length;
  if (fixedWords <= params.length) {
    return invalid(`${where}: too many parameters for the length of the text (${params.length} parameters, ${fixedWords} words)`, 2388293);
  }
  const example = (body.example ?? {}) as Record<string, unknown>;
  return checkExamples(where, params, ctx, example.body_text, example.body_text_named_params, true);
}

export function checkParamSyntax(where: string, params: string[], named: boolean): Check {
  const numeric = params.every((p) => /^\d+$/.test(p));
  if (!named && !numeric) return invalid(`${where}: parameter_format POSITIONAL takes {{1}}, {{2}}…; use parameter_format NAMED for {{${params.find((p) => !/^\d+$/.test(p))}}}`, 2388072);
  if (named && params.some((p) => !/^[a-z_][a-z0-9_]*$/.test(p))) return invalid(`${where}: named parameters are lower-case letters, digits and underscores`, 2388072);
  if (!named && params.some((p, i) => p !== String(i + 1))) return invalid(`${where}: positional parameters must run {{1}}, {{2}}, … in order`, 2388072);
  return undefined;
}

/** `example` values: one per parameter, positional as a list (the body's nested once more), named by param_name. */
export function checkExamples(where: string, params: string[], ctx: CreationContext, positional: unknown, named: unknown, nested: boolean): Check {
  if (ctx.namedFormat) {
    const given = Array.isArray(named) ? (named as { param_name?: unknown; example?: unknown }[]) : [];
    const missing = params.filter((p) => !given.some((g) => g.param_name === p && str(g.example) && g.example.length > 0));
    return missing.length ? invalid(`${where}: example value required for {{${missing.join('}}, {{')}}}`) : undefined;
  }
  const list = nested ? (Array.isArray(positional) ? (positional as unknown[])[0] : undefined) : positional;
  const values = Array.isArray(list) ? list : [];
  if (values.length !== params.length || values.some((v) => !str(v) || v.length === 0)) {
    return invalid(`${where}: ${params.length} example value(s) required, one per parameter; ${values.length} given`);
  }
  return undefined;
}
