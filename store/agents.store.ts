import { AppError } from '../lib/errors';
import { isDuplicateKey, type Store } from './db';
import type { AgentDoc } from './documents';

// Document types live in store/documents.ts (so store/db.ts imports no store file); kept importable from here.
export { type AgentDoc };

/** Registers an agent; `agent_exists` (409) when the id is taken, so two people can never share one identity. */
export async function registerAgent(store: Store, agent: { agentId: string; name: string; queues: string[] }, createdBy: string): Promise<AgentDoc> {
  const doc: AgentDoc = { _id: agent.agentId, name: agent.name, queues: agent.queues, createdAt: new Date(), createdBy };
  try {
    await store.agents.insertOne(doc);
  } catch (err) {
    if (isDuplicateKey(err)) throw new AppError('agent_exists', `Agent ${agent.agentId} is already registered`);
    throw err;
  }
  return doc;
}

export async function findAgent(store: Store, agentId: string): Promise<AgentDoc | null> {
  return store.agents.findOne({ _id: agentId });
}

export async function listAgents(store: Store): Promise<AgentDoc[]> {
  return store.agents.find({}).sort({ _id: 1 }).toArray();
}
