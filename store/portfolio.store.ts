import { isDuplicateKey, type Store } from './db';
import { findNumber } from './numbers.store';

/** The portfolio of numbers registered without one: a deployment serves one business portfolio unless told otherwise. */
export const DEFAULT_PORTFOLIO = 'default';

/**
 * A business portfolio's messaging limit as WhatsApp last reported it in a `business_capability_update` webhook
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/business_capability_update/).
 * `_id`: the portfolio id, or `waba:<id>` for an account none of whose numbers is registered here yet.
 */
export interface PortfolioLimitDoc {
  _id: string;
  /** Unique customers per moving 24 h outside their window; Meta's -1 is `unlimited`. */
  limit: number | 'unlimited';
  /** The WhatsApp Business Account whose webhook said so. */
  wabaId: string;
  /** The webhook entry's `time` (epoch s): a later report wins, whatever order they arrive in. */
  reportedAt: number;
  receivedAt: Date;
}

const limits = (store: Store) => store.db.collection<PortfolioLimitDoc>('portfolio_limits');

/** The number's portfolio and account: its registration, else the default portfolio. */
export async function portfolioOf(store: Store, businessNumberId: string): Promise<{ portfolioId: string; wabaId?: string }> {
  const number = await findNumber(store, businessNumberId);
  return { portfolioId: number?.businessPortfolioId ?? DEFAULT_PORTFOLIO, ...(number?.wabaId ? { wabaId: number.wabaId } : {}) };
}

/**
 * Records a limit WhatsApp reported for the account `wabaId`, against the portfolio(s) its registered numbers belong
 * to. An older report than the one kept changes nothing (webhooks may arrive out of order or twice). Answers the
 * ids it was recorded under.
 */
export async function recordPortfolioLimit(
  store: Store,
  report: { wabaId: string; limit: number | 'unlimited'; reportedAt: number; receivedAt: Date },
): Promise<string[]> {
  const numbers = await store.numbers.find({ wabaId: report.wabaId }, { projection: { businessPortfolioId: 1 } }).toArray();
  const ids = numbers.length === 0 ? [`waba:${report.wabaId}`] : [...new Set(numbers.map((n) => n.businessPortfolioId ?? DEFAULT_PORTFOLIO))];
  for (const _id of ids) {
    const doc: PortfolioLimitDoc = { _id, ...report };
    const newer = await limits(store).updateOne({ _id, reportedAt: { $lte: report.reportedAt } }, { $set: report });
    if (newer.matchedCount === 1) continue;
    try {
      await limits(store).insertOne(doc);
    } catch (err) {
      // Kept already, and newer than this report (or raced by one): the newer stays.
      if (!isDuplicateKey(err)) throw err;
      await limits(store).updateOne({ _id, reportedAt: { $lte: report.reportedAt } }, { $set: report });
    }
  }
  return ids;
}

/** The limit WhatsApp last reported for this portfolio (or, before any number of it was registered, its account). */
export async function reportedLimit(store: Store, portfolioId: string, wabaId?: string): Promise<PortfolioLimitDoc | null> {
  return (await limits(store).findOne({ _id: portfolioId })) ?? (wabaId ? await limits(store).findOne({ _id: `waba:${wabaId}` }) : null);
}
