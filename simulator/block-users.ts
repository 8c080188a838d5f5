/**
 * Meta's Block Users API on the simulator, with its rules
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/block-users/):
 * - only users who messaged the number in the last 24 hours (per user: 131047 "Re-engagement required");
 * - at most 1,000 users per request (130429), a blocklist of at most 64,000 (per user: 139101);
 * - per-user results: 200 when all succeed, else 400 with code 139100 and the added/failed lists;
 * - GET pages the blocklist with `limit` and an `after` cursor; `paging.next` only while more follow (Graph API paging:
 *   "If not included, this is the last page of data", https://developers.facebook.com/docs/graph-api/results/);
 * - a phone number id the account does not hold: the Graph API's 400, code 100, subcode 33 (simulator/phone-numbers.ts);
 * - "Your business cannot message the user. Attempts to message a blocked user return an error": Meta names no code
 *   for it (neither there nor on the error-codes page), so the send is refused synchronously with 131026 "Message
 *   undeliverable", Meta's code for a recipient a message cannot reach ({@link blockedSendRefusal}).
 * - "The user cannot contact your business": a blocked user's messages and calls never reach the business, so the
 *   simulated customer's are not delivered ({@link blockedSender}, {@link isBlocked}).
 * The broker learns who wrote from the webhooks it delivers (`noteDelivered`), and which BSUID is which phone number.
 * Under `npm start` all of it is kept across restarts (`block-users.json`, simulator/state-file.ts).
 */
import type { Express, Request, Response } from 'express';
import { metaErrorBody, refusal, type MetaRefusal } from './errors';
import type { PhoneNumbers } from './phone-numbers';
import type { StateFile } from './state-file';
import { receivedAt, webhookItems } from './webhook-items';

/** A customer's message as the observers read it (Meta's `messages[]` item). */
type Message = { from: string; from_user_id: string; timestamp: string };

const DAY_MS = 24 * 60 * 60 * 1000;
export const MAX_USERS_PER_REQUEST = 1_000;
export const MAX_BLOCKLIST = 64_000;

interface Deps {
  authorized: (req: Request) => boolean;
  refuse: (res: Response, status: number, code: number, message: string) => unknown;
  numbers: Pick<PhoneNumbers, 'refuseUnknown'>;
  state?: StateFile<BlockUsersState>;
}

/** What is kept across restarts (`block-users.json`): who wrote when (the last 24 hours), BSUIDs seen, the blocklists. */
export interface BlockUsersState {
  lastWrote: [key: string, at: number][];
  waIdOfUser: [key: string, waId: string][];
  blocklists: [phoneNumberId: string, waIds: string[]][];
}

export function installBlockUsers(app: Express, deps: Deps, options: { maxBlocklist?: number } = {}) {
  /** `<phoneNumberId>:<wa_id>` → epoch ms of their latest message. */
  const kept = deps.state?.load();
  const lastWrote = new Map<string, number>(kept?.lastWrote ?? []);
  /** `<phoneNumberId>:<BSUID>` → the wa_id that wrote with it (a block names the phone number; a send may name the BSUID). */
  const waIdOfUser = new Map<string, string>(kept?.waIdOfUser ?? []);
  /** Blocked wa_ids per number, in the order they were blocked. */
  const blocklists = new Map<string, string[]>(kept?.blocklists ?? []);
  // Who wrote more than 24 hours ago can be blocked no more: not kept. A block is written before it is answered; who
  // wrote, a write per inbound message, is coalesced (simulator/state-file.ts).
  const save = (now = false) =>
    deps.state?.save(() => ({ lastWrote: [...lastWrote.entries()].filter(([, at]) => Date.now() - at <= DAY_MS), waIdOfUser: [...waIdOfUser.entries()], blocklists: [...blocklists.entries()].filter(([, list]) => list.length > 0) }), now);
  const listOf = (phoneNumberId: string) => blocklists.get(phoneNumberId) ?? blocklists.set(phoneNumberId, []).get(phoneNumberId)!;
  const maxBlocklist = options.maxBlocklist ?? MAX_BLOCKLIST;
  const digits = (user: string) => user.replace(/\D/g, '');

  /** Remembers who wrote to which number, from a webhook body the broker delivers. */
  function noteDelivered(body: unknown): void {
    let noted = false;
    for (const { field, phoneNumberId, item: m } of webhookItems<Message>(body, 'messages')) {
      if (field !== 'messages' || !m.from) continue;
      const at = receivedAt(m.timestamp);
      const key = `${phoneNumberId}:${m.from}`;
      lastWrote.set(key, Math.max(lastWrote.get(key) ?? 0, at));
      if (m.from_user_id) waIdOfUser.set(`${phoneNumberId}:${m.from_user_id}`, digits(m.from));
      noted = true;
    }
    if (noted) save();
  }

  function usersOf(req: Request, res: Response): string[] | undefined {
    if (!deps.authorized(req)) return void deps.refuse(res, 401, 190, 'Access token has expired');
    if (deps.numbers.refuseUnknown(req, res)) return undefined;
    const body = req.body as { messaging_product?: unknown; block_users?: { user?: unknown }[] };
    if (body?.messaging_product !== 'whatsapp' || !Array.isArray(body.block_users) || body.block_users.length === 0 || body.block_users.some((u) => typeof u?.user !== 'string')) {
      return void deps.refuse(res, 400, 100, 'Invalid parameter: messaging_product and block_users[].user are required');
    }
    if (body.block_users.length > MAX_USERS_PER_REQUEST) return void deps.refuse(res, 429, 130429, 'Rate limit hit');
    return body.block_users.map((u) => String(u.user));
  }

  function answer(res: Response, listName: 'added_users' | 'removed_users', done: string[], failed: { user: string; code: number; message: string; details: string }[]) {
    const block_users = {
      [listName]: done.map((user) => ({ input: user, wa_id: digits(user) })),
      ...(failed.length
        ? { failed_users: failed.map((f) => ({ input: f.user, wa_id: digits(f.user), errors: [{ message: f.message, code: f.code, error_data: { details: f.details } }] })) }
        : {}),
    };
    if (!failed.length) return void res.json({ messaging_product: 'whatsapp', block_users });
    const error = metaErrorBody(refusal(139100, 'Failed to block some users, see the block_users response list for details', { title: 'Failed to block/unblock users' })).error;
    res.status(400).json({ messaging_product: 'whatsapp', block_users, error });
  }

  app.post('/:version/:phoneNumberId/block_users', (req, res) => {
    const users = usersOf(req, res);
    if (!users) return;
    const number = String(req.params.phoneNumberId);
    const list = listOf(number);
    const done: string[] = [];
    const failed: { user: string; code: number; message: string; details: string }[] = [];
    for (const user of users) {
      const waId = digits(user);
      const wrote = lastWrote.get(`${number}:${waId}`);
      if (wrote === undefined || Date.now() - wrote > DAY_MS) {
        failed.push({ user, code: 131047, message: 'Re-engagement required', details: 'User has not messaged in the last 24 hours' });
      } else if (!list.includes(waId) && list.length >= maxBlocklist) {
        failed.push({ user, code: 139101, message: 'Blocklist limit reached', details: `The blocklist has reached its ${maxBlocklist} user limit` });
      } else {
        if (!list.includes(waId)) list.push(waId);
        done.push(user);
      }
    }
    if (done.length > 0) save(true);
    answer(res, 'added_users', done, failed);
  });

  app.delete('/:version/:phoneNumberId/block_users', (req, res) => {
    const users = usersOf(req, res);
    if (!users) return;
    const number = String(req.params.phoneNumberId);
    blocklists.set(number, listOf(number).filter((waId) => !users.map(digits).includes(waId)));
    save(true);
    answer(res, 'removed_users', users, []);
  });

  app.get('/:version/:phoneNumberId/block_users', (req, res) => {
    if (!deps.authorized(req)) return void deps.refuse(res, 401, 190, 'Access token has expired');
    if (deps.numbers.refuseUnknown(req, res)) return;
    const list = listOf(String(req.params.phoneNumberId));
    const limit = Math.min(Number(req.query.limit) || 100, 1_000);
    const from = typeof req.query.after === 'string' ? Number(Buffer.from(req.query.after, 'base64url').toString()) || 0 : 0;
    const page = list.slice(from, from + limit);
    const cursor = (n: number) => Buffer.from(String(n)).toString('base64url');
    const after = cursor(from + page.length);
    // `next` names the following page and is left out on the last one; the cursors come on every page.
    const next = from + page.length < list.length ? `${req.protocol}://${req.get('host')}${req.path}?${new URLSearchParams({ limit: String(limit), after })}` : undefined;
    res.json({
      data: page.map((wa_id) => ({ messaging_product: 'whatsapp', wa_id })),
      paging: { cursors: { before: cursor(from), after }, ...(next ? { next } : {}) },
    });
  });

  /**
   * Meta's refusal of a send to a user the number blocked (by phone number, wa_id, or a BSUID seen with the blocked
   * number), or undefined. 131026, synchronous: see the file's comment for why this code.
   */
  function blockedSendRefusal(phoneNumberId: string, to: { to?: string; recipient?: string }): MetaRefusal | undefined {
    if (!isBlocked(phoneNumberId, { ...(to.to !== undefined ? { from: to.to } : {}), ...(to.recipient !== undefined ? { userId: to.recipient } : {}) })) return undefined;
    return refusal(131026, 'Unable to deliver message: this business phone number blocked the recipient (Block Users API); unblock them to message them');
  }

  /** Whether this user (a phone number / wa_id, or a BSUID seen with a blocked number) is on the number's blocklist. */
  function isBlocked(phoneNumberId: string, user: { from?: string; userId?: string }): boolean {
    const list = blocklists.get(phoneNumberId);
    if (!list?.length) return false;
    const waId = user.from !== undefined ? digits(user.from) : user.userId !== undefined ? waIdOfUser.get(`${phoneNumberId}:${user.userId}`) : undefined;
    return waId !== undefined && list.includes(waId);
  }

  /**
   * Whether a `messages` webhook body is only a blocked user contacting the number (every message in it is theirs):
   * Meta delivers none of it. Status webhooks and other fields are never held back.
   */
  function blockedSender(body: unknown): boolean {
    const senders = webhookItems<Message>(body, 'messages').filter(({ field }) => field === 'messages');
    return senders.length > 0 && senders.every(({ phoneNumberId, item: m }) => isBlocked(phoneNumberId, { ...(m.from ? { from: m.from } : {}), ...(m.from_user_id ? { userId: m.from_user_id } : {}) }));
  }

  return {
    noteDelivered,
    isBlocked,
    blockedSender,
    blockedSendRefusal,
    /** The number's blocklist as the broker holds it. */
    blocked: (phoneNumberId: string): string[] => [...listOf(phoneNumberId)],
  };
}
