import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';

/**
 * The connector against the strict simulator, through the real API, worker and webhooks: what Meta would refuse is
 * refused up front (422 naming the field and the rule), and what Meta reports later is recorded where users look.
 */
let rig: ServiceRig;
let next = 15557000000 + Math.floor(Math.random() * 900_000);
const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const supervisor = (method: string, path: string, body?: unknown) => rig.requestAs('supervisor', method, path, body);
const keyOf = (name: string) => `${BUSINESS_NUMBER_ID}:${name}:en_US`;
const create = (name: string, definition: object, category = 'utility') => supervisor('POST', '/v1/templates', { businessNumberId: BUSINESS_NUMBER_ID, name, language: 'en_US', category, definition });
const path = (customer: string, rest = '') => `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${customer}`)}${rest}`;

beforeAll(async () => {
  rig = await startService();
  await supervisor('POST', '/v1/numbers', { phoneNumberId: BUSINESS_NUMBER_ID, displayNumber: '+1 202 555 0107', verificationMethod: 'sms', ownership: { attestedBy: 'Grace', statement: true } });
}, 60_000);
afterAll(async () => rig?.stop());

async function openConversation(): Promise<string> {
  const customer = String((next += 1));
  await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'hi' });
  await eventually(() => rig.request('GET', path(customer)), (r) => r.body.state === 'openSession');
  return customer;
}
const lastMessage = async (customer: string) => (await rig.request('GET', path(customer, '/messages'))).body.messages.at(-1);

async function approved(name: string, definition: object) {
  expect((await create(name, definition)).status).toBe(201);
  const id = rig.simulator.templates().find((t) => t.name === name)!.id;
  await rig.simulator.playReview(id, [{ status: 'APPROVED' }]);
  await eventually(() => rig.request('GET', `/v1/templates/${keyOf(name)}`), (r) => r.body.status === 'APPROVED');
  return id;
}

describe('templates Meta will approve', () => {
  it('refuses with 422 a body placeholder without example and an image header without sample, submitting nothing', async () => {
    const before = rig.simulator.templates().length;
    const answer = await create('promo_image', { header: { format: 'image' }, body: { text: 'Hello {{1}}, our new shop opens soon.' } });
    expect(answer).toMatchObject({ status: 422, body: { code: 'template_invalid' } });
    expect(answer.body.errors).toEqual(expect.arrayContaining([
      expect.objectContaining({ path: 'definition.header.sample', rule: 'media_sample_required' }),
      expect.objectContaining({ path: 'definition.body.examples', rule: 'example_required' }),
    ]));
    expect(rig.simulator.templates().length).toBe(before);
  });

  it.each([
    ['a placeholder at the start of the body', { body: { text: '{{1}} is your order number today.', examples: ['A1'] } }, 'parameter_at_edge'],
    ['adjacent placeholders', { body: { text: 'Hello {{1}} {{2}}, welcome to the shop.', examples: ['a', 'b'] } }, 'adjacent_parameters'],
    ['too many placeholders for the text', { body: { text: 'Hi {{1}}, {{2}}, {{3}} ok.', examples: ['a', 'b', 'c'] } }, 'parameter_ratio'],
    ['a 26-character button', { body: { text: 'Your parcel is on its way.' }, buttons: [{ type: 'quick_reply', text: 'q'.repeat(26) }] }, 'button_text_length'],
    ['quick replies split by a URL button', { body: { text: 'Your parcel is on its way.' }, buttons: [{ type: 'quick_reply', text: 'A' }, { type: 'url', text: 'Site', url: 'https://example.com' }, { type: 'quick_reply', text: 'B' }] }, 'quick_replies_grouped'],
  ])('refuses with 422 %s, naming the rule', async (_what, definition, rule) => {
    const answer = await create(`bad_${rule}`, definition);
    expect(answer).toMatchObject({ status: 422, body: { code: 'template_invalid' } });
    expect(answer.body.errors.map((e: { rule: string }) => e.rule)).toContain(rule);
  });

  it('uploads the image sample through the Resumable Upload API and sends examples, so the strict simulator accepts it', async () => {
    const form = new FormData();
    form.set('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'sample.png');
    // The supervisor who writes the template uploads its sample with their own key (README "Templates").
    const uploaded = await fetch(`${rig.baseUrl}/v1/media`, { method: 'POST', headers: { authorization: `Bearer ${rig.keys.supervisor}` }, body: form });
    expect(uploaded.status).toBe(201);
    const { mediaId } = (await uploaded.json()) as { mediaId: string };
    const answer = await create('spring_banner', {
      header: { format: 'image', sample: { mediaId } },
      body: { text: 'Hello {{first_name}}, our spring sale starts on {{day}}.', examples: { first_name: 'Ada', day: 'Friday' } },
      buttons: [{ type: 'url', text: 'Shop now', url: 'https://shop.example/s/{{1}}', example: 'spring' }, { type: 'copy_code', example: 'SPRING10' }],
    }, 'marketing');
    expect(answer.status).toBe(201);
    const held = rig.simulator.templates().find((t) => t.name === 'spring_banner')!;
    expect(held.parameterFormat).toBe('NAMED');
    const header = (held.components as { type: string; example?: { header_handle?: string[] } }[]).find((c) => c.type === 'HEADER')!;
    expect(rig.simulator.uploadedSample(header.example!.header_handle![0]!)?.bytes.equals(png)).toBe(true);
    expect(held.components).toEqual(expect.arrayContaining([
      expect.objectContaining({ type: 'BODY', example: { body_text_named_params: [{ param_name: 'first_name', example: 'Ada' }, { param_name: 'day', example: 'Friday' }] } }),
    ]));
  });

  it('creates an authentication template with a copy-code button and an expiry, in Meta\'s shape', async () => {
    const answer = await create('login_code', { body: { text: '{{1}} is your verification code.' }, authentication: { otpType: 'copy_code', addSecurityRecommendation: true, codeExpirationMinutes: 5 } }, 'authentication');
    expect(answer.status).toBe(201);
    expect(rig.simulator.templates().find((t) => t.name === 'login_code')!.components).toEqual([
      { type: 'BODY', add_security_recommendation: true },
      { type: 'FOOTER', code_expiration_minutes: 5 },
      { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE' }] },
    ]);
  });
});

describe('template edits as WhatsApp limits them', () => {
  it('edits an APPROVED template once, then answers 429 template_edit_limit_reached with retryAt, submitting nothing', async () => {
    const id = await approved('edit_limited', { body: { text: 'Your parcel is on its way.' } });
    const edit = (text: string) => supervisor('PUT', `/v1/templates/${keyOf('edit_limited')}`, { definition: { body: { text } } });
    expect(await edit('Your parcel left our warehouse.')).toMatchObject({ status: 200, body: { status: 'PENDING' } });
    await rig.simulator.playReview(id, [{ status: 'APPROVED' }]);
    await eventually(() => rig.request('GET', `/v1/templates/${keyOf('edit_limited')}`), (r) => r.body.status === 'APPROVED');

    const refused = await edit('Your parcel is nearly there.');
    expect(refused).toMatchObject({ status: 429, contentType: expect.stringContaining('application/problem+json'), body: { code: 'template_edit_limit_reached' } });
    const retryAt = Date.parse(refused.body.retryAt);
    expect(retryAt).toBeGreaterThan(Date.now() + 23 * 3600_000);
    expect(retryAt).toBeLessThanOrEqual(Date.now() + 24 * 3600_000);
    expect(rig.simulator.templates().find((t) => t.id === id)!.components).toEqual([{ type: 'BODY', text: 'Your parcel left our warehouse.' }]);
  });

  it('edits a REJECTED template as often as needed', async () => {
    expect((await create('edit_rejected', { body: { text: 'Your parcel is on its way.' } })).status).toBe(201);
    const id = rig.simulator.templates().find((t) => t.name === 'edit_rejected')!.id;
    for (const text of ['Your parcel left.', 'Your parcel is near.']) {
      await rig.simulator.playReview(id, [{ status: 'REJECTED', reason: 'INVALID_FORMAT' }]);
      await eventually(() => rig.request('GET', `/v1/templates/${keyOf('edit_rejected')}`), (r) => r.body.status === 'REJECTED');
      expect((await supervisor('PUT', `/v1/templates/${keyOf('edit_rejected')}`, { definition: { body: { text } } })).status).toBe(200);
    }
  });
});

describe('sends Meta would refuse, and what Meta reports later', () => {
  it('refuses with 422 a parameter holding a newline, a tab or five spaces (Meta 132018), sending nothing', async () => {
    await approved('parcel_note', { body: { text: 'Hello {{1}}, your parcel ships today.', examples: ['Ada'] } });
    const customer = await openConversation();
    const before = rig.simulator.sent().length;
    for (const bad of ['Ada\nLovelace', 'Ada\tLovelace', 'Ada     Lovelace']) {
      const answer = await rig.request('POST', path(customer, '/messages'), { message: { type: 'template', name: 'parcel_note', language: 'en_US', components: [{ type: 'body', parameters: [{ type: 'text', text: bad }] }] } });
      expect(answer).toMatchObject({ status: 422, body: { code: 'template_parameters_mismatch' } });
      expect(answer.body.errors[0].message).toContain('132018');
    }
    expect(rig.simulator.sent().length).toBe(before);
  });

  it('records the wa_id Meta answers when it differs from the number sent to', async () => {
    const customer = await openConversation();
    rig.simulator.setWaId(customer, `${customer}9`);
    await rig.request('POST', path(customer, '/messages'), { message: { type: 'text', text: 'hello' } });
    const message = await eventually(() => lastMessage(customer), (m) => m.status !== 'queued' && m.direction === 'outbound');
    expect(message).toMatchObject({ recipientWaId: `${customer}9` });
  });

  it('marks a send Meta cannot deliver (131026 by failed status webhook) as failed with its reason', async () => {
    const customer = await openConversation();
    rig.simulator.setUnreachable(customer);
    await rig.request('POST', path(customer, '/messages'), { message: { type: 'text', text: 'anyone there?' } });
    const failed = await eventually(() => lastMessage(customer), (m) => m.status === 'failed');
    expect(failed.failure).toMatchObject({ code: 131026, reason: 'broker_rejected', action: 'refuse', title: 'Message undeliverable' });
  });

  it('blocks a template Meta paused (132015) and refuses it up front afterwards', async () => {
    const id = await approved('weekly_digest', { body: { text: 'Your weekly digest is ready to read.' } });
    await rig.simulator.setTemplateStatus(id, 'PAUSED', { silently: true }); // the webhook was lost
    const customer = await openConversation();
    expect((await rig.request('POST', path(customer, '/messages'), { message: { type: 'template', name: 'weekly_digest', language: 'en_US' } })).status).toBe(202);
    const failed = await eventually(() => lastMessage(customer), (m) => m.status === 'failed');
    expect(failed.failure).toMatchObject({ code: 132015, action: 'blockTemplate' });
    await eventually(() => rig.request('GET', `/v1/templates/${keyOf('weekly_digest')}`), (r) => r.body.status === 'PAUSED');
    expect((await rig.request('POST', path(customer, '/messages'), { message: { type: 'template', name: 'weekly_digest', language: 'en_US' } })).body.code).toBe('template_not_approved');
  });

  it('records the quality score from message_template_quality_update', async () => {
    const id = rig.simulator.templates().find((t) => t.name === 'parcel_note')!.id;
    await rig.simulator.playReview(id, [{ quality: 'YELLOW' }]);
    await eventually(() => rig.request('GET', `/v1/templates/${keyOf('parcel_note')}`), (r) => r.body.quality === 'YELLOW');
  });
});
