import type { ConversationDoc } from '../store/documents';

/**
 * What an agent key may read, per deployment (`AGENT_VISIBILITY`): `own` (the default) is the conversations the agent
 * holds, those waiting unassigned in the queues it serves, and those nobody holds that no queue was ever asked for
 * (a deployment without SIP routing, or a conversation still with the bot): any agent may answer those, as the write
 * rule says. `all` is every conversation. Other roles read all.
 */
export type AgentVisibility = 'own' | 'all';

/** Who reads: the registered agent behind an agent key, or nobody in particular (any other role). */
export interface Viewer {
  agent?: { id: string; queues: string[] };
}

/** The agent whose reads the policy narrows, or undefined when this viewer reads everything. */
export function narrowedAgent(viewer: Viewer, policy: AgentVisibility): { id: string; queues: string[] } | undefined {
  return policy === 'own' ? viewer.agent : undefined;
}

/** Whether the viewer may read this conversation under the policy. */
export function maySee(doc: Pick<ConversationDoc, 'agentId' | 'routing'>, viewer: Viewer, policy: AgentVisibility): boolean {
  const agent = narrowedAgent(viewer, policy);
  if (!agent) return true;
  if (doc.agentId) return doc.agentId === agent.id;
  const queue = doc.routing?.queue;
  return typeof queue !== 'string' || agent.queues.includes(queue);
}
