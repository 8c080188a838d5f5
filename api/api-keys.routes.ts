import { Router } from 'express';
import { z } from 'zod';
import { AppError } from '../lib/errors';
import { issueApiKey, listApiKeys, revokeApiKey, roles } from '../store/api-keys.store';
import { findAgent } from '../store/agents.store';
import type { Store } from '../store/db';
import { AgentIdSchema } from './agent-registry.routes';
import { allow, may, principalOf } from './auth';
import { parseIn } from './request';

export const CreateApiKeyBody = z
  .strictObject({
    role: z.enum(roles),
    name: z.string().trim().min(1).max(128).meta({ description: 'Who holds it (a label; it proves nothing)' }),
    agentId: AgentIdSchema.optional().meta({ description: 'Agent keys only, and required for them: the registered agent (POST /v1/agents) the key speaks for' }),
  })
  .refine((body) => (body.role === 'agent') === (body.agentId !== undefined), { message: 'an agent key needs agentId (a registered agent); other roles take none', path: ['agentId'] })
  .meta({ id: 'CreateApiKeyBody' });

export const ApiKeyView = z
  .object({
    keyId: z.string(),
    role: z.enum(roles),
    name: z.string(),
    agentId: z.string().optional(),
    createdAt: z.string(),
    createdBy: z.string(),
    revokedAt: z.string().optional(),
  })
  .meta({ id: 'ApiKey' });

export const IssuedApiKey = z
  .object({ keyId: z.string(), role: z.enum(roles), name: z.string(), agentId: z.string().optional(), key: z.string().meta({ description: 'Shown once; store it now' }) })
  .meta({ id: 'IssuedApiKey' });

export const KeyIdParam = z.string().regex(/^[a-f0-9]{16}$/, 'not a key id');

/** Supervisors issue, list and revoke API keys; keys are stored hashed and shown once. */
export function apiKeyRoutes(store: Store): Router {
  const router = Router();
  router.use('/v1/api-keys', allow(...may.supervise));

  router.post('/v1/api-keys', async (req, res) => {
    const body = CreateApiKeyBody.parse(req.body);
    const by = principalOf(res);
    if (body.agentId !== undefined && !(await findAgent(store, body.agentId))) {
      throw new AppError('unknown_agent', `Register agent ${body.agentId} first (POST /v1/agents)`);
    }
    res.status(201).json(await issueApiKey(store, body.role, body.name, `${by.name} (${by.keyId})`, body.agentId));
  });

  router.get('/v1/api-keys', async (_req, res) => {
    const keys = await listApiKeys(store);
    res.json({
      keys: keys.map((k) => ({
        keyId: k.keyId,
        role: k.role,
        name: k.name,
        ...(k.agentId ? { agentId: k.agentId } : {}),
        createdAt: k.createdAt.toISOString(),
        createdBy: k.createdBy,
        ...(k.revokedAt ? { revokedAt: k.revokedAt.toISOString() } : {}),
      })),
    });
  });

  router.delete('/v1/api-keys/:keyId', async (req, res) => {
    const keyId = parseIn('path', KeyIdParam, req.params.keyId, 'keyId');
    if (!(await revokeApiKey(store, keyId))) throw new AppError('unknown_api_key', `No live API key ${keyId}`);
    res.status(204).end();
  });

  return router;
}
