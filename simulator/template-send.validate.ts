/**
 * A template message checked against the template the account holds, as the Cloud API checks it
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/template-messages and the
 * error codes at https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes):
 * 132001 absent (in that language) or not approved, 132015 paused, 132016 disabled, 132000 parameter count,
 * 132012 parameter type, 131008 missing value, 131009 invalid value, 132018 newline/tab/5 spaces in a text value.
 * A body placeholder takes `text`, `currency` or `date_time`; a header's, a button's only their own kind.
 */
import { refusal, type MetaRefusal } from './errors';
import { paramsIn } from './template-parts.validate';

export interface HeldTemplate {
  name: string;
  language: string;
  status: string;
  parameterFormat?: string;
  components: unknown[];
}

type Param = Record<string, unknown> & { type?: string };
interface Slot {
  key: string;
  /** Parameter type each value must have: text, image, video, document, location, coupon_code, payload, action. */
  kind: string;
  names: string[];
  optional?: boolean;
}

const MEDIA = ['IMAGE', 'VIDEO', 'DOCUMENT'];
const upper = (v: unknown) => String(v ?? '').toUpperCase();

/** What each of these components (the template's, or one carousel card's) takes at send time. */
function slotsOfComponents(components: Record<string, unknown>[]): Slot[] {
  const slots: Slot[] = [];
  for (const c of components) {
    const type = upper(c.type);
    if (type === 'HEADER') {
      const format = upper(c.format);
      if (format === 'TEXT' && typeof c.text === 'string' && paramsIn(c.text).length) slots.push({ key: 'header', kind: 'text', names: paramsIn(c.text) });
      if (MEDIA.includes(format)) slots.push({ key: 'header', kind: format.toLowerCase(), names: ['media'] });
      if (format === 'LOCATION') slots.push({ key: 'header', kind: 'location', names: ['location'] });
    }
    if (type === 'BODY' && typeof c.text === 'string' && paramsIn(c.text).length) slots.push({ key: 'body', kind: 'text', names: paramsIn(c.text) });
    if (type === 'BUTTONS') {
      (c.buttons as Record<string, unknown>[]).forEach((b, i) => {
        const kind = upper(b.type);
        if (kind === 'URL' && typeof b.url === 'string' && paramsIn(b.url).length) slots.push({ key: `button:${i}`, kind: 'text', names: ['1'] });
        if (kind === 'COPY_CODE') slots.push({ key: `button:${i}`, kind: 'coupon_code', names: ['code'] });
        if (kind === 'OTP') slots.push({ key: `button:${i}`, kind: 'text', names: ['code'] });
        if (kind === 'QUICK_REPLY') slots.push({ key: `button:${i}`, kind: 'payload', names: ['payload'], optional: true });
        if (kind === 'FLOW') slots.push({ key: `button:${i}`, kind: 'action', names: ['action'], optional: true });
      });
    }
  }
  const isAuth = components.some((c) => upper(c.type) === 'BUTTONS' && (c.buttons as { type?: string }[]).some((b) => upper(b.type) === 'OTP'));
  if (isAuth) slots.push({ key: 'body', kind: 'text', names: ['code'] });
  return slots;
}

/** A carousel template's cards, each card's slots (media card carousel templates page). */
function cardsOf(template: HeldTemplate): Slot[][] | undefined {
  const carousel = (template.components as Record<string, unknown>[]).find((c) => upper(c.type) === 'CAROUSEL');
  if (!carousel) return undefined;
  return ((carousel.cards ?? []) as { components?: Record<string, unknown>[] }[]).map((card) => slotsOfComponents(card.components ?? []));
}

const keyOf = (c: Record<string, unknown>) => (upper(c.type) === 'BUTTON' ? `button:${Number(c.index ?? -1)}` : String(c.type ?? '').toLowerCase());

/** Each given component names a slot, and each slot gets its parameters, of the right kinds (`where`: a card). */
function checkSlots(slots: Slot[], given: Record<string, unknown>[], named: boolean, where = ''): MetaRefusal | undefined {
  for (const component of given) {
    if (!slots.some((s) => s.key === keyOf(component))) return refusal(132000, `${where}${keyOf(component)}: the template has no such component taking parameters`);
  }
  for (const slot of slots) {
    const component = given.find((c) => keyOf(c) === slot.key);
    const params = (Array.isArray(component?.parameters) ? component!.parameters : []) as Param[];
    if (slot.optional && params.length === 0) continue;
    if (params.length !== slot.names.length) {
      return refusal(132000, `${where}${slot.key}: number of localizable_params (${params.length}) does not match the expected number of params (${slot.names.length})`);
    }
    for (const [j, p] of params.entries()) {
      const problem = checkValue(slot, j, p, named, where);
      if (problem) return problem;
    }
  }
  return undefined;
}

/**
 * A carousel's cards: exactly as many as the template defines, each by a distinct card_index, each card's components
 * against that card's slots. Meta: "Must include a card for every card defined on the template."
 */
function checkCarousel(cards: Slot[][], given: Record<string, unknown> | undefined, named: boolean): MetaRefusal | undefined {
  const sent = (Array.isArray(given?.cards) ? given!.cards : []) as Record<string, unknown>[];
  if (sent.length !== cards.length) return refusal(132000, `carousel: number of cards (${sent.length}) does not match the number of cards in the template (${cards.length})`);
  const seen = new Set<number>();
  for (const card of sent) {
    const index = Number(card.card_index);
    if (!Number.isInteger(index) || index < 0 || index >= cards.length || seen.has(index)) {
      return refusal(131009, `carousel: card_index ${String(card.card_index)} is not a card of the template (0 to ${cards.length - 1}) or is repeated`);
    }
    seen.add(index);
    const components = (Array.isArray(card.components) ? card.components : []) as Record<string, unknown>[];
    const problem = checkSlots(cards[index]!, components, named, `carousel.cards[${index}].`);
    if (problem) return problem;
  }
  return undefined;
}

export function validateTemplateSend(held: HeldTemplate[], template: Record<string, unknown>): MetaRefusal | undefined {
  const language = (template.language as { code?: unknown } | undefined)?.code;
  if (typeof template.name !== 'string' || typeof language !== 'string') return refusal(131008, 'template.name and template.language.code are required');
  const named = held.filter((t) => t.name === template.name);
  const found = named.find((t) => t.language === language);
  if (!found) {
    return refusal(132001, named.length ? `template name (${template.name}) does not exist in ${language}` : `template name (${template.name}) does not exist`);
  }
  if (found.status === 'PAUSED') return refusal(132015, `Template ${found.name} is paused because of low quality`);
  if (found.status === 'DISABLED') return refusal(132016, `Template ${found.name} has been disabled because of low quality`);
  if (found.status !== 'APPROVED') return refusal(132001, `template name (${found.name}) is ${found.status}, not approved, in ${language}`);

  const given = (Array.isArray(template.components) ? template.components : []) as Record<string, unknown>[];
  const isNamed = found.parameterFormat === 'NAMED';
  const cards = cardsOf(found);
  const flat = given.filter((c) => !(cards && upper(c.type) === 'CAROUSEL'));
  return checkSlots(slotsOfComponents(found.components as Record<string, unknown>[]), flat, isNamed) ?? (cards && checkCarousel(cards, given.find((c) => upper(c.type) === 'CAROUSEL'), isNamed));
}

/**
 * A body placeholder also takes a `currency` or `date_time` parameter (template-messages page's parameter object),
 * which WhatsApp shows as its `fallback_value`; the code and the amount in thousandths come with a currency.
 */
function localizable(p: Param, where: string): MetaRefusal | undefined {
  const value = p[String(p.type)] as Record<string, unknown> | undefined;
  if (typeof value?.fallback_value !== 'string' || value.fallback_value === '') return refusal(131008, `${where}.${String(p.type)}.fallback_value is required`);
  if (p.type === 'currency' && !(typeof value.code === 'string' && /^[A-Z]{3}$/.test(value.code) && Number.isInteger(value.amount_1000))) {
    return refusal(131008, `${where}.currency: code (ISO 4217) and amount_1000 (an integer) are required`);
  }
  return undefined;
}

function checkValue(slot: Slot, j: number, p: Param, named: boolean, card = ''): MetaRefusal | undefined {
  const where = `${card}${slot.key}.parameters[${j}]`;
  if (slot.key === 'body' && slot.kind === 'text' && (p.type === 'currency' || p.type === 'date_time')) return localizable(p, where);
  if (p.type !== slot.kind) return refusal(132012, `${card}${slot.key}: Format mismatch, expected ${slot.kind.toUpperCase()}, received ${String(p.type ?? 'nothing').toUpperCase()}`);
  if (slot.kind === 'text') {
    if (typeof p.text !== 'string' || p.text.length === 0) return refusal(131008, `${where}.text is required`);
    if (/[\n\t]/.test(p.text) || / {5,}/.test(p.text)) return refusal(132018, 'Param text cannot have new-line/tab characters or more than 4 consecutive spaces');
    if (named && slot.key !== 'body' && slot.key !== 'header') return undefined;
    if (named && p.parameter_name === undefined) return refusal(131008, `${where}.parameter_name is required for a template with named parameters`);
    if (named && !slot.names.includes(String(p.parameter_name))) return refusal(131009, `${where}.parameter_name ${String(p.parameter_name)} is not a parameter of the template`);
  }
  if (['image', 'video', 'document'].includes(slot.kind)) {
    const media = p[slot.kind] as { id?: unknown; link?: unknown } | undefined;
    if (!media || (media.id === undefined && media.link === undefined)) return refusal(131008, `${where}.${slot.kind}: id or link is required`);
    if (media.link !== undefined && !(typeof media.link === 'string' && /^https?:\/\/\S+$/.test(media.link))) return refusal(131009, `${where}.${slot.kind}.link is not a valid URL`);
  }
  if (slot.kind === 'location') {
    const loc = p.location as { latitude?: unknown; longitude?: unknown } | undefined;
    if (!loc || loc.latitude === undefined || loc.longitude === undefined) return refusal(131008, `${where}.location: latitude and longitude are required`);
  }
  if (slot.kind === 'coupon_code' && !(typeof p.coupon_code === 'string' && p.coupon_code.length > 0 && p.coupon_code.length <= 15)) {
    return refusal(131009, `${where}.coupon_code: 1 to 15 characters`);
  }
  if (slot.kind === 'payload' && !(typeof p.payload === 'string' && p.payload.length > 0)) return refusal(131008, `${where}.payload is required`);
  return undefined;
}
