import type { PayloadCodec } from '@temporalio/common';
import cors from 'cors';
import express, { Router } from 'express';
import { z } from 'zod';
import { AppError } from '../lib/errors';
import type { Store } from '../store/db';
import { allow, authenticate, may } from './auth';
import type { FailedAuthLimiter } from './auth-limiter';

/** A payload as the codec server protocol carries it: proto JSON, so metadata values and data are base64. */
export const JsonPayload = z.object({ metadata: z.record(z.string(), z.string()).optional(), data: z.string().optional() });
export const CodecBody = z.object({ payloads: z.array(JsonPayload).max(10_000) });
type JsonPayload = z.infer<typeof JsonPayload>;

export interface CodecServerOptions {
  store: Store;
  codec: PayloadCodec;
  /** Browser origins allowed to call it (the Temporal Web UI's, TEMPORAL_CODEC_CORS_ORIGINS). */
  corsOrigins: readonly string[];
  /** The API's failed-authentication limiter: guessing keys here counts as anywhere else. */
  authLimiter: FailedAuthLimiter;
  bodyLimitBytes: number;
}

const toBytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));
const toBase64 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('base64');

function fromJson(payload: JsonPayload) {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, toBytes(v)])),
    data: toBytes(payload.data ?? ''),
  };
}

function toJson(payload: { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null }): JsonPayload {
  return { metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, toBase64(v)])), data: toBase64(payload.data) };
}

/**
 * The codec server Temporal documents (https://docs.temporal.io/production-deployment/data-encryption): `POST
 * /codec/encode` and `/codec/decode` take and answer `{ payloads: [...] }`, so the Temporal Web UI ("Codec Server
 * endpoint" `http://<api>/codec`) and CLI (`--codec-endpoint http://<api>/codec --codec-auth "Bearer <key>"`) show
 * decrypted payloads. Only supervisor and analyst API keys may use it (401/403 otherwise); CORS admits the Web UI's
 * origins, with credentials, and the `X-Namespace` header it sends.
 */
export function codecRoutes({ store, codec, corsOrigins, authLimiter, bodyLimitBytes }: CodecServerOptions): Router {
  const router = Router();
  router.use(
    '/codec',
    cors({
      origin: [...corsOrigins],
      credentials: true,
      methods: ['POST', 'OPTIONS'],
      allowedHeaders: ['authorization', 'content-type', 'x-namespace'],
      maxAge: 600,
    }),
  );
  for (const operation of ['encode', 'decode'] as const) {
    router.post(`/codec/${operation}`, authenticate(store, authLimiter), allow(...may.analyse), express.json({ limit: bodyLimitBytes }), async (req, res) => {
      const { payloads } = CodecBody.parse(req.body);
      let out;
      try {
        out = await codec[operation](payloads.map(fromJson));
      } catch (err) {
        throw new AppError('undecodable_payload', (err as Error).message);
      }
      res.json({ payloads: out.map(toJson) });
    });
  }
  return router;
}
