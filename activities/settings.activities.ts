import { isOpenAt, nextOpeningAt, routeFor } from '../lib/machine-config';
import { windowEndFor } from '../machines/conversation.rules';
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
  /** The first message's own timestamp (epoch ms): a message whose window has passed can be sent no notice. */
  sentAt?: number;
}

export interface SettingsRead {
  settings: ConversationSettings;
  businessOpen: boolean;
  /**
   * While closed, when the business next opens (epoch ms, judged from the request's workflow time `at`); absent when
   * open, always open, or never open. Reads recorded before it have none.
   */
  opensAt?: number;
  legacyReplyDue: boolean;
  /**
   * Until when (epoch ms, workflow time) this answer holds if the published version stays the same: the next minute
   * boundary (business hours and routing rules are judged in whole minutes), a bound too on how late a change to the
   * number's own document is seen. Absent when it must not be reused: a legacy number claims its reply per read.
   */
  stableUntil?: number;
}

/**
 * The published configuration as it applies to one conversation now. Called by the workflow (as a local
 * activity) before it handles customer messages, so the version used is recorded in its history and replays the same.
 * `sipRouting` says whether this worker has a SIP connector to hand conversations to.
 */
export function createSettingsActivities({ store, cacheMs = 1_000, sipRouting = false }: { store: Store; cacheMs?: number; sipRouting?: boolean }) {
  // Every customer message reads these: a second of staleness after a publish spares the store two reads per message.
  const published = memo(cacheMs, () => publishedConfig(store));
  const numbers = new Map<string, ReturnType<typeof memo<Awaited<ReturnType<typeof findNumber>>>>>();
  const numberDoc = (id: string) => {
    let read = numbers.get(id);
    if (!read) numbers.set(id, (read = memo(cacheMs, () => findNumber(store, id))));
    return read();
  };
  return {
    async conversationSettings(request: SettingsRequest): Promise<SettingsRead> {
      const [{ version, config }, number] = await Promise.all([published(), numberDoc(request.businessNumberId)]);
      const legacy = number?.legacy;
      const settings: ConversationSettings = {
        version,
        ...(version > 0 ? { idleCloseAfterMs: config.idleCloseAfterMinutes * 60_000 } : {}),
        autoReplies: config.autoReplies,
        chatbot: config.chatbot,
        route: routeFor(config, request.businessNumberId, undefined, request.at),
        agentCapacity: config.agentCapacity,
        handOff: {
          sip: sipRouting,
          retry: {
            initialMs: config.routing.retry.initialSeconds * 1_000,
            maxMs: config.routing.retry.maxSeconds * 1_000,
            maxAttempts: config.routing.retry.maxAttempts,
          },
          fallback: config.routing.fallback,
        },
        ...(legacy ? { legacy: { autoReply: legacy.autoReply } } : {}),
      };
      // The notice goes out only if the message opens a window (the machine's own rule); claiming otherwise would use
      // up the period with nothing sent.
      const answerable = request.sentAt === undefined || windowEndFor({ sentAt: request.sentAt, at: request.at }) > request.at;
      const legacyReplyDue = legacy && answerable
        ? await claimLegacyReply(store, request.businessNumberId, request.customerKey, request.messageId, request.at, legacy.periodHours * 3_600_000)
        : false;
      const stableUntil = legacy ? {} : { stableUntil: Math.floor(request.at / 60_000) * 60_000 + 60_000 };
      const businessOpen = isOpenAt(config, request.at);
      const opensAt = businessOpen ? undefined : nextOpeningAt(config, request.at);
      return { settings, businessOpen, ...(opensAt === undefined ? {} : { opensAt }), legacyReplyDue, ...stableUntil };
    },
  };
}

/** The last answer of `read` for `ttlMs` (0: always read); concurrent callers share one read in flight. */
function memo<T>(ttlMs: number, read: () => Promise<T>): () => Promise<T> {
  let cached: { at: number; value: Promise<T> } | undefined;
  return () => {
    const now = Date.now();
    if (cached && now - cached.at < ttlMs) return cached.value;
    const value = read();
    cached = { at: now, value };
    // A failed read is not remembered.
    value.catch(() => {
      if (cached?.value === value) cached = undefined;
    });
    return value;
  };
}
