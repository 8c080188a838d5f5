import { conversationMachine } from './conversation.machine';

interface DiagramNode {
  key: string;
  id: string;
  type: string;
  initial?: { target: readonly { key: string }[] };
  states: Record<string, DiagramNode>;
  transitions: Map<string, readonly { target?: readonly { id: string; key: string }[]; guard?: unknown }[]>;
}

/** A guard's name, or for xstate's and()/or() the names they combine (the combinator itself is not exposed). */
function guardName(guard: unknown): string | undefined {
  if (typeof guard === 'string') return guard;
  const parts = (guard as { guards?: unknown[] } | undefined)?.guards;
  return parts ? parts.map(guardName).join(' & ') : undefined;
}

const label = (event: string, guard: unknown) => {
  const name = guardName(guard);
  return name ? `${event} [${name}]` : event;
};

/**
 * The conversation machine as a Mermaid state diagram, generated from its definition so the picture can never
 * drift from the code (the README embeds it; a test checks they match). Transitions that stay in the same state
 * (a send, a message extending the window) are left out to keep the picture readable.
 */
export function conversationDiagram(): string {
  const root = conversationMachine.root as unknown as DiagramNode;
  const lines = ['stateDiagram-v2', `  [*] --> ${root.initial?.target[0]?.key}`];
  const edges = (node: DiagramNode, from: string, indent: string) => {
    for (const [event, transitions] of node.transitions) {
      for (const transition of transitions) {
        for (const target of transition.target ?? []) lines.push(`${indent}${from} --> ${target.key}: ${label(event, transition.guard)}`);
      }
    }
  };
  const topLevel = Object.values(root.states);
  for (const state of topLevel) {
    if (Object.keys(state.states).length > 0) {
      lines.push(`  state ${state.key} {`, `    [*] --> ${state.initial?.target[0]?.key}`);
      for (const child of Object.values(state.states)) lines.push(`    ${child.key}`);
      lines.push('  }');
    }
    edges(state, state.key, '  ');
    if (state.type === 'final') lines.push(`  ${state.key} --> [*]`);
  }
  // Transitions on the machine itself apply in every state that is not final.
  for (const state of topLevel.filter((s) => s.type !== 'final')) edges(root, state.key, '  ');
  return `${lines.join('\n')}\n`;
}
