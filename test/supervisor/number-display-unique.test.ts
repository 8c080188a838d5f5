/**
 * A phone number is one WhatsApp phone-number id (it is registered once at Meta:
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/business-phone-numbers/phone-numbers):
 * a second id with the same display number, however written, is refused with 409 `display_number_exists`, and
 * exactly one of many concurrent registrations of one number wins.
 */
import { startService, type ServiceRig } from '../support/service';

let rig: ServiceRig;
let nextId = 300000000000000 + Math.floor(Math.random() * 1e9);
const newId = () => String((nextId += 1));
const register = (phoneNumberId: string, displayNumber: string) =>
  rig.requestAs('supervisor', 'POST', '/v1/numbers', { phoneNumberId, displayNumber, verificationMethod: 'sms', ownership: { attestedBy: 'Grace, head of support', statement: true } });
const registeredAs = async (e164: string) => ((await rig.requestAs('supervisor', 'GET', '/v1/numbers')).body.numbers as { phoneNumberId: string; displayNumber: string }[]).filter((n) => n.displayNumber === e164).map((n) => n.phoneNumberId);

beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

describe('one display number, one phone-number id', () => {
  it('refuses +1 202 555 0107 under a second id once 0012025550107 is registered, naming the id that holds it', async () => {
    const first = newId();
    expect(await register(first, '0012025550107')).toMatchObject({ status: 201, body: { displayNumber: '+12025550107' } });
    const second = newId();
    const refused = await register(second, '+1 202 555 0107');
    expect(refused).toMatchObject({ status: 409, body: { code: 'display_number_exists', phoneNumberId: first } });
    expect(refused.contentType).toContain('application/problem+json');
    expect((await rig.requestAs('supervisor', 'GET', `/v1/numbers/${second}`)).status).toBe(404);
    expect(await registeredAs('+12025550107')).toEqual([first]);
    // The same id again is still number_exists, as before.
    expect(await register(first, '+12025550107')).toMatchObject({ status: 409, body: { code: 'number_exists' } });
  });

  it('lets exactly one of eight concurrent registrations of one number under different ids win', async () => {
    const ids = Array.from({ length: 8 }, newId);
    const answers = await Promise.all(ids.map((id, i) => register(id, i % 2 ? '+1 202 555 0108' : '001 202-555-0108')));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    const winner = ids[answers.findIndex((a) => a.status === 201)];
    expect(answers.filter((a) => a.status === 409).every((a) => a.body.code === 'display_number_exists' && a.body.phoneNumberId === winner)).toBe(true);
    expect(await registeredAs('+12025550108')).toEqual([winner]);
  });

  it('frees a number whose registration crashed after claiming it: a claim older than a minute naming an unregistered id', async () => {
    // What a process that died between its claim and its registration leaves behind.
    await rig.store.db.collection('business_display_numbers').insertOne({ _id: '+12025550109' as never, phoneNumberId: '999', claimedAt: new Date(Date.now() - 120_000) });
    const id = newId();
    expect(await register(id, '+1 202 555 0109')).toMatchObject({ status: 201 });
    expect(await register(newId(), '+1 202 555 0109')).toMatchObject({ status: 409, body: { code: 'display_number_exists', phoneNumberId: id } });
  });
});
