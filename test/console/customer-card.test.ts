/** The conversation panel says who the person is and lists their other conversations (from the customer registry). */
import { inboxPanel, startConsoleRig, type ConsoleRig } from '../support/console-rig';
import { BUSINESS_NUMBER_ID } from '../support/service';

let consoleRig: ConsoleRig;
beforeAll(async () => {
  consoleRig = await startConsoleRig();
}, 60_000);
afterAll(async () => consoleRig?.stop());

it("shows the customer's number, username and their conversation on another business number", async () => {
  const { rig } = consoleRig;
  const phone = consoleRig.newCustomer();
  const bsuid = `US.${phone}01`;
  // The same person wrote to another business number first (a second phone-number id of the business).
  await rig.simulator.sendInboundText({ phoneNumberId: '106540352249999', from: phone, userId: bsuid, text: 'earlier, elsewhere' });
  await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: phone, userId: bsuid, username: 'ada', profileName: 'Ada', text: 'hello' });
  await consoleRig.heldByAgent(bsuid);
  const { page, accessibilityViolations } = await consoleRig.open('agent');
  const panel = await inboxPanel(page, bsuid);
  const card = panel.locator('details.customer');
  await card.getByText(`+${phone} · @ada · 1 other conversation`).waitFor({ timeout: 15_000 });
  await card.locator('summary').click();
  await card.getByText(`wa:106540352249999:${bsuid}`, { exact: false }).waitFor();
  expect(await accessibilityViolations()).toEqual([]);
  expect(await consoleRig.closePages()).toEqual([]);
});
