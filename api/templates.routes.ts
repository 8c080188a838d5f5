import { Router } from 'express';
import { z } from 'zod';
import { templateCategories, templateStatuses } from '../integrations/broker/template-api.client';
import { TemplateDefinition } from '../lib/template-definition';
import type { TemplateDoc } from '../store/documents';
import { allow, may, principalOf } from './auth';
import type { TemplateService } from '../services/templates.service';
import { parseIn } from './request';

export const TemplateKey = z
  .string()
  .regex(/^\d{1,32}:[a-z0-9_]{1,512}:[a-z]{2,3}(_[A-Z]{2})?$/, 'expected <phone-number id>:<name>:<language>')
  .meta({ example: '106540352242922:order_update:en_US' });

export const CreateTemplateBody = z
  .strictObject({
    businessNumberId: z.string().regex(/^\d{1,32}$/),
    name: z.string().regex(/^[a-z0-9_]{1,512}$/, 'lower-case letters, digits and underscores'),
    language: z.string().regex(/^[a-z]{2,3}(_[A-Z]{2})?$/).meta({ example: 'en_US' }),
    category: z.enum(templateCategories),
    definition: TemplateDefinition,
  })
  .meta({ id: 'CreateTemplateBody' });

export const EditTemplateBody = z.strictObject({ definition: TemplateDefinition }).meta({ id: 'EditTemplateBody' });

export const ListTemplatesQuery = z.strictObject({
  businessNumberId: z.string().regex(/^\d{1,32}$/).optional(),
  status: z.enum(templateStatuses).optional(),
  language: z.string().regex(/^[a-z]{2,3}(_[A-Z]{2})?$/).optional(),
});

const who = (res: Parameters<typeof principalOf>[0]) => {
  const p = principalOf(res);
  return `${p.name} (${p.keyId})`;
};

/** Supervisors manage templates; everyone who sends may list them (agents see which are approved). */
export function templateRoutes(templates: TemplateService): Router {
  const router = Router();
  const supervise = allow(...may.supervise);
  const read = allow(...may.readConversations);

  router.post('/v1/templates', supervise, async (req, res) => {
    const body = CreateTemplateBody.parse(req.body);
    res.status(201).json(toTemplateDetail(await templates.create(body, who(res))));
  });

  router.get('/v1/templates', read, async (req, res) => {
    res.json({ templates: (await templates.list(parseIn('query', ListTemplatesQuery, req.query))).map(toTemplateDetail) });
  });

  router.post('/v1/templates/sync', supervise, async (_req, res) => {
    res.json(await templates.sync());
  });

  router.get('/v1/templates/:key', read, async (req, res) => {
    res.json(toTemplateDetail(await templates.get(parseIn('path', TemplateKey, req.params.key, 'key'))));
  });

  router.put('/v1/templates/:key', supervise, async (req, res) => {
    const key = parseIn('path', TemplateKey, req.params.key, 'key');
    const body = EditTemplateBody.parse(req.body);
    res.json(toTemplateDetail(await templates.edit(key, body.definition, who(res))));
  });

  router.delete('/v1/templates/:key', supervise, async (req, res) => {
    res.json(toTemplateDetail(await templates.retire(parseIn('path', TemplateKey, req.params.key, 'key'), who(res))));
  });

  return router;
}

export function toTemplateDetail(doc: TemplateDoc) {
  return {
    id: doc._id,
    businessNumberId: doc.businessNumberId,
    name: doc.name,
    language: doc.language,
    category: doc.category,
    status: doc.status,
    ...(doc.rejectedReason ? { rejectedReason: doc.rejectedReason } : {}),
    ...(doc.quality ? { quality: doc.quality } : {}),
    body: doc.body,
    ...(doc.definition ? { definition: doc.definition } : {}),
    history: (doc.history ?? []).map((h) => ({ ...h, at: h.at.toISOString() })),
    updatedAt: doc.updatedAt.toISOString(),
  };
}
