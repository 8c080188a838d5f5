import { isNamed, placeholdersIn, type TemplateButton, type TemplateDefinition } from './template-definition';

/**
 * Meta's template rules, checked before anything is submitted so a supervisor is told at once (422) instead of by a
 * rejection later. Each problem names the field (`path`, under `definition`), the rule (`rule`) and says it in words.
 * Pages: components https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/components,
 * overview https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/overview,
 * authentication https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/authentication-templates.
 * The simulator checks the same pages independently (simulator/templates.validate.ts).
 */
export interface TemplateRuleProblem {
  path: string;
  rule: string;
  message: string;
}

/** The body WhatsApp sends for an authentication template; supervisors cannot write their own. */
export const AUTHENTICATION_BODY = '{{1}} is your verification code.';

/** Limits the console shows as the supervisor types. */
export const TEMPLATE_LIMITS = { headerText: 60, bodyText: 1024, footerText: 60, buttonText: 25, buttons: 10, urlButtons: 2, url: 2000, phoneNumber: 20, copyCode: 15 };

/**
 * The statuses in which WhatsApp lets a template be edited; a PENDING (in review), IN_APPEAL, DISABLED or
 * PENDING_DELETION one cannot be. Meta, "Edit templates":
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-management
 */
export const EDITABLE_STATUSES: readonly string[] = ['APPROVED', 'REJECTED', 'PAUSED'];

/**
 * How often WhatsApp lets an APPROVED template be edited: once in a moving 24 hours and 10 times in a moving 30 days;
 * REJECTED and PAUSED ones as often as wanted. Meta, "Edit templates" (template management page above).
 */
export const APPROVED_EDIT_LIMITS = { perDay: 1, per30Days: 10 } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * When an edit of a template in `status` may next be made, given the times of its earlier edits made while it was
 * APPROVED; undefined when it may be edited now (any REJECTED or PAUSED one may).
 */
export function nextEditAllowedAt(status: string, approvedEdits: readonly Date[], now: Date): Date | undefined {
  if (status !== 'APPROVED') return undefined;
  const times = approvedEdits.map((d) => d.getTime()).sort((a, b) => a - b);
  const inDay = times.filter((t) => t > now.getTime() - DAY_MS);
  const in30 = times.filter((t) => t > now.getTime() - 30 * DAY_MS);
  const waits: number[] = [];
  if (inDay.length >= APPROVED_EDIT_LIMITS.perDay) waits.push(inDay[inDay.length - APPROVED_EDIT_LIMITS.perDay]! + DAY_MS);
  if (in30.length >= APPROVED_EDIT_LIMITS.per30Days) waits.push(in30[in30.length - APPROVED_EDIT_LIMITS.per30Days]! + 30 * DAY_MS);
  return waits.length > 0 ? new Date(Math.max(...waits)) : undefined;
}

/** The edit rule on a template's status (as we last heard it from WhatsApp); empty when it may be edited. */
export function templateEditProblems(status: string): TemplateRuleProblem[] {
  if (EDITABLE_STATUSES.includes(status)) return [];
  return [{ path: 'status', rule: 'editable_status', message: `a ${status} template cannot be edited; WhatsApp lets only APPROVED, REJECTED or PAUSED ones be edited` }];
}

const words = (text: string) => text.replace(/\{\{[^{}]*\}\}/g, ' ').split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w)).length;

export function templateRuleProblems(def: TemplateDefinition, category: string): TemplateRuleProblem[] {
  const problems: TemplateRuleProblem[] = [];
  const add = (path: string, rule: string, message: string) => problems.push({ path: `definition.${path}`, rule, message });
  const named = isNamed(def);
  if ((category === 'authentication') !== Boolean(def.authentication)) {
    add('authentication', 'authentication_category', 'authentication templates (and only they) carry an authentication block');
  }
  if (def.authentication) return [...problems, ...authenticationProblems(def, add)];

  if (def.header?.format === 'text') {
    const params = placeholdersIn(def.header.text);
    if (def.header.text.length > TEMPLATE_LIMITS.headerText) add('header.text', 'header_length', `a text header is at most 60 characters (${def.header.text.length})`);
    if (params.length > 1) add('header.text', 'header_one_parameter', 'a text header takes at most one placeholder');
    if (params.length === 1 && !def.header.example) add('header.example', 'example_required', 'a header placeholder needs an example value');
  }
  if (def.header && ['image', 'video', 'document'].includes(def.header.format) && !('sample' in def.header && def.header.sample)) {
    add('header.sample', 'media_sample_required', `a ${def.header.format} header needs a sample (upload it with POST /v1/media and give its mediaId)`);
  }

  const header = def.header?.format === 'text' ? placeholdersIn(def.header.text) : [];
  const cardParams = (def.carousel?.cards ?? []).flatMap((c) => (c.body ? placeholdersIn(c.body.text) : []));
  if ([...header, ...placeholdersIn(def.body.text), ...cardParams].some((p) => /^\d+$/.test(p)) && named) {
    add('body.text', 'one_parameter_format', 'use numbered ({{1}}) or named ({{name}}) placeholders, not both');
  }
  bodyProblems(def.body, named, TEMPLATE_LIMITS.bodyText, 'body', add);
  if (def.footer) {
    if (def.footer.text.length > TEMPLATE_LIMITS.footerText) add('footer.text', 'footer_length', `a footer is at most 60 characters (${def.footer.text.length})`);
    if (placeholdersIn(def.footer.text).length > 0) add('footer.text', 'footer_no_parameters', 'footers take no placeholders');
  }
  buttonProblems(def.buttons ?? [], 'buttons', add);
  if (def.carousel) carouselProblems(def, category, named, add);
  return problems;
}

type Add = (path: string, rule: string, message: string) => void;

/** A body's rules (the message's, or a carousel card's at `where`): length, placeholders in order, edges, ratio, examples. */
function bodyProblems(body: { text: string; examples?: TemplateDefinition['body']['examples'] }, named: boolean, max: number, where: string, add: Add): void {
  const text = body.text;
  const params = placeholdersIn(text);
  if (text.length > max) add(`${where}.text`, where === 'body' ? 'body_length' : 'card_body_length', `${where === 'body' ? 'the body' : 'a card body'} is at most ${max} characters (${text.length})`);
  if (!named && params.some((p, i) => p !== String(i + 1))) add(`${where}.text`, 'positional_order', 'numbered placeholders must run {{1}}, {{2}}, … in order, each once');
  if (named && new Set(params).size !== params.length) add(`${where}.text`, 'named_once', 'each named placeholder may appear once');
  if (named && params.some((p) => !/^[a-z_][a-z0-9_]*$/.test(p))) add(`${where}.text`, 'named_syntax', 'named placeholders are lower-case letters, digits and underscores, not starting with a digit');
  if (params.length === 0) return;
  if (/^\s*\{\{[^{}]*\}\}/.test(text) || /\{\{[^{}]*\}\}\s*$/.test(text)) add(`${where}.text`, 'parameter_at_edge', 'the body may not start or end with a placeholder (WhatsApp subcode 2388299)');
  if (/\}\}\s*\{\{/.test(text)) add(`${where}.text`, 'adjacent_parameters', 'two placeholders may not be next to each other; put words between them');
  if (words(text) <= params.length) add(`${where}.text`, 'parameter_ratio', `too many placeholders for the text: ${params.length} placeholders, ${words(text)} words (WhatsApp subcode 2388293)`);
  const examples = body.examples;
  const missing = named
    ? params.filter((p) => !(examples && !Array.isArray(examples) && examples[p]))
    : params.filter((_p, i) => !(Array.isArray(examples) && examples[i]));
  if (missing.length > 0) add(`${where}.examples`, 'example_required', `example values are required for every placeholder; missing {{${missing.join('}}, {{')}}}`);
}

function buttonProblems(buttons: TemplateButton[], where: string, add: Add): void {
  const count = (type: string) => buttons.filter((b) => b.type === type).length;
  if (buttons.length > TEMPLATE_LIMITS.buttons) add(where, 'button_count', `at most 10 buttons (${buttons.length})`);
  if (count('url') > 2) add(where, 'url_buttons', 'at most two URL buttons');
  for (const type of ['phone_number', 'copy_code', 'flow']) if (count(type) > 1) add(where, `${type}_buttons`, `at most one ${type.replace('_', ' ')} button`);
  const quick = buttons.map((b) => b.type === 'quick_reply');
  if (quick.includes(true) && quick.slice(quick.indexOf(true), quick.lastIndexOf(true) + 1).includes(false)) {
    add(where, 'quick_replies_grouped', 'quick reply buttons must be next to each other, not mixed between other buttons');
  }
  buttons.forEach((b, i) => {
    if ('text' in b && b.text.length > TEMPLATE_LIMITS.buttonText) add(`${where}.${i}.text`, 'button_text_length', `button text is at most 25 characters (${b.text.length})`);
    if ('text' in b && placeholdersIn(b.text).length > 0) add(`${where}.${i}.text`, 'button_text_no_parameters', 'button text takes no placeholders');
    if (b.type === 'url') {
      const params = placeholdersIn(b.url);
      if (!/^https?:\/\/\S+$/.test(b.url)) add(`${where}.${i}.url`, 'url_format', 'the URL must start with http:// or https://');
      if (b.url.length > TEMPLATE_LIMITS.url) add(`${where}.${i}.url`, 'url_length', 'a URL is at most 2000 characters');
      if (params.length > 1 || (params.length === 1 && !/\{\{1\}\}$/.test(b.url))) add(`${where}.${i}.url`, 'url_one_parameter', 'a URL takes at most one placeholder, {{1}}, at its end');
      if (params.length === 1 && !b.example) add(`${where}.${i}.example`, 'example_required', 'a URL with {{1}} needs an example suffix');
    }
    if (b.type === 'phone_number' && !/^\+?\d{4,20}$/.test(b.phoneNumber)) add(`${where}.${i}.phoneNumber`, 'phone_number_format', 'a phone number of at most 20 digits, with its country code');
    if (b.type === 'copy_code' && b.example.length > TEMPLATE_LIMITS.copyCode) add(`${where}.${i}.example`, 'copy_code_length', 'a sample code is at most 15 characters');
  });
}

/**
 * Media card carousel (Meta's media card carousel templates page): marketing only; the message is a body and the
 * carousel, no header, footer or buttons of its own; 2 to 10 cards, each an image or video header with its sample,
 * all of one format; a card body of at most 160 characters on every card or on none; 0 to 2 quick-reply, URL or
 * phone-number buttons, the same kinds in the same order on every card.
 */
const CAROUSEL_URL = 'https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/marketing-templates/media-card-carousel-templates';
export const CAROUSEL_LIMITS = { minCards: 2, maxCards: 10, cardBodyText: 160, cardButtons: 2, source: CAROUSEL_URL } as const;

function carouselProblems(def: TemplateDefinition, category: string, named: boolean, add: Add): void {
  const cards = def.carousel!.cards;
  if (category !== 'marketing') add('carousel', 'carousel_marketing', 'carousel templates are marketing templates only');
  if (def.header || def.footer || def.buttons) add('carousel', 'carousel_components', 'a carousel template has a body and its cards only: no header, footer or buttons of its own');
  if (cards.length < CAROUSEL_LIMITS.minCards || cards.length > CAROUSEL_LIMITS.maxCards) add('carousel.cards', 'card_count', `a carousel has 2 to 10 cards (${cards.length})`);
  const shapeOf = (c: (typeof cards)[number]) => `${c.header.format} ${c.body ? 'body' : '-'} ${(c.buttons ?? []).map((b) => b.type).join(',')}`;
  cards.forEach((card, i) => {
    const at = `carousel.cards.${i}`;
    if (!card.header.sample) add(`${at}.header.sample`, 'media_sample_required', `card ${i + 1} needs a ${card.header.format} sample (upload it with POST /v1/media and give its mediaId)`);
    if (card.body) bodyProblems(card.body, named, CAROUSEL_LIMITS.cardBodyText, `${at}.body`, add);
    const buttons = card.buttons ?? [];
    if (buttons.length > CAROUSEL_LIMITS.cardButtons) add(`${at}.buttons`, 'card_button_count', `a card has at most 2 buttons (${buttons.length})`);
    buttons.forEach((b, j) => {
      if (!['quick_reply', 'url', 'phone_number'].includes(b.type)) add(`${at}.buttons.${j}`, 'card_button_type', `a card's buttons are quick reply, URL or phone number, not ${b.type}`);
    });
    buttonProblems(buttons, `${at}.buttons`, add);
    if (i > 0 && shapeOf(card) !== shapeOf(cards[0]!)) {
      add(at, 'cards_alike', `every card has the same components as card 1 (${shapeOf(cards[0]!)}); card ${i + 1} has ${shapeOf(card)}`);
    }
  });
}

function authenticationProblems(def: TemplateDefinition, add: (path: string, rule: string, message: string) => void): TemplateRuleProblem[] {
  const auth = def.authentication!;
  const before: TemplateRuleProblem[] = [];
  const push = (path: string, rule: string, message: string) => before.push({ path: `definition.${path}`, rule, message });
  void add;
  if (def.header || def.footer || def.buttons) push('authentication', 'authentication_components', 'authentication templates take no header, footer or buttons of their own');
  if (def.body.text !== AUTHENTICATION_BODY) push('body.text', 'authentication_body', `WhatsApp writes the body: set it to "${AUTHENTICATION_BODY}"`);
  const minutes = auth.codeExpirationMinutes;
  if (minutes !== undefined && (minutes < 1 || minutes > 90)) push('authentication.codeExpirationMinutes', 'code_expiration', 'a code expires after 1 to 90 minutes');
  if (auth.buttonText && auth.buttonText.length > TEMPLATE_LIMITS.buttonText) push('authentication.buttonText', 'button_text_length', 'button text is at most 25 characters');
  if (auth.otpType === 'one_tap' && !(auth.supportedApps?.length && auth.supportedApps.every((a) => a.signatureHash.length === 11))) {
    push('authentication.supportedApps', 'one_tap_apps', 'one-tap needs the Android apps: package name and 11-character signature hash');
  }
  return before;
}
