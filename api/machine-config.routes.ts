import { Router } from 'express';
import { z } from 'zod';
import { wholeNumber } from './query-params';
import { AppError } from '../lib/errors';
import { jsonShapeIssue } from '../lib/json-shape';
import { MachineConfig } from '../lib/machine-config';
import type { Store } from '../store/db';
import {
  ConfigConflictError,
  changesBetween,
  configVersion,
  listAudit,
  listConfigVersions,
  publish,
  publishedConfig,
  readDraft,
  saveDraft,
} from '../store/machine-config.store';
import { allow, may, principalOf } from './auth';
import { parseIn } from './request';

/** Saved as it is, even invalid, so its shape is bounded here: 12 levels (a valid one needs 5), no `$` or dotted keys. */
export const ConfigDraftBody = z
  .record(z.string(), z.unknown())
  .superRefine((draft, ctx) => {
    const issue = jsonShapeIssue(draft, 12);
    if (issue) ctx.addIssue({ code: 'custom', path: issue.path.split('.'), message: issue.message });
  })
  .meta({ id: 'ConfigDraft', description: 'A MachineConfig being edited; saved even while invalid' });
export const PublishBody = z.strictObject({ note: z.string().max(500).optional() });
export const RollbackBody = z.strictObject({ version: z.number().int().positive(), note: z.string().max(500).optional() });
export const AuditQuery = z.strictObject({ limit: wholeNumber('limit', { min: 1, max: 500, fallback: 50 }) });
const VersionParam = z.coerce.number().int().positive();

/** Field-level problems: `path` is the dotted field, e.g. `businessHours.days.mon.0.to`. */
export function validateConfig(draft: unknown): { valid: true; config: MachineConfig } | { valid: false; errors: { path: string; message: string }[] } {
  const parsed = MachineConfig.safeParse(draft);
  if (parsed.success) return { valid: true, config: parsed.data };
  return { valid: false, errors: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) };
}

const who = (res: Parameters<typeof principalOf>[0]) => {
  const p = principalOf(res);
  return `${p.name} (${p.keyId})`;
};

/** Supervisors edit a draft, validate and publish it as a new version, roll back, and read the audit log. */
/** `onPublished`: called after a publish or rollback (the webhook's cached published version is forgotten). */
export function machineConfigRoutes(store: Store, onPublished: () => void = () => {}): Router {
  const router = Router();
  router.use('/v1/config', allow(...may.supervise));

  router.get('/v1/config', async (_req, res) => {
    const published = await publishedConfig(store);
    const draft = await readDraft(store);
    res.json({
      published,
      ...(draft
        ? {
            draft: {
              draft: draft.draft,
              updatedAt: draft.updatedAt.toISOString(),
              updatedBy: draft.updatedBy,
              changes: changesBetween(published.config, draft.draft),
              ...validationOf(draft.draft),
            },
          }
        : {}),
    });
  });

  router.put('/v1/config/draft', async (req, res) => {
    const draft = ConfigDraftBody.parse(req.body);
    await saveDraft(store, draft, who(res));
    res.json({ draft, ...validationOf(draft) });
  });

  router.post('/v1/config/draft/validate', async (_req, res) => {
    const draft = await readDraft(store);
    if (!draft) throw new AppError('no_config_draft', 'Save a draft first (PUT /v1/config/draft)');
    res.json(validationOf(draft.draft));
  });

  router.post('/v1/config/publish', async (req, res) => {
    const body = PublishBody.parse(req.body ?? {});
    const draft = await readDraft(store);
    if (!draft) throw new AppError('no_config_draft', 'Save a draft first (PUT /v1/config/draft)');
    const checked = validateConfig(draft.draft);
    if (!checked.valid) throw new AppError('invalid_config', 'The draft does not validate; see errors', { errors: checked.errors.map((e) => ({ in: 'body' as const, ...e })) });
    const published = await publishOrConflict(() => publish(store, checked.config, who(res), body));
    onPublished();
    res.status(201).json(published);
  });

  router.post('/v1/config/rollback', async (req, res) => {
    const body = RollbackBody.parse(req.body);
    const earlier = await configVersion(store, body.version);
    if (!earlier) throw new AppError('unknown_config_version', `No published version ${body.version}`);
    const options = { rolledBackTo: body.version, note: body.note ?? `rollback to version ${body.version}` };
    const published = await publishOrConflict(() => publish(store, earlier.config, who(res), options));
    onPublished();
    res.status(201).json(published);
  });

  router.get('/v1/config/versions', async (_req, res) => {
    res.json({ versions: (await listConfigVersions(store)).map(({ _id, ...v }) => ({ version: _id, ...v })) });
  });

  router.get('/v1/config/versions/:version', async (req, res) => {
    const version = parseIn('path', VersionParam, req.params.version, 'version');
    const doc = await configVersion(store, version);
    if (!doc) throw new AppError('unknown_config_version', `No published version ${version}`);
    const { _id, ...rest } = doc;
    res.json({ version: _id, ...rest });
  });

  router.get('/v1/config/audit', async (req, res) => {
    const { limit } = parseIn('query', AuditQuery, req.query);
    res.json({ entries: (await listAudit(store, limit)).map(({ _id, ...entry }) => ({ id: _id, ...entry })) });
  });

  return router;
}

function validationOf(draft: unknown) {
  const checked = validateConfig(draft);
  return checked.valid ? { valid: true as const, errors: [] } : checked;
}

async function publishOrConflict<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ConfigConflictError) throw new AppError('config_conflict', `${err.message}; review the published version and publish again`);
    throw err;
  }
}
