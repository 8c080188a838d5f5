/**
 * What customers name themselves and their files is shown so it cannot trick the agent: a right-to-left override
 * (U+202E) in a document's file name makes `passwd\u202Efdp.exe` show as `passwdexe.pdf` (CVE-2021-42574, Unicode
 * UAX #9). The connector keeps the name as sent (Meta's document `filename`,
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/document/);
 * the console isolates it and shows each control or bidirectional character as a visible `[U+XXXX]`.
 */
import { inboxPanel, useConsoleRig } from '../support/console-rig';
import { BUSINESS_NUMBER_ID } from '../support/service';
import { pdf, png } from '../support/media-fixtures';
import { eventually } from '../support/workflow-env';

const consoleTest = useConsoleRig();
const spoofed = 'passwd\u202Efdp.exe';

describe("customers' file and profile names in the agent inbox", () => {
  it('shows a right-to-left override as a visible marker, in the real order, and keeps the name as sent', async () => {
    const { rig: consoleRig, service: rig } = consoleTest;
    const customer = consoleRig.newCustomer();
    const from = { phoneNumberId: BUSINESS_NUMBER_ID, from: customer, profileName: 'Support\u202Etnega' };
    await rig.simulator.sendInboundText({ ...from, text: 'Here is the invoice' });
    await consoleRig.heldByAgent(customer);
    await rig.simulator.sendInboundMedia({ ...from, type: 'document', bytes: pdf(4_000), mimeType: 'application/pdf', filename: spoofed });
    const thread = await eventually(
      () => rig.request('GET', `/v1/conversations/${encodeURIComponent(`wa:${BUSINESS_NUMBER_ID}:${customer}`)}/messages`),
      (r) => r.body.messages?.some((m: { document?: { mediaId?: string } }) => m.document?.mediaId),
      20_000,
    );
    // Kept as the customer sent it.
    expect(thread.body.messages.find((m: { type: string }) => m.type === 'document').document.filename).toBe(spoofed);

    const { page, accessibilityViolations } = await consoleRig.open('agent');
    const panel = await inboxPanel(page, customer);
    const link = panel.locator('li.message a.document');
    await link.waitFor({ timeout: 20_000 });
    const shown = await link.innerText();
    expect(shown).toContain('passwd[U+202E]fdp.exe');
    expect(shown).not.toContain('\u202E');
    expect(await link.getAttribute('download')).toBe('passwd[U+202E]fdp.exe');
    expect(await link.locator('bdi').count()).toBe(1);
    const title = await panel.locator('h2').first().innerText();
    expect(title).toBe('Support[U+202E]tnega');
    expect(await accessibilityViolations()).toEqual([]);
  }, 90_000);

  it("marks the override in a quote of a picture's caption, as under the picture itself", async () => {
    // The message shows a caption marked (it may carry overrides as a file name may); a quote of it showed it unmarked,
    // so quoting the picture read `passwdexe.pdf`.
    const { rig: consoleRig, service: rig } = consoleTest;
    const customer = consoleRig.newCustomer();
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'A picture follows' });
    await consoleRig.heldByAgent(customer);
    await rig.simulator.sendInboundMedia({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, type: 'image', bytes: png, mimeType: 'image/png', caption: spoofed });
    const { page } = await consoleRig.open('agent');
    const panel = await inboxPanel(page, customer);
    const bubble = panel.locator('li.message.inbound').filter({ has: page.locator('img') });
    await bubble.waitFor({ timeout: 20_000 });
    expect(await bubble.locator('p').last().innerText()).toBe('passwd[U+202E]fdp.exe');
    await bubble.getByRole('button', { name: 'Quote' }).click();
    const quoted = await panel.locator('p.quoting q').innerText();
    expect(quoted).toBe('passwd[U+202E]fdp.exe');
  }, 90_000);
});
