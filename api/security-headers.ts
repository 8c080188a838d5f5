import helmet from 'helmet';
import type { RequestHandler } from 'express';

/**
 * Headers on every answer (helmet): a content security policy the console's own files pass (scripts and styles from
 * this origin only; Mermaid sets inline styles on the diagrams it draws, hence `'unsafe-inline'` for styles alone; the
 * thread's media are `/v1/media` reads shown from `blob:` object URLs), no framing (`frame-ancestors 'none'` and
 * `X-Frame-Options: DENY`, against clickjacking), `X-Content-Type-Options: nosniff`, no referrer.
 * `upgrade-insecure-requests` is left out: the console is served over plain HTTP on loopback in development.
 */
export function securityHeaders(): RequestHandler {
  // The headers never vary by request (no nonces): helmet builds them once here, not once per answer.
  const headers: [string, string][] = [];
  const removed: string[] = [];
  const capture = { setHeader: (name: string, value: string) => void headers.push([name, value]), removeHeader: (name: string) => void removed.push(name) };
  policies()({} as never, capture as never, () => undefined);
  return (_req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    for (const name of removed) res.removeHeader(name);
    next();
  };
}

function policies() {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        // Pictures, voice notes and videos are fetched with the key and shown from object URLs (blob:).
        imgSrc: ["'self'", 'data:', 'blob:'],
        mediaSrc: ["'self'", 'blob:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
}
