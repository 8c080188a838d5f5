import { conversationDiagram } from '../../machines/conversation.diagram';

describe("a conversation's path through the machine diagram", () => {
  it('numbers the transitions taken, highlights the states visited and adds a step the diagram does not draw', () => {
    const diagram = conversationDiagram([
      { event: 'customer.messageReceived', from: 'inbound', to: 'openSession' },
      { event: 'window.expired', from: 'openSession', to: 'expiredNeedsTemplate' },
      { event: 'customer.messageReceived', from: 'expiredNeedsTemplate', to: 'openSession' },
      { event: 'window.expired', from: 'openSession', to: 'expiredNeedsTemplate' },
      { event: 'sip.answered', from: 'openSession', to: 'handedToAgent' },
      { event: 'agent.customEscalation', from: 'handedToAgent', to: 'openSession' },
    ]);
    expect(diagram).toContain('  inbound --> openSession: customer.messageReceived [opensWindow] (#1)\n');
    expect(diagram).toContain('  session --> expiredNeedsTemplate: window.expired [isWindowDue] (#2, #4)\n');
    expect(diagram).toContain('  expiredNeedsTemplate --> openSession: customer.messageReceived [opensWindow] (#3)\n');
    expect(diagram).toContain('  session --> handedToAgent: sip.answered [answersCurrentAttempt] (#5)\n');
    expect(diagram).toContain('  handedToAgent --> openSession: agent.customEscalation (#6)\n');
    expect(diagram).toContain('  class inbound,openSession,expiredNeedsTemplate,handedToAgent visited\n');
    expect(diagram).toContain('  inbound --> expiredNeedsTemplate: customer.messageReceived\n');
  });

  it('is the plain diagram without a path', () => {
    expect(conversationDiagram([])).toBe(conversationDiagram());
    expect(conversationDiagram()).not.toContain('visited');
  });
});
