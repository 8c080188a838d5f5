import { readFileSync } from 'node:fs';
import { conversationDiagram } from '../../machines/conversation.diagram';
import { README, embedDiagram } from '../../scripts/write-diagram';

describe('the machine diagram', () => {
  it('is generated from the machine definition and the README shows the current one (npm run diagram)', () => {
    const readme = readFileSync(README, 'utf8');
    expect(embedDiagram(readme)).toBe(readme);
  });

  it('draws routing as a region beside the session: idle → bot → queued ⇄ retrying → assigned, with named guards', () => {
    const diagram = conversationDiagram();
    expect(diagram).toMatch(/state active \{\n {4}state session \{[\s\S]*\n {4}\}\n {4}--\n {4}state routing \{/);
    for (const edge of [
      'idle --> bot: customer.messageReceived [isBotAnswering]',
      'bot --> queued: bot.handOffRequested [hasSipConnector]',
      'queued --> retrying: sip.busy [isCurrentAttempt & hasRetrySettings]',
      'retrying --> queued: routing.retryDue [hasSipConnector]',
      'queued --> assigned: sip.answered [isCurrentAttempt]',
      'assigned --> idle: agent.released [isAssignedCall]',
    ]) {
      expect(diagram).toContain(`      ${edge}\n`);
    }
  });
});
