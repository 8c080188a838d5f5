/**
 * Buttons, authentication and carousel templates as Meta checks them at creation, from Meta's pages:
 * - buttons: https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/components#buttons
 * - authentication: https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/authentication-templates
 * - media card carousel: https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/marketing-templates/media-card-carousel-templates
 */
import { checkBody, invalid, paramsIn, type Check, type Component, type CreationContext } from './template-parts.validate';

const str = (v: unknown): v is string => typeof v === 'string';
type Button = Record<string, unknown> & { type: string };

/** At most 10 buttons; quick replies grouped together; 2 URL, 1 phone number, 1 copy code, 1 Flow; texts 1-25. */
export function checkButtons(component: Component, ctx: CreationContext, allowed = ['QUICK_REPLY', 'URL', 'PHONE_NUMBER', 'COPY_CODE', 'FLOW'], max = 10): Check {
  const raw = component.buttons;
  if (!Array.isArray(raw) || raw.length === 0) return invalid('BUTTONS: at least one button');
  if (raw.length > max) return invalid(`BUTTONS: at most ${max} buttons; ${raw.length} given`);
  const buttons = raw.map((b) => ({ ...(b as Record<string, unknown>), type: String((b as { type?: unknown }).type ?? '').toUpperCase() })) as Button[];
  const count = (t: string) => buttons.filter((b) => b.type === t).length;
  const wrong = buttons.find((b) => !allowed.includes(b.type));
  if (wrong) return invalid(`BUTTONS: type ${wrong.type || '(none)'} is not allowed here (${allowed.join(', ')})`);
  if (count('URL') > 2) return invalid('BUTTONS: at most 2 URL buttons');
  if (count('PHONE_NUMBER') > 1) return invalid('BUTTONS: at most 1 PHONE_NUMBER button');
  if (count('COPY_CODE') > 1) return invalid('BUTTONS: at most 1 COPY_CODE button');
  if (count('FLOW') > 1) return invalid('BUTTONS: at most 1 FLOW button');
  const quick = buttons.map((b) => b.type === 'QUICK_REPLY');
  const firstQuick = quick.indexOf(true);
  const lastQuick = quick.lastIndexOf(true);
  if (firstQuick !== -1 && quick.slice(firstQuick, lastQuick + 1).includes(false)) {
    return invalid('BUTTONS: quick reply buttons must be grouped together, not mixed between other buttons');
  }
  for (const [i, b] of buttons.entries()) {
    const problem = checkButton(b, i, ctx);
    if (problem) return problem;
  }
  return undefined;
}

function checkButton(b: Button, i: number, ctx: CreationContext): Check {
  const where = `BUTTONS[${i}] ${b.type}`;
  if (b.type !== 'COPY_CODE') {
    if (!str(b.text) || b.text.length === 0) return invalid(`${where}: text is required`);
    if (b.text.length > 25) return invalid(`${where}: text is ${b.text.length} characters; at most 25`, 2388040);
    if (paramsIn(b.text).length > 0) return invalid(`${where}: button text takes no parameters`);
  }
  if (b.type === 'URL') {
    if (!str(b.url) || !/^https?:\/\/[^\s]+$/.test(b.url)) return invalid(`${where}: url must be an http(s) URL`);
    if (b.url.length > 2000) return invalid(`${where}: url is ${b.url.length} characters; at most 2000`, 2388040);
    const params = paramsIn(b.url);
    if (params.length > 1 || (params.length === 1 && !/\{\{1\}\}$/.test(b.url))) return invalid(`${where}: a URL takes one parameter, {{1}}, at its end`);
    if (params.length === 1 && !(Array.isArray(b.example) && str(b.example[0]) && b.example[0].length > 0)) {
      return invalid(`${where}: example (the full URL with a sample value) is required for a URL with a parameter`);
    }
  }
  if (b.type === 'PHONE_NUMBER' && !(str(b.phone_number) && /^\+?\d{4,20}$/.test(b.phone_number))) {
    return invalid(`${where}: phone_number is required, at most 20 characters`);
  }
  if (b.type === 'COPY_CODE' && !(str(b.example) && b.example.length > 0 && b.example.length <= 15)) {
    return invalid(`${where}: example (the sample code) is required, at most 15 characters`);
  }
  if (b.type === 'FLOW' && !str(b.flow_id) && !str(b.flow_name) && !str(b.flow_json)) {
    return invalid(`${where}: one of flow_id, flow_name or flow_json is required`);
  }
  if (b.type === 'FLOW' && b.flow_action !== undefined && !['navigate', 'data_exchange'].includes(String(b.flow_action))) {
    return invalid(`${where}: flow_action is navigate or data_exchange`);
  }
  void ctx;
  return undefined;
}

/**
 * Authentication: WhatsApp writes the text itself. BODY may carry only `add_security_recommendation`, FOOTER only
 * `code_expiration_minutes` (1-90), and BUTTONS one OTP button (COPY_CODE, ONE_TAP or ZERO_TAP; the latter two name
 * the Android app by `supported_apps`). No HEADER.
 */
export function checkAuthentication(components: Component[], _ctx: CreationContext): Check {
  for (const c of components) {
    if (c.type === 'HEADER' || c.type === 'CAROUSEL') return invalid(`AUTHENTICATION: templates take no ${c.type}`);
    if (c.type === 'BODY' && c.text !== undefined) return invalid('AUTHENTICATION: BODY text is preset by WhatsApp; give add_security_recommendation only');
    if (c.type === 'BODY' && c.add_security_recommendation !== undefined && typeof c.add_security_recommendation !== 'boolean') {
      return invalid('AUTHENTICATION: add_security_recommendation is a boolean');
    }
    if (c.type === 'FOOTER') {
      const minutes = c.code_expiration_minutes;
      if (c.text !== undefined) return invalid('AUTHENTICATION: FOOTER text is preset; give code_expiration_minutes only');
      if (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes < 1 || minutes > 90) {
        return invalid('AUTHENTICATION: code_expiration_minutes is an integer from 1 to 90');
      }
    }
  }
  if (!components.some((c) => c.type === 'BODY')) return invalid('AUTHENTICATION: a BODY component is required');
  const buttons = components.find((c) => c.type === 'BUTTONS')?.buttons;
  if (!Array.isArray(buttons) || buttons.length !== 1) return invalid('AUTHENTICATION: exactly one OTP button');
  const otp = buttons[0] as Record<string, unknown>;
  if (String(otp.type).toUpperCase() !== 'OTP') return invalid('AUTHENTICATION: the button is of type OTP');
  const kind = String(otp.otp_type ?? '').toUpperCase();
  if (!['COPY_CODE', 'ONE_TAP', 'ZERO_TAP'].includes(kind)) return invalid('AUTHENTICATION: otp_type is COPY_CODE, ONE_TAP or ZERO_TAP');
  if (otp.text !== undefined && (!str(otp.text) || otp.text.length > 25)) return invalid('AUTHENTICATION: button text at most 25 characters', 2388040);
  if (kind !== 'COPY_CODE') {
    const apps = otp.supported_apps;
    const ok = Array.isArray(apps) && apps.length > 0 && apps.length <= 5 && apps.every((a) => str((a as Record<string, unknown>).package_name) && str((a as Record<string, unknown>).signature_hash) && ((a as Record<string, string>).signature_hash ?? '').length === 11);
    if (!ok) return invalid(`AUTHENTICATION: ${kind} needs supported_apps (1-5 of package_name and an 11-character signature_hash)`);
  }
  return undefined;
}

/**
 * Media card carousel: MARKETING only; 2-10 cards; each an IMAGE or VIDEO header with a handle, a body (160) on every
 * card or none, 0-2 quick-reply, URL or phone-number buttons; all cards alike ("All cards defined on a template must
 * have the same components"; "can optionally include a body text and up to two buttons").
 */
export function checkCarousel(carousel: Component, ctx: CreationContext): Check {
  if (ctx.category !== 'MARKETING') return invalid('CAROUSEL: carousel templates are MARKETING templates only');
  const cards = carousel.cards;
  if (!Array.isArray(cards) || cards.length < 2 || cards.length > 10) return invalid('CAROUSEL: 2 to 10 cards');
  let shape: string | undefined;
  for (const [i, card] of (cards as { components?: unknown }[]).entries()) {
    const parts = (Array.isArray(card.components) ? card.components : []).map((c) => ({ ...(c as Record<string, unknown>), type: String((c as { type?: unknown }).type ?? '').toUpperCase() })) as Component[];
    const header = parts.find((c) => c.type === 'HEADER');
    const format = String(header?.format ?? '').toUpperCase();
    if (!header || !['IMAGE', 'VIDEO'].includes(format)) return invalid(`CAROUSEL cards[${i}]: an IMAGE or VIDEO header is required`);
    const handle = ((header.example as Record<string, unknown> | undefined)?.header_handle as unknown[] | undefined)?.[0];
    if (!str(handle) || !ctx.knownHandle(handle)) return invalid(`CAROUSEL cards[${i}]: header example.header_handle must be an uploaded file handle`);
    const body = parts.find((c) => c.type === 'BODY');
    if (body) {
      const problem = checkBody(body, ctx, 160, `CAROUSEL cards[${i}] BODY`);
      if (problem) return problem;
    }
    const buttons = parts.find((c) => c.type === 'BUTTONS');
    const problem = buttons && checkButtons(buttons, ctx, ['QUICK_REPLY', 'URL', 'PHONE_NUMBER'], 2);
    if (problem) return problem;
    const kinds = buttons ? (buttons.buttons as { type?: string }[]).map((b) => String(b.type).toUpperCase()).join(',') : '';
    const cardShape = `${format}:${kinds}:${body ? 'body' : ''}`;
    if (shape !== undefined && cardShape !== shape) return invalid(`CAROUSEL cards[${i}]: every card has the same header format, body presence and buttons`);
    shape = cardShape;
  }
  return undefined;
}
