/**
 * The agent inbox shows what the business wrote from the WhatsApp Business app (Meta's smb_message_echoes,
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/smb_message_echoes)
 * as an outbound message of the thread, labelled as sent from the app.
 */
import { inboxPanel, useConsoleRig, type ConsoleRig } from '../support/console-rig';
import { BUSINESS_NUMBER_ID, WABA_ID, type ServiceRig } from '../support/service';

const consoleTest = useConsoleRig();
let consoleRig: ConsoleRig;
let rig: ServiceRig;
beforeAll(() => {
  ({ rig: consoleRig, service: rig } = consoleTest);
});

describe('messages sent from the WhatsApp Business app in the agent inbox', () => {
  it('shows the echo among our messages, labelled as sent from the app', async () => {
    const customer = consoleRig.newCustomer();
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'Is the shop open today?' });
    await consoleRig.heldByAgent(customer);
    const echo = { from: '12025550107', to: customer, id: `wamid.echo-${customer}`, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: 'Open until 7pm today' } };
    await rig.simulator.deliverWebhook({
      object: 'whatsapp_business_account',
      entry: [{ id: WABA_ID, changes: [{ field: 'smb_message_echoes', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '12025550107', phone_number_id: BUSINESS_NUMBER_ID }, message_echoes: [echo] } }] }],
    });

    const { page, accessibilityViolations } = await consoleRig.open('agent');
    const panel = await inboxPanel(page, customer);
    const shown = panel.locator('li.message.outbound').filter({ hasText: 'Open until 7pm today' });
    await shown.waitFor({ timeout: 20_000 });
    await shown.getByText(/sent from the WhatsApp Business app/).waitFor();
    expect(await accessibilityViolations()).toEqual([]);
  }, 90_000);
});
