import { z } from 'zod';
import 'zod-openapi';
import type { TemplateComponentParameters } from '../machines/conversation.types';

/**
 * A message template as supervisors write it: header (text or image), body with numbered ({{1}}) or named
 * ({{first_name}}) placeholders, footer, quick-reply and URL buttons. Pure: shared by the API, the broker client and
 * the send-time parameter check.
 */

const PLACEHOLDER = /\{\{\s*([a-z0-9_]+)\s*\}\}/g;

export const TemplateButton = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('quick_reply'), text: z.string().min(1).max(25) }),
  z.strictObject({
    type: z.literal('url'),
    text: z.string().min(1).max(25),
    // https only: a `javascript:` or `data:` link would run in whoever opens it (the console's preview, the customer's app).
    url: z
      .string()
      .url()
      .max(2000)
      .refine((url) => /^https:\/\/[^/?#\s]/i.test(url), 'only https:// links')
      .meta({ description: 'An https:// link; may end with one {{1}} placeholder for a per-message suffix' }),
  }),
]);

export const TemplateDefinition = z
  .strictObject({
    header: z
      .discriminatedUnion('format', [
        z.strictObject({ format: z.literal('text'), text: z.string().min(1).max(60) }),
        z.strictObject({ format: z.literal('image') }),
      ])
      .optional(),
    body: z.strictObject({ text: z.string().min(1).max(1024) }),
    footer: z.strictObject({ text: z.string().min(1).max(60) }).optional(),
    buttons: z.array(TemplateButton).max(10).optional(),
  })
  .superRefine((def, ctx) => {
    const body = placeholdersIn(def.body.text);
    const named = body.some((p) => !/^\d+$/.test(p));
    if (named && body.some((p) => /^\d+$/.test(p))) {
      ctx.addIssue({ code: 'custom', path: ['body', 'text'], message: 'use numbered ({{1}}) or named ({{name}}) placeholders, not both' });
    }
    if (!named && body.some((p, i) => p !== String(i + 1))) {
      ctx.addIssue({ code: 'custom', path: ['body', 'text'], message: 'numbered placeholders must run {{1}}, {{2}}, … in order, each once' });
    }
    if (named && new Set(body).size !== body.length) {
      ctx.addIssue({ code: 'custom', path: ['body', 'text'], message: 'each named placeholder may appear once' });
    }
    if (def.header?.format === 'text' && placeholdersIn(def.header.text).length > 1) {
      ctx.addIssue({ code: 'custom', path: ['header', 'text'], message: 'a text header takes at most one placeholder' });
    }
    if (def.footer && placeholdersIn(def.footer.text).length > 0) {
      ctx.addIssue({ code: 'custom', path: ['footer', 'text'], message: 'footers take no placeholders' });
    }
    def.buttons?.forEach((b, i) => {
      if (b.type === 'url' && (placeholdersIn(b.url).length > 1 || (placeholdersIn(b.url).length === 1 && !/\{\{1\}\}$/.test(b.url)))) {
        ctx.addIssue({ code: 'custom', path: ['buttons', i, 'url'], message: 'a URL takes at most one placeholder, {{1}}, at its end' });
      }
    });
    if ((def.buttons ?? []).filter((b) => b.type === 'url').length > 2) {
      ctx.addIssue({ code: 'custom', path: ['buttons'], message: 'at most two URL buttons' });
    }
  })
  .meta({ id: 'TemplateDefinition' });
export type TemplateDefinition = z.infer<typeof TemplateDefinition>;

export function placeholdersIn(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

/** `text` with each `{{name}}` replaced by `value(name)`. */
export function fillPlaceholders(text: string, value: (name: string) => string): string {
  return text.replace(PLACEHOLDER, (_m, name: string) => value(name));
}

/** What a send must supply: one entry per component that takes parameters. */
export interface ExpectedComponent {
  type: 'header' | 'body' | 'button';
  index?: number;
  subType?: 'url';
  kind: 'text' | 'image';
  /** Placeholder names (numbered ones as "1", "2"…), in order. */
  placeholders: string[];
}

export function expectedParameters(def: TemplateDefinition): ExpectedComponent[] {
  const expected: ExpectedComponent[] = [];
  if (def.header?.format === 'image') expected.push({ type: 'header', kind: 'image', placeholders: ['image'] });
  if (def.header?.format === 'text' && placeholdersIn(def.header.text).length > 0) {
    expected.push({ type: 'header', kind: 'text', placeholders: placeholdersIn(def.header.text) });
  }
  const body = placeholdersIn(def.body.text);
  if (body.length > 0) expected.push({ type: 'body', kind: 'text', placeholders: body });
  def.buttons?.forEach((b, index) => {
    if (b.type === 'url' && placeholdersIn(b.url).length > 0) expected.push({ type: 'button', index, subType: 'url', kind: 'text', placeholders: ['1'] });
  });
  return expected;
}

/**
 * Checks a send's parameters against the template: each component that takes parameters gets exactly as many as
 * it has placeholders, of the right type (text, or an image for an image header), with the right names when named.
 * Returns the problems, field by field; empty means it may be sent.
 */
export function checkParameters(def: TemplateDefinition, given: TemplateComponentParameters[] = []): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const key = (c: { type: string; index?: number }) => (c.type === 'button' ? `button[${c.index ?? 0}]` : c.type);
  const expected = expectedParameters(def);
  const byKey = new Map(expected.map((e) => [key(e), e]));
  given.forEach((component, i) => {
    if (!byKey.has(key(component))) problems.push({ path: `components.${i}`, message: `the template has no ${key(component)} that takes parameters` });
  });
  for (const want of expected) {
    const index = given.findIndex((c) => key(c) === key(want));
    const component = given[index];
    const path = `components.${index === -1 ? given.length : index}`;
    if (!component) {
      problems.push({ path, message: `${key(want)} needs ${want.placeholders.length} ${want.kind} parameter(s)` });
      continue;
    }
    if (component.parameters.length !== want.placeholders.length) {
      problems.push({ path: `${path}.parameters`, message: `${key(want)} has ${want.placeholders.length} placeholder(s); ${component.parameters.length} given` });
      continue;
    }
    component.parameters.forEach((p, j) => {
      if (p.type !== want.kind) problems.push({ path: `${path}.parameters.${j}.type`, message: `expected ${want.kind}, got ${p.type}` });
      const named = want.kind === 'text' && !/^\d+$/.test(want.placeholders[j]!);
      if (named && p.type === 'text' && p.name !== undefined && !want.placeholders.includes(p.name)) {
        problems.push({ path: `${path}.parameters.${j}.name`, message: `no placeholder {{${p.name}}}; expected one of ${want.placeholders.join(', ')}` });
      }
      if (named && p.type === 'text' && p.name === undefined) {
        problems.push({ path: `${path}.parameters.${j}.name`, message: `named placeholders need a name (${want.placeholders.join(', ')})` });
      }
    });
  }
  return problems;
}

/** The body with parameters filled in, for previews and the thread. */
export function renderBody(def: TemplateDefinition, given: TemplateComponentParameters[] = []): string {
  const body = given.find((c) => c.type === 'body')?.parameters ?? [];
  return fillPlaceholders(def.body.text, (name) => {
    const byName = body.find((p) => p.type === 'text' && p.name === name);
    const byIndex = /^\d+$/.test(name) ? body[Number(name) - 1] : undefined;
    const value = byName ?? byIndex;
    return value?.type === 'text' ? value.text : `{{${name}}}`;
  });
}
