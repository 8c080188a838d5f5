import { Router } from 'express';
import { z } from 'zod';
import { AGENT_ID, AGENT_ID_RULE } from '../lib/agent-id';
import { listAgents, registerAgent, type AgentDoc } from '../store/agents.store';
import type { Store } from '../store/db';
import { allow, may, principalOf } from './auth';

/** An agent id: what the contact centre's SIP answer names (`X-Agent-Id`) and what replies record as their sender. */
export const AgentIdSchema = z.string().regex(AGENT_ID, AGENT_ID_RULE);

export const RegisterAgentBody = z
  .strictObject({
    agentId: AgentIdSchema,
    name: z.string().trim().min(1).max(128),
    queues: z.array(z.string().min(1).max(128)).max(50).default([]).meta({ description: 'Queues the agent serves: it reads the conversations waiting in them' }),
  })
  .meta({ id: 'RegisterAgentBody' });

export const AgentView = z
  .object({ agentId: z.string(), name: z.string(), queues: z.array(z.string()), createdAt: z.string(), createdBy: z.string() })
  .meta({ id: 'Agent' });

const view = (doc: AgentDoc): z.infer<typeof AgentView> => ({
  agentId: doc._id,
  name: doc.name,
  queues: doc.queues,
  createdAt: doc.createdAt.toISOString(),
  createdBy: doc.createdBy,
});

/**
 * Supervisors register agents (unique ids, 409 `agent_exists`), then issue agent keys to them with
 * `POST /v1/api-keys {"role":"agent","agentId":…}`: an agent is who was registered, not whoever names a key so.
 */
export function agentRegistryRoutes(store: Store): Router {
  const router = Router();
  router.use('/v1/agents', allow(...may.supervise));
  router.post('/v1/agents', async (req, res) => {
    const body = RegisterAgentBody.parse(req.body);
    const by = principalOf(res);
    res.status(201).json(view(await registerAgent(store, body, `${by.name} (${by.keyId})`)));
  });
  router.get('/v1/agents', async (_req, res) => {
    res.json({ agents: (await listAgents(store)).map(view) });
  });
  return router;
}
