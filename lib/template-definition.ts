import { z } from 'zod';
import 'zod-openapi';
import type { TemplateComponentParameters } from '../machines/conversation.types';

/**
 * A message template as supervisors write it: a text, image, video, document or location header; a body with
 * numbered ({{1}}) or named ({{first_name}}) placeholders and their example values; a footer; quick-reply, URL,
 * phone-number, copy-code and Flow buttons; or an authentication (one-time password) template. Pure: shared by the
 * API, the broker client and the send-time parameter check. The schema checks shape only; Meta's rules (lengths,
 * placeholders, examples, button limits) live in lib/template-rules.ts and answer 422 naming the rule.
 * Meta: https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/components
 */

const PLACEHOLDER = /\{\{\s*([a-z0-9_]+)\s*\}\}/g;
const text = (max: number) => z.string().min(1).max(max);

/** A header sample: an image (or video, document) uploaded with POST /v1/media, sent to WhatsApp for review. */
const Sample = z.strictObject({ mediaId: z.string().min(1).max(200) }).meta({ description: 'Media id from POST /v1/media; uploaded to WhatsApp as the header sample (header_handle)' });

export const TemplateButton = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('quick_reply'), text: text(200) }),
  z.strictObject({
    type: z.literal('url'),
    text: text(200),
    // https only: a `javascript:` or `data:` link would run in whoever opens it (the console's preview, the customer's app).
    url: z
      .string()
      .min(1)
      .max(2000)
      .refine((url) => /^https:\/\/[^/?#\s]/i.test(url), 'only https:// links')
      .meta({ description: 'An https:// link; may end with one {{1}} placeholder for a per-message suffix' }),
    example: text(2000).optional().meta({ description: 'A sample suffix for {{1}}; required when the URL has one' }),
  }),
  z.strictObject({ type: z.literal('phone_number'), text: text(200), phoneNumber: text(40).meta({ example: '+15550783881' }) }),
  z.strictObject({ type: z.literal('copy_code'), example: text(200).meta({ description: 'A sample offer code (at most 15 characters)' }) }),
  z.strictObject({
    type: z.literal('flow'),
    text: text(200),
    flowId: z.string().regex(/^\d{1,32}$/),
    flowAction: z.enum(['navigate', 'data_exchange']).optional(),
    navigateScreen: z.string().min(1).max(200).optional(),
  }),
]);
export type TemplateButton = z.infer<typeof TemplateButton>;

export const TemplateAuthentication = z
  .strictObject({
    otpType: z.enum(['copy_code', 'one_tap']),
    buttonText: text(200).optional(),
    /** Android apps for one-tap autofill: package name and the app's 11-character signing-key hash. */
    supportedApps: z.array(z.strictObject({ packageName: text(224), signatureHash: text(64) })).max(5).optional(),
    addSecurityRecommendation: z.boolean().optional(),
    codeExpirationMinutes: z.number().int().optional(),
  })
  .meta({ description: 'One-time-password template: WhatsApp writes the text; body.text must be its preset' });

export const TemplateDefinition = z
  .strictObject({
    header: z
      .discriminatedUnion('format', [
        z.strictObject({ format: z.literal('text'), text: text(400), example: text(400).optional() }),
        z.strictObject({ format: z.literal('image'), sample: Sample.optional() }),
        z.strictObject({ format: z.literal('video'), sample: Sample.optional() }),
        z.strictObject({ format: z.literal('document'), sample: Sample.optional() }),
        z.strictObject({ format: z.literal('location') }),
      ])
      .optional(),
    body: z.strictObject({
      text: text(4096),
      examples: z
        .union([z.array(text(1024)).max(100), z.record(z.string(), text(1024))])
        .optional()
        .meta({ description: 'Example values: a list for {{1}}, {{2}}…; an object by name for named placeholders' }),
    }),
    footer: z.strictObject({ text: text(400) }).optional(),
    buttons: z.array(TemplateButton).max(20).optional(),
    authentication: TemplateAuthentication.optional(),
  })
  .meta({ id: 'TemplateDefinition' });
export type TemplateDefinition = z.infer<typeof TemplateDefinition>;

export function placeholdersIn(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

/** True when the template uses named placeholders ({{first_name}}), which Meta calls parameter_format NAMED. */
export function isNamed(def: TemplateDefinition): boolean {
  const header = def.header?.format === 'text' ? placeholdersIn(def.header.text) : [];
  return [...header, ...placeholdersIn(def.body.text)].some((p) => !/^\d+$/.test(p));
}

/** `text` with each `{{name}}` replaced by `value(name)`. */
export function fillPlaceholders(text: string, value: (name: string) => string): string {
  return text.replace(PLACEHOLDER, (_m, name: string) => value(name));
}

/** What a send must supply: one entry per component that takes parameters. */
export interface ExpectedComponent {
  type: 'header' | 'body' | 'button';
  index?: number;
  subType?: 'url' | 'copy_code';
  kind: 'text' | 'image' | 'video' | 'document' | 'location' | 'coupon_code';
  /** Placeholder names (numbered ones as "1", "2"…), in order. */
  placeholders: string[];
}

export function expectedParameters(def: TemplateDefinition): ExpectedComponent[] {
  const expected: ExpectedComponent[] = [];
  const format = def.header?.format;
  if (format === 'image' || format === 'video' || format === 'document' || format === 'location') expected.push({ type: 'header', kind: format, placeholders: [format] });
  if (def.header?.format === 'text' && placeholdersIn(def.header.text).length > 0) {
    expected.push({ type: 'header', kind: 'text', placeholders: placeholdersIn(def.header.text) });
  }
  const body = placeholdersIn(def.body.text);
  if (body.length > 0) expected.push({ type: 'body', kind: 'text', placeholders: body });
  // Authentication: the code goes in the body and again in the button (Meta's authentication templates page).
  if (def.authentication) expected.push({ type: 'button', index: 0, subType: 'url', kind: 'text', placeholders: ['1'] });
  def.buttons?.forEach((b, index) => {
    if (b.type === 'url' && placeholdersIn(b.url).length > 0) expected.push({ type: 'button', index, subType: 'url', kind: 'text', placeholders: ['1'] });
    if (b.type === 'copy_code') expected.push({ type: 'button', index, subType: 'copy_code', kind: 'coupon_code', placeholders: ['code'] });
  });
  return expected;
}

/** Meta refuses (132018) a text parameter with a newline, a tab or more than four consecutive spaces. */
export const BAD_PARAMETER_WHITESPACE = /[\n\r\t]| {5,}/;

/**
 * Checks a send's parameters against the template: each component that takes parameters gets exactly as many as
 * it has placeholders, of the right type, with the right names when named, and text Meta accepts (no newline, tab
 * or five spaces: 132018). Returns the problems, field by field; empty means it may be sent.
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
      if (p.type === 'text' && BAD_PARAMETER_WHITESPACE.test(p.text)) {
        problems.push({ path: `${path}.parameters.${j}.text`, message: 'WhatsApp refuses parameter text with a newline, a tab or more than 4 consecutive spaces (132018)' });
      }
      const named = want.kind === 'text' && want.type !== 'button' && !/^\d+$/.test(want.placeholders[j]!);
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
