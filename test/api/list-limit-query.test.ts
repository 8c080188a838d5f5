/**
 * The list routes read `limit` as the thread does (api/query-params.ts `wholeNumber`): a blank, a sign, a fraction,
 * or a limit given twice is a 400 invalid_request whose detail says so, not "Too small: expected number to be >=1"
 * (a blank read as 0) or "expected number, received NaN" (two values read as one). Through the real app: dead
 * letters, alerts, campaign recipients, the config audit and a number's blocked users.
 */
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';

let rig: ServiceRig;

beforeAll(async () => {
  rig = await startService();
  // The number's routes answer for registered numbers only (else 404 unknown_number, which would hide the limit read).
  const number = { phoneNumberId: BUSINESS_NUMBER_ID, displayNumber: '+1 202 555 0107', verificationMethod: 'sms', ownership: { attestedBy: 'Grace', statement: true } };
  expect((await rig.requestAs('supervisor', 'POST', '/v1/numbers', number)).status).toBe(201);
}, 60_000);

afterAll(async () => {
  await rig?.stop();
});

const routes = [
  { name: 'dead letters', path: '/v1/dead-letters', max: 500, read: 200 },
  { name: 'alerts', path: '/v1/alerts', max: 500, read: 200 },
  { name: 'the config audit', path: '/v1/config/audit', max: 500, read: 200 },
  { name: 'blocked users', path: `/v1/numbers/${BUSINESS_NUMBER_ID}/blocked-users`, max: 1000, read: 200 },
  // No such campaign: the limit was read, then the campaign looked up.
  { name: 'campaign recipients', path: '/v1/campaigns/cmp_0123456789abcdef0123456789abcdef/recipients', max: 500, read: 404 },
];

describe('list routes refuse a limit they cannot read, saying what is wrong', () => {
  it.each(routes)('$name', async ({ path, max, read }) => {
    const wrong = `limit must be a whole number from 1 to ${max}`;
    for (const [query, detail] of [
      ['limit=%20', `${wrong}, not " "`],
      ['limit=%2B5', `${wrong}, not "+5"`],
      ['limit=2.5', `${wrong}, not "2.5"`],
      [`limit=${max + 1}`, `${wrong}, not "${max + 1}"`],
      ['limit=1&limit=2', 'limit given twice'],
    ]) {
      const refused = await rig.requestAs('supervisor', 'GET', `${path}?${query}`);
      expect({ query, status: refused.status, contentType: refused.contentType }).toMatchObject({ query, status: 400, contentType: expect.stringMatching(/^application\/problem\+json/) });
      expect(refused.body).toMatchObject({ code: 'invalid_request', detail, errors: [{ in: 'query', path: 'limit', message: detail }] });
    }
    // A limit in digits is still read: the route answers as it does (not merely "not 400": a 500 is no answer).
    for (const limit of [1, max]) expect({ limit, status: (await rig.requestAs('supervisor', 'GET', `${path}?limit=${limit}`)).status }).toEqual({ limit, status: read });
  });

  it("campaign recipients' from is read the same way", async () => {
    const refused = await rig.requestAs('supervisor', 'GET', '/v1/campaigns/cmp_0123456789abcdef0123456789abcdef/recipients?from=%20');
    expect(refused.body).toMatchObject({ code: 'invalid_request', detail: 'from must be a whole number from 0 to 1000000000, not " "' });
  });
});
