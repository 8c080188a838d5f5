import type { Logger } from 'pino';
import { isTemplateCategory, isTemplateStatus, type TemplateApiClient, type TemplateCategory } from '../integrations/broker/template-api.client';
import { AppError } from '../lib/errors';
import type { TemplateDefinition } from '../lib/template-definition';
import { APPROVED_EDIT_LIMITS, nextEditAllowedAt, templateEditProblems, templateRuleProblems } from '../lib/template-rules';
import { findMedia, readMedia } from '../store/media.store';
import { importListed, markMissingDeleted } from './template-sync';
import type { SampleHandles } from '../integrations/broker/template-api.client';

/** File types Meta takes as header samples (Resumable Upload API file_type values). */
const SAMPLE_TYPES = { image: ['image/jpeg', 'image/png'], video: ['video/mp4'], document: ['application/pdf'] } as const satisfies Record<string, readonly string[]>;
import type { Store } from '../store/db';
import type { TemplateDoc } from '../store/documents';
import { findNumber, listNumbers } from '../store/numbers.store';
import {
  findTemplateByKey,
  findTemplatesByBrokerId,
  insertTemplate,
  listSubmittedTemplates,
  listTemplates,
  recreateDeletedTemplate,
  templateKey,
  updateTemplate,
  type TemplateFilter,
} from '../store/templates.store';

export interface TemplateServiceDeps {
  store: Store;
  broker: TemplateApiClient;
  /** The WhatsApp Business Account for numbers registered without one. */
  defaultWabaId?: string;
  /** The Meta app header samples are uploaded to (Resumable Upload API); default `app`, the token's app. */
  appId?: string;
  logger: Logger;
}

export interface NewTemplate {
  businessNumberId: string;
  name: string;
  language: string;
  category: TemplateCategory;
  definition: TemplateDefinition;
}

/**
 * Template lifecycle: supervisors create, edit and retire templates here; WhatsApp decides their status, which
 * arrives by webhook (message_template_status_update, template_category_update) and by the periodic sync.
 */
export function createTemplateService({ store, broker, defaultWabaId, appId = 'app', logger }: TemplateServiceDeps) {
  /** Meta's rules first (422, nothing submitted), then the header's and the carousel cards' samples uploaded as file handles. */
  async function prepare(definition: TemplateDefinition, category: string): Promise<SampleHandles> {
    const problems = templateRuleProblems(definition, category);
    if (problems.length > 0) throw new AppError('template_invalid', problems.map((p) => p.message).join('; '), { errors: problems });
    // The header's sample and every carousel card's, each uploaded once as a file handle.
    const samples = [
      ...(definition.header && 'sample' in definition.header && definition.header.sample ? [{ format: definition.header.format, mediaId: definition.header.sample.mediaId, path: 'definition.header.sample' }] : []),
      ...(definition.carousel?.cards ?? []).flatMap((c, i) => (c.header.sample ? [{ format: c.header.format, mediaId: c.header.sample.mediaId, path: `definition.carousel.cards.${i}.header.sample` }] : [])),
    ];
    const handles: SampleHandles = {};
    for (const sample of samples) {
      if (handles[sample.mediaId]) continue;
      const media = await findMedia(store, sample.mediaId);
      if (!media) throw new AppError('unknown_media', `Upload the ${sample.format} sample first (POST /v1/media); no media ${sample.mediaId}`);
      const types = SAMPLE_TYPES[sample.format as keyof typeof SAMPLE_TYPES] as readonly string[];
      if (!types.includes(media.metadata.mimeType)) {
        const errors = [{ path: sample.path, rule: 'media_sample_type', message: `a ${sample.format} header takes ${types.join(' or ')}, not ${media.metadata.mimeType}` }];
        throw new AppError('template_invalid', errors[0]!.message, { errors });
      }
      handles[sample.mediaId] = await broker.uploadSample(appId, await readMedia(store, sample.mediaId), media.metadata.mimeType);
    }
    return handles;
  }

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
  async function applyStatusEvent(reported: { templateId: string; status: string; reason?: string }, source: 'webhook' | 'sync'): Promise<number> {
    // REINSTATED ends a pause: the template is APPROVED again (message_template_status_update reference). It used to be
    // ignored as unknown, leaving the template PAUSED here for good.
    const event = reported.status === 'REINSTATED' ? { ...reported, status: 'APPROVED' } : reported;
    if (!isTemplateStatus(event.status)) {
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
    if (!isTemplateCategory(category)) return 0;
    let changed = 0;
    for (const doc of await findTemplatesByBrokerId(store, event.templateId)) {
      if (doc.category === category) continue;
      await updateTemplate(store, doc._id, { category }, { status: doc.status, category, source });
      changed += 1;
    }
    return changed;
  }

  /** message_template_quality_update: WhatsApp re-scored a template (GREEN, YELLOW, RED, UNKNOWN). */
  async function applyQualityEvent(event: { templateId: string; quality: string }): Promise<number> {
    let changed = 0;
    for (const doc of await findTemplatesByBrokerId(store, event.templateId)) {
      if (doc.quality === event.quality) continue;
      await store.templates.updateOne({ _id: doc._id }, { $set: { quality: event.quality, updatedAt: new Date() } });
      changed += 1;
    }
    return changed;
  }

  return {
    /**
     * Submits to WhatsApp first: a template the broker refused is never stored. 409 template_exists when the number
     * has it in that language, unless it is DELETED (WhatsApp no longer holds it): then it is submitted anew.
     */
    async create(input: NewTemplate, by: string): Promise<TemplateDoc> {
      const key = templateKey(input.businessNumberId, input.name, input.language);
      // A DELETED one (WhatsApp no longer holds it) may be created again, as WhatsApp allows: it keeps its history.
      const existing = await findTemplateByKey(store, key);
      if (existing && existing.status !== 'DELETED') throw new AppError('template_exists', `${input.name} (${input.language}) already exists on ${input.businessNumberId}`);
      const wabaId = await wabaFor(input.businessNumberId);
      const handles = await prepare(input.definition, input.category);
      const submitted = await broker.create(wabaId, { ...input, handles });
      const status = isTemplateStatus(submitted.status) ? submitted.status : 'PENDING';
      const category = isTemplateCategory(submitted.category) ? submitted.category : input.category;
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
      if (!(existing ? await recreateDeletedTemplate(store, doc) : await insertTemplate(store, doc))) throw new AppError('template_exists', `${input.name} (${input.language}) already exists on ${input.businessNumberId}`);
      return doc;
    },

    /**
   * An edit goes back to WhatsApp for review: the template is PENDING (not sendable) until approved again. Only an
   * APPROVED, REJECTED or PAUSED template may be edited (template_invalid, rule editable_status, otherwise), and an
   * APPROVED one once in 24 hours and 10 times in 30 days (429 template_edit_limit_reached with retryAt).
   */
    async edit(key: string, definition: TemplateDefinition, by: string): Promise<TemplateDoc> {
      const doc = await requireTemplate(key);
      if (!doc.brokerTemplateId) throw new AppError('unknown_template', `${key} was never submitted to WhatsApp; retire it and create it again`);
      // Checked here, not left to WhatsApp's refusal (a 502): a template in review is not editable (422, rule named).
      const locked = templateEditProblems(doc.status);
      if (locked.length > 0) throw new AppError('template_invalid', locked[0]!.message, { errors: locked });
      // WhatsApp's edit limit on approved templates, from the edits we made (edits made elsewhere, e.g. in WhatsApp
      // Manager, we cannot see: WhatsApp's own refusal then answers 502 broker_refused with its words).
      const approvedEdits = (doc.history ?? []).filter((h) => h.editedFrom === 'APPROVED').map((h) => new Date(h.at));
      const retryAt = nextEditAllowedAt(doc.status, approvedEdits, new Date());
      if (retryAt) {
        throw new AppError(
          'template_edit_limit_reached',
          `${doc.name} (${doc.language}) is APPROVED and was edited ${approvedEdits.length} time(s) already; WhatsApp allows ${APPROVED_EDIT_LIMITS.perDay} edit in 24 hours and ${APPROVED_EDIT_LIMITS.per30Days} in 30 days. Next edit from ${retryAt.toISOString()}`,
          { retryAt: retryAt.toISOString() },
        );
      }
      await broker.edit(doc.brokerTemplateId, definition, await prepare(definition, doc.category));
      await updateTemplate(store, key, { definition, body: definition.body.text, status: 'PENDING' }, { status: 'PENDING', source: 'api', reason: `edited by ${by}`, editedFrom: doc.status });
      return requireTemplate(key);
    },

    async retire(key: string, by: string): Promise<TemplateDoc> {
      const doc = await requireTemplate(key);
      // WhatsApp no longer holds a DELETED one: there is nothing to ask it (it would refuse, a 502), nothing to change.
      if (doc.status === 'DELETED') return doc;
      if (doc.brokerTemplateId && doc.wabaId) await broker.remove(doc.wabaId, doc.name, doc.brokerTemplateId);
      await updateTemplate(store, key, { status: 'PENDING_DELETION' }, { status: 'PENDING_DELETION', source: 'api', reason: `retired by ${by}` });
      return requireTemplate(key);
    },

    get: requireTemplate,
    list: (filter: TemplateFilter) => listTemplates(store, filter),
    applyStatusEvent,
    applyCategoryEvent,
    applyQualityEvent,

    /**
     * The safety net for lost webhooks: asks WhatsApp for every template of the accounts we use (those of our
     * templates and of the registered numbers), applies what differs, marks DELETED ours that WhatsApp's list no longer
     * holds (`deleted`, also counted in `changed`), and takes in those made outside this connector (`imported`).
     */
    async sync(): Promise<{ accounts: number; checked: number; changed: number; deleted: number; imported: number }> {
      // Ours first, then WhatsApp's list: a template created meanwhile is in the list, or not among ours yet.
      const held = await listSubmittedTemplates(store);
      const numbersOf = new Map<string, string[]>();
      for (const number of await listNumbers(store)) {
        const waba = number.wabaId ?? defaultWabaId;
        if (waba) numbersOf.set(waba, [...(numbersOf.get(waba) ?? []), number._id]);
      }
      const accounts = new Set([...held.map((t) => t.wabaId!), ...numbersOf.keys()]);
      const known = new Set(held.map((t) => t.brokerTemplateId!));
      let checked = 0;
      let changed = 0;
      let deleted = 0;
      let imported = 0;
      for (const wabaId of accounts) {
        const listed = await broker.list(wabaId);
        for (const remote of listed) {
          checked += 1;
          changed += await applyStatusEvent({ templateId: remote.id, status: remote.status, ...(remote.rejectedReason ? { reason: remote.rejectedReason } : {}) }, 'sync');
          changed += await applyCategoryEvent({ templateId: remote.id, category: remote.category }, 'sync');
        }
        deleted += await markMissingDeleted(store, held.filter((t) => t.wabaId === wabaId), new Set(listed.map((t) => t.id)));
        imported += await importListed(store, wabaId, numbersOf.get(wabaId) ?? [], listed, known);
      }
      return { accounts: accounts.size, checked, changed: changed + deleted, deleted, imported };
    },
  };
}

export type TemplateService = ReturnType<typeof createTemplateService>;
