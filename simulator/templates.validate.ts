/**
 * Template creation as Meta checks it (POST /{waba-id}/message_templates and POST /{template-id}), written from
 * Meta's pages, not from lib/template-definition.ts, so the simulator catches what the connector gets wrong:
 * - overview: https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/overview
 * - components: https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/components
 * - management: https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-management
 * Errors: code 100 with the template subcodes the real API answers (2388040 length, 2388047 header, 2388072 body,
 * 2388073 footer, 2388293 parameters-to-text ratio, 2388299 parameter at start or end). Meta's pages list no 2388xxx
 * subcode: these come from third-party summaries (BSP error tables, developers' reports); the rules are Meta's.
 */
import { checkBody, checkExamples, invalid, paramsIn, str, type Check, type Component, type CreationContext } from './template-parts.validate';
import { checkAuthentication, checkButtons, checkCarousel } from './template-buttons.validate';

/** Languages WhatsApp offers for templates (Meta's "Supported languages" page), by their codes. */
export const TEMPLATE_LANGUAGES = new Set(
  ('af sq ar az bn bg ca zh_CN zh_HK zh_TW hr cs da nl en en_GB en_US et fil fi fr ka de el gu ha he hi hu id ga it ja ' +
    'kn kk rw_RW ko ky_KG lo lv lt mk ms ml mr nb fa pl pt_BR pt_PT pa ro ru sr sk sl es es_AR es_ES es_MX sw sv ta te th ' +
    'tr uk ur uz vi zu').split(' '),
);


/** The first rule a creation (or, with `edit`, an edit's components) breaks; undefined when Meta would accept it. */
export function validateTemplateCreation(body: unknown, knownHandle: (h: string) => boolean, edit?: { category: string }): Check {
  const b = (body ?? {}) as Record<string, unknown>;
  if (!edit) {
    if (!str(b.name) || !/^[a-z0-9_]{1,512}$/.test(b.name)) return invalid('name: up to 512 lower-case letters, digits and underscores');
    if (!str(b.category) || !['AUTHENTICATION', 'MARKETING', 'UTILITY'].includes(b.category.toUpperCase())) {
      return invalid('category: one of AUTHENTICATION, MARKETING, UTILITY');
    }
    if (!str(b.language) || !TEMPLATE_LANGUAGES.has(b.language)) return invalid(`language: ${String(b.language)} is not a language WhatsApp offers for templates`);
  }
  const format = b.parameter_format ?? 'POSITIONAL';
  if (format !== 'POSITIONAL' && format !== 'NAMED') return invalid('parameter_format: POSITIONAL or NAMED');
  if (!Array.isArray(b.components) || b.components.length === 0) return invalid('components: at least a BODY is required');
  const components = b.components.map((c) => ({ ...(c as Record<string, unknown>), type: String((c as { type?: unknown }).type ?? '').toUpperCase() })) as Component[];
  const kinds = components.map((c) => c.type);
  const unknownKind = kinds.find((k) => !['HEADER', 'BODY', 'FOOTER', 'BUTTONS', 'CAROUSEL'].includes(k));
  if (unknownKind !== undefined) return invalid(`components: unknown component type ${unknownKind || '(none)'}`);
  for (const kind of new Set(kinds)) if (kinds.filter((k) => k === kind).length > 1) return invalid(`components: at most one ${kind}`);
  const ctx: CreationContext = { category: edit?.category ?? String(b.category).toUpperCase(), namedFormat: format === 'NAMED', knownHandle };
  const byType = (t: string) => components.find((c) => c.type === t);
  if (ctx.category === 'AUTHENTICATION') return checkAuthentication(components, ctx);
  const bodyComponent = byType('BODY');
  if (!bodyComponent) return invalid('components: a BODY is required');
  if (byType('CAROUSEL')) {
    if (byType('HEADER') || byType('FOOTER') || byType('BUTTONS')) return invalid('components: a carousel template has a BODY and CAROUSEL only');
    return checkBody(bodyComponent, ctx) ?? checkCarousel(byType('CAROUSEL')!, ctx);
  }
  const header = byType('HEADER');
  const footer = byType('FOOTER');
  const buttons = byType('BUTTONS');
  return (header && checkHeader(header, ctx)) ?? checkBody(bodyComponent, ctx) ?? (footer && checkFooter(footer)) ?? (buttons && checkButtons(buttons, ctx));
}

function checkHeader(header: Component, ctx: CreationContext): Check {
  const format = String(header.format ?? '').toUpperCase();
  const example = (header.example ?? {}) as Record<string, unknown>;
  if (format === 'TEXT') {
    if (!str(header.text) || header.text.length === 0) return invalid('HEADER: text is required', 2388047);
    if (header.text.length > 60) return invalid(`HEADER: text is ${header.text.length} characters; at most 60`, 2388040);
    const params = paramsIn(header.text);
    if (params.length > 1) return invalid('HEADER: a text header takes at most one parameter', 2388047);
    return params.length === 1 ? checkExamples('HEADER', params, ctx, example.header_text, example.header_text_named_params, false) : undefined;
  }
  if (['IMAGE', 'VIDEO', 'DOCUMENT'].includes(format)) {
    const handle = (example.header_handle as unknown[] | undefined)?.[0];
    if (!str(handle)) return invalid(`HEADER: a ${format} header needs example.header_handle, a sample uploaded through the Resumable Upload API`);
    if (!ctx.knownHandle(handle)) return invalid(`HEADER: example.header_handle ${handle} is not an uploaded file handle`);
    return undefined;
  }
  if (format === 'LOCATION') return undefined;
  return invalid(`HEADER: format must be TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION, not ${format || '(none)'}`, 2388047);
}


function checkFooter(footer: Component): Check {
  if (!str(footer.text) || footer.text.length === 0) return invalid('FOOTER: text is required', 2388073);
  if (footer.text.length > 60) return invalid(`FOOTER: text is ${footer.text.length} characters; at most 60`, 2388040);
  if (paramsIn(footer.text).length > 0) return invalid('FOOTER: a footer takes no parameters', 2388073);
  return undefined;
}
