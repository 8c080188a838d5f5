import { Router } from 'express';
import { z } from 'zod';
import { AppError } from '../lib/errors';
import { issueApiKey, listApiKeys, revokeApiKey, roles } from '../store/api-keys.store';
import type { Store } from '../store/db';
import { allow, may, principalOf } from './auth';

export const CreateApiKeyBody = z
  .strictObject({
    role: z.enum(roles),
    name: z.string().trim().min(1).max(128).meta({ description: 'Who holds it; for agent keys, the agent id' }),
  })
  .meta({ id: 'CreateApiKeyBody' });

export const ApiKeyView = z
  .object({
    keyId: z.string(),
    role: z.enum(roles),
    name: z.string(),
    createdAt: z.string(),
    createdBy: z.string(),
    revokedAt: z.string().optional(),
  })
  .meta({ id: 'ApiKey' });

export const IssuedApiKey = z
  .object({ keyId: z.string(), role: z.enum(roles), name: z.string(), key: z.string().meta({ description: 'Shown once; store it now' }) })
  .meta({ id: 'IssuedApiKey' });

export const KeyIdParam = z.string().regex(/^[a-f0-9]{16}$/, 'not a key id');

/** Supervisors issue, list and revoke API keys; keys are stored hashed and shown once. */
export function apiKeyRoutes(store: Store): Router {
  const router = Router();
  router.use('/v1/api-keys', allow(...may.supervise));

  router.post('/v1/api-keys', async (req, res) => {
    const body = CreateApiKeyBody.parse(req.body);
    const by = principalOf(res);
    res.status(201).json(await issueApiKey(store, body.role, body.name, `${by.name} (${by.keyId})`));
  });

  router.get('/v1/api-keys', async (_req, res) => {
    const keys = await listApiKeys(store);
    res.json({
      keys: keys.map((k) => ({
        keyId: k.keyId,
        role: k.role,
        name: k.name,
        createdAt: k.createdAt.toISOString(),
        createdBy: k.createdBy,
        ...(k.revokedAt ? { revokedAt: k.revokedAt.toISOString() } : {}),
      })),
    });
  });

  router.delete('/v1/api-keys/:keyId', async (req, res) => {
    const keyId = KeyIdParam.parse(req.params.keyId);
    if (!(await revokeApiKey(store, keyId))) throw new AppError('unknown_api_key', `No live API key ${keyId}`);
    res.status(204).end();
  });

  return router;
}
