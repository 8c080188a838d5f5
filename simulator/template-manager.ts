import { randomInt } from 'node:crypto';
import type { Express, Request, Response } from 'express';
import { z } from 'zod';
import { templateCategoryWebhook, templateStatusWebhook } from './cloud-api.payloads';

/** A template as the simulated WhatsApp Business Account holds it. */
export interface SimTemplate {
  id: string;
  wabaId: string;
  name: string;
  language: string;
  category: string;
  status: string;
  rejectedReason?: string;
  components: unknown[];
}

interface TemplateManagerDeps {
  authorized(req: Request): boolean;
  cloudError(res: Response, status: number, code: number, message: string): unknown;
  deliverWebhook(body: object): Promise<unknown>;
  /** Approve every new or edited template after this long (the demo); undefined: wait for `/_sim/templates/:id/status`. */
  autoApproveAfterMs?: number;
  later(ms: number): Promise<void>;
}

const CreateBody = z.looseObject({
  name: z.string().regex(/^[a-z0-9_]{1,512}$/),
  language: z.string().min(2),
  category: z.enum(['MARKETING', 'UTILITY', 'AUTHENTICATION']),
  components: z.array(z.looseObject({ type: z.string() })).min(1),
});

/**
 * The template-management slice of the Cloud API (create, list, edit, delete on a WhatsApp Business Account), and
 * simulator controls that play WhatsApp's review: set a status or a category and the matching webhook is delivered.
 */
export function installTemplateManager(app: Express, deps: TemplateManagerDeps) {
  const templates = new Map<string, SimTemplate>();

  function setStatus(template: SimTemplate, status: string, reason?: string): Promise<unknown> {
    template.status = status;
    if (reason) template.rejectedReason = reason;
    else delete template.rejectedReason;
    return deps.deliverWebhook(templateStatusWebhook({ wabaId: template.wabaId, templateId: template.id, name: template.name, language: template.language, event: status, ...(reason ? { reason } : {}) }));
  }

  function review(template: SimTemplate): void {
    if (deps.autoApproveAfterMs === undefined) return;
    void deps.later(deps.autoApproveAfterMs).then(() => (template.status === 'PENDING' ? setStatus(template, 'APPROVED') : undefined));
  }

  app.post('/:version/:wabaId/message_templates', (req, res) => {
    if (!deps.authorized(req)) return deps.cloudError(res, 401, 190, 'Access token has expired');
    const parsed = CreateBody.safeParse(req.body);
    if (!parsed.success) return deps.cloudError(res, 400, 100, `Invalid parameter: ${parsed.error.issues[0]?.message ?? ''}`);
    const wabaId = String(req.params.wabaId);
    const clash = [...templates.values()].find((t) => t.wabaId === wabaId && t.name === parsed.data.name && t.language === parsed.data.language);
    if (clash) return deps.cloudError(res, 400, 2388024, 'Content in this language already exists');
    const template: SimTemplate = {
      id: String(randomInt(10 ** 11, 10 ** 12)),
      wabaId,
      name: parsed.data.name,
      language: parsed.data.language,
      category: parsed.data.category,
      status: 'PENDING',
      components: parsed.data.components,
    };
    templates.set(template.id, template);
    res.json({ id: template.id, status: template.status, category: template.category });
    review(template);
  });

  app.get('/:version/:wabaId/message_templates', (req, res) => {
    if (!deps.authorized(req)) return deps.cloudError(res, 401, 190, 'Access token has expired');
    const all = [...templates.values()].filter((t) => t.wabaId === String(req.params.wabaId));
    const limit = Math.min(Number(req.query.limit ?? 25) || 25, 100);
    const after = Number(req.query.after ?? 0) || 0;
    const page = all.slice(after, after + limit);
    const next = after + limit < all.length ? `${req.protocol}://${req.get('host')}${req.path}?limit=${limit}&after=${after + limit}` : undefined;
    res.json({
      data: page.map((t) => ({ id: t.id, name: t.name, language: t.language, status: t.status, category: t.category, rejected_reason: t.rejectedReason ?? 'NONE', components: t.components })),
      paging: { cursors: { before: String(after), after: String(after + page.length) }, ...(next ? { next } : {}) },
    });
  });

  app.delete('/:version/:wabaId/message_templates', (req, res) => {
    if (!deps.authorized(req)) return deps.cloudError(res, 401, 190, 'Access token has expired');
    const template = templates.get(String(req.query.hsm_id ?? ''));
    if (!template || template.name !== req.query.name) return deps.cloudError(res, 404, 100, 'Template not found');
    templates.delete(template.id);
    res.json({ success: true });
  });

  // Edit: POST /{template-id}; only ids of templates we hold, so other POSTs fall through to the next routes.
  app.post('/:version/:templateId', (req, res, next) => {
    const template = templates.get(String(req.params.templateId));
    if (!template) return next();
    if (!deps.authorized(req)) return deps.cloudError(res, 401, 190, 'Access token has expired');
    const components = (req.body as { components?: unknown }).components;
    if (!Array.isArray(components) || components.length === 0) return deps.cloudError(res, 400, 100, 'Invalid parameter: components');
    template.components = components;
    template.status = 'PENDING';
    res.json({ success: true });
    review(template);
  });

  app.get('/_sim/templates', (_req, res) => void res.json({ templates: [...templates.values()] }));
  app.post('/_sim/templates/:id/status', async (req, res) => {
    const template = templates.get(String(req.params.id));
    if (!template) return res.status(404).json({ error: 'no such template' });
    const body = req.body as { status?: string; reason?: string };
    res.json({ delivery: await setStatus(template, String(body.status ?? 'APPROVED'), body.reason) });
  });
  app.post('/_sim/templates/:id/category', async (req, res) => {
    const template = templates.get(String(req.params.id));
    if (!template) return res.status(404).json({ error: 'no such template' });
    const next = String((req.body as { category?: string }).category ?? 'MARKETING').toUpperCase();
    const previous = template.category;
    template.category = next;
    res.json({ delivery: await deps.deliverWebhook(templateCategoryWebhook({ wabaId: template.wabaId, templateId: template.id, name: template.name, language: template.language, previous, next })) });
  });

  return {
    templates: () => [...templates.values()],
    /** Plays WhatsApp's review: sets the status (without a webhook when `silently`, as if the webhook were lost). */
    async setTemplateStatus(id: string, status: string, opts: { reason?: string; silently?: boolean } = {}) {
      const template = templates.get(id);
      if (!template) throw new Error(`no simulated template ${id}`);
      if (opts.silently) {
        template.status = status;
        return undefined;
      }
      return setStatus(template, status, opts.reason);
    },
    async setTemplateCategory(id: string, category: string) {
      const template = templates.get(id);
      if (!template) throw new Error(`no simulated template ${id}`);
      const previous = template.category;
      template.category = category.toUpperCase();
      return deps.deliverWebhook(templateCategoryWebhook({ wabaId: template.wabaId, templateId: id, name: template.name, language: template.language, previous, next: template.category }));
    },
  };
}
