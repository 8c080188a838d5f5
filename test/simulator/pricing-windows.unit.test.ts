/**
 * The simulator prices a utility template inside the customer service window as free (Meta's per-message pricing),
 * and a WhatsApp user's call opens that window as a message does, answered or not ("the customer service window now
 * also starts or refreshes for calls: when a WhatsApp user calls you, regardless of if you accept the call or not",
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/pricing/).
 */
import { serviceWindows } from '../../simulator/pricing';

const NUMBER = '106540352242922';
const calls = (call: Record<string, unknown>) => ({
  object: 'whatsapp_business_account',
  entry: [{ id: '102290129340398', changes: [{ field: 'calls', value: { metadata: { phone_number_id: NUMBER }, calls: [call] } }] }],
});
const now = () => String(Math.floor(Date.now() / 1000));

describe("the simulator's customer service windows", () => {
  it("a user's call (connect, USER_INITIATED) opens the window: a utility template is free", () => {
    const windows = serviceWindows();
    expect(windows.pricingFor(NUMBER, '15551234567', 'utility').type).toBe('regular');
    windows.noteInbound(calls({ id: 'wacid.1', from: '15551234567', to: '12025550109', event: 'connect', direction: 'USER_INITIATED', timestamp: now() }));
    expect(windows.pricingFor(NUMBER, '15551234567', 'utility').type).toBe('free_customer_service');
  });

  it('a terminate alone opens nothing (the connect before it did)', () => {
    const windows = serviceWindows();
    windows.noteInbound(calls({ id: 'wacid.3', from: '15551234569', to: '12025550109', event: 'terminate', direction: 'USER_INITIATED', timestamp: now(), status: 'FAILED' }));
    expect(windows.pricingFor(NUMBER, '15551234569', 'utility').type).toBe('regular');
  });

  it("a user answering the business's call opens it too (the connect names them in `to`); a group message does not", () => {
    const windows = serviceWindows();
    windows.noteInbound(calls({ id: 'wacid.4', from: '12025550109', to: '15551234570', event: 'connect', direction: 'BUSINESS_INITIATED', timestamp: now() }));
    expect(windows.pricingFor(NUMBER, '15551234570', 'utility').type).toBe('free_customer_service');
    const group = { object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value: { metadata: { phone_number_id: NUMBER }, messages: [{ from: '15551234571', group_id: 'G1', id: 'wamid.g', timestamp: now(), type: 'text', text: { body: 'hi all' } }] } }] }] };
    windows.noteInbound(group);
    expect(windows.lastContact(NUMBER, ['15551234571'])).toBeUndefined();
  });

  it('a message dated ahead counts from now; an older one delivered late never moves the window back', () => {
    const windows = serviceWindows();
    const message = (timestamp: number) => ({ object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value: { metadata: { phone_number_id: NUMBER }, messages: [{ from: '15551234572', id: `wamid.${timestamp}`, timestamp: String(timestamp), type: 'text', text: { body: 'x' } }] } }] }] });
    windows.noteInbound(message(Number(now()) + 30 * 86_400));
    expect(windows.lastContact(NUMBER, ['15551234572'])).toBeLessThanOrEqual(Date.now());
    const at = windows.lastContact(NUMBER, ['15551234572'])!;
    windows.noteInbound(message(Number(now()) - 25 * 3600));
    expect(windows.lastContact(NUMBER, ['15551234572'])).toBe(at);
    expect(windows.isOpen(at)).toBe(true);
  });
});
