import type { BrokerSimulator } from '../../simulator/broker-simulator';
import { expectMetaError, graph, startSim, WABA } from './support';

/**
 * Editing templates as Meta's template management page ("Edit templates") says: an APPROVED template may be edited
 * once in 24 hours and 10 times in 30 days, its category not at all; REJECTED and PAUSED ones as often as wanted.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-management
 */
let sim: BrokerSimulator;
beforeAll(async () => {
  sim = await startSim({ autoStatuses: false });
});
afterAll(async () => sim.close());

const DAY = 24 * 60 * 60 * 1000;
let n = 0;
const seed = (status: string, approvedEdits: number[] = []) =>
  sim.seedTemplate({ wabaId: WABA, name: `edited_${(n += 1)}`, language: 'en_US', category: 'UTILITY', status, approvedEdits, components: [{ type: 'BODY', text: 'Your parcel is on its way.' }] });
const edit = (id: string, text: string, extra: object = {}) => graph(sim, 'POST', id, { components: [{ type: 'BODY', text }], ...extra });

describe('template edits: how often, and what', () => {
  it('lets an APPROVED template be edited once, then refuses a second edit within 24 hours once it is approved again', async () => {
    const template = seed('APPROVED');
    expect(await edit(template.id, 'Your parcel left our warehouse.')).toMatchObject({ status: 200, body: { success: true } });
    expect(template.status).toBe('PENDING');
    await sim.setTemplateStatus(template.id, 'APPROVED', { silently: true });
    const refused = await edit(template.id, 'Your parcel is nearly there.');
    expectMetaError(refused, 100);
    expect(refused.body.error.error_data.details).toContain('once in 24 hours');
    expect(template.components).toEqual([{ type: 'BODY', text: 'Your parcel left our warehouse.' }]);
  });

  it('refuses an eleventh edit of an APPROVED template within 30 days, and takes a tenth', async () => {
    const now = Date.now();
    const nine = Array.from({ length: 9 }, (_, i) => now - (2 + i * 3) * DAY);
    expect((await edit(seed('APPROVED', nine).id, 'Your parcel left our warehouse.')).status).toBe(200);
    const ten = [...nine, now - 28 * DAY];
    const refused = await edit(seed('APPROVED', ten).id, 'Your parcel left our warehouse.');
    expectMetaError(refused, 100);
    expect(refused.body.error.error_data.details).toContain('10 times in 30 days');
    // Edits older than 30 days no longer count.
    expect((await edit(seed('APPROVED', [...nine, now - 31 * DAY]).id, 'Your parcel left our warehouse.')).status).toBe(200);
  });

  it.each(['REJECTED', 'PAUSED'])('lets a %s template be edited again and again', async (status) => {
    const template = seed(status, [Date.now() - 1000]);
    for (const text of ['Your parcel left.', 'Your parcel is near.', 'Your parcel is here.']) {
      expect((await edit(template.id, text)).status).toBe(200);
      await sim.setTemplateStatus(template.id, status, { silently: true });
    }
  });

  it("refuses a change of an APPROVED template's category, and takes one of a REJECTED template's", async () => {
    expectMetaError(await edit(seed('APPROVED').id, 'Your parcel left.', { category: 'MARKETING' }), 100);
    expect((await edit(seed('REJECTED').id, 'Your parcel left.', { category: 'MARKETING' })).status).toBe(200);
  });
});
