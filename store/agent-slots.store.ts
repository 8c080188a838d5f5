import { isDuplicateKey, type Store } from './db';

/**
 * One of an agent's places for a conversation: `_id` = `<agentId>#<n>`, n from 1 to the configured capacity. Taking a
 * place is an insert on that `_id`, which is atomic on MongoDB and FerretDB alike (no transactions, no counters), so
 * two workers answered by the same agent at once can never both take the agent's last place.
 */
interface AgentSlotDoc {
  _id: string;
  agentId: string;
  conversationId: string;
  callId: string;
  takenAt: Date;
}

const slots = (store: Store) => store.db.collection<AgentSlotDoc>('agent_slots');
const slotId = (agentId: string, n: number) => `${agentId}#${n}`;

/** The places `agentId` holds, read by `_id` (FerretDB indexes `_id`-only filters). */
async function placesOf(store: Store, agentId: string, capacity: number): Promise<(AgentSlotDoc | null)[]> {
  return Promise.all(Array.from({ length: capacity }, (_, i) => slots(store).findOne({ _id: slotId(agentId, i + 1) })));
}

/**
 * Gives `conversationId` one of the agent's places, unless all `capacity` are taken. Idempotent: a conversation that
 * already holds a place (a retried activity) keeps it.
 */
export async function takeAgentSlot(
  store: Store,
  claim: { agentId: string; conversationId: string; callId: string; capacity: number; at: Date },
): Promise<boolean> {
  const held = await placesOf(store, claim.agentId, claim.capacity);
  if (held.some((doc) => doc?.conversationId === claim.conversationId)) return true;
  for (let n = 1; n <= claim.capacity; n++) {
    if (held[n - 1]) continue;
    try {
      await slots(store).insertOne({ _id: slotId(claim.agentId, n), agentId: claim.agentId, conversationId: claim.conversationId, callId: claim.callId, takenAt: claim.at });
      return true;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err; // another conversation took this place meanwhile: try the next
    }
  }
  return false;
}

/** Frees the places `conversationId` holds with `agentId` (any n, so a capacity lowered meanwhile frees them too). */
export async function releaseAgentSlot(store: Store, agentId: string, conversationId: string): Promise<void> {
  // Rare (once per assignment) and small (active assignments only): a scan here is fine even on FerretDB.
  await slots(store).deleteMany({ agentId, conversationId });
}

/** Agents holding at least `capacity` conversations: the contact centre is asked not to offer them more. */
export async function agentsAtCapacity(store: Store, capacity: number): Promise<string[]> {
  const counts = new Map<string, number>();
  for (const doc of await slots(store).find({}, { projection: { agentId: 1 } }).toArray()) counts.set(doc.agentId, (counts.get(doc.agentId) ?? 0) + 1);
  return [...counts].filter(([, count]) => count >= capacity).map(([agentId]) => agentId).sort();
}

/** The agent holding `conversationId` through the call `callId`; undefined once that call no longer holds it. */
export async function agentOnCall(store: Store, conversationId: string, callId: string): Promise<string | undefined> {
  // A scan of the active assignments only (one place per held conversation): small, like agentsAtCapacity's.
  return (await slots(store).findOne({ conversationId, callId }))?.agentId;
}
