/**
 * Security probe, issue 26 item 6: failed authentications are limited per client address (429 with Retry-After),
 * valid keys from other addresses are not slowed, and Meta's webhook deliveries are never refused for it.
 */
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';
import { percentile } from '../support/streams';
import { keyedGet, type KeyedAnswer } from '../support/keyed-get';

let rig: ServiceRig;
beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

/** A GET from a chosen loopback address: one client per address. */
const get = (path: string, key: string, from: string) => keyedGet(`${rig.baseUrl}${path}`, key, { localAddress: from });

describe('failed authentication limit', () => {
  it('answers 429 with Retry-After after 20 failures a minute from one address, refusing it without a lookup, while other addresses and the webhook go on', async () => {
    const attacker = '127.0.0.1';
    const good = '127.0.0.2';
    const quiet: number[] = [];
    for (let i = 0; i < 10; i += 1) quiet.push((await get('/v1/conversations', rig.keys.analyst, good)).ms);

    const answers: KeyedAnswer[] = [];
    const goodDuring: KeyedAnswer[] = [];
    // 400 wrong keys, 20 in flight at a time, with a good read from another address every 20.
    for (let round = 0; round < 20; round += 1) {
      answers.push(...(await Promise.all(Array.from({ length: 20 }, (_, i) => get('/v1/conversations', `wak_guess_${round}_${i}`, attacker)))));
      goodDuring.push(await get('/v1/conversations', rig.keys.analyst, good));
    }
    expect(answers.filter((a) => a.status === 401)).toHaveLength(20);
    const refused = answers.filter((a) => a.status === 429);
    expect(refused).toHaveLength(380);
    expect(refused.every((a) => a.code === 'too_many_failed_authentications' && Number(a.retryAfter) > 0 && Number(a.retryAfter) <= 60)).toBe(true);

    // Other addresses are not slowed, and the blocked one is refused even with a valid key until Retry-After.
    expect(goodDuring.every((a) => a.status === 200)).toBe(true);
    const figures = { quietP50: percentile(quiet, 50), duringP50: percentile(goodDuring.map((a) => a.ms), 50), duringP90: percentile(goodDuring.map((a) => a.ms), 90) };
    console.log(`failed-auth storm: 400 wrong keys, ${refused.length} refused 429; good reads from another address ms ${JSON.stringify(figures)}`);
    expect(figures.duringP90).toBeLessThan(250);
    expect((await get('/v1/conversations', rig.keys.analyst, attacker)).status).toBe(429);

    // Meta's deliveries come from wherever they come from: the webhook never passes the key check.
    const { delivery } = await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: '15557400001', text: 'still delivered' });
    expect(delivery).toMatchObject({ attempts: 1, finalStatus: 200 });
  }, 120_000);
});
