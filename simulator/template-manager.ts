import { randomInt } from 'node:crypto';
import type { Express, Request } from 'express';
import { refusal, sendMetaError } from './errors';
import { createReviewPlays, type ReviewedTemplate, type ReviewStep } from './template-review';
import type { StateFile } from './state-file';
import { validateTemplateCreation } from './templates.validate';

/** A template as the simulated WhatsApp Business Account holds it. */
export interface SimTemplate extends ReviewedTemplate {
  parameterFormat: 'POSITIONAL' | 'NAMED';
  components: unknown[];
  /** When (ms since the epoch) it was edited while APPROVED: WhatsApp limits those edits (see editLimitRefusal). */
  approvedEdits?: number[];
}

interface TemplateManagerDeps {
  authorized(req: Request): boolean;
  deliverWebhook(body: object): Promise<unknown>;
  knownHandle(handle: string): boolean;
  /** The review every template nobody scripted gets (the demo approves after a delay); empty: it stays PENDING. */
  defaultPlay?: ReviewStep[];
  /** Accept every template as submitted, unchecked (load benchmarks only). */
  acceptEverything?: boolean;
  later(ms: number): Promise<void>;
  /** The clock edit limits are counted on (ms since the epoch); Date.now by default. */
  now?: () => number;
  /** The templates kept across restarts (`npm start`: `.data/simulator/templates.json`, simulator/state-file.ts); unset: memory only. */
  state?: StateFile<{ templates?: SimTemplate[] }>;
}

/** Statuses in which Meta lets a template be edited (template management page, "Edit templates"). */
const EDITABLE = ['APPROVED', 'REJECTED', 'PAUSED'];
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Meta, "Edit templates": an APPROVED template may be edited once in 24 hours and up to 10 times in 30 days (REJECTED
 * and PAUSED ones without limit), and an APPROVED template's category cannot be edited. Meta's pages give no error
 * code for these refusals: the simulator answers code 100 (Invalid parameter) without a subcode, saying which rule.
 */
function editLimitRefusal(template: SimTemplate, body: { category?: unknown }, now: number) {
  if (template.status !== 'APPROVED') return undefined;
  if (body.category !== undefined && String(body.category).toUpperCase() !== template.category) {
    return refusal(100, `The category of an APPROVED template cannot be edited (${template.category})`);
  }
  const edits = template.approvedEdits ?? [];
  if (edits.some((t) => t > now - DAY_MS)) return refusal(100, 'An approved template can be edited once in 24 hours');
  if (edits.filter((t) => t > now - 30 * DAY_MS).length >= 10) return refusal(100, 'An approved template can be edited 10 times in 30 days');
  return undefined;
}

/**
 * The template-management slice of the Cloud API (create, list, edit, delete on a WhatsApp Business Account), with
 * Meta's creation rules (templates.validate.ts) and WhatsApp's review played as a script (template-review.ts).
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-management
 */
export function installTemplateManager(app: Express, deps: TemplateManagerDeps) {
  // The account's templates (ids, statuses, categories, quality, components) where WhatsApp keeps them: a simulator
  // that forgot them on a restart refused every template send with 132001.
  const kept = deps.state?.load()?.templates;
  const templates = new Map((Array.isArray(kept) ? kept : []).map((t) => [t.id, t] as const));
  // Written at once: a review's webhook follows the change, and templates change seldom.
  const save = () => deps.state?.save(() => ({ templates: [...templates.values()] }), true);
  // A review step changes the template, then delivers its webhook: kept before WhatsApp tells anyone.
  const deliverWebhook = (body: object) => {
    save();
    return deps.deliverWebhook(body);
  };
  const review = createReviewPlays({ ...deps, deliverWebhook }, deps.defaultPlay);
  // Templates still in review when the simulator stopped: WhatsApp goes on reviewing them.
  for (const t of templates.values()) if (t.status === 'PENDING') review.submitted(t);
  const check = (body: unknown, edit?: { category: string }) => (deps.acceptEverything ? undefined : validateTemplateCreation(body, deps.knownHandle, edit));
  const expired = refusal(190, 'Error validating access token: Session has expired');

  app.post('/:version/:wabaId/message_templates', (req, res) => {
    if (!deps.authorized(req)) return sendMetaError(res, expired);
    const problem = check(req.body);
    if (problem) return sendMetaError(res, problem);
    const body = req.body as { name: string; language: string; category: string; parameter_format?: 'POSITIONAL' | 'NAMED'; components: unknown[] };
    const wabaId = String(req.params.wabaId);
    const clash = [...templates.values()].find((t) => t.wabaId === wabaId && t.name === body.name && t.language === body.language);
    if (clash) return sendMetaError(res, refusal(100, `Content in this language already exists: ${body.name} (${body.language})`, { subcode: 2388024 }));
    const template: SimTemplate = {
      id: String(randomInt(10 ** 11, 10 ** 12)),
      wabaId,
      name: body.name,
      language: body.language,
      category: String(body.category).toUpperCase(),
      status: 'PENDING',
      quality: 'UNKNOWN',
      parameterFormat: body.parameter_format ?? 'POSITIONAL',
      components: body.components,
    };
    templates.set(template.id, template);
    save();
    res.json({ id: template.id, status: template.status, category: template.category });
    review.submitted(template);
  });

  app.get('/:version/:wabaId/message_templates', (req, res) => {
    if (!deps.authorized(req)) return sendMetaError(res, expired);
    const all = [...templates.values()].filter((t) => t.wabaId === String(req.params.wabaId));
    const limit = Math.min(Number(req.query.limit ?? 25) || 25, 100);
    const after = Number(req.query.after ?? 0) || 0;
    const page = all.slice(after, after + limit);
    const next = after + limit < all.length ? `${req.protocol}://${req.get('host')}${req.path}?limit=${limit}&after=${after + limit}` : undefined;
    res.json({
      data: page.map((t) => ({
        id: t.id,
        name: t.name,
        language: t.language,
        status: t.status,
        category: t.category,
        quality_score: { score: t.quality },
        parameter_format: t.parameterFormat,
        rejected_reason: t.rejectedReason ?? 'NONE',
        components: t.components,
      })),
      paging: { cursors: { before: String(after), after: String(after + page.length) }, ...(next ? { next } : {}) },
    });
  });

  app.delete('/:version/:wabaId/message_templates', (req, res) => {
    if (!deps.authorized(req)) return sendMetaError(res, expired);
    const template = templates.get(String(req.query.hsm_id ?? ''));
    if (!template || template.name !== req.query.name) return sendMetaError(res, refusal(100, 'Template not found'));
    if (template.status === 'DISABLED') return sendMetaError(res, refusal(100, 'A disabled template cannot be deleted'));
    templates.delete(template.id);
    save();
    res.json({ success: true });
  });

  // Edit: POST /{template-id}; only ids of templates we hold, so other POSTs fall through to the next routes.
  app.post('/:version/:templateId', (req, res, next) => {
    const template = templates.get(String(req.params.templateId));
    if (!template) return next();
    if (!deps.authorized(req)) return sendMetaError(res, expired);
    if (!EDITABLE.includes(template.status)) return sendMetaError(res, refusal(100, `A ${template.status} template cannot be edited; only APPROVED, REJECTED or PAUSED ones`));
    const body = req.body as { components?: unknown[]; parameter_format?: 'POSITIONAL' | 'NAMED'; category?: string };
    const now = (deps.now ?? Date.now)();
    const limited = deps.acceptEverything ? undefined : editLimitRefusal(template, body, now);
    if (limited) return sendMetaError(res, limited);
    const problem = check({ ...body, parameter_format: body.parameter_format ?? template.parameterFormat }, { category: template.category });
    if (problem) return sendMetaError(res, problem);
    if (template.status === 'APPROVED') template.approvedEdits = [...(template.approvedEdits ?? []), now];
    if (body.category !== undefined) template.category = String(body.category).toUpperCase();
    template.components = body.components!;
    template.parameterFormat = body.parameter_format ?? template.parameterFormat;
    template.status = 'PENDING';
    save();
    res.json({ success: true });
    review.submitted(template);
  });

  const find = (id: string) => {
    const template = templates.get(id);
    if (!template) throw new Error(`no simulated template ${id}`);
    return template;
  };
  app.get('/_sim/templates', (_req, res) => void res.json({ templates: [...templates.values()] }));
  /** Scripts the review of the next template submitted under `name`: { name, steps: ReviewStep[] }. */
  app.post('/_sim/templates/plays', (req, res) => {
    const { name, steps } = req.body as { name: string; steps: ReviewStep[] };
    review.script(name, steps);
    res.status(204).end();
  });
  /** Plays steps now on a held template; answers once every webhook was delivered. */
  app.post('/_sim/templates/:id/play', async (req, res) => {
    if (!templates.has(String(req.params.id))) return res.status(404).json({ error: 'no such template' });
    res.json({ deliveries: await review.play(find(String(req.params.id)), (req.body as { steps: ReviewStep[] }).steps) });
  });

  return {
    templates: () => [...templates.values()],
    scriptReview: review.script,
    playReview: (id: string, steps: ReviewStep[]) => review.play(find(id), steps),
    /** Plays WhatsApp's review: sets the status (without a webhook when `silently`, as if the webhook were lost). */
    async setTemplateStatus(id: string, status: string, opts: { reason?: string; silently?: boolean } = {}) {
      const template = find(id);
      if (opts.silently) {
        template.status = status;
        save();
        return undefined;
      }
      return (await review.play(template, [{ status: status as 'APPROVED', ...(opts.reason ? { reason: opts.reason } : {}) }]))[0];
    },
    /** The template is gone from the account without a webhook (deleted in WhatsApp Manager; its webhook lost). */
    forgetTemplate(id: string): void {
      find(id);
      templates.delete(id);
      save();
    },
    async setTemplateCategory(id: string, category: string) {
      return (await review.play(find(id), [{ category: category.toUpperCase() as 'MARKETING' }]))[0];
    },
    /** A template the account already holds (approved before the test began), with no review and no webhook. */
    seedTemplate(t: Omit<SimTemplate, 'id' | 'quality' | 'parameterFormat'> & { parameterFormat?: SimTemplate['parameterFormat'] }): SimTemplate {
      const existing = [...templates.values()].find((x) => x.wabaId === t.wabaId && x.name === t.name && x.language === t.language);
      const template: SimTemplate = { id: existing?.id ?? String(randomInt(10 ** 11, 10 ** 12)), quality: 'UNKNOWN', parameterFormat: 'POSITIONAL', ...t };
      templates.set(template.id, template);
      save();
      return template;
    },
  };
}
