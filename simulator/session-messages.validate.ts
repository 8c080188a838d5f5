/**
 * What Meta's Cloud API refuses in a session message, written from Meta's "Send messages" pages independently of the
 * connector's own checks (the numbers are Meta's, repeated here on purpose: the simulator is the spec's stand-in).
 * Pages: https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/<type>-messages; the
 * interactive types the connector does not send are taken too, with the fields their pages require: `flow`
 * (https://developers.facebook.com/docs/whatsapp/flows/guides/sendingaflow), `product` / `product_list`
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/catalogs/single-product-messages, 30 products
 * in 10 sections at most), `catalog_message`
 * (https://developers.facebook.com/docs/whatsapp/guides/commerce-guides/share-products-with-customers), `voice_call`.
 * Errors: 131008 "Required parameter is missing", 131009 "Parameter value is not valid", 100 "Invalid parameter"
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes).
 */

export interface CloudRefusal {
  status: number;
  code: number;
  message: string;
}

type Json = Record<string, unknown>;

const missing = (field: string): CloudRefusal => ({ status: 400, code: 131008, message: `(#131008) Required parameter is missing: ${field}` });
const invalid = (field: string, why: string): CloudRefusal => ({ status: 400, code: 131009, message: `(#131009) Parameter value is not valid: ${field} ${why}` });
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const chars = (s: string) => [...s].length;

/** A string field: required or not, at most `max` characters. */
function str(obj: Json, key: string, path: string, max: number | undefined, required: boolean): CloudRefusal | null {
  const value = obj[key];
  if (value === undefined || value === '') return required ? missing(path) : null;
  if (typeof value !== 'string') return invalid(path, 'must be a string');
  if (max !== undefined && chars(value) > max) return invalid(path, `is longer than ${max} characters`);
  return null;
}

const firstOf = (...checks: (() => CloudRefusal | null)[]): CloudRefusal | null => {
  for (const check of checks) {
    const found = check();
    if (found) return found;
  }
  return null;
};

/** Uploaded media by id (or hosted by link), with a caption where the type takes one. */
function media(body: Json, type: string, caption: boolean): CloudRefusal | null {
  const m = body[type];
  if (!isObject(m)) return missing(type);
  if (m.id === undefined && m.link === undefined) return missing(`${type}.id`);
  if (!caption && m.caption !== undefined) return invalid(`${type}.caption`, `is not supported for ${type}`);
  return str(m, 'caption', `${type}.caption`, 1024, false);
}

function header(i: Json, types: string[]): CloudRefusal | null {
  if (i.header === undefined) return null;
  if (!isObject(i.header) || typeof i.header.type !== 'string' || !types.includes(i.header.type)) return invalid('interactive.header.type', `must be one of ${types.join(', ')}`);
  if (i.header.type === 'text') return str(i.header, 'text', 'interactive.header.text', 60, true);
  const m = i.header[i.header.type];
  return isObject(m) && (m.id !== undefined || m.link !== undefined) ? null : missing(`interactive.header.${i.header.type}.id`);
}

const textOf = (i: Json, key: 'body' | 'footer', max: number, required: boolean) =>
  isObject(i[key]) ? str(i[key], 'text', `interactive.${key}.text`, max, required) : required ? missing(`interactive.${key}`) : null;

function buttons(i: Json): CloudRefusal | null {
  const list = isObject(i.action) ? i.action.buttons : undefined;
  if (!Array.isArray(list) || list.length === 0) return missing('interactive.action.buttons');
  if (list.length > 3) return invalid('interactive.action.buttons', 'has more than 3 buttons');
  const ids = new Set<unknown>();
  const titles = new Set<unknown>();
  for (const [n, b] of list.entries()) {
    const reply = isObject(b) && isObject(b.reply) ? b.reply : undefined;
    if (!reply) return missing(`interactive.action.buttons[${n}].reply`);
    const found = str(reply, 'id', `interactive.action.buttons[${n}].reply.id`, 256, true) ?? str(reply, 'title', `interactive.action.buttons[${n}].reply.title`, 20, true);
    if (found) return found;
    if (ids.has(reply.id) || titles.has(reply.title)) return invalid(`interactive.action.buttons[${n}]`, 'duplicates another button id or title');
    ids.add(reply.id);
    titles.add(reply.title);
  }
  return null;
}

function list(i: Json): CloudRefusal | null {
  const action = isObject(i.action) ? i.action : undefined;
  if (!action) return missing('interactive.action');
  const sections = action.sections;
  const found = str(action, 'button', 'interactive.action.button', 20, true);
  if (found) return found;
  if (!Array.isArray(sections) || sections.length === 0) return missing('interactive.action.sections');
  if (sections.length > 10) return invalid('interactive.action.sections', 'has more than 10 sections');
  let rows = 0;
  const ids = new Set<unknown>();
  for (const [s, section] of sections.entries()) {
    if (!isObject(section) || !Array.isArray(section.rows) || section.rows.length === 0) return missing(`interactive.action.sections[${s}].rows`);
    const title = str(section, 'title', `interactive.action.sections[${s}].title`, 24, sections.length > 1);
    if (title) return title;
    for (const [r, row] of section.rows.entries()) {
      rows += 1;
      const path = `interactive.action.sections[${s}].rows[${r}]`;
      if (!isObject(row)) return missing(path);
      const bad = str(row, 'id', `${path}.id`, 200, true) ?? str(row, 'title', `${path}.title`, 24, true) ?? str(row, 'description', `${path}.description`, 72, false);
      if (bad) return bad;
      if (ids.has(row.id)) return invalid(`${path}.id`, 'duplicates another row id');
      ids.add(row.id);
    }
  }
  return rows > 10 ? invalid('interactive.action.sections', 'has more than 10 rows in total') : null;
}

function ctaUrl(i: Json): CloudRefusal | null {
  const parameters = isObject(i.action) && isObject(i.action.parameters) ? i.action.parameters : undefined;
  if (!parameters) return missing('interactive.action.parameters');
  const found = str(parameters, 'display_text', 'interactive.action.parameters.display_text', 20, true) ?? str(parameters, 'url', 'interactive.action.parameters.url', undefined, true);
  if (found) return found;
  return URL.canParse(String(parameters.url)) ? null : invalid('interactive.action.parameters.url', 'is not a URL');
}

/** An `action.name` Meta fixes for the type, and the `action` object itself. */
function named(i: Json, name: string): CloudRefusal | null {
  if (!isObject(i.action)) return missing('interactive.action');
  return i.action.name === name ? null : invalid('interactive.action.name', `must be ${name}`);
}

/** A Flow message (Flows "Sending a Flow"): version "3", a CTA, the Flow named by id or name, a screen to navigate to. */
function flow(i: Json): CloudRefusal | null {
  const p = isObject(i.action) && isObject(i.action.parameters) ? i.action.parameters : undefined;
  if (!p) return missing('interactive.action.parameters');
  if (p.flow_message_version !== '3') return invalid('interactive.action.parameters.flow_message_version', 'must be "3"');
  if (p.flow_id === undefined && p.flow_name === undefined) return missing('interactive.action.parameters.flow_id');
  const cta = str(p, 'flow_cta', 'interactive.action.parameters.flow_cta', undefined, true);
  if (cta) return cta;
  if (p.flow_action !== undefined && p.flow_action !== 'navigate' && p.flow_action !== 'data_exchange') return invalid('interactive.action.parameters.flow_action', 'must be navigate or data_exchange');
  const payload = p.flow_action_payload;
  if ((p.flow_action ?? 'navigate') === 'navigate' && payload !== undefined && !(isObject(payload) && typeof payload.screen === 'string')) return missing('interactive.action.parameters.flow_action_payload.screen');
  return null;
}

/** Multi-product message: a text header, a body, 1–10 sections of products from one catalogue, 30 products at most. */
function productList(i: Json): CloudRefusal | null {
  const action = isObject(i.action) ? i.action : undefined;
  if (!action) return missing('interactive.action');
  const found = str(action, 'catalog_id', 'interactive.action.catalog_id', undefined, true);
  if (found) return found;
  const sections = action.sections;
  if (!Array.isArray(sections) || sections.length === 0) return missing('interactive.action.sections');
  if (sections.length > 10) return invalid('interactive.action.sections', 'has more than 10 sections');
  let items = 0;
  for (const [s, section] of sections.entries()) {
    if (!isObject(section) || !Array.isArray(section.product_items) || section.product_items.length === 0) return missing(`interactive.action.sections[${s}].product_items`);
    for (const [n, item] of section.product_items.entries()) {
      items += 1;
      if (!isObject(item) || typeof item.product_retailer_id !== 'string' || item.product_retailer_id === '') return missing(`interactive.action.sections[${s}].product_items[${n}].product_retailer_id`);
    }
  }
  return items > 30 ? invalid('interactive.action.sections', 'has more than 30 products in total') : null;
}

function interactive(body: Json): CloudRefusal | null {
  const i = body.interactive;
  if (!isObject(i)) return missing('interactive');
  switch (i.type) {
    case 'button':
      return firstOf(() => header(i, ['text', 'image', 'video', 'document']), () => textOf(i, 'body', 1024, true), () => textOf(i, 'footer', 60, false), () => buttons(i));
    case 'list':
      return firstOf(() => header(i, ['text']), () => textOf(i, 'body', 4096, true), () => textOf(i, 'footer', 60, false), () => list(i));
    case 'cta_url':
      return firstOf(() => header(i, ['text', 'image', 'video', 'document']), () => textOf(i, 'body', 1024, true), () => textOf(i, 'footer', 60, false), () => ctaUrl(i));
    case 'flow':
      return firstOf(() => header(i, ['text', 'image', 'video', 'document']), () => textOf(i, 'body', 1024, true), () => textOf(i, 'footer', 60, false), () => named(i, 'flow'), () => flow(i));
    case 'product':
      return firstOf(
        () => (i.header === undefined ? null : invalid('interactive.header', 'is not supported for a single-product message')),
        () => textOf(i, 'body', 1024, false),
        () => textOf(i, 'footer', 60, false),
        () => (isObject(i.action) ? (str(i.action, 'catalog_id', 'interactive.action.catalog_id', undefined, true) ?? str(i.action, 'product_retailer_id', 'interactive.action.product_retailer_id', undefined, true)) : missing('interactive.action')),
      );
    case 'product_list':
      return firstOf(() => (i.header === undefined ? missing('interactive.header') : header(i, ['text'])), () => textOf(i, 'body', 1024, true), () => textOf(i, 'footer', 60, false), () => productList(i));
    case 'catalog_message':
      return firstOf(() => textOf(i, 'body', 1024, true), () => textOf(i, 'footer', 60, false), () => named(i, 'catalog_message'));
    case 'voice_call':
      return firstOf(() => textOf(i, 'body', 1024, true), () => named(i, 'voice_call'));
    case 'location_request_message':
      return firstOf(() => textOf(i, 'body', 1024, true), () => (isObject(i.action) && i.action.name === 'send_location' ? null : invalid('interactive.action.name', 'must be send_location')));
    default:
      return invalid('interactive.type', `${String(i.type)} is not a supported interactive type`);
  }
}

function location(body: Json): CloudRefusal | null {
  const l = body.location;
  if (!isObject(l)) return missing('location');
  for (const [key, limit] of [['latitude', 90], ['longitude', 180]] as const) {
    if (l[key] === undefined) return missing(`location.${key}`);
    const value = Number(l[key]);
    if (!Number.isFinite(value) || Math.abs(value) > limit) return invalid(`location.${key}`, `must be a number within ±${limit}`);
  }
  return null;
}

function contacts(body: Json): CloudRefusal | null {
  const cards = body.contacts;
  if (!Array.isArray(cards) || cards.length === 0) return missing('contacts');
  // contacts-messages page: "Each message can include information for up to 257 contacts".
  if (cards.length > 257) return invalid('contacts', 'has more than 257 contacts');
  for (const [n, card] of cards.entries()) {
    if (!isObject(card) || !isObject(card.name) || typeof card.name.formatted_name !== 'string' || card.name.formatted_name === '') return missing(`contacts[${n}].name.formatted_name`);
  }
  return null;
}

function reaction(body: Json): CloudRefusal | null {
  const r = body.reaction;
  if (!isObject(r)) return missing('reaction');
  if (typeof r.message_id !== 'string' || r.message_id === '') return missing('reaction.message_id');
  return typeof r.emoji === 'string' ? null : missing('reaction.emoji');
}

/** Meta's refusal of a session (non-template) send body, or null when Meta would take it. */
export function refusalOfSessionMessage(body: Json): CloudRefusal | null {
  if (body.context !== undefined && !(isObject(body.context) && typeof body.context.message_id === 'string')) return missing('context.message_id');
  switch (body.type) {
    case 'text':
      return isObject(body.text) ? str(body.text, 'body', 'text.body', 4096, true) : missing('text');
    case 'image':
    case 'video':
    case 'document':
      return media(body, body.type, true);
    case 'audio':
    case 'sticker':
      return media(body, body.type, false);
    case 'location':
      return location(body);
    case 'contacts':
      return contacts(body);
    case 'reaction':
      return reaction(body);
    case 'interactive':
      return interactive(body);
    default:
      return { status: 400, code: 100, message: `(#100) Invalid parameter: type ${String(body.type)}` };
  }
}

/** Meta's mark-as-read / typing-indicator body (typing-indicators page): `status: "read"`, the customer's wamid. */
export function refusalOfReadReceipt(body: Json): CloudRefusal | null {
  if (typeof body.message_id !== 'string' || body.message_id === '') return missing('message_id');
  if (body.typing_indicator !== undefined && !(isObject(body.typing_indicator) && body.typing_indicator.type === 'text')) return invalid('typing_indicator.type', 'must be text');
  return null;
}
