import type { Logger } from 'pino';
import { templateStatuses, type TemplateApiClient, type TemplateCategory, type TemplateStatus } from '../integrations/broker/template-api.client';
import { AppError } from '../lib/errors';
import type { TemplateDefinition } from '../lib/template-definition';
import type { Store } from '../store/db';
import type { TemplateDoc } from '../store/documents';
import { findNumber } from '../store/numbers.store';
import {
  findTemplateByKey,
  findTemplatesByBrokerId,
  insertTemplate,
  listTemplates,
  templateKey,
  updateTemplate,
  type TemplateFilter,
} from '../store/templates.store';

export interface TemplateServiceDeps {
  store: Store;
  broker: TemplateApiClient;
  /** The WhatsApp Business Account for numbers registered without one. */
  defaultWabaId?: string;
  logger: Logger;
}

export interface NewTemplate {
  businessNumberId: string;
  name: string;
  language: string;
  category: TemplateCategory;
  definition: TemplateDefinition;
}

const isStatus = (value: string): value is TemplateStatus => (templateStatuses as readonly string[]).includes(value);
const isCategory = (value: string): value is TemplateCategory => ['marketing', 'utility', 'authentication'].includes(value);

/**
 * Template lifecycle: supervisors create, edit and retire templates here; WhatsApp decides their status, which
 * arrives by webhook (message_template_status_update, template_category_update) and by the periodic sync.
 */
export function createTemplateService({ store, broker, defaultWabaId, logger }: TemplateServiceDeps) {
  async function wabaFor(businessNumberId: string): Promise<string> {
    const number = await findNumber(store, businessNumberId);
    if (!number) throw new AppError('unknown_number', `Register business number ${businessNumberId} first (POST /v1/numbers)`);
    const waba = number.wabaId ?? defaultWabaId;
    if (!waba) throw new AppError('unknown_number', `Number ${businessNumberId} has no WhatsApp Business Account id, and no default is configured`);
    return waba;
  }

  async function requireTemplate(key: string): Promise<TemplateDoc> {
    const doc = await findTemplateByKey(store, key);
    if (!doc) throw new AppError('unknown_template', `No template ${key}`);
    return doc;
  }

  /** message_template_status_update: names the template by WhatsApp's id (and name and language). */
  async function applyStatusEvent(event: { templateId: string; status: string; reason?: string }, source: 'webhook' | 'sync'): Promise<number> {
    if (!isStatus(event.status)) {
      logger.warn({ event }, 'template status WhatsApp reported is unknown here; ignored');
      return 0;
    }
    const reason = event.reason && event.reason !== 'NONE' ? event.reason : undefined;
    let changed = 0;
    for (const doc of await findTemplatesByBrokerId(store, event.templateId)) {
      // Webhooks and the sync report the same change: apply it once.
      if (doc.status === event.status && (reason === undefined || doc.rejectedReason === reason)) continue;
      await updateTemplate(store, doc._id, { status: event.status, ...(reason ? { rejectedReason: reason } : {}) }, { status: event.status, source, ...(reason ? { reason } : {}) });
      changed += 1;
    }
    return changed;
  }

  /** template_category_update: WhatsApp re-categorised a template (it prices differently). */
  async function applyCategoryEvent(event: { templateId: string; category: string }, source: 'webhook' | 'sync'): Promise<number> {
    const category = event.category.toLowerCase();
    if (!isCategory(category)) return 0;
    let changed = 0;
    for (const doc of await findTemplatesByBrokerId(store, event.templateId)) {
      if (doc.category === category) continue;
      await updateTemplate(store, doc._id, { category }, { status: doc.status, category, source });
      changed += 1;
    }
    return changed;
  }

  return {
    /** Submits to WhatsApp first: a template the broker refused is never stored. */
    async create(input: NewTemplate, by: string): Promise<TemplateDoc> {
      const key = templateKey(input.businessNumberId, input.name, input.language);
      if (await findTemplateByKey(store, key)) throw new AppError('template_exists', `${input.name} (${input.language}) already exists on ${input.businessNumberId}`);
      const wabaId = await wabaFor(input.businessNumberId);
      const submitted = await broker.create(wabaId, input);
      const status = isStatus(submitted.status) ? submitted.status : 'PENDING';
      const category = isCategory(submitted.category) ? submitted.category : input.category;
      const now = new Date();
      const doc: TemplateDoc = {
        _id: key,
        businessNumberId: input.businessNumberId,
        name: input.name,
        language: input.language,
        category,
        status,
        body: input.definition.body.text,
        definition: input.definition,
        brokerTemplateId: submitted.id,
        wabaId,
        history: [{ status, category, at: now, source: 'api' }],
        createdBy: by,
        updatedAt: now,
      };
      if (!(await insertTemplate(store, doc))) throw new AppError('template_exists', `${input.name} (${input.language}) already exists on ${input.businessNumberId}`);
      return doc;
    },

    /** An edit goes back to WhatsApp for review: the template is PENDING (not sendable) until approved again. */
    async edit(key: string, definition: TemplateDefinition, by: string): Promise<TemplateDoc> {
      const doc = await requireTemplate(key);
      if (!doc.brokerTemplateId) throw new AppError('unknown_template', `${key} was never submitted to WhatsApp; retire it and create it again`);
      await broker.edit(doc.brokerTemplateId, definition);
      await updateTemplate(store, key, { definition, body: definition.body.text, status: 'PENDING' }, { status: 'PENDING', source: 'api', reason: `edited by ${by}` });
      return requireTemplate(key);
    },

    async retire(key: string, by: string): Promise<TemplateDoc> {
      const doc = await requireTemplate(key);
      if (doc.brokerTemplateId && doc.wabaId) await broker.remove(doc.wabaId, doc.name, doc.brokerTemplateId);
      await updateTemplate(store, key, { status: 'PENDING_DELETION' }, { status: 'PENDING_DELETION', source: 'api', reason: `retired by ${by}` });
      return requireTemplate(key);
    },

    get: requireTemplate,
    list: (filter: TemplateFilter) => listTemplates(store, filter),
    applyStatusEvent,
    applyCategoryEvent,

    /** The safety net for lost webhooks: asks WhatsApp for every template of the accounts we use and applies what differs. */
    async sync(): Promise<{ accounts: number; checked: number; changed: number }> {
      const accounts = new Set((await listTemplates(store, {})).map((t) => t.wabaId).filter((w): w is string => Boolean(w)));
      let checked = 0;
      let changed = 0;
      for (const wabaId of accounts) {
        for (const remote of await broker.list(wabaId)) {
          checked += 1;
          changed += await applyStatusEvent({ templateId: remote.id, status: remote.status, ...(remote.rejectedReason ? { reason: remote.rejectedReason } : {}) }, 'sync');
          changed += await applyCategoryEvent({ templateId: remote.id, category: remote.category }, 'sync');
        }
      }
      return { accounts: accounts.size, checked, changed };
    },
  };
}

export type TemplateService = ReturnType<typeof createTemplateService>;
