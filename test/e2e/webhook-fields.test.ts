/**
 * Webhook fields the connector does not act on, posted as Meta's webhook references write them (whole bodies,
 * signed): each is acknowledged, and kept where a supervisor sees it (`GET /v1/dead-letters?reason=field_not_handled`)
 * so a later release can replay it, never dropped uncounted. Pages: https://developers.facebook.com/documentation/
 * business-messaging/whatsapp/webhooks/reference/<field>.
 */
import { BUSINESS_NUMBER_ID, WABA_ID, startService, type ServiceRig } from '../support/service';
import { postSignedWebhook } from '../support/signed-webhook';

let rig: ServiceRig;
const METADATA = { display_phone_number: '15550783881', phone_number_id: BUSINESS_NUMBER_ID };

const post = (body: object) => postSignedWebhook(rig.baseUrl, body);
const change = (field: string, value: unknown) => ({ object: 'whatsapp_business_account', entry: [{ id: WABA_ID, time: Math.floor(Date.now() / 1000), changes: [{ value, field }] }] });
const kept = async () =>
  ((await rig.requestAs('supervisor', 'GET', '/v1/dead-letters?reason=field_not_handled&limit=500')).body.deadLetters as { field: string; raw: string; detail: string; businessNumberId?: string }[]);

beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

const unique = () => Math.random().toString(36).slice(2);

describe('fields the connector does not act on are acknowledged and kept, never lost', () => {
  it.each([
    // https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/account_review_update/
    ['account_review_update', () => ({ decision: 'APPROVED', note: unique() })],
    // https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/phone_number_name_update
    ['phone_number_name_update', () => ({ display_phone_number: '15550783881', decision: 'APPROVED', requested_verified_name: `Lucky Shrub ${unique()}`, rejection_reason: null })],
    // (smb_message_echoes is acted on: test/e2e/business-app-echoes.test.ts.)
  ])('%s', async (field, value) => {
    const body = value();
    const delivered = change(field, body);
    const answer = await post(delivered);
    // A letter newly kept counts in the answer (README *Dead letters*); the redelivery below adds none.
    expect(answer).toMatchObject({ status: 200, body: { received: { ignoredChanges: 1, deadLetters: 1, messages: 0 } } });
    const letter = (await kept()).find((l) => l.field === field && l.raw.includes(JSON.stringify(body)));
    expect(letter).toBeDefined();
    expect(letter!.detail).toContain(field);
    // Which account it came for, kept beside it
    expect(JSON.parse((letter as { context?: string }).context ?? '{}')).toMatchObject({ entry: { id: WABA_ID } });
    // Meta delivers it again: still one letter
    // (the same body: its entry time too, which with the account tells two events of equal value apart)
    expect(await post(delivered)).toMatchObject({ status: 200, body: { received: { ignoredChanges: 1, deadLetters: 0 } } });
    expect((await kept()).filter((l) => l.field === field && l.raw.includes(JSON.stringify(body)))).toHaveLength(1);
  });

  // https://developers.facebook.com/documentation/business-messaging/whatsapp/marketing-messages/track-click-events: a
  // click on a marketing message's link arrives on the `messages` field as `user_actions`, with no messages or statuses.
  it('keeps a `messages` change that carries none of messages, statuses or errors (user_actions: a marketing link click)', async () => {
    const clickId = unique();
    const value = {
      messaging_product: 'whatsapp',
      metadata: METADATA,
      user_actions: [{ action_type: 'marketing_messages_link_click', timestamp: '1739321024', marketing_messages_link_click_data: { click_component: 'cta', product_id: 'sku_id', click_id: clickId, tracking_token: 'example_token' } }],
    };
    const answer = await post(change('messages', value));
    expect(answer).toMatchObject({ status: 200, body: { received: { ignoredChanges: 1, messages: 0, statuses: 0, deadLetters: 1 } } });
    const letter = (await kept()).find((l) => l.field === 'messages' && l.raw.includes(clickId));
    expect(letter).toMatchObject({ businessNumberId: BUSINESS_NUMBER_ID });
  });

  it('keeps the others beside a handled message in one body, and handles the message', async () => {
    const customer = String(15557100000 + Math.floor(Math.random() * 90_000));
    const wamid = `wamid.${unique()}`;
    const echo = { messaging_product: 'whatsapp', metadata: METADATA, history: [{ metadata: { phase: 0, chunk_order: 1, progress: 10 }, threads: [{ id: customer, messages: [] }] }], tag: unique() };
    const body = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: WABA_ID,
          changes: [
            { field: 'history', value: echo },
            { field: 'messages', value: { messaging_product: 'whatsapp', metadata: METADATA, contacts: [{ profile: { name: 'Sheena' }, wa_id: customer }], messages: [{ from: customer, id: wamid, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: 'hi' } }] } },
          ],
        },
      ],
    };
    expect(await post(body)).toMatchObject({ status: 200, body: { received: { messages: 1, ignoredChanges: 1 } } });
    expect((await kept()).some((l) => l.field === 'history' && l.raw.includes(echo.tag))).toBe(true);
  });
});
