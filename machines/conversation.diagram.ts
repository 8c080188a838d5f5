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

/** One step a conversation took: the event and the states it went from and to (product names, children flattened). */
export interface PathStep {
  event: string;
  from: string;
  to: string;
}

interface Edge {
  from: string;
  to: string;
  event: string;
  guard: unknown;
}

/**
 * The conversation machine as a Mermaid state diagram, generated from its definition so the picture can never
 * drift from the code (the README embeds it; a test checks they match). Transitions that stay in the same state
 * (a send, a message extending the window) are left out to keep the picture readable.
 *
 * Given a conversation's `path`, the states it visited are highlighted and each transition it took is labelled
 * with its step numbers (`#1, #4`); a step the definition does not draw (from a machine version since changed) is
 * added as an edge of its own.
 */
export function conversationDiagram(path?: readonly PathStep[]): string {
  const root = conversationMachine.root as unknown as DiagramNode;
  const topLevel = Object.values(root.states);
  const parentOf = new Map(topLevel.flatMap((state) => Object.keys(state.states).map((child) => [child, state.key] as const)));
  const edgesOf = (node: DiagramNode, from: string): Edge[] =>
    [...node.transitions].flatMap(([event, transitions]) =>
      transitions.flatMap((transition) => (transition.target ?? []).map((target) => ({ from, to: target.key, event, guard: transition.guard }))),
    );
  // Transitions on the machine itself apply in every state that is not final.
  const blocks = topLevel.map((state) => ({ state, edges: edgesOf(state, state.key) }));
  const global = topLevel.filter((s) => s.type !== 'final').flatMap((state) => edgesOf(root, state.key));
  const allEdges = [...blocks.flatMap((b) => b.edges), ...global];

  const matchEdge = (step: PathStep) =>
    allEdges.find((e) => e.event === step.event && e.to === step.to && (e.from === step.from || e.from === parentOf.get(step.from)));
  const taken = new Map<Edge, number[]>();
  const undrawn: string[] = [];
  (path ?? []).forEach((step, i) => {
    const edge = matchEdge(step);
    if (edge) taken.set(edge, [...(taken.get(edge) ?? []), i + 1]);
    else undrawn.push(`  ${step.from} --> ${step.to}: ${step.event} (#${i + 1})`);
  });
  const edgeLine = (edge: Edge) => {
    const steps = taken.get(edge);
    return `  ${edge.from} --> ${edge.to}: ${label(edge.event, edge.guard)}${steps ? ` (${steps.map((n) => `#${n}`).join(', ')})` : ''}`;
  };

  const lines = ['stateDiagram-v2', `  [*] --> ${root.initial?.target[0]?.key}`];
  for (const { state, edges } of blocks) {
    const children = Object.values(state.states);
    if (children.length > 0) {
      lines.push(`  state ${state.key} {`, `    [*] --> ${state.initial?.target[0]?.key}`);
      for (const child of children) lines.push(`    ${child.key}`);
      lines.push('  }');
    }
    lines.push(...edges.map(edgeLine));
    if (state.type === 'final') lines.push(`  ${state.key} --> [*]`);
  }
  lines.push(...global.map(edgeLine), ...undrawn);
  if (path && path.length > 0) {
    const visited = [...new Set(path.flatMap((step) => [step.from, step.to]))];
    lines.push('  classDef visited fill:#d9f2d9,stroke:#2e7d32,stroke-width:3px', `  class ${visited.join(',')} visited`);
  }
  return `${lines.join('\n')}\n`;
}
