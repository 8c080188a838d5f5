/**
 * A fresh user's report: behind the reverse proxy the README recommends for the console every client is the proxy's
 * address, so one integrator retrying a revoked key locked every agent out. With TRUST_PROXY naming the proxy, each
 * client named in X-Forwarded-For has a failed-authentication budget of its own; without it the header is ignored,
 * so no client dodges the limit by inventing one.
 */
import { ConfigSchema } from '../../lib/config';
import { startService, type ServiceRig } from '../support/service';

const FAILURES = 3;

async function get(rig: ServiceRig, key: string, forwardedFor: string): Promise<{ status: number; code?: string; retryAfter: string | null }> {
  const response = await fetch(`${rig.baseUrl}/v1/conversations`, { headers: { authorization: `Bearer ${key}`, 'x-forwarded-for': forwardedFor } });
  const body = (await response.json()) as { code?: string };
  return { status: response.status, retryAfter: response.headers.get('retry-after'), ...(body.code ? { code: body.code } : {}) };
}

describe('behind a trusted proxy (TRUST_PROXY=loopback)', () => {
  let rig: ServiceRig;
  beforeAll(async () => {
    // The env's spelling, parsed as at start-up: every request here comes through "the proxy" on loopback.
    rig = await startService({ api: { AUTH_FAILURES_PER_MINUTE: FAILURES, TRUST_PROXY: ConfigSchema.shape.TRUST_PROXY.parse('loopback') } });
  }, 60_000);
  afterAll(async () => rig?.stop());

  it('locks out the client retrying a revoked key, not the other clients behind the same proxy', async () => {
    const integrator = '203.0.113.7';
    const agent = '198.51.100.9';
    const answers = [];
    for (let i = 0; i <= FAILURES; i += 1) answers.push(await get(rig, 'wak_revoked', integrator));
    expect(answers.map((a) => a.status)).toEqual([401, 401, 401, 429]);
    expect(answers[FAILURES]).toMatchObject({ code: 'too_many_failed_authentications', retryAfter: expect.stringMatching(/^\d+$/) });
    expect((await get(rig, rig.keys.integrator, integrator)).status).toBe(429);

    // Another client behind the same proxy: its own budget, untouched.
    expect((await get(rig, rig.keys.agent, agent)).status).toBe(200);
    expect((await get(rig, 'wak_typo', agent)).status).toBe(401);
    expect((await get(rig, rig.keys.agent, agent)).status).toBe(200);
    // A chain names the client first; the proxy's own hop (loopback, trusted) is skipped.
    expect((await get(rig, rig.keys.agent, `${agent}, 127.0.0.1`)).status).toBe(200);
  }, 60_000);
});

describe('without TRUST_PROXY (the default)', () => {
  let rig: ServiceRig;
  beforeAll(async () => {
    rig = await startService({ api: { AUTH_FAILURES_PER_MINUTE: FAILURES } });
  }, 60_000);
  afterAll(async () => rig?.stop());

  it('ignores X-Forwarded-For: a client inventing a new one per attempt is still locked out by its address', async () => {
    const answers = [];
    for (let i = 0; i <= FAILURES; i += 1) answers.push(await get(rig, 'wak_guess', `192.0.2.${i + 1}`));
    expect(answers.map((a) => a.status)).toEqual([401, 401, 401, 429]);
    expect((await get(rig, rig.keys.integrator, '192.0.2.200')).status).toBe(429);
  }, 60_000);
});
