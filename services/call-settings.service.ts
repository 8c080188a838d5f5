/**
 * A number's calling settings: validated by the API, pushed to Meta (POST /<PHONE_NUMBER_ID>/settings), then read
 * back with the SIP password Meta generated (which the connector needs to challenge Meta's INVITEs), and stored.
 * Meta refuses: nothing is stored (the problem says why, `broker_refused`).
 */
import { AppError } from '../lib/errors';
import type { CallingSettingsClient } from '../integrations/broker/calling-settings.client';
import { callsBetween, findCallSettings, putCallSettings, type CallDoc, type CallingSettings } from '../store/calls.store';
import type { Store } from '../store/db';
import { findNumber } from '../store/numbers.store';

export interface CallKpis {
  from: string;
  to: string;
  offered: number;
  answered: number;
  missed: number;
  abandoned: number;
  failed: number;
  /** Mean seconds from offer to answer, answered calls only. */
  averageWaitSeconds: number | null;
  /** Mean seconds the caller waited before hanging up, abandoned calls only. */
  averageAbandonSeconds: number | null;
  averageTalkSeconds: number | null;
  totalTalkSeconds: number;
  /** Calls the contact centre placed to customers (all the counts above include them). */
  businessInitiated: { placed: number; answered: number; missed: number };
}

const mean = (values: number[]) => (values.length === 0 ? null : Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 10) / 10);

/** KPIs over calls (pure): answered = ever answered (ringing now or ended), missed, abandoned, failed. */
export function callKpis(calls: (Pick<CallDoc, 'phase' | 'answeredAt' | 'waitSeconds' | 'talkSeconds'> & { direction?: CallDoc['direction'] })[], from: Date, to: Date): CallKpis {
  const placed = calls.filter((c) => c.direction === 'business_initiated');
  const answered = calls.filter((c) => c.answeredAt !== undefined);
  const abandoned = calls.filter((c) => c.phase === 'abandoned');
  const talk = answered.flatMap((c) => (c.talkSeconds !== undefined ? [c.talkSeconds] : []));
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    offered: calls.length,
    answered: answered.length,
    missed: calls.filter((c) => c.phase === 'missed').length,
    abandoned: abandoned.length,
    failed: calls.filter((c) => c.phase === 'failed').length,
    averageWaitSeconds: mean(answered.flatMap((c) => (c.waitSeconds !== undefined ? [c.waitSeconds] : []))),
    averageAbandonSeconds: mean(abandoned.flatMap((c) => (c.waitSeconds !== undefined ? [c.waitSeconds] : []))),
    averageTalkSeconds: mean(talk),
    totalTalkSeconds: talk.reduce((a, b) => a + b, 0),
    businessInitiated: { placed: placed.length, answered: placed.filter((c) => c.answeredAt !== undefined).length, missed: placed.filter((c) => c.phase === 'missed').length },
  };
}

export function createCallSettingsService({ store, meta, clock = () => new Date() }: { store: Store; meta: CallingSettingsClient; clock?: () => Date }) {
  return {
    async put(phoneNumberId: string, calling: CallingSettings, by: string) {
      if (!(await findNumber(store, phoneNumberId))) throw new AppError('unknown_number', `Business number ${phoneNumberId} is not registered`);
      await meta.push(phoneNumberId, calling);
      // Meta merges a settings POST into what it holds, so the body may leave out a SIP server Meta still sends
      // calls to: its password is read back whatever the body said, and INVITEs stay challenged while Meta has one.
      const password = calling.status === 'ENABLED' ? (await meta.read(phoneNumberId)).sipPassword : undefined;
      await putCallSettings(store, { _id: phoneNumberId, calling, ...(password ? { sipPassword: password } : {}), updatedAt: clock(), updatedBy: by });
      return this.get(phoneNumberId);
    },
    /** The stored settings; the SIP password is never shown, only whether one is held. */
    async get(phoneNumberId: string) {
      const doc = await findCallSettings(store, phoneNumberId);
      if (!doc) {
        if (!(await findNumber(store, phoneNumberId))) throw new AppError('unknown_number', `Business number ${phoneNumberId} is not registered`);
        return { phoneNumberId, calling: { status: 'DISABLED' as const }, sipCredentials: false };
      }
      return { phoneNumberId, calling: doc.calling, sipCredentials: doc.sipPassword !== undefined, updatedAt: doc.updatedAt.toISOString(), updatedBy: doc.updatedBy };
    },
    async kpis(from: Date, to: Date): Promise<CallKpis> {
      return callKpis(await callsBetween(store, from.getTime(), to.getTime()), from, to);
    },
  };
}

export type CallSettingsService = ReturnType<typeof createCallSettingsService>;
