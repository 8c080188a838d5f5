import type { TemplateButton, TemplateDefinition } from './template-definition';
import { fillPlaceholders, placeholdersIn } from './template-definition';
import type { TemplateComponentParameters, TemplateSendComponent } from '../machines/conversation.types';

/**
 * What a send of a template must supply, and the check of what it does supply, from Meta's template-messages page
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/template-messages) and, for
 * carousels, the media card carousel page (https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/marketing-templates/media-card-carousel-templates):
 * every card the template defines, each with its header media and the parameters of its body and buttons.
 */

/** What a send must supply: one entry per component that takes parameters. */
export interface ExpectedComponent {
  type: 'header' | 'body' | 'button';
  index?: number;
  subType?: 'url' | 'copy_code' | 'quick_reply';
  kind: 'text' | 'image' | 'video' | 'document' | 'location' | 'coupon_code' | 'payload';
  /** Placeholder names (numbered ones as "1", "2"…), in order. */
  placeholders: string[];
  /** A carousel card's component: the card's zero-based index. */
  card?: number;
  /** May be left out (a quick-reply button's payload). */
  optional?: boolean;
}

function buttonsExpected(buttons: TemplateButton[] = [], card?: number): ExpectedComponent[] {
  const at = card === undefined ? {} : { card };
  return buttons.flatMap((b, index): ExpectedComponent[] => {
    if (b.type === 'url' && placeholdersIn(b.url).length > 0) return [{ type: 'button', index, subType: 'url', kind: 'text', placeholders: ['1'], ...at }];
    if (b.type === 'copy_code') return [{ type: 'button', index, subType: 'copy_code', kind: 'coupon_code', placeholders: ['code'], ...at }];
    if (b.type === 'quick_reply') return [{ type: 'button', index, subType: 'quick_reply', kind: 'payload', placeholders: ['payload'], optional: true, ...at }];
    return [];
  });
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
  expected.push(...buttonsExpected(def.buttons));
  def.carousel?.cards.forEach((c, card) => {
    expected.push({ type: 'header', kind: c.header.format, placeholders: [c.header.format], card });
    const params = c.body ? placeholdersIn(c.body.text) : [];
    if (params.length > 0) expected.push({ type: 'body', kind: 'text', placeholders: params, card });
    expected.push(...buttonsExpected(c.buttons, card));
  });
  return expected;
}

/** Meta refuses (132018) a text parameter with a newline, a tab or more than four consecutive spaces. */
export const BAD_PARAMETER_WHITESPACE = /[\n\r\t]| {5,}/;

type Problem = { path: string; message: string };
const keyOf = (c: { type: string; index?: number }) => (c.type === 'button' ? `button[${c.index ?? 0}]` : c.type);

/** The flat check, for the message's components or one card's: count, type, names and text of each component's. */
function checkComponents(expected: ExpectedComponent[], given: TemplateComponentParameters[], base: string, where: string, problems: Problem[]): void {
  const byKey = new Map(expected.map((e) => [keyOf(e), e]));
  given.forEach((component, i) => {
    if (!byKey.has(keyOf(component))) problems.push({ path: `${base}.${i}`, message: `the template has no ${where}${keyOf(component)} that takes parameters` });
  });
  for (const want of expected) {
    const index = given.findIndex((c) => keyOf(c) === keyOf(want));
    const component = given[index];
    const path = `${base}.${index === -1 ? given.length : index}`;
    if (!component) {
      if (!want.optional) problems.push({ path, message: `${where}${keyOf(want)} needs ${want.placeholders.length} ${want.kind} parameter(s)` });
      continue;
    }
    if (want.subType && component.subType && component.subType !== want.subType) {
      problems.push({ path: `${path}.subType`, message: `${where}${keyOf(want)} is a ${want.subType} button, not ${component.subType}` });
      continue;
    }
    if (component.parameters.length !== want.placeholders.length) {
      problems.push({ path: `${path}.parameters`, message: `${where}${keyOf(want)} has ${want.placeholders.length} placeholder(s); ${component.parameters.length} given` });
      continue;
    }
    component.parameters.forEach((p, j) => {
      const localizable = p.type === 'currency' || p.type === 'date_time';
      if (localizable && !(want.type === 'body' && want.kind === 'text')) {
        problems.push({ path: `${path}.parameters.${j}.type`, message: `expected ${want.kind}, got ${p.type} (WhatsApp takes currency and date_time in body placeholders only)` });
      } else if (p.type !== want.kind && !localizable) problems.push({ path: `${path}.parameters.${j}.type`, message: `expected ${want.kind}, got ${p.type}` });
      if (p.type === 'text' && BAD_PARAMETER_WHITESPACE.test(p.text)) {
        problems.push({ path: `${path}.parameters.${j}.text`, message: 'WhatsApp refuses parameter text with a newline, a tab or more than 4 consecutive spaces (132018)' });
      }
      const named = want.kind === 'text' && want.type !== 'button' && !/^\d+$/.test(want.placeholders[j]!);
      const nameable = p.type === 'text' || (localizable && want.type === 'body');
      if (named && nameable && p.name !== undefined && !want.placeholders.includes(p.name)) {
        problems.push({ path: `${path}.parameters.${j}.name`, message: `no placeholder {{${p.name}}}; expected one of ${want.placeholders.join(', ')}` });
      }
      if (named && nameable && p.name === undefined) {
        problems.push({ path: `${path}.parameters.${j}.name`, message: `named placeholders need a name (${want.placeholders.join(', ')})` });
      }
    });
  }
}

/**
 * Checks a send's parameters against the template: each component that takes parameters gets exactly as many as
 * it has placeholders, of the right type (a body placeholder also takes `currency` or `date_time`, Meta's parameter
 * object on the template-messages page; a header's or a button's does not), with the right names when named, and text Meta accepts (no newline, tab
 * or five spaces: 132018); a carousel gets every card it defines, by index, each checked the same way. Returns the
 * problems, field by field (paths under `components`); empty means it may be sent.
 */
export function checkParameters(def: TemplateDefinition, given: TemplateSendComponent[] = []): Problem[] {
  const problems: Problem[] = [];
  const expected = expectedParameters(def);
  const flat = given.map((c, i) => ({ c, i })).filter((x): x is { c: TemplateComponentParameters; i: number } => x.c.type !== 'carousel');
  // Paths name the component's place in the request; the flat check numbers them in its own list, mapped back here.
  const own: Problem[] = [];
  checkComponents(expected.filter((e) => e.card === undefined), flat.map((x) => x.c), 'components', '', own);
  for (const p of own) {
    const [, n, ...rest] = p.path.split('.');
    const at = flat[Number(n)]?.i ?? given.length;
    problems.push({ ...p, path: ['components', at, ...rest].join('.') });
  }
  const carouselAt = given.findIndex((c) => c.type === 'carousel');
  const carousel = given[carouselAt];
  const cards = def.carousel?.cards ?? [];
  if (carousel?.type === 'carousel' && cards.length === 0) problems.push({ path: `components.${carouselAt}`, message: 'the template has no carousel' });
  if (cards.length === 0) return problems;
  if (carousel?.type !== 'carousel') {
    problems.push({ path: `components.${given.length}`, message: `the carousel needs its ${cards.length} cards (a carousel component with cards 0 to ${cards.length - 1})` });
    return problems;
  }
  const base = `components.${carouselAt}.cards`;
  if (carousel.cards.length !== cards.length) problems.push({ path: base, message: `the template defines ${cards.length} cards; ${carousel.cards.length} given (WhatsApp sends exactly as many as it approved)` });
  carousel.cards.forEach((card, j) => {
    if (card.cardIndex >= cards.length || carousel.cards.findIndex((c) => c.cardIndex === card.cardIndex) !== j) {
      problems.push({ path: `${base}.${j}.cardIndex`, message: `cardIndex ${card.cardIndex} is not one of the template's cards 0 to ${cards.length - 1}, or is given twice` });
      return;
    }
    const wanted = expected.filter((e) => e.card === card.cardIndex);
    checkComponents(wanted, card.components, `${base}.${j}.components`, `card ${card.cardIndex} `, problems);
  });
  return problems;
}

/** The body with parameters filled in, for previews and the thread. */
export function renderBody(def: TemplateDefinition, given: TemplateSendComponent[] = []): string {
  const component = given.find((c): c is TemplateComponentParameters => c.type === 'body');
  const body = component?.parameters ?? [];
  return fillPlaceholders(def.body.text, (name) => {
    const byName = body.find((p) => (p.type === 'text' || p.type === 'currency' || p.type === 'date_time') && p.name === name);
    const byIndex = /^\d+$/.test(name) ? body[Number(name) - 1] : undefined;
    const value = byName ?? byIndex;
    if (value?.type === 'text') return value.text;
    // An amount or a date shows as its fallback value, as on a phone that cannot localise it.
    if (value?.type === 'currency' || value?.type === 'date_time') return value.fallbackValue;
    return `{{${name}}}`;
  });
}
