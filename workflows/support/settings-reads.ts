/**
 * How the conversation workflow turns a settings read into the machine's events, and when it reuses a read: shared
 * by the workflow (conversation.runtime.ts) and the analytics fold (analytics/conversation.fold.ts), which must build
 * exactly the events the workflow dispatched. Pure: workflow time comes in as `now` / `at` (epoch ms).
 */
import type { SettingsRead } from '../../activities/settings.activities';
import type { ConversationEvent, ConversationSettings } from '../../machines/conversation.types';
import type { InboundMessage } from '../conversation.messages';

/** What is kept of a read for reuse (`patched('settings-read-when-changed')`): valid until `until` (epoch ms). */
export interface KeptRead {
  version: number;
  businessOpen: boolean;
  opensAt: number | undefined;
  until: number;
}

/** The run's closed-hours patches, as recorded: `welcome-waits-for-opening-hours`, `routes-at-opening`, `idle-waits-for-opening`. */
export interface ClosedHoursPatches {
  welcomeWaits: boolean;
  routesAtOpening: boolean;
  idleWaitsForOpening: boolean;
}

/** What of a read may be reused; a read that must not be (a legacy number's, no `stableUntil`) ends the reuse. */
export function keptRead(read: SettingsRead): KeptRead | undefined {
  return read.stableUntil === undefined ? undefined : { version: read.settings.version, businessOpen: read.businessOpen, opensAt: read.opensAt, until: read.stableUntil };
}

/**
 * The kept read again, without a local activity, when every waiting message was accepted under a published version
 * no newer than it (the API puts the version it saw on the signal) and the read said its answer holds until `now`
 * (business hours and routing rules change at minute boundaries; a legacy number's reply claim is never reused).
 */
export function reusableRead(
  last: KeptRead | undefined,
  now: number,
  inbox: readonly Pick<InboundMessage, 'settingsVersion'>[],
  settings: ConversationSettings | null | undefined,
): SettingsRead | undefined {
  if (!last || now >= last.until) return undefined;
  const newest = Math.max(...inbox.map((m) => m.settingsVersion ?? Number.POSITIVE_INFINITY));
  if (!settings || newest > last.version || last.version !== settings.version) return undefined;
  return { settings, businessOpen: last.businessOpen, opensAt: last.opensAt, legacyReplyDue: false };
}

/** The machine event for one customer message taken with a read; `first`: the first of the batch the read was made for. */
export function customerMessageEvent(
  message: InboundMessage,
  read: Pick<SettingsRead, 'businessOpen' | 'opensAt' | 'legacyReplyDue'>,
  first: boolean,
  closedHours: ClosedHoursPatches,
  at: number,
): ConversationEvent {
  return {
    type: 'customer.messageReceived',
    ...message,
    businessOpen: read.businessOpen,
    legacyReplyDue: first && read.legacyReplyDue,
    ...(closedHours.welcomeWaits ? { welcomeWaitsForOpening: true } : {}),
    ...(closedHours.routesAtOpening && read.opensAt !== undefined ? { opensAt: read.opensAt } : {}),
    // Only with `opensAt`: the idle close waits for the opening the message routes at.
    ...(closedHours.routesAtOpening && closedHours.idleWaitsForOpening && read.opensAt !== undefined ? { idleWaitsForOpening: true } : {}),
    at,
  };
}
