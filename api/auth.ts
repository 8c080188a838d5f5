import type { RequestHandler, Response } from 'express';
import { AppError } from '../lib/errors';
import { findAgent } from '../store/agents.store';
import { findApiKey, keyHashOf, type Role } from '../store/api-keys.store';
import type { Store } from '../store/db';
import type { FailedAuthLimiter } from './auth-limiter';

/**
 * Who is calling: the key's public id, role and name (recorded in audits); for agent keys the registered agent and
 * the queues it serves. `keyHash` lets a long-lived response re-check the key without keeping the secret.
 */
export interface Principal {
  keyId: string;
  keyHash: string;
  role: Role;
  name: string;
  agent?: { id: string; queues: string[] };
}

const BEARER = /^Bearer\s+(\S+)$/i;

/**
 * Resolves `Authorization: Bearer <key>` to a principal. Every `/v1` route needs one; which roles may call a
 * route is said beside the route with {@link allow}. An address past its failed-attempt budget is refused (429 with
 * `Retry-After`) before any lookup, so guessing costs the service nothing; a valid key spends nothing of it. The
 * address is express's `req.ip`: the socket's, or with TRUST_PROXY set the client a trusted proxy names in
 * X-Forwarded-For (api/app.ts), so clients behind one reverse proxy keep budgets of their own.
 */
export function authenticate(store: Store, limiter: FailedAuthLimiter): RequestHandler {
  return async (req, res, next) => {
    const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    await limiter.refuseIfBlocked(address, res);
    const presented = BEARER.exec(req.get('authorization') ?? '')?.[1];
    if (!presented) throw new AppError('unauthenticated', 'Send an API key as "Authorization: Bearer <key>"');
    const principal = await principalFor(store, presented);
    if (!principal) {
      await limiter.recordFailure(address, res);
      throw new AppError('unauthenticated', 'The API key is unknown or revoked');
    }
    res.locals.principal = principal;
    next();
  };
}

/** The principal a presented key proves, or null (unknown, revoked, or an agent key without a registered agent). */
async function principalFor(store: Store, presented: string): Promise<Principal | null> {
  const key = await findApiKey(store, presented);
  if (!key) return null;
  const base = { keyId: key.keyId, keyHash: keyHashOf(presented), role: key.role, name: key.name };
  if (key.role !== 'agent') return base;
  // Agent keys from before registered agents named their agent in free text: they prove nobody, so they no longer work.
  const agent = key.agentId ? await findAgent(store, key.agentId) : null;
  return agent ? { ...base, agent: { id: agent._id, queues: agent.queues } } : null;
}

/** Lets the request through only for the given roles (403 otherwise, naming them). */
export function allow(...allowed: Role[]): RequestHandler {
  return (_req, res, next) => {
    const principal = principalOf(res);
    if (!allowed.includes(principal.role)) {
      throw new AppError('forbidden', `Only ${allowed.join(' or ')} keys may do this; this key is ${principal.role}`);
    }
    next();
  };
}

/** The registered agent an agent key speaks for (`forbidden` for other roles). */
export function agentOf(res: Response): { id: string; queues: string[] } {
  const { agent } = principalOf(res);
  if (!agent) throw new AppError('forbidden', 'Only agent keys act as an agent');
  return agent;
}

export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (!principal) throw new AppError('unauthenticated');
  return principal;
}

/** Role sets the routes use, so the matrix is read in one place (and in the README). */
export const may = {
  readConversations: ['integrator', 'agent', 'supervisor', 'analyst'],
  writeConversations: ['integrator', 'agent'],
  /** Whoever sends media, and supervisors for a template's media header sample (README "Templates"). */
  uploadMedia: ['integrator', 'agent', 'supervisor'],
  supervise: ['supervisor'],
  analyse: ['analyst', 'supervisor'],
  runCampaigns: ['integrator', 'supervisor'],
  readCampaigns: ['integrator', 'supervisor', 'analyst'],
} as const satisfies Record<string, readonly Role[]>;
