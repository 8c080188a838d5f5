/**
 * WhatsApp calls and the numbers' calling settings. `calls` holds one document per call, keyed by Meta's SIP
 * Call-ID and written whole by its workflow at every step (idempotent, FerretDB-safe); `call_settings` holds the
 * `calling` object of each number as last pushed to Meta, and the SIP password Meta generated for it.
 */
import type { Collection } from 'mongodb';
import type { CallStatus } from '../workflows/call.messages';
import type { Store } from './db';
import type { CallingSettings } from '../lib/call-hours';

export type { CallingSettings };

export interface CallDoc extends CallStatus {
  _id: string;
  updatedAt: Date;
}

export interface CallSettingsDoc {
  _id: string;
  calling: CallingSettings;
  /** Meta's generated SIP user password for this number and app (GET settings, include_sip_credentials). */
  sipPassword?: string;
  updatedAt: Date;
  updatedBy: string;
}

const calls = (store: Store): Collection<CallDoc> => store.db.collection<CallDoc>('calls');
const settings = (store: Store): Collection<CallSettingsDoc> => store.db.collection<CallSettingsDoc>('call_settings');

/** Writes the call as it is now (the workflow's whole status: a retried write changes nothing). */
export async function saveCall(store: Store, status: CallStatus, at: Date): Promise<void> {
  await calls(store).updateOne({ _id: status.callId }, { $set: { ...status, updatedAt: at } }, { upsert: true });
}

/** Removes one call's record (one written as its customer was being erased). */
export async function forgetCall(store: Store, callId: string): Promise<void> {
  await calls(store).deleteOne({ _id: callId });
}

export async function findCall(store: Store, callId: string): Promise<CallDoc | null> {
  return calls(store).findOne({ _id: callId });
}

/** A conversation's calls, oldest first. */
export async function listCalls(store: Store, conversationId: string): Promise<CallDoc[]> {
  return calls(store).find({ conversationId }).sort({ offeredAt: 1 }).limit(500).toArray();
}

/** Calls offered in [from, to) (epoch ms), for the KPIs. */
export async function callsBetween(store: Store, from: number, to: number): Promise<CallDoc[]> {
  return calls(store).find({ offeredAt: { $gte: from, $lt: to } }).limit(100_000).toArray();
}

export async function findCallSettings(store: Store, phoneNumberId: string): Promise<CallSettingsDoc | null> {
  return settings(store).findOne({ _id: phoneNumberId });
}

export async function putCallSettings(store: Store, doc: CallSettingsDoc): Promise<void> {
  await settings(store).replaceOne({ _id: doc._id }, doc, { upsert: true });
}
