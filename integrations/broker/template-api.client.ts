import type { TemplateDefinition } from '../../lib/template-definition';
import { placeholdersIn } from '../../lib/template-definition';
import { CloudApiError, graphTransport, type CloudApiOptions } from './cloud-api.client';

/** Template states WhatsApp reports (message_template_status_update events and the template list). */
export const templateStatuses = ['PENDING', 'APPROVED', 'REJECTED', 'PAUSED', 'DISABLED', 'IN_APPEAL', 'PENDING_DELETION'] as const;
export type TemplateStatus = (typeof templateStatuses)[number];
export const templateCategories = ['marketing', 'utility', 'authentication'] as const;
export type TemplateCategory = (typeof templateCategories)[number];

export interface BrokerTemplate {
  id: string;
  name: string;
  language: string;
  status: string;
  category: string;
  rejectedReason?: string;
}

export interface TemplateSubmission {
  name: string;
  language: string;
  category: TemplateCategory;
  definition: TemplateDefinition;
}

/** Our definition in the Cloud API's component list (upper-case types, examples for placeholders). */
export function toCloudComponents(def: TemplateDefinition): Record<string, unknown>[] {
  const components: Record<string, unknown>[] = [];
  if (def.header?.format === 'text') components.push({ type: 'HEADER', format: 'TEXT', text: def.header.text });
  if (def.header?.format === 'image') components.push({ type: 'HEADER', format: 'IMAGE' });
  components.push({ type: 'BODY', text: def.body.text });
  if (def.footer) components.push({ type: 'FOOTER', text: def.footer.text });
  if (def.buttons?.length) {
    components.push({
      type: 'BUTTONS',
      buttons: def.buttons.map((b) => (b.type === 'url' ? { type: 'URL', text: b.text, url: b.url } : { type: 'QUICK_REPLY', text: b.text })),
    });
  }
  return components;
}

/** The WhatsApp Business Account's template endpoints (Meta's Graph API or a broker mirroring it). */
export function createTemplateApiClient(options: CloudApiOptions) {
  const { base, call } = graphTransport(options);
  const json = async (response: Response) => (await response.json()) as Record<string, unknown>;

  return {
    async create(wabaId: string, submission: TemplateSubmission): Promise<{ id: string; status: string; category: string }> {
      const named = placeholdersIn(submission.definition.body.text).some((p) => !/^\d+$/.test(p));
      const answer = await json(
        await call(`${base}/${encodeURIComponent(wabaId)}/message_templates`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            name: submission.name,
            language: submission.language,
            category: submission.category.toUpperCase(),
            parameter_format: named ? 'NAMED' : 'POSITIONAL',
            components: toCloudComponents(submission.definition),
          }),
        }),
      );
      if (typeof answer.id !== 'string') throw new CloudApiError(200, 0, 'broker answered without a template id', JSON.stringify(answer), true);
      return { id: answer.id, status: String(answer.status ?? 'PENDING'), category: String(answer.category ?? submission.category).toLowerCase() };
    },

    async edit(templateId: string, definition: TemplateDefinition): Promise<void> {
      await call(`${base}/${encodeURIComponent(templateId)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ components: toCloudComponents(definition) }),
      });
    },

    async remove(wabaId: string, name: string, templateId: string): Promise<void> {
      await call(`${base}/${encodeURIComponent(wabaId)}/message_templates?name=${encodeURIComponent(name)}&hsm_id=${encodeURIComponent(templateId)}`, {
        method: 'DELETE',
      });
    },

    /** Every template of the account, following the cursor pages. */
    async list(wabaId: string): Promise<BrokerTemplate[]> {
      const all: BrokerTemplate[] = [];
      let next: string | undefined = `${base}/${encodeURIComponent(wabaId)}/message_templates?limit=100&fields=id,name,language,status,category,rejected_reason`;
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
          });
        }
        next = answer.paging?.next;
      }
      return all;
    },
  };
}

export type TemplateApiClient = ReturnType<typeof createTemplateApiClient>;
