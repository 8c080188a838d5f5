/**
 * What a customer writes is shown isolated (Unicode UAX #9 isolates, `<bdi>`): a right-to-left override (U+202E)
 * inside a message reorders only that message's own text, never what the console puts beside it. Before, the reply
 * box's "Quoting “abc\u202Edef” [Don't quote]" was laid out as "Quoting “abc[Don't quote] ”fed": the override ran on
 * to the end of the line, so the button stood inside the quote. Arabic and Hebrew still read right to left.
 * Positions are measured in Chromium's layout (each character's box), not read from the DOM.
 */
import type { Locator } from 'playwright-core';
import { inboxPanel, useConsoleRig } from '../support/console-rig';
import { BUSINESS_NUMBER_ID } from '../support/service';

const consoleTest = useConsoleRig();

/** The few DOM shapes `charXs` uses (this project's tests compile without the DOM library). */
interface TextNode {
  textContent: string | null;
}
interface Dom {
  createTreeWalker(root: unknown, whatToShow: number): { nextNode(): TextNode | null };
  createRange(): { setStart(node: TextNode, offset: number): void; setEnd(node: TextNode, offset: number): void; getBoundingClientRect(): { left: number; width: number } };
}

/** Every visible character under `element` in DOM order, with the x of its box's centre on screen. */
const charXs = (element: Locator) =>
  element.evaluate((root) => {
    const dom = (root as unknown as { ownerDocument: Dom }).ownerDocument;
    const out: { ch: string; x: number }[] = [];
    const walker = dom.createTreeWalker(root, 4); // NodeFilter.SHOW_TEXT
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent ?? '';
      for (let i = 0; i < text.length; i++) {
        const range = dom.createRange();
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const box = range.getBoundingClientRect();
        if (box.width > 0) out.push({ ch: text[i]!, x: box.left + box.width / 2 });
      }
    }
    return out;
  });

const spoof = 'abc\u202Edef';
const hebrew = 'שלום עולם';

describe("customers' message text in the agent inbox", () => {
  it('keeps a right-to-left override inside its own message and quote, and RTL text reading right to left', async () => {
    const { rig: consoleRig, service: rig } = consoleTest;
    const customer = consoleRig.newCustomer();
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: spoof });
    await consoleRig.heldByAgent(customer);
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: hebrew });

    const { page, accessibilityViolations } = await consoleRig.open('agent');
    const panel = await inboxPanel(page, customer);
    const bubble = panel.locator('li.message.inbound').filter({ hasText: 'abc' });
    await bubble.waitFor({ timeout: 20_000 });
    const said = bubble.locator('p').first();
    // The text as sent: nothing added or marked.
    expect(await said.innerText()).toBe(spoof);
    // The line under it (time, who) is laid out left to right as written.
    const line = (await charXs(bubble.locator('small'))).map((c) => c.x);
    // (An empty or one-character line would be "sorted" too: the line must be there to be read.)
    expect(line.length).toBeGreaterThan(1);
    expect(line).toEqual([...line].sort((a, b) => a - b));

    await bubble.getByRole('button', { name: 'Quote' }).click();
    const quoting = panel.locator('p.quoting');
    await quoting.waitFor({ timeout: 10_000 });
    const quoted = await charXs(quoting.locator('q'));
    const button = await quoting.getByRole('button', { name: "Don't quote" }).boundingBox();
    expect(quoted.map((c) => c.ch).join('')).toBe('abcdef');
    // The button stands after the whole quote, and "Quoting" before it, as written. (Its box, not its characters: a
    // button with no text of its own gave Math.min() of nothing, Infinity, which is after anything.)
    const quoteEnd = Math.max(...quoted.map((c) => c.x));
    expect(button!.x).toBeGreaterThan(quoteEnd);
    const label = await charXs(quoting);
    const quotingWord = label.slice(0, 'Quoting'.length);
    expect(quotingWord.map((c) => c.ch).join('')).toBe('Quoting');
    expect(Math.max(...quotingWord.map((c) => c.x))).toBeLessThan(Math.min(...quoted.map((c) => c.x)));

    // Hebrew reads right to left: its first letter stands right of its last, and the text is as sent.
    const rtl = panel.locator('li.message.inbound').filter({ hasText: hebrew }).locator('p').first();
    await rtl.waitFor({ timeout: 20_000 });
    expect(await rtl.innerText()).toBe(hebrew);
    const letters = await charXs(rtl);
    expect(letters[0]!.x).toBeGreaterThan(letters.at(-1)!.x);
    expect(await accessibilityViolations()).toEqual([]);
  }, 120_000);
});
