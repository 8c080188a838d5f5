import { conversationMachine } from './conversation.machine';

interface DiagramNode {
  key: string;
  type: string;
  parent?: DiagramNode;
  initial?: { target: readonly { key: string }[] };
  states: Record<string, DiagramNode>;
  transitions: Map<string, readonly { target?: readonly { key: string }[]; guard?: unknown }[]>;
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

/** One step a conversation took: the event and the states it went from and to (product names, see `stateNameOf`). */
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
  /** The innermost state holding both ends: the edge is drawn inside its block (the root: at the top level). */
  within: DiagramNode;
}

/** The diagram's states a product state name stands for: `handedToAgent` is an open session in the `assigned` state. */
const nodesOf = (name: string): string[] => (name === 'handedToAgent' ? ['openSession', 'assigned'] : [name]);

function descendants(node: DiagramNode): DiagramNode[] {
  return Object.values(node.states).flatMap((child) => [child, ...descendants(child)]);
}

function ancestors(node: DiagramNode | undefined): DiagramNode[] {
  return node ? [node, ...ancestors(node.parent)] : [];
}

/**
 * The conversation machine as a Mermaid state diagram, generated from its definition so the picture can never
 * drift from the code (the README embeds it; a test checks they match). The `active` state's parallel regions,
 * `session` and `routing`, are drawn side by side. Transitions that stay in the same state (a send, a message
 * extending the window, a bot's answer) are left out to keep the picture readable.
 *
 * Given a conversation's `path`, the states it visited are highlighted and each transition it took is labelled
 * with its step numbers (`#1, #4`); a step the definition does not draw (from a machine version since changed) is
 * added as an edge of its own.
 */
export function conversationDiagram(path?: readonly PathStep[]): string {
  const root = conversationMachine.root as unknown as DiagramNode;
  const nodes = new Map(descendants(root).map((node) => [node.key, node]));
  const edges: Edge[] = [...nodes.values()].flatMap((node) =>
    [...node.transitions].flatMap(([event, transitions]) =>
      transitions.flatMap((transition) =>
        (transition.target ?? []).map((target) => {
          const upFromTarget = ancestors(nodes.get(target.key)?.parent);
          const within = ancestors(node.parent).find((a) => upFromTarget.includes(a)) ?? root;
          return { from: node.key, to: target.key, event, guard: transition.guard, within };
        }),
      ),
    ),
  );

  const isAt = (edgeEnd: string, names: string[]) => names.some((name) => ancestors(nodes.get(name)).some((a) => a.key === edgeEnd));
  const matchEdge = (step: PathStep) =>
    edges.find((e) => e.event === step.event && nodesOf(step.to).includes(e.to) && isAt(e.from, nodesOf(step.from))) ??
    // An agent taking or leaving an open session moves only the routing region.
    edges.find((e) => e.event === step.event && ((step.to === 'handedToAgent' && e.to === 'assigned') || (step.from === 'handedToAgent' && e.from === 'assigned')));
  const taken = new Map<Edge, number[]>();
  const undrawn: string[] = [];
  (path ?? []).forEach((step, i) => {
    const edge = matchEdge(step);
    if (edge) taken.set(edge, [...(taken.get(edge) ?? []), i + 1]);
    else undrawn.push(`  ${step.from} --> ${step.to}: ${step.event} (#${i + 1})`);
  });
  const edgeLine = (indent: string) => (edge: Edge) => {
    const steps = taken.get(edge);
    return `${indent}${edge.from} --> ${edge.to}: ${label(edge.event, edge.guard)}${steps ? ` (${steps.map((n) => `#${n}`).join(', ')})` : ''}`;
  };

  /** A state's block: its initial state, its children (regions side by side, `--` between), the edges inside it. */
  const block = (node: DiagramNode, indent: string): string[] => {
    const children = Object.values(node.states);
    const lines: string[] = [];
    if (node.type !== 'parallel' && node.initial) lines.push(`${indent}[*] --> ${node.initial.target[0]?.key}`);
    children.forEach((child, i) => {
      if (node.type === 'parallel' && i > 0) lines.push(`${indent}--`);
      if (Object.keys(child.states).length > 0) lines.push(`${indent}state ${child.key} {`, ...block(child, `${indent}  `), `${indent}}`);
      else if (node !== root) lines.push(`${indent}${child.key}`);
    });
    lines.push(...edges.filter((e) => e.within === node).map(edgeLine(indent)));
    for (const child of children) if (child.type === 'final') lines.push(`${indent}${child.key} --> [*]`);
    return lines;
  };

  const lines = ['stateDiagram-v2', ...block(root, '  '), ...undrawn];
  if (path && path.length > 0) {
    const visited = [...new Set(path.flatMap((step) => [...nodesOf(step.from), ...nodesOf(step.to)]))];
    lines.push('  classDef visited fill:#d9f2d9,stroke:#2e7d32,stroke-width:3px', `  class ${visited.join(',')} visited`);
  }
  return `${lines.join('\n')}\n`;
}
