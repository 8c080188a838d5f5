import { readFileSync } from 'node:fs';
import { conversationDiagram } from '../../machines/conversation.diagram';
import { README, embedDiagram } from '../../scripts/write-diagram';

describe('the machine diagram', () => {
  it('is generated from the machine definition and the README shows the current one (npm run diagram)', () => {
    const readme = readFileSync(README, 'utf8');
    expect(embedDiagram(readme)).toBe(readme);
    expect(conversationDiagram()).toContain('expiredNeedsTemplate --> handedToAgent: customer.messageReceived [opensWindow & hasAgent]');
  });
});
