import { isOpenAt, routeFor } from '../lib/machine-config';
import type { ConversationSettings } from '../machines/conversation.types';
import type { Store } from '../store/db';
import { publishedConfig } from '../store/machine-config.store';
import { claimLegacyReply, findNumber } from '../store/numbers.store';

export interface SettingsRequest {
  businessNumberId: string;
  customerKey: string;
  /** The first of the messages being handled: keys the legacy-reply claim, so a retried read claims nothing new. */
  messageId: string;
  /** Workflow time, epoch ms: business hours and routing are judged at this time, not the activity's. */
  at: number;
}

export interface SettingsRead {
  settings: ConversationSettings;
  businessOpen: boolean;
  legacyReplyDue: boolean;
}

/**
 * The published configuration as it applies to one conversation now. Called by the workflow (as a local
 * activity) before it handles customer messages, so the version used is recorded in its history and replays the same.
 */
export function createSettingsActivities({ store }: { store: Store }) {
  return {
    async conversationSettings(request: SettingsRequest): Promise<SettingsRead> {
      const [{ version, config }, number] = await Promise.all([publishedConfig(store), findNumber(store, request.businessNumberId)]);
      const legacy = number?.legacy;
      const settings: ConversationSettings = {
        version,
        ...(version > 0 ? { idleCloseAfterMs: config.idleCloseAfterMinutes * 60_000 } : {}),
        autoReplies: config.autoReplies,
        chatbot: config.chatbot,
        route: routeFor(config, request.businessNumberId, undefined, request.at),
        agentCapacity: config.agentCapacity,
        ...(legacy ? { legacy: { autoReply: legacy.autoReply } } : {}),
      };
      const legacyReplyDue = legacy
        ? await claimLegacyReply(store, request.businessNumberId, request.customerKey, request.messageId, request.at, legacy.periodHours * 3_600_000)
        : false;
      return { settings, businessOpen: isOpenAt(config, request.at), legacyReplyDue };
    },
  };
}
