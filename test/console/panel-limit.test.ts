/**
 * The inbox's one stream carries at most LIVE_STREAM_CONVERSATIONS (20) conversations; the server refuses a longer
 * one whole (400 too_many_conversations), which would leave every panel showing that problem. The console opens no
 * 21st panel: it says so, naming the limit the API tells it (GET /v1/whoami `limits`), and the 20 stay live.
 */
import { conversationOf, useConsoleRig } from '../support/console-rig';
import { BUSINESS_NUMBER_ID } from '../support/service';

const shared = useConsoleRig();

describe('the inbox at its panel limit', () => {
  it('refuses a 21st panel with a notice naming the limit, and keeps the 20 open panels live', async () => {
    const { rig: service } = shared.rig;
    expect((await service.requestAs('integrator', 'GET', '/v1/whoami')).body.limits).toEqual({ liveStreamConversations: 20 });
    const [first, last, extra] = [shared.rig.newCustomer(), shared.rig.newCustomer(), shared.rig.newCustomer()];
    for (const customer of [first, last, extra]) await shared.rig.customerWrites(customer, `Hello from ${customer}`);
    // Twenty panels opened from the board already (as the board keeps them), the first and last real conversations.
    const others = Array.from({ length: 18 }, (_, i) => conversationOf(String(15559900000 + i)));
    const panels = [conversationOf(first!), ...others, conversationOf(last!)];
    const { page } = await shared.rig.open('integrator');
    await page.evaluate(`sessionStorage.setItem('wa-console-open', ${JSON.stringify(JSON.stringify(panels))})`);
    await page.reload();

    // The 21st, opened from the board.
    const card = page.locator(`li.card[data-conversation="${conversationOf(extra!)}"]`);
    await card.getByRole('button', { name: 'Open' }).click({ timeout: 20_000 });
    const notice = page.getByRole('status').filter({ hasText: 'Not opened' });
    await notice.waitFor({ timeout: 15_000 });
    expect(await notice.innerText()).toMatch(/at most 20 conversations/);
    expect(await notice.innerText()).toContain(conversationOf(extra!));
    expect(await page.locator(`article[data-conversation="${conversationOf(extra!)}"]`).count()).toBe(0);
    expect(await page.locator('article[data-conversation]').count()).toBe(20);

    // The twenty are live: the first and last show their customers' new messages; no panel shows the stream refused.
    const firstPanel = page.locator(`article[data-conversation="${conversationOf(first!)}"]`);
    await firstPanel.getByText(`Hello from ${first}`).waitFor({ timeout: 15_000 });
    await service.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: first!, text: 'Still there?' });
    await service.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: last!, text: 'Me too' });
    await firstPanel.getByText('Still there?').waitFor({ timeout: 15_000 });
    await page.locator(`article[data-conversation="${conversationOf(last!)}"]`).getByText('Me too').waitFor({ timeout: 15_000 });
    expect(await page.getByText(/too many conversations/i).count()).toBe(0);

    // Hiding one opens the waiting one.
    await firstPanel.getByRole('button', { name: 'Hide' }).click();
    await page.locator(`article[data-conversation="${conversationOf(extra!)}"]`).getByText(`Hello from ${extra}`).waitFor({ timeout: 15_000 });
    expect(await notice.count()).toBe(0);
  });
});
