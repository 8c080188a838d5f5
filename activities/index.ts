import type { Store } from '../store/db';
import type { ConversationActivities } from './activities.types';
import { createBrokerActivities } from './broker.activities';
import type { CloudApiClient } from '../integrations/broker/cloud-api.client';
import { createMediaActivities } from './media.activities';
import { createSettingsActivities } from './settings.activities';
import { createStoreActivities } from './store.activities';
import { createBotActivities } from './bot.activities';
import { createRoutingActivities } from './routing.activities';
import type { SipRouting } from '../integrations/sip/sip.routing';

export interface ActivityDeps {
  store: Store;
  broker: CloudApiClient;
  clock?: () => Date;
  /** How long a settings read is reused (ms); 0 reads the store for every customer message. */
  settingsCacheMs?: number;
  /** The SIP user agent and connector; absent: nothing is routed to the contact centre. */
  sip?: SipRouting;
}

/** Every activity the worker registers, built over explicit dependencies so tests pass real servers, no globals. */
export function createActivities({ store, broker, clock = () => new Date(), settingsCacheMs, sip }: ActivityDeps): ConversationActivities {
  return {
    ...createBrokerActivities({ store, broker, clock }),
    ...createMediaActivities({ store, broker }),
    ...createStoreActivities({ store, clock }),
    ...createSettingsActivities({ store, sipRouting: sip !== undefined, ...(settingsCacheMs !== undefined ? { cacheMs: settingsCacheMs } : {}) }),
    ...createRoutingActivities({ store, clock, ...(sip ? { sip } : {}) }),
    ...createBotActivities({ store }),
  };
}
