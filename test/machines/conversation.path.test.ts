import { conversationDiagram } from '../../machines/conversation.diagram';

describe("a conversation's path through the machine diagram", () => {
  it('numbers the transitions taken, highlights the states visited and adds a step the diagram does not draw', () => {
    const diagram = conversationDiagram([
      { event: 'customer.messageReceived', from: 'inbound', to: 'openSession' },
      { event: 'window.expired', from: 'openSession', to: 'expiredNeedsTemplate' },
      { event: 'customer.messageReceived', from: 'expiredNeedsTemplate', to: 'openSession' },
      { event: 'window.expired', from: 'openSession', to: 'expiredNeedsTemplate' },
      { event: 'sip.answered', from: 'expiredNeedsTemplate', to: 'handedToAgent' },
      { event: 'agent.customEscalation', from: 'handedToAgent', to: 'openSession' },
    ]);
    expect(diagram).toContain('      inbound --> openSession: customer.messageReceived [opensWindow] (#1)\n');
    expect(diagram).toContain('      openSession --> expiredNeedsTemplate: window.expired [isWindowDue] (#2, #4)\n');
    expect(diagram).toContain('      expiredNeedsTemplate --> openSession: customer.messageReceived [opensWindow] (#3)\n');
    // An agent taking the conversation is the routing region's move: drawn there.
    expect(diagram).toContain('      queued --> assigned: sip.answered [isCurrentAttempt] (#5)\n');
    expect(diagram).toContain('  handedToAgent --> openSession: agent.customEscalation (#6)\n');
    expect(diagram).toContain('  class inbound,openSession,expiredNeedsTemplate,assigned visited\n');
    expect(diagram).toContain('      inbound --> expiredNeedsTemplate: customer.messageReceived\n');
  });

  it('draws the agent leaving and the close from any state', () => {
    const diagram = conversationDiagram([
      { event: 'agent.released', from: 'handedToAgent', to: 'openSession' },
      { event: 'conversation.closeRequested', from: 'openSession', to: 'closed' },
    ]);
    expect(diagram).toContain('      assigned --> idle: agent.released [isAssignedCall] (#1)\n');
    expect(diagram).toContain('  active --> closed: conversation.closeRequested (#2)\n');
  });

  it('is the plain diagram without a path', () => {
    expect(conversationDiagram([])).toBe(conversationDiagram());
    expect(conversationDiagram()).not.toContain('visited');
  });
});
