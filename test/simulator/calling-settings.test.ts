/**
 * The simulator's calling settings refuse what Meta refuses (code 100, Meta's error body) and serve the SIP
 * password only with include_sip_credentials=true. Payloads from Meta's call-settings page:
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/call-settings/
 */
import { startBrokerSimulator, type BrokerSimulator } from '../../simulator/broker-simulator';

let sim: BrokerSimulator;
beforeAll(async () => (sim = await startBrokerSimulator({ port: 0, accessToken: 'token', appSecret: 'secret' })));
afterAll(() => sim.close());

const post = (body: unknown, token = 'token') =>
  fetch(`${sim.url}/v23.0/106540352242922/settings`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
type Settings = { calling: { sip: { servers: { sip_user_password?: string }[] } } };
const get = (query = '') => fetch(`${sim.url}/v23.0/106540352242922/settings${query}`, { headers: { authorization: 'Bearer token' } }).then((r) => r.json() as Promise<Settings>);

// Meta's documented request body (call-settings page), with one SIP server.
const documented = {
  calling: {
    status: 'ENABLED',
    call_icon_visibility: 'DEFAULT',
    call_hours: {
      status: 'ENABLED',
      timezone_id: 'America/Manaus',
      weekly_operating_hours: [{ day_of_week: 'MONDAY', open_time: '0400', close_time: '1020' }, { day_of_week: 'TUESDAY', open_time: '0108', close_time: '1020' }],
      holiday_schedule: [{ date: '2026-01-01', start_time: '0000', end_time: '2359' }],
    },
    callback_permission_status: 'ENABLED',
    sip: { status: 'ENABLED', servers: [{ hostname: 'sip.example.com', port: 5061, request_uri_user_params: { KEY1: 'VALUE1' } }] },
  },
};

test("takes Meta's documented body, and hands out the SIP password only when asked", async () => {
  const res = await post(documented);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ success: true });
  const plain = await get();
  expect(plain.calling.sip.servers[0]?.sip_user_password).toBeUndefined();
  const withCredentials = await get('?include_sip_credentials=true');
  expect(withCredentials.calling.sip.servers[0]?.sip_user_password).toEqual(expect.any(String));
});

test.each([
  ['an unknown day', { calling: { call_hours: { ...documented.calling.call_hours, weekly_operating_hours: [{ day_of_week: 'FUNDAY', open_time: '0400', close_time: '1020' }] } } }],
  ['a bad time zone', { calling: { call_hours: { ...documented.calling.call_hours, timezone_id: 'Mars/Olympus' } } }],
  ['SIP on without a server', { calling: { sip: { status: 'ENABLED' } } }],
  ['an unknown field', { calling: { status: 'ENABLED', volume: 11 } }],
])('refuses %s with code 100 in Meta\'s error body', async (_name, body) => {
  const res = await post(body);
  expect(res.status).toBe(400);
  const error = ((await res.json()) as { error: { code: number; message: string; error_data: { details: string }; fbtrace_id: string } }).error;
  expect(error).toMatchObject({ code: 100, type: 'OAuthException', fbtrace_id: expect.any(String) });
  expect(error.error_data.details).toEqual(expect.any(String));
});

test('refuses a wrong token with code 190', async () => {
  const res = await post(documented, 'nope');
  expect(res.status).toBe(401);
  expect(((await res.json()) as { error: { code: number } }).error.code).toBe(190);
});
