/**
 * What the erasure tests look for after an erasure: every document of every collection whose JSON names a person (a
 * number, a BSUID, a wamid or wacid), however the store came to hold it, so a collection added later is checked too.
 */
import type { Db } from 'mongodb';

/** Kept on purpose, with the reason in the README ("Customers' data"): the messaging-limit ledger for its 24 h. */
export const KEPT_BY_DESIGN: ReadonlySet<string> = new Set(['tier_tickets', 'tier_customers']);

/** Collection name → how many of its documents contain `text`; `skip`: collections not read. Reads whole collections. */
export async function documentsNaming(db: Db, text: string, skip: ReadonlySet<string> = new Set()): Promise<Record<string, number>> {
  const found: Record<string, number> = {};
  for (const { name } of await db.listCollections({}, { nameOnly: true }).toArray()) {
    if (skip.has(name)) continue;
    const naming = (await db.collection(name).find({}).toArray()).filter((doc) => JSON.stringify(doc).includes(text)).length;
    if (naming > 0) found[name] = naming;
  }
  return found;
}
