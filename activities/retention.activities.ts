import type { Store } from '../store/db';
import { purgeExpiredStep, type PurgeStep } from '../store/retention.store';

export type { PurgeStep };

/** The retention policy a purge runs with (the Schedule's arguments, from RETENTION_DAYS). */
export interface RetentionPolicy {
  /** Days kept for numbers without their own setting. */
  defaultDays: number;
  /** Most documents of each kind one step deletes. */
  batchSize: number;
}

/** The activity the retention purge workflow calls. Workflows import this type only. */
export interface RetentionActivities {
  /** One bounded step of the purge at the activity's clock; `more` when expired data is left. */
  purgeExpiredStep(policy: RetentionPolicy): Promise<PurgeStep>;
}

export function createRetentionActivities({ store, clock }: { store: Store; clock: () => Date }): RetentionActivities {
  return {
    purgeExpiredStep: (policy) => purgeExpiredStep(store, { now: clock(), ...policy }),
  };
}
