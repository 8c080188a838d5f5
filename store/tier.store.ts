import { isDuplicateKey, type Store } from './db';

const DAY_MS = 24 * 60 * 60 * 1000;
const CLEANUP_MARGIN = 1_000;

/**
 * The nth unit of a business portfolio's messaging limit that was ever handed out. `_id` `portfolio:<id>#<n>`
 * (before portfolios, `<number>#<n>`: those per-number tickets are no longer read): the only write that is atomic on
 * FerretDB 1.x (which updates by read-modify-write, without transactions) is an insert racing on a unique `_id`,
 * so concurrent senders on any process never share a ticket.
 */
interface TicketDoc {
  _id: string;
  customerKey: string;
  messageId: string;
  /** Epoch ms the unit was taken; 0 once released (a send that was refused after all). */
  at: number;
}

/** The unit a customer holds now. `_id` `portfolio:<id>:<customer key>`. */
interface TierCustomerDoc {
  _id: string;
  ticket: number;
  messageId: string;
  at: number;
}

/** Where the next ticket probably is; only a hint (a stale one costs a few `_id` probes). */
interface TierHeadDoc {
  _id: string;
  next: number;
}

export interface TierRequest {
  /**
   * The business portfolio whose limit the send counts against: WhatsApp counts unique customers per portfolio, shared
   * by all its numbers, since 7 October 2025 (https://developers.facebook.com/documentation/business-messaging/whatsapp/messaging-limits).
   */
  portfolioId: string;
  customerKey: string;
  /** The send this unit is for: a retry of the same send reuses it. */
  messageId: string;
  tier: number | 'unlimited';
  now: number;
}

export type TierAdmission =
  /** `ticket` is set when this send took a fresh unit (release it if the send is refused after all). */
  | { admitted: true; ticket?: number }
  /** Every unit is held: the earliest frees at `retryAt` (epoch ms). */
  | { admitted: false; retryAt: number };

const collections = (store: Store) => ({
  tickets: store.db.collection<TicketDoc>('tier_tickets'),
  customers: store.db.collection<TierCustomerDoc>('tier_customers'),
  heads: store.db.collection<TierHeadDoc>('tier_heads'),
});

/** The ledger's key for a portfolio (apart from the per-number keys used before portfolios). */
const ledgerOf = (portfolioId: string) => `portfolio:${portfolioId}`;

/**
 * Admits one template to a customer outside their window against the portfolio's limit: at most `tier` unique
 * customers per moving 24 hours. Ticket n may be taken only once ticket n − tier is more than 24 h old (or
 * released); tickets are dense and taken in time order, so no more than `tier` are ever live at once. A customer
 * who holds a live unit is admitted without a new one; their unit moves to now when one is free, since WhatsApp
 * counts them for 24 h after the latest template.
 */
export async function admitToTier(store: Store, request: TierRequest): Promise<TierAdmission> {
  if (request.tier === 'unlimited') return { admitted: true };
  const { customers } = collections(store);
  const customerId = `${ledgerOf(request.portfolioId)}:${request.customerKey}`;
  const holder = await customers.findOne({ _id: customerId });
  const holds = holder !== null && holder.at > request.now - DAY_MS;
  if (holds && holder.messageId === request.messageId) return { admitted: true };

  const taken = await takeTicket(store, request, request.tier);
  if (!taken.admitted) return holds ? { admitted: true } : taken;
  await customers.replaceOne(
    { _id: customerId },
    { ticket: taken.ticket, messageId: request.messageId, at: request.now },
    { upsert: true },
  );
  if (holds) await releaseTicket(store, request.portfolioId, holder.ticket);
  return holds ? { admitted: true } : taken;
}

/** Gives a unit back: the send it was taken for was refused before it reached WhatsApp. */
export async function releaseTier(store: Store, portfolioId: string, customerKey: string, ticket: number): Promise<void> {
  await releaseTicket(store, portfolioId, ticket);
  const { customers } = collections(store);
  const customerId = `${ledgerOf(portfolioId)}:${customerKey}`;
  const holder = await customers.findOne({ _id: customerId });
  if (holder?.ticket === ticket) await customers.deleteOne({ _id: customerId });
}

async function releaseTicket(store: Store, portfolioId: string, ticket: number): Promise<void> {
  await collections(store).tickets.updateOne({ _id: `${ledgerOf(portfolioId)}#${ticket}` }, { $set: { at: 0 } });
}

async function takeTicket(store: Store, request: TierRequest, tier: number): Promise<{ admitted: true; ticket: number } | { admitted: false; retryAt: number }> {
  const { tickets, heads } = collections(store);
  const ledger = ledgerOf(request.portfolioId);
  const id = (n: number) => `${ledger}#${n}`;
  let n = (await heads.findOne({ _id: ledger }))?.next ?? 0;
  for (;;) {
    if (await tickets.findOne({ _id: id(n) }, { projection: { _id: 1 } })) {
      n += 1;
      continue;
    }
    if (n >= tier) {
      const oldest = await tickets.findOne({ _id: id(n - tier) });
      // Missing only if cleaned up, which happens long after it expired.
      if (oldest && oldest.at > request.now - DAY_MS) return { admitted: false, retryAt: oldest.at + DAY_MS };
    }
    try {
      await tickets.insertOne({ _id: id(n), customerKey: request.customerKey, messageId: request.messageId, at: request.now });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      n += 1; // another sender took it: check the next one against its own predecessor
      continue;
    }
    await heads.updateOne({ _id: ledger }, { $max: { next: n + 1 } }, { upsert: true });
    // Tickets below n − tier are never read again. Keep a wide margin: the head can lag (FerretDB's $max is not
    // atomic either), and a sender probing from a lagging head must find the old tickets still there.
    const dropBelow = n - tier - CLEANUP_MARGIN;
    if (dropBelow >= 0) await tickets.deleteOne({ _id: id(dropBelow) });
    return { admitted: true, ticket: n };
  }
}
