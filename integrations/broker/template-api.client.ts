import { isNamed, placeholdersIn, type TemplateButton, type TemplateDefinition } from '../../lib/template-definition';
import { CloudApiError, graphTransport, type CloudApiOptions } from './cloud-api.client';

/**
 * Template states WhatsApp reports (message_template_status_update events and the template list). DELETED: the
 * template is gone at WhatsApp (Meta's DELETED event; here also a template Meta's list no longer holds, looked at by
 * the sync and after a send refused with 132001): it cannot be sent and may be created again.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/message_template_status_update
 */
export const templateStatuses = ['PENDING', 'APPROVED', 'REJECTED', 'PAUSED', 'DISABLED', 'IN_APPEAL', 'PENDING_DELETION', 'DELETED'] as const;
export type TemplateStatus = (typeof templateStatuses)[number];
export const templateCategories = ['marketing', 'utility', 'authentication'] as const;
export type TemplateCategory = (typeof templateCategories)[number];
/** Whether WhatsApp's `status` (a webhook's, the list's) is one of {@link templateStatuses}. */
export const isTemplateStatus = (value: string): value is TemplateStatus => (templateStatuses as readonly string[]).includes(value);
/** Whether WhatsApp's `category` (as the list writes it, lower case) is one of {@link templateCategories}. */
export const isTemplateCategory = (value: string): value is TemplateCategory => (templateCategories as readonly string[]).includes(value);

export interface BrokerTemplate {
  id: string;
  name: string;
  language: string;
  status: string;
  category: string;
  rejectedReason?: string;
  /** The BODY component's text ({{1}} or {{name}} placeholders), when the list gave components. */
  body?: string;
}

/** The BODY component's text of a template as Meta lists it (`components[{type: "BODY", text}]`). */
function bodyTextOf(components: unknown): string | undefined {
  if (!Array.isArray(components)) return undefined;
  const body = components.find((c): c is { type: string; text?: unknown } => typeof c === 'object' && c !== null && String((c as { type?: unknown }).type).toUpperCase() === 'BODY');
  return typeof body?.text === 'string' ? body.text : undefined;
}

export interface TemplateSubmission {
  name: string;
  language: string;
  category: TemplateCategory;
  definition: TemplateDefinition;
  /** Header samples already uploaded (uploadSample), by our media id. */
  handles?: SampleHandles;
}

/** Header samples as WhatsApp file handles (from the Resumable Upload API), by our media id. */
export type SampleHandles = Record<string, string>;

const positionalExamples = (text: string, examples: TemplateDefinition['body']['examples']) =>
  placeholdersIn(text).map((_p, i) => (Array.isArray(examples) ? examples[i] : undefined) ?? '');
const namedExamples = (text: string, examples: TemplateDefinition['body']['examples']) =>
  placeholdersIn(text).map((name) => ({ param_name: name, example: (examples && !Array.isArray(examples) ? examples[name] : undefined) ?? '' }));

function toCloudButton(b: TemplateButton): Record<string, unknown> {
  switch (b.type) {
    case 'quick_reply':
      return { type: 'QUICK_REPLY', text: b.text };
    case 'url':
      return { type: 'URL', text: b.text, url: b.url, ...(b.example ? { example: [b.url.replace('{{1}}', b.example)] } : {}) };
    case 'phone_number':
      return { type: 'PHONE_NUMBER', text: b.text, phone_number: b.phoneNumber };
    case 'copy_code':
      return { type: 'COPY_CODE', example: b.example };
    case 'flow':
      return { type: 'FLOW', text: b.text, flow_id: b.flowId, ...(b.flowAction ? { flow_action: b.flowAction } : {}), ...(b.navigateScreen ? { navigate_screen: b.navigateScreen } : {}) };
  }
}

/**
 * Our definition in the Cloud API's component list: upper-case types, `example` values for every placeholder and
 * `header_handle` for a media header (components reference). Authentication templates become Meta's preset shape.
 */
export function toCloudComponents(def: TemplateDefinition, handles: SampleHandles = {}): Record<string, unknown>[] {
  const named = isNamed(def);
  if (def.authentication) {
    const a = def.authentication;
    return [
      { type: 'BODY', ...(a.addSecurityRecommendation !== undefined ? { add_security_recommendation: a.addSecurityRecommendation } : {}) },
      ...(a.codeExpirationMinutes !== undefined ? [{ type: 'FOOTER', code_expiration_minutes: a.codeExpirationMinutes }] : []),
      {
        type: 'BUTTONS',
        buttons: [
          {
            type: 'OTP',
            otp_type: a.otpType.toUpperCase(),
            ...(a.buttonText ? { text: a.buttonText } : {}),
            ...(a.supportedApps ? { supported_apps: a.supportedApps.map((app) => ({ package_name: app.packageName, signature_hash: app.signatureHash })) } : {}),
          },
        ],
      },
    ];
  }
  const components: Record<string, unknown>[] = [];
  const header = def.header;
  if (header?.format === 'text') {
    const example = header.example && placeholdersIn(header.text).length === 1
      ? { example: named ? { header_text_named_params: [{ param_name: placeholdersIn(header.text)[0], example: header.example }] } : { header_text: [header.example] } }
      : {};
    components.push({ type: 'HEADER', format: 'TEXT', text: header.text, ...example });
  }
  if (header?.format === 'location') components.push({ type: 'HEADER', format: 'LOCATION' });
  if (header && (header.format === 'image' || header.format === 'video' || header.format === 'document')) {
    const handle = header.sample ? handles[header.sample.mediaId] : undefined;
    components.push({ type: 'HEADER', format: header.format.toUpperCase(), ...(handle ? { example: { header_handle: [handle] } } : {}) });
  }
  components.push(toCloudBody(def.body, named));
  if (def.footer) components.push({ type: 'FOOTER', text: def.footer.text });
  if (def.buttons?.length) components.push({ type: 'BUTTONS', buttons: def.buttons.map(toCloudButton) });
  // Media card carousel page: the message BODY, then CAROUSEL with each card's HEADER (its handle), BODY and BUTTONS.
  if (def.carousel) {
    const cards = def.carousel.cards.map((card) => {
      const handle = card.header.sample ? handles[card.header.sample.mediaId] : undefined;
      return {
        components: [
          { type: 'HEADER', format: card.header.format.toUpperCase(), ...(handle ? { example: { header_handle: [handle] } } : {}) },
          ...(card.body ? [toCloudBody(card.body, named)] : []),
          ...(card.buttons?.length ? [{ type: 'BUTTONS', buttons: card.buttons.map(toCloudButton) }] : []),
        ],
      };
    });
    components.push({ type: 'CAROUSEL', cards });
  }
  return components;
}

/** A BODY with its `example` values: `body_text` (one list, nested once) or `body_text_named_params`. */
function toCloudBody(body: { text: string; examples?: TemplateDefinition['body']['examples'] }, named: boolean): Record<string, unknown> {
  const example = placeholdersIn(body.text).length === 0
    ? {}
    : { example: named ? { body_text_named_params: namedExamples(body.text, body.examples) } : { body_text: [positionalExamples(body.text, body.examples)] } };
  return { type: 'BODY', text: body.text, ...example };
}

/** The WhatsApp Business Account's template endpoints (Meta's Graph API or a broker mirroring it). */
export function createTemplateApiClient(options: CloudApiOptions) {
  const { base, call } = graphTransport(options);
  const json = async (response: Response) => (await response.json()) as Record<string, unknown>;

  return {
    async create(wabaId: string, submission: TemplateSubmission): Promise<{ id: string; status: string; category: string }> {
      const named = isNamed(submission.definition);
      const answer = await json(
        await call(`${base}/${encodeURIComponent(wabaId)}/message_templates`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            name: submission.name,
            language: submission.language,
            category: submission.category.toUpperCase(),
            parameter_format: named ? 'NAMED' : 'POSITIONAL',
            components: toCloudComponents(submission.definition, submission.handles),
          }),
        }),
      );
      if (typeof answer.id !== 'string') throw new CloudApiError(200, 0, 'broker answered without a template id', JSON.stringify(answer), true);
      return { id: answer.id, status: String(answer.status ?? 'PENDING'), category: String(answer.category ?? submission.category).toLowerCase() };
    },

    async edit(templateId: string, definition: TemplateDefinition, handles: SampleHandles = {}): Promise<void> {
      await call(`${base}/${encodeURIComponent(templateId)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ parameter_format: isNamed(definition) ? 'NAMED' : 'POSITIONAL', components: toCloudComponents(definition, handles) }),
      });
    },

    /**
     * Uploads a header sample through Meta's Resumable Upload API (https://developers.facebook.com/docs/graph-api/resumable-upload-api):
     * opens a session on the app, sends the bytes from offset 0, answers the file handle (`h`) for `header_handle`.
     */
    async uploadSample(appId: string, bytes: Buffer, mimeType: string): Promise<string> {
      const query = `file_length=${bytes.length}&file_type=${encodeURIComponent(mimeType)}`;
      const session = await json(await call(`${base}/${encodeURIComponent(appId)}/uploads?${query}`, { method: 'POST' }));
      if (typeof session.id !== 'string') throw new CloudApiError(200, 0, 'broker answered without an upload session', JSON.stringify(session), true);
      const done = await json(
        await call(`${base}/${session.id}`, {
          method: 'POST',
          headers: { authorization: `OAuth ${options.accessToken}`, file_offset: '0', 'content-type': 'application/octet-stream' },
          body: new Uint8Array(bytes),
        }),
      );
      if (typeof done.h !== 'string') throw new CloudApiError(200, 0, 'broker answered without a file handle', JSON.stringify(done), true);
      return done.h;
    },

    async remove(wabaId: string, name: string, templateId: string): Promise<void> {
      await call(`${base}/${encodeURIComponent(wabaId)}/message_templates?name=${encodeURIComponent(name)}&hsm_id=${encodeURIComponent(templateId)}`, {
        method: 'DELETE',
      });
    },

    /** Every template of the account, following the cursor pages. */
    async list(wabaId: string): Promise<BrokerTemplate[]> {
      const all: BrokerTemplate[] = [];
      let next: string | undefined = `${base}/${encodeURIComponent(wabaId)}/message_templates?limit=100&fields=id,name,language,status,category,rejected_reason,components`;
      for (let page = 0; next && page < 1_000; page += 1) {
        const answer = (await json(await call(next, {}))) as { data?: Record<string, unknown>[]; paging?: { next?: string } };
        for (const t of answer.data ?? []) {
          all.push({
            id: String(t.id),
            name: String(t.name),
            language: String(t.language),
            status: String(t.status),
            category: String(t.category).toLowerCase(),
            ...(typeof t.rejected_reason === 'string' && t.rejected_reason !== 'NONE' ? { rejectedReason: t.rejected_reason } : {}),
            ...(bodyTextOf(t.components) !== undefined ? { body: bodyTextOf(t.components)! } : {}),
          });
        }
        next = answer.paging?.next;
      }
      return all;
    },
  };
}

export type TemplateApiClient = ReturnType<typeof createTemplateApiClient>;
