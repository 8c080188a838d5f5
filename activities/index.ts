import type { Store } from '../store/db';
import type { ConversationActivities } from './activities.types';
import { createBrokerActivities } from './broker.activities';
import type { CloudApiClient } from '../integrations/broker/cloud-api.client';
import type { TemplateApiClient } from '../integrations/broker/template-api.client';
import { createMediaActivities } from './media.activities';
import { withHeartbeat } from './heartbeat';
import { createSettingsActivities } from './settings.activities';
import { createStoreActivities } from './store.activities';
import { createBotActivities } from './bot.activities';
import { createReceiptActivities } from './receipts.activities';
import { createRoutingActivities } from './routing.activities';
import { createSipChatActivities } from './sip-chat.activities';
import type { SipRouting } from '../integrations/sip/sip.routing';
import type { ConversationService } from '../services/conversations.service';
import type { CustomerCallDeps } from '../services/customer-calls';
import { createCampaignActivities, type CampaignActivities } from './campaign.activities';
import { createLaneActivities, type LaneActivities, type LaneOpener } from './lanes.activities';
import { createRetentionActivities, type RetentionActivities } from './retention.activities';
import { createCallActivities, type CallActivities } from './call.activities';
import type { B2bua } from '../integrations/sip/sip.b2bua';

export interface ActivityDeps {
  store: Store;
  broker: CloudApiClient;
  /** WhatsApp's template list, asked after a send refused with 132001 (services/template-refusal.ts). */
  templates?: Pick<TemplateApiClient, 'list'>;
  clock?: () => Date;
  /** How long a settings read is reused (ms); 0 reads the store for every customer message. */
  settingsCacheMs?: number;
  /** The SIP user agent and connector; absent: nothing is routed to the contact centre. */
  sip?: SipRouting;
  /** The worker's send lanes, and the least time between two messages to one customer (ms). */
  lanes: { opener: LaneOpener; customerPacingMs: number };
  /** How campaigns hand each recipient to their conversation (exactly as the API does). */
  conversations: ConversationService;
  /** Base of the media links in chat lines sent over SIP (SIP_CHAT_MEDIA_BASE_URL). */
  chatMediaBaseUrl?: string;
  /** Session mode (SIP_CHAT_MODE=msrp): the task queue only this worker polls, for the MSRP sessions it holds. */
  msrpHolderQueue?: string;
  /** The WhatsApp calls' back-to-back user agent on the same SIP socket (absent: calls are not taken). */
  b2bua?: B2bua;
  /** How a call the customer answered reaches their conversation (absent: it opens no window). */
  customerCalls?: CustomerCallDeps;
}

/** Every activity the worker registers on its main task queue. */
export type WorkerActivities = ConversationActivities & LaneActivities & CampaignActivities & RetentionActivities & CallActivities;

/**
 * Every activity the worker registers, built over explicit dependencies so tests pass real servers, no globals.
 * (The send lanes' own workers register `sendMessage` from here too.)
 */
export function createActivities({ store, broker, templates, clock = () => new Date(), settingsCacheMs, sip, lanes, conversations, chatMediaBaseUrl, msrpHolderQueue, b2bua, customerCalls }: ActivityDeps): WorkerActivities {
  const brokerActivities = createBrokerActivities({ store, broker, clock, ...(templates ? { templates } : {}) });
  const mediaActivities = createMediaActivities({ store, broker });
  return {
    ...brokerActivities,
    ...mediaActivities,
    // The two that stream files (up to 100 MB) have long start-to-close timeouts; heartbeats notice a lost attempt sooner.
    sendMessage: (send) => withHeartbeat(() => brokerActivities.sendMessage(send)),
    fetchInboundMedia: (effect) => withHeartbeat(() => mediaActivities.fetchInboundMedia(effect)),
    ...createStoreActivities({ store, clock }),
    ...createSettingsActivities({ store, sipRouting: sip !== undefined, ...(settingsCacheMs !== undefined ? { cacheMs: settingsCacheMs } : {}) }),
    ...createRoutingActivities({ store, clock, ...(sip ? { sip } : {}) }),
    ...createBotActivities({ store }),
    ...createLaneActivities({ store, lanes: lanes.opener, customerPacingMs: lanes.customerPacingMs, clock }),
    ...createCampaignActivities({ store, conversations, clock }),
    ...createSipChatActivities({ store, clock, ...(sip ? { sip } : {}), ...(chatMediaBaseUrl ? { mediaBaseUrl: chatMediaBaseUrl } : {}), ...(msrpHolderQueue ? { msrpHolderQueue } : {}) }),
    ...createReceiptActivities({ store, broker, clock }),
    ...createRetentionActivities({ store, clock }),
    ...createCallActivities({ store, clock, ...(sip ? { sip } : {}), ...(b2bua ? { b2bua } : {}), ...(customerCalls ? { customerCalls } : {}) }),
  };
}
