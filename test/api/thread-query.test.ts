/**
 * `GET /v1/conversations/{id}/messages` refuses a limit it cannot read with a 400 that says what is wrong. A fresh
 * user found `?limit=%20` answered "Too small: expected number to be >=1" (a blank read as 0) and `?limit=1&limit=2`
 * "expected number, received NaN" (the two values read as one), through the real app.
 */
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';

let rig: ServiceRig;
const thread = (query: string) => rig.request('GET', `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:15550001234`)}/messages?${query}`);

beforeAll(async () => {
  rig = await startService();
}, 60_000);

afterAll(async () => {
  await rig?.stop();
});

describe('the thread refuses a limit it cannot read, saying what is wrong', () => {
  const notANumber = 'limit must be a whole number from 1 to 500';

  it.each([
    ['a blank', 'limit=%20', `${notANumber}, not " "`],
    ['an empty value', 'limit=', `${notANumber}, not ""`],
    ['a fraction', 'limit=2.5', `${notANumber}, not "2.5"`],
    ['a number with a sign', 'limit=%2B5', `${notANumber}, not "+5"`],
    ['a number after a space (a "+" in a query is a space)', 'limit=+5', `${notANumber}, not " 5"`],
    ['a word', 'limit=ten', `${notANumber}, not "ten"`],
    ['zero', 'limit=0', `${notANumber}, not "0"`],
    ['one past the most', 'limit=501', `${notANumber}, not "501"`],
    ['two values', 'limit=1&limit=2', 'limit given twice'],
    ['three values', 'limit=1&limit=2&limit=3', 'limit given 3 times'],
  ])('%s (?%s)', async (_what, query, message) => {
    const refused = await thread(query);
    expect(refused.status).toBe(400);
    expect(refused.contentType).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ code: 'invalid_request', detail: message, errors: [{ in: 'query', path: 'limit', message }] });
  });

  it('still takes 1 and 500, and the default without a limit (an unknown conversation: 404 after the query is read)', async () => {
    for (const query of ['limit=1', 'limit=500', '']) expect((await thread(query)).body.code).toBe('unknown_conversation');
  });

  it('refuses before twice the same way', async () => {
    const refused = await thread('before=a&before=b');
    expect(refused.body).toMatchObject({ code: 'invalid_request', detail: 'before given twice', errors: [{ in: 'query', path: 'before' }] });
  });

  it('says the same of the conversation list\'s limit', async () => {
    const refused = await rig.request('GET', '/v1/conversations?limit=%20');
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'invalid_request', detail: `${notANumber}, not " "` });
    expect((await rig.request('GET', '/v1/conversations?limit=1&limit=2')).body.detail).toBe('limit given twice');
  });
});
