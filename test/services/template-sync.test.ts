import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { createTemplateApiClient } from '../../integrations/broker/template-api.client';
import { createTemplateService } from '../../services/templates.service';
import type { Store } from '../../store/db';
import type { TemplateDoc } from '../../store/documents';
import { findTemplateByKey, insertTemplate } from '../../store/templates.store';
import { insertNumber } from '../../store/numbers.store';
import { useTestStore } from '../support/test-store';

/**
 * The sync against Meta's template list as Meta documents it (GET /<WABA_ID>/message_templates, "Get templates",
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-management): `data[]`
 * of templates (name, parameter_format, components, language, status, category, id) and `paging` with `cursors` and a
 * `next` URL while more pages follow. A template of ours that no page lists is gone at WhatsApp: DELETED; one on the
 * second page is not.
 */
const WABA = '102290129340398';
const NUMBER = '106540352242922';
let store: Store;
useTestStore('template_sync', (s) => (store = s));

let server: Server;
let base = '';
let pages: Record<string, unknown>[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', base);
    const page = pages[Number(url.searchParams.get('after') ?? 0)] ?? { data: [], paging: { cursors: { before: '', after: '' } } };
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(page));
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((done) => server.close(done)));

const metaTemplate = (id: string, name: string, status: string) => ({
  name,
  parameter_format: 'POSITIONAL',
  components: [{ type: 'BODY', text: `The ${name.replace(/_/g, ' ')} is here.` }],
  language: 'en_US',
  status,
  category: 'UTILITY',
  id,
});
const ours = (id: string, name: string, status: TemplateDoc['status'] = 'APPROVED'): TemplateDoc => ({
  _id: `${NUMBER}:${name}:en_US`,
  businessNumberId: NUMBER,
  name,
  language: 'en_US',
  category: 'utility',
  status,
  body: 'x',
  brokerTemplateId: id,
  wabaId: WABA,
  updatedAt: new Date(),
  history: [],
});

describe("the template sync against Meta's list", () => {
  it('marks DELETED only what no page lists, counts it, and changes nothing the second time', async () => {
    pages = [
      { data: [metaTemplate('1001', 'seat_confirmed', 'APPROVED')], paging: { cursors: { before: 'QVFI', after: 'QVFJ' }, next: `${base}/v23.0/${WABA}/message_templates?after=1` } },
      { data: [metaTemplate('1002', 'seat_changed', 'APPROVED')], paging: { cursors: { before: 'QVFK', after: 'QVFL' } } },
    ];
    for (const doc of [ours('1001', 'seat_confirmed'), ours('1002', 'seat_changed'), ours('1003', 'seat_cancelled'), ours('1004', 'seat_waitlisted', 'PENDING_DELETION')]) await insertTemplate(store, doc);
    const broker = createTemplateApiClient({ baseUrl: base, version: 'v23.0', accessToken: 't', timeoutMs: 2_000 });
    const templates = createTemplateService({ store, broker, logger: pino({ level: 'silent' }) });

    expect(await templates.sync()).toEqual({ accounts: 1, checked: 2, changed: 2, deleted: 2, imported: 0 });
    const status = async (name: string) => (await findTemplateByKey(store, `${NUMBER}:${name}:en_US`))!.status;
    expect(await status('seat_confirmed')).toBe('APPROVED');
    expect(await status('seat_changed')).toBe('APPROVED');
    expect(await status('seat_cancelled')).toBe('DELETED');
    expect(await status('seat_waitlisted')).toBe('DELETED');
    expect((await findTemplateByKey(store, `${NUMBER}:seat_cancelled:en_US`))!.history!.at(-1)).toMatchObject({ status: 'DELETED', source: 'sync', reason: "no longer in WhatsApp's template list" });
    expect(await templates.sync()).toEqual({ accounts: 1, checked: 2, changed: 0, deleted: 0, imported: 0 });
  });

  it('takes in, for each registered number of the account, a template made in WhatsApp Manager, once (chatwoot/chatwoot#13805)', async () => {
    const OTHER = '106540352242923';
    for (const id of [NUMBER, OTHER]) {
      await insertNumber(store, { _id: id, displayNumber: '+12025550107', numberType: 'MOBILE', wabaId: WABA, verificationMethod: 'sms', ownership: { attestedBy: 'Grace', attestedAt: new Date(), statement: 'x' }, notes: [], registeredAt: new Date(), registeredBy: 'test' });
    }
    await insertTemplate(store, ours('1001', 'seat_confirmed'));
    pages = [{ data: [metaTemplate('2001', 'table_ready', 'APPROVED'), metaTemplate('1001', 'seat_confirmed', 'APPROVED')], paging: { cursors: { before: 'QVFI', after: 'QVFJ' } } }];
    const broker = createTemplateApiClient({ baseUrl: base, version: 'v23.0', accessToken: 't', timeoutMs: 2_000 });
    const templates = createTemplateService({ store, broker, logger: pino({ level: 'silent' }) });

    // seat_confirmed (1001) is ours for NUMBER since the first case: not taken in again, for NUMBER or OTHER.
    expect(await templates.sync()).toMatchObject({ accounts: 1, checked: 2, imported: 2 });
    for (const id of [NUMBER, OTHER]) {
      expect(await findTemplateByKey(store, `${id}:table_ready:en_US`)).toMatchObject({ status: 'APPROVED', category: 'utility', body: 'The table ready is here.', brokerTemplateId: '2001', wabaId: WABA });
    }
    expect(await findTemplateByKey(store, `${OTHER}:seat_confirmed:en_US`)).toBeNull();
    expect(await templates.sync()).toMatchObject({ changed: 0, imported: 0 });
  });
});
