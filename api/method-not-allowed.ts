import type { RequestHandler } from 'express';
import { AppError } from '../lib/errors';
import { openApiDocument } from './openapi';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/**
 * Answers a request for a documented path with a method the path does not take: `405 method_not_allowed` with an
 * `Allow` header listing the ones it takes (RFC 9110 §15.5.6, §10.2.1), where an unknown path stays a `404`. The
 * paths and their methods are read once from the OpenAPI document, the API's own contract.
 */
export function methodNotAllowed(): RequestHandler {
  const routes = Object.entries(openApiDocument().paths ?? {}).map(([path, item]) => {
    const pattern = new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}/?$`);
    const methods = METHODS.filter((m) => item && typeof item === 'object' && m in item).map((m) => m.toUpperCase());
    if (methods.includes('GET') && !methods.includes('HEAD')) methods.push('HEAD');
    return { pattern, methods };
  });
  return (req, res, next) => {
    const allowed = routes.find((route) => route.pattern.test(req.path))?.methods;
    if (!allowed || allowed.includes(req.method)) return next();
    res.setHeader('Allow', allowed.join(', '));
    next(new AppError('method_not_allowed', `${req.method} is not taken by ${req.path}; it takes ${allowed.join(', ')}`));
  };
}
