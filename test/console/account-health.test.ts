/**
 * What supervisors see of account health (issue 20), in headless Chromium: the banner with WhatsApp's alert and what
 * to do, the campaign it paused, and resolving it from the banner, which resumes the campaign.
 */
import { startConsoleRig, type ConsoleRig } from '../support/console-rig';
import { BUSINESS_NUMBER_ID, type ServiceRig } from '../support/service';
import { eventually } from '../support/workflow-env';

let consoleRig: ConsoleRig;
let rig: ServiceRig;

beforeAll(async () => {
  consoleRig = await startConsoleRig();
  rig = consoleRig.rig;
  await rig.approveTemplate('health_banner', 'en_US');
}, 60_000);
afterAll(async () => consoleRig?.stop());
afterEach(async () => {
  expect(await consoleRig.closePages()).toEqual([]);
});

describe('the account-health banner', () => {
  it('shows supervisors the alert for a flagged number with what to do and the campaign it paused, and resumes the campaign from the banner', async () => {
    const list = Array.from({ length: 5 }, () => consoleRig.newCustomer());
    const created = await rig.request('POST', '/v1/campaigns', { businessNumberId: BUSINESS_NUMBER_ID, template: { name: 'health_banner', language: 'en_US' }, recipients: list.map((waId) => ({ waId })), ratePerSecond: 1 });
    const id = created.body.campaignId as string;
    await eventually(() => rig.request('GET', `/v1/campaigns/${id}`), (r) => r.body.processed >= 1, 20_000);
    const flagged = await fetch(`${rig.simulator.url}/_sim/account-health/phone_number_quality_update`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ displayPhoneNumber: '12025550107', event: 'FLAGGED' }),
    });
    expect(flagged.status).toBe(200);
    await eventually(() => rig.request('GET', `/v1/campaigns/${id}`), (r) => r.body.state === 'paused', 20_000);

    const { page, screenshot, accessibilityViolations } = await consoleRig.open('supervisor');
    const banner = page.getByRole('region', { name: 'Account health' });
    const alert = banner.getByRole('article', { name: /Quality rating is low/ });
    await alert.waitFor({ timeout: 15_000 });
    expect(await alert.getByRole('heading').textContent()).toBe('Action needed: Quality rating is low (RED): the number is flagged');
    expect(await alert.textContent()).toContain('Campaigns from this number are paused');
    const campaigns = alert.getByRole('list', { name: 'Campaigns paused by this alert' });
    expect(await campaigns.textContent()).toMatch(new RegExp(`Campaign ${id} \\(health_banner\\): paused, \\d of 5 handed over`));
    expect(await accessibilityViolations()).toEqual([]);
    await screenshot('account-health-banner');

    // Other roles do not see it.
    const agent = await consoleRig.open('agent');
    await agent.page.getByRole('navigation', { name: 'Console pages' }).waitFor();
    expect(await agent.page.getByRole('region', { name: 'Account health' }).count()).toBe(0);

    await alert.getByRole('button', { name: 'Resolve and resume campaigns' }).click();
    await alert.waitFor({ state: 'detached', timeout: 10_000 });
    const done = await eventually(() => rig.request('GET', `/v1/campaigns/${id}`), (r) => r.body.state === 'completed', 30_000);
    expect(done.body.counts.queued).toBe(5);
  }, 120_000);

  it("shows analysts the billable messages by category and the cost estimate from the supervisors' rate card", async () => {
    // The campaign's templates above were priced by their status webhooks (utility, outside any window: billable).
    expect((await rig.requestAs('supervisor', 'PUT', '/v1/pricing/rate-card', { currency: 'EUR', rates: { utility: 0.01 } })).status).toBe(200);
    const { page, accessibilityViolations } = await consoleRig.open('analyst');
    await page.getByRole('link', { name: 'Analysis' }).click();
    await page.getByLabel('Business number id').fill(BUSINESS_NUMBER_ID);
    await page.getByRole('button', { name: 'Compute' }).click();
    const chart = page.getByTestId('kpis').getByRole('img', { name: /Billable and free messages by category/ });
    await chart.waitFor({ timeout: 60_000 });
    expect(await chart.getAttribute('aria-label')).toMatch(/utility billable [1-9]/);
    expect(await page.getByTestId('cost-estimate').textContent()).toMatch(/^Estimated cost: 0\.0\d+ EUR$/);
    expect(await accessibilityViolations()).toEqual([]);
  }, 90_000);
});
