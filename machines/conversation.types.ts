/**
 * Types of the conversation machine: plain, JSON-safe data only, so snapshots can cross Temporal's
 * continue-as-new boundary and be written to MongoDB unchanged.
 */
import type { BotReply, OutboundContent } from './conversation.content';

/** The business's outbound content types live in conversation.content.ts; callers keep importing them from here. */
export * from './conversation.content';
/** So do the effects' types, declared in conversation.effects.ts beside `toEffects`. */
export type {
  AskBotEffect, CancelTimerEffect, ConversationEffect, FetchMediaEffect, HandOffEffect, ReleaseAgentEffect, RouteToAgentEffect, SendMessageEffect,
  StartTimerEffect,
} from './conversation.effects';

/** WhatsApp's customer service window: 24 hours from the customer's most recent message. */
export const SESSION_WINDOW_MS = 24 * 60 * 60 * 1000;

/** Cloud API error code for "re-engagement message": the window is closed, send a template. */
export const WINDOW_CLOSED_ERROR_CODE = 131047;

/** Who the customer is. Keyed on the business-scoped user id where WhatsApp gives one, else on `wa_id`. */
export interface CustomerRef {
  /** The conversation key: `user_id` (e.g. `US.13491208655302741918`) when present, else `wa_id`. */
  key: string;
  waId?: string;
  userId?: string;
  username?: string;
  profileName?: string;
}

/**
 * Kinds of customer message (Meta's message `type`s that are the customer writing). Reactions, system notices,
 * welcome requests, edits and revokes are not the customer writing and never reach the machine. Only `unsupported`
 * changes what the machine does (the unsupported-type reply).
 */
export const inboundKinds = [
  'text', 'image', 'audio', 'video', 'document', 'sticker', 'location', 'contacts', 'button', 'interactive', 'order', 'unsupported',
  // The customer wrote, but WhatsApp withholds the content (131060, a Coexistence number's first message): not a type
  // we fail to read, so no unsupported-type reply.
  'unavailable',
] as const;
export type InboundKind = (typeof inboundKinds)[number];


export interface Sender {
  kind: 'agent' | 'integrator' | 'bot' | 'system';
  id?: string;
}

/** `opening`: the business opens and a customer who wrote while it was closed is routed (`business.opened`). */
export type TimerId = 'window' | 'idle' | 'routeRetry' | 'opening';

/** What the published configuration says for one conversation, resolved by the workflow's settings read. */
export interface ConversationSettings {
  /** The published configuration version these come from; 0 = the defaults (nothing published yet). */
  version: number;
  /** Absent while nothing is published: the service's default (CONVERSATION_IDLE_CLOSE_MS) stays. */
  idleCloseAfterMs?: number;
  autoReplies: { welcome?: string; queue?: string; outOfHours?: string; unsupportedType?: string };
  chatbot: { enabled: boolean; endpoint?: string; timeoutMs: number };
  route: { queue: string; skill?: string };
  agentCapacity: number;
  /**
   * Hand-off to people over SIP; absent in runs from before routing existed and when the worker has no SIP connector.
   * With `sip: false` nothing is routed: integrators answer, as before.
   */
  handOff?: HandOffSettings;
  /** Set on a legacy (retired) number: customers get this reply, at most once per period, and nothing is routed. */
  legacy?: { autoReply: string };
}

export interface HandOffSettings {
  /** Whether a SIP connector is configured: conversations that need a person are routed to the contact centre. */
  sip: boolean;
  /** Busy or unanswered attempts: the wait before the next one doubles from `initialMs` up to `maxMs`. */
  retry: { initialMs: number; maxMs: number; maxAttempts: number };
  /** After a final refusal (404, 403…) or `maxAttempts` busy answers: another queue, else this reply. */
  fallback: { queue?: string; autoReply?: string };
}

/** An answered call, as the SIP activities describe it: plain JSON the machine carries but never reads inside. */
export interface CallRef {
  callId: string;
  [detail: string]: unknown;
}

/**
 * Where the conversation is on its way to a person, as the status projection names it: the `routing` region's state
 * (`retrying` is shown as `queued`; `closed` as `none`). Read it with `routingPhaseOf(snapshot)`, never from context.
 */
export type RoutingPhase = 'none' | 'bot' | 'queued' | 'assigned';

/** The states of the machine's `routing` region (see conversation.machine.ts). */
export type RoutingStateName = 'idle' | 'bot' | 'queued' | 'retrying' | 'assigned';

/** The agent holding the conversation and the call they hold it on. */
export interface Assignment {
  agentId: string;
  call: CallRef;
}

/** What the `routing` region remembers; which state it is in is the snapshot's, not this object's. */
export interface RoutingContext {
  /** The queue asked for by the current (or last) attempt. */
  queue: string | null;
  skill?: string;
  /** A transfer to a named agent: asked of the contact centre in the INVITE. */
  targetAgentId?: string;
  /** Routing attempts so far in this conversation (every INVITE is a new one, numbered from 1). */
  attempt: number;
  /** Busy or unanswered attempts since the conversation was last queued. */
  busyCount: number;
  /**
   * Who holds the conversation: set on entering the `assigned` state, cleared on leaving it, so it is non-null exactly
   * while the region is `assigned`. Read it with `holderOf(snapshot)`.
   */
  assignment: Assignment | null;
  /** The configured queue message went out (once per conversation). */
  queueNoticeSent: boolean;
  /** First time an agent took the conversation (hold time ends here). */
  assignedAt: number | null;
  /**
   * The message that set routing going (the customer's or the one the bot handed off on): the connector's own
   * replies derive their ids from it, so they stay unique across the conversation's reopenings.
   */
  cause?: string;
  /**
   * The opening the conversation waits for (epoch ms, the `opening` timer), kept while the idle close is held for it
   * (messages with `idleWaitsForOpening`): the idle period then counts from the opening. Dropped when routing leaves
   * `idle`; absent in older runs and snapshots.
   */
  opensAt?: number;
}

export interface ConversationInput {
  conversationId: string;
  businessNumberId: string;
  customer: CustomerRef;
  idleCloseAfterMs: number;
}

/** A line of the thread as the machine saw it; bodies stay in MongoDB. */
export interface MessageSummary {
  messageId: string;
  direction: 'inbound' | 'outbound';
  /** inbound: an {@link InboundKind}; outbound: the session type sent (text, image, buttons, list…) or template. */
  kind: string;
  /** Payload time for inbound, acceptance time for outbound (epoch ms). */
  at: number;
}

/** How many recent messages the conversation remembers for its status query. */
export const RECENT_MESSAGES = 10;

export interface ConversationContext extends ConversationInput {
  /** Epoch ms when the window closes; null while no window was ever opened or after the broker closed it. */
  windowClosesAt: number | null;
  /** Payload time (epoch ms) of the customer's most recent message. */
  lastInboundAt: number | null;
  firstInboundAt: number | null;
  firstResponseAt: number | null;
  inboundCount: number;
  outboundCount: number;
  closedReason: 'idle' | 'requested' | null;
  /** The last {@link RECENT_MESSAGES} messages, oldest first. Absent in snapshots persisted before it existed. */
  recentMessages?: MessageSummary[];
  /** The configuration in force; absent until the first settings read (and in runs from before it existed). */
  settings?: ConversationSettings;
  /** Hand-off to the contact centre (the `routing` region's memory). */
  routing: RoutingContext;
  /** When the out-of-hours reply went out; cleared once the business is open again, so it is sent once per closure. */
  outOfHoursRepliedAt?: number | null;
  /**
   * Whether the customer's first answerable message has been handled (and welcomed, if a welcome is configured). Not
   * the message count: a first message delivered after its window passed is counted but cannot be answered. Absent
   * in snapshots persisted before it existed, where the count decides as it did then.
   */
  welcomed?: boolean;
  /**
   * The timestamp (epoch ms) of the customer's most recent call: a call opens or refreshes the window like a message
   * (`customer.called`) but is not a message, so `lastInboundAt` stays the last message. Absent before it existed.
   */
  lastCalledAt?: number | null;
}

/** Every event carries `at`: the workflow's deterministic time when it was handled (epoch ms). */
export type ConversationEvent =
  | {
      type: 'customer.messageReceived';
      messageId: string;
      /** The message's own timestamp from the webhook payload (epoch ms). */
      sentAt: number;
      kind: InboundKind;
      /** The broker's media id of an image, audio, video, document or sticker, fetched and stored by the `fetchMedia` effect. */
      brokerMediaId?: string;
      customer?: Omit<CustomerRef, 'key'>;
      /** Business hours at receipt per the settings read (absent: not known, no out-of-hours reply). */
      businessOpen?: boolean;
      /** Legacy numbers: whether this customer is due the legacy reply now (once per period, decided by the store). */
      legacyReplyDue?: boolean;
      /**
       * Outside business hours the welcome waits for the customer's first message in opening hours (only the
       * out-of-hours notice goes out). Set by runs that recorded `patched('welcome-waits-for-opening-hours')`;
       * absent in older runs, which welcome at once whatever the hours.
       */
      welcomeWaitsForOpening?: boolean;
      /**
       * With `businessOpen: false`, when the business next opens (epoch ms, from the configuration at the workflow's
       * time: `nextOpeningAt`): a customer who wants an agent is routed then without writing again. Set by runs that
       * recorded `patched('routes-at-opening')`; absent in older runs, which route at the next message in opening hours.
       */
      opensAt?: number;
      /**
       * With `opensAt`: while the conversation waits for that opening, the idle close does not come before it and
       * its idle period counts from the opening (`idleCloseAfterMs` after it at the earliest). Set by runs that recorded
       * `patched('idle-waits-for-opening')`; absent in older runs, whose idle period counts from the window's close.
       */
      idleWaitsForOpening?: boolean;
      at: number;
    }
  /**
   * The WhatsApp user called the business (Meta's user-initiated `calls` webhook `connect`), answered or not: the
   * window opens or refreshes for 24 h from the call, nothing is routed (the call goes to an agent over SIP itself).
   * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/pricing/
   */
  | {
      type: 'customer.called';
      /** Meta's call id (`wacid.…`): the workflow takes each call once. */
      callId: string;
      /** The call's own `timestamp` from the webhook (epoch ms). */
      calledAt: number;
      at: number;
    }
  | { type: 'settings.applied'; settings: ConversationSettings; at: number }
  | { type: 'business.sendRequested'; messageId: string; message: OutboundContent; sender: Sender; at: number }
  | { type: 'broker.accepted'; messageId: string; wamid: string; at: number }
  | {
      type: 'broker.rejected';
      messageId: string;
      code: number;
      title: string;
      /** When the refused send was accepted; absent on events from before it was carried. */
      sentAt?: number;
      at: number;
    }
  | { type: 'window.expired'; at: number }
  | { type: 'idle.elapsed'; at: number }
  | { type: 'conversation.closeRequested'; by: Sender; at: number }
  /** The bot answered the customer's message `messageId`. */
  | { type: 'bot.replied'; messageId: string; replies: BotReply[]; at: number }
  | { type: 'bot.handOffRequested'; messageId: string; reason?: string; at: number }
  /** The bot was slow, failing or absent: a person takes over. */
  | { type: 'bot.failed'; messageId: string; reason: string; at: number }
  | { type: 'sip.answered'; attempt: number; agentId: string; call: CallRef; at: number }
  /** 486/480/503/600, a transport failure, or no answer at all (status 408). */
  | { type: 'sip.busy'; attempt: number; status: number; reason: string; retryAfterMs?: number; at: number }
  /** A final refusal (404, 403, …) or no connector configured (status 0). */
  | { type: 'sip.failed'; attempt: number; status: number; reason: string; at: number }
  | { type: 'routing.retryDue'; at: number }
  /** The business opened (the `opening` timer): a customer who wrote while it was closed is routed now. */
  | { type: 'business.opened'; at: number }
  /** The agent's assignment ended: the contact centre hung up (its BYE), naming the call. */
  | { type: 'agent.released'; callId: string; at: number }
  | { type: 'agent.transferRequested'; by: Sender; to: TransferTarget; at: number };

/** Where an agent hands a conversation on: a queue, or a named agent (asked of the contact centre). */
export type TransferTarget = { queue: string } | { agentId: string; queue?: string };

export type ConversationEventType = ConversationEvent['type'];

export type ConversationStateName = 'inbound' | 'openSession' | 'handedToAgent' | 'expiredNeedsTemplate' | 'closed';
