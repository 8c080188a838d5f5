/**
 * The simulated customer keeps their profile name: a message sent without one carries the name they last had (as
 * WhatsApp does), so a demo's "Ada" is not renamed "Customer" by her next message.
 */
import { inboundTextWebhook } from '../../simulator/cloud-api.payloads';

const nameIn = (body: ReturnType<typeof inboundTextWebhook>) =>
  ((body.entry[0]!.changes[0]!.value as { contacts: { profile: { name: string } }[] }).contacts[0]!.profile.name);

describe('simulated profile names', () => {
  it('keeps the last name given, per customer, and says Customer for someone never named', () => {
    expect(nameIn(inboundTextWebhook({ phoneNumberId: '1', from: '15550001111', profileName: 'Ada', text: 'hi' }))).toBe('Ada');
    expect(nameIn(inboundTextWebhook({ phoneNumberId: '1', from: '15550001111', text: 'again' }))).toBe('Ada');
    expect(nameIn(inboundTextWebhook({ phoneNumberId: '1', from: '15550002222', text: 'hello' }))).toBe('Customer');
  });
});
