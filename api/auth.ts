import type { RequestHandler, Response } from 'express';
import { AppError } from '../lib/errors';
import { findApiKey, type Role } from '../store/api-keys.store';
import type { Store } from '../store/db';

/** Who is calling: the key's public id, role and name (recorded in audits). */
export interface Principal {
  keyId: string;
  role: Role;
  name: string;
}

const BEARER = /^Bearer\s+(\S+)$/i;

/**
 * Resolves `Authorization: Bearer <key>` to a principal. Every `/v1` route needs one; which roles may call a
 * route is said beside the route with {@link allow}.
 */
export function authenticate(store: Store): RequestHandler {
  return async (req, res, next) => {
    const presented = BEARER.exec(req.get('authorization') ?? '')?.[1];
    if (!presented) throw new AppError('unauthenticated', 'Send an API key as "Authorization: Bearer <key>"');
    const key = await findApiKey(store, presented);
    if (!key) throw new AppError('unauthenticated', 'The API key is unknown or revoked');
    res.locals.principal = { keyId: key.keyId, role: key.role, name: key.name } satisfies Principal;
    next();
  };
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

export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (!principal) throw new AppError('unauthenticated');
  return principal;
}

/** Role sets the routes use, so the matrix is read in one place (and in the README). */
export const may = {
  readConversations: ['integrator', 'agent', 'supervisor', 'analyst'],
  writeConversations: ['integrator', 'agent'],
  supervise: ['supervisor'],
  analyse: ['analyst', 'supervisor'],
  runCampaigns: ['integrator', 'supervisor'],
  readCampaigns: ['integrator', 'supervisor', 'analyst'],
} as const satisfies Record<string, readonly Role[]>;
