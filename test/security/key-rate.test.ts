/**
 * Issue 21, abuse limits: one API key's flood is answered with 429 `too_many_requests` and Retry-After, without a
 * crash or a 5xx, while another key's traffic goes through; the service's default rate (API_KEY_REQUESTS_PER_SECOND).
 */
import { Agent } from 'node:http';
import { keyedGet, type KeyedAnswer } from '../support/keyed-get';
import { startService, type ServiceRig } from '../support/service';

let rig: ServiceRig;
beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

const agent = new Agent({ keepAlive: true, maxSockets: 64 });
afterAll(() => agent.destroy());

const get = (path: string, key: string) => keyedGet(`${rig.baseUrl}${path}`, key, { agent });

describe('per-key request rate', () => {
  it('answers a burst of 10,000 requests from one key with 429s and Retry-After, no 5xx, while another key goes through', async () => {
    const flood: KeyedAnswer[] = [];
    const other: KeyedAnswer[] = [];
    const started = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < 10_000) {
        next += 1;
        flood.push(await get('/v1/conversations', rig.keys.integrator));
      }
    };
    const bystander = async () => {
      while (next < 10_000) {
        other.push(await get('/v1/conversations', rig.keys.analyst));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    await Promise.all([...Array.from({ length: 48 }, worker), bystander()]);
    const seconds = (performance.now() - started) / 1000;

    const ok = flood.filter((a) => a.status === 200).length;
    const refused = flood.filter((a) => a.status === 429);
    console.log(`key flood: 10,000 requests in ${seconds.toFixed(1)} s, ${ok} answered 200, ${refused.length} refused 429; other key ${other.length} reads`);
    expect(flood).toHaveLength(10_000);
    expect(ok + refused.length).toBe(10_000);
    // 200 a second steady plus a burst of 400 per 10 s: nothing beyond what the rate allows got through.
    expect(ok).toBeLessThanOrEqual(Math.ceil(seconds + 1) * 200 + Math.ceil(seconds / 10 + 1) * 400);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((a) => a.code === 'too_many_requests' && Number(a.retryAfter) >= 1)).toBe(true);
    expect(other.length).toBeGreaterThan(0);
    expect(other.every((a) => a.status === 200)).toBe(true);
    expect((await get('/healthz', rig.keys.analyst)).status).toBe(200);
  }, 180_000);
});
