/**
 * The thread shows every outbound type as the customer sees it (audio player, document link with its name, location
 * link, contact card, reply buttons, a quoted reply, our reaction under the customer's bubble); the agent sends
 * buttons, a list and an attached file from the inbox, reacts to a customer's message and quotes one (Meta's reaction
 * messages and `context.message_id`); opening the conversation marks the customer's message read and typing shows the
 * typing indicator on WhatsApp.
 */
import { randomBytes } from 'node:crypto';
import { inboxPanel, useConsoleRig, type ConsoleRig } from '../support/console-rig';
import { png } from '../support/media-fixtures';
import { BUSINESS_NUMBER_ID, type ServiceRig } from '../support/service';
import { eventually } from '../support/workflow-env';
import { putMedia } from '../../store/media.store';

const consoleTest = useConsoleRig();
let consoleRig: ConsoleRig;
let rig: ServiceRig;
beforeAll(() => {
  ({ rig: consoleRig, service: rig } = consoleTest);
});

const path = (customer: string, rest = '') => `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${customer}`)}${rest}`;
async function stored(mimeType: string): Promise<string> {
  const mediaId = `out_${randomBytes(16).toString('hex')}`;
  const bytes = randomBytes(2048);
  await putMedia(rig.store, mediaId, bytes, { mimeType, size: bytes.length, sha256: '', direction: 'outbound' } as never);
  return mediaId;
}
const sentTo = (customer: string) => rig.simulator.sent().filter((m) => m.to === customer);

describe('message types in the agent inbox', () => {
  it('renders each outbound type, a quoted reply and our reaction, and marks the customer read on opening', async () => {
    const customer = consoleRig.newCustomer();
    const { wamid } = await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'Where is my parcel?' });
    await consoleRig.heldByAgent(customer);
    const messages: object[] = [
      { type: 'text', text: 'Let me check.', replyTo: wamid },
      { type: 'reaction', messageId: wamid, emoji: '\u{1F44D}' },
      { type: 'audio', mediaId: await stored('audio/ogg') },
      { type: 'document', mediaId: await stored('application/pdf'), filename: 'label-42.pdf' },
      { type: 'location', latitude: 48.8606, longitude: 2.3376, name: 'Louvre pick-up point' },
      { type: 'contacts', contacts: [{ name: { formatted_name: 'Depot Paris' }, phones: [{ phone: '+33 1 23 45 67 89', type: 'WORK' }] }] },
      { type: 'buttons', body: 'Did that help?', buttons: [{ id: 'yes', title: 'Yes, thanks' }, { id: 'no', title: 'Not really' }] },
    ];
    for (const message of messages) expect((await rig.request('POST', path(customer, '/messages'), { message })).status).toBe(202);

    const { page, accessibilityViolations, screenshot } = await consoleRig.open('agent');
    const panel = await inboxPanel(page, customer);
    await eventually(() => rig.simulator.reads().filter((r) => r.messageId === wamid), (reads) => reads.length === 1, 15_000);

    const inbound = panel.locator('li.message.inbound').filter({ hasText: 'Where is my parcel?' });
    await inbound.getByLabel('Reactions').getByText('\u{1F44D}').waitFor({ timeout: 20_000 });
    await panel.locator('li.message.outbound blockquote.quote').getByText('Where is my parcel?').waitFor();
    await panel.locator('li.message[data-type="audio"] audio').waitFor();
    await panel.getByRole('link', { name: /label-42\.pdf · 2 KB/ }).waitFor();
    expect(await panel.getByRole('link', { name: /Louvre pick-up point/ }).getAttribute('href')).toContain('mlat=48.8606');
    await panel.getByLabel('Contact cards').getByText('Depot Paris').waitFor();
    await panel.getByLabel('Reply buttons').getByText('Yes, thanks').waitFor();
    expect(await accessibilityViolations()).toEqual([]);
    await screenshot('message-types');
  }, 90_000);

  it('sends reply buttons, a list and an attached picture from the reply box, and shows typing while the agent types', async () => {
    const customer = consoleRig.newCustomer();
    const { wamid } = await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'Which size?' });
    await consoleRig.heldByAgent(customer);
    const { page, accessibilityViolations } = await consoleRig.open('agent');
    const panel = await inboxPanel(page, customer);

    await panel.getByLabel('Reply').fill('Let me');
    await eventually(() => rig.simulator.reads().filter((r) => r.messageId === wamid && r.typing), (reads) => reads.length === 1, 15_000);

    await panel.getByText('Buttons or list').click();
    await panel.getByLabel('Question').fill('Which size?');
    await panel.getByLabel('Options, one a line').fill('Small\nMedium\nLarge');
    await panel.getByRole('button', { name: 'Send buttons' }).click();
    await eventually(() => sentTo(customer), (s) => s.length === 1, 15_000);
    await panel.getByLabel('Offer').selectOption('list');
    await panel.getByLabel('Question').fill('Pick a colour');
    await panel.getByLabel('List button').fill('Colours');
    await panel.getByLabel('Options, one a line').fill('Red\nBlue');
    await panel.getByRole('button', { name: 'Send list' }).click();
    await eventually(() => sentTo(customer), (s) => s.length === 2, 15_000);

    await panel.getByText('Attach a file').click();
    await panel.getByLabel('File', { exact: true }).setInputFiles({ name: 'size-chart.png', mimeType: 'image/png', buffer: png });
    await panel.getByLabel('Caption').fill('Our size chart');
    await panel.getByRole('button', { name: 'Send image' }).click();

    const sent = await eventually(() => sentTo(customer), (s) => s.length === 3, 30_000);
    expect(sent[0]!.body).toMatchObject({ type: 'interactive', interactive: { type: 'button', body: { text: 'Which size?' }, action: { buttons: [{ reply: { title: 'Small' } }, { reply: { title: 'Medium' } }, { reply: { title: 'Large' } }] } } });
    expect(sent[1]!.body).toMatchObject({ type: 'interactive', interactive: { type: 'list', action: { button: 'Colours', sections: [{ rows: [{ title: 'Red' }, { title: 'Blue' }] }] } } });
    expect(sent[2]!.body).toMatchObject({ type: 'image', image: { caption: 'Our size chart' } });
    await panel.getByLabel('Reply buttons').getByText('Medium').waitFor({ timeout: 15_000 });
    expect(await accessibilityViolations()).toEqual([]);
  }, 90_000);

  it("says WhatsApp's limit (four options for reply buttons) before sending, and sends nothing", async () => {
    const customer = consoleRig.newCustomer();
    await consoleRig.customerWrites(customer, 'hi');
    await consoleRig.heldByAgent(customer);
    const { page } = await consoleRig.open('agent');
    const panel = await inboxPanel(page, customer);
    await panel.getByText('Buttons or list').click();
    await panel.getByLabel('Question').fill('Pick one');
    await panel.getByLabel('Options, one a line').fill('A\nB\nC\nD');
    await panel.getByRole('button', { name: 'Send buttons' }).click();
    await panel.getByRole('status').getByText('Reply buttons take at most 3 options (4 given).').waitFor({ timeout: 10_000 });
    expect(sentTo(customer)).toEqual([]);
  }, 60_000);

  it("reacts to the customer's message, takes the reaction back, and quotes it in a reply: the broker gets Meta's shapes", async () => {
    const customer = consoleRig.newCustomer();
    const { wamid } = await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'Can I change the address?' });
    await consoleRig.heldByAgent(customer);
    const { page, accessibilityViolations } = await consoleRig.open('agent');
    const panel = await inboxPanel(page, customer);
    const bubble = panel.locator('li.message.inbound').filter({ hasText: 'Can I change the address?' });

    await bubble.getByText('React').click();
    await bubble.getByRole('button', { name: 'React \u{1F44D}' }).click();
    const [reaction] = await eventually(() => sentTo(customer), (s) => s.length === 1, 15_000);
    expect(reaction!.body).toEqual(expect.objectContaining({ messaging_product: 'whatsapp', to: customer, type: 'reaction', reaction: { message_id: wamid, emoji: '\u{1F44D}' } }));
    await bubble.getByLabel('Reactions').getByText('\u{1F44D}').waitFor({ timeout: 15_000 });

    await bubble.getByRole('button', { name: 'Remove reaction' }).click();
    const sent = await eventually(() => sentTo(customer), (s) => s.length === 2, 15_000);
    expect(sent[1]!.body).toMatchObject({ type: 'reaction', reaction: { message_id: wamid, emoji: '' } });

    await bubble.getByRole('button', { name: 'Quote' }).click();
    await panel.getByRole('status').getByText('Can I change the address?').waitFor();
    await panel.getByLabel('Reply').fill('Yes: send me the new one.');
    await panel.getByRole('button', { name: 'Send', exact: true }).click();
    const withQuote = await eventually(() => sentTo(customer), (s) => s.length === 3, 15_000);
    expect(withQuote[2]!.body).toMatchObject({ type: 'text', context: { message_id: wamid }, text: { body: 'Yes: send me the new one.' } });
    await panel.locator('li.message.outbound blockquote.quote').getByText('Can I change the address?').waitFor({ timeout: 15_000 });
    // The quote went with that send: the next one quotes nothing.
    expect(await panel.getByText("Don't quote").count()).toBe(0);
    expect(await accessibilityViolations()).toEqual([]);
  }, 90_000);

  it('offers reactions and quotes only while the window is open (both are session messages), and the API refuses a late reaction', async () => {
    const customer = consoleRig.newCustomer();
    // The customer wrote 23 h 59 min 35 s ago: the window closes 25 s from now, while the agent looks.
    const { wamid } = await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'Late question', timestamp: Math.floor(Date.now() / 1000) - 24 * 3600 + 25 });
    await consoleRig.heldByAgent(customer);
    const { page } = await consoleRig.open('agent');
    const panel = await inboxPanel(page, customer);
    const bubble = panel.locator('li.message.inbound').filter({ hasText: 'Late question' });
    await bubble.getByRole('button', { name: 'Quote' }).waitFor({ timeout: 10_000 });
    await bubble.getByRole('button', { name: 'Quote' }).waitFor({ state: 'detached', timeout: 40_000 });
    expect(await bubble.getByText('React').count()).toBe(0);

    const late = await rig.request('POST', path(customer, '/messages'), { message: { type: 'reaction', messageId: wamid, emoji: '\u{1F44D}' } });
    expect(late).toMatchObject({ status: 409, body: { code: 'template_required' } });
    expect(sentTo(customer)).toEqual([]);
  }, 90_000);
});
