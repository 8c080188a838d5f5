import { CloudApiError, type CloudApiOptions } from './cloud-api.client';

/**
 * Meta's Block Users API: POST, DELETE and GET /<PHONE_NUMBER_ID>/block_users. Synchronous; results come per user
 * (a request may block some and fail others: HTTP 400 with code 139100 and the per-user lists beside it).
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/block-users/
 */
export interface BlockUsersResult {
  /** Blocked (or unblocked): `input` as given, `wa_id` as WhatsApp knows the person. */
  done: { input: string; waId?: string }[];
  failed: { input: string; waId?: string; code: number; message: string; details?: string }[];
}

export interface BlockUsersClient {
  /** Blocks up to 1,000 users by phone number or WhatsApp id. Throws {@link CloudApiError} on a request-level refusal. */
  block(phoneNumberId: string, users: string[]): Promise<BlockUsersResult>;
  unblock(phoneNumberId: string, users: string[]): Promise<BlockUsersResult>;
  /**
   * One page of the blocklist; `after` is the cursor of the previous page. Answers `after` only when another page
   * follows: Meta writes `paging.next` on every page but the last ("If not included, this is the last page of data",
   * https://developers.facebook.com/docs/graph-api/results/), while its `cursors.after` comes on the last page too.
   */
  list(phoneNumberId: string, page: { limit?: number; after?: string }): Promise<{ waIds: string[]; after?: string }>;
}

interface UserAnswer {
  input?: string;
  wa_id?: string;
  errors?: { code?: number | string; message?: string; error_data?: { details?: string } }[];
}
interface BlockAnswer {
  block_users?: { added_users?: UserAnswer[]; removed_users?: UserAnswer[]; failed_users?: UserAnswer[] };
  error?: { code?: number; message?: string; error_data?: { details?: string } };
  data?: { wa_id?: string }[];
  paging?: { cursors?: { after?: string }; next?: string };
}

export function createBlockUsersClient(options: CloudApiOptions): BlockUsersClient {
  const base = `${options.baseUrl.replace(/\/$/, '')}/${options.version}`;

  async function call(method: 'POST' | 'DELETE' | 'GET', path: string, body?: unknown): Promise<{ status: number; answer: BlockAnswer }> {
    let response: Response;
    try {
      response = await fetch(`${base}/${path}`, {
        method,
        headers: { authorization: `Bearer ${options.accessToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (err) {
      throw new CloudApiError(0, 0, 'broker unreachable', (err as Error).message, true);
    }
    const text = await response.text();
    let answer: BlockAnswer = {};
    try {
      answer = text ? (JSON.parse(text) as BlockAnswer) : {};
    } catch {
      // A proxy's HTML error page: judged by status below.
    }
    return { status: response.status, answer };
  }

  /** A per-user answer (200, or 400 with 139100 and lists); anything else is a refusal of the whole request. */
  async function perUser(method: 'POST' | 'DELETE', phoneNumberId: string, users: string[]): Promise<BlockUsersResult> {
    const body = { messaging_product: 'whatsapp', block_users: users.map((user) => ({ user })) };
    const { status, answer } = await call(method, `${encodeURIComponent(phoneNumberId)}/block_users`, body);
    const lists = answer.block_users;
    if (!(status < 300 || (answer.error?.code === 139100 && lists))) {
      const code = answer.error?.code ?? 0;
      throw new CloudApiError(status, code, (answer.error?.message ?? `HTTP ${status}`).replace(/^\(#\d+\)\s*/, ''), answer.error?.error_data?.details, status >= 500 || status === 429);
    }
    const done = (method === 'POST' ? lists?.added_users : lists?.removed_users) ?? [];
    return {
      done: done.map((u) => ({ input: String(u.input ?? ''), ...(u.wa_id ? { waId: u.wa_id } : {}) })),
      failed: (lists?.failed_users ?? []).map((u) => {
        const error = u.errors?.[0];
        return {
          input: String(u.input ?? ''),
          ...(u.wa_id ? { waId: u.wa_id } : {}),
          code: Number(error?.code ?? 0),
          message: error?.message ?? 'Failed',
          ...(error?.error_data?.details ? { details: error.error_data.details } : {}),
        };
      }),
    };
  }

  return {
    block: (phoneNumberId, users) => perUser('POST', phoneNumberId, users),
    unblock: (phoneNumberId, users) => perUser('DELETE', phoneNumberId, users),
    async list(phoneNumberId, page) {
      const query = new URLSearchParams({ ...(page.limit ? { limit: String(page.limit) } : {}), ...(page.after ? { after: page.after } : {}) });
      const { status, answer } = await call('GET', `${encodeURIComponent(phoneNumberId)}/block_users?${query}`);
      if (status >= 300) {
        throw new CloudApiError(status, answer.error?.code ?? 0, answer.error?.message ?? `HTTP ${status}`, answer.error?.error_data?.details, status >= 500 || status === 429);
      }
      const after = answer.paging?.next ? answer.paging.cursors?.after : undefined;
      return { waIds: (answer.data ?? []).flatMap((d) => (d.wa_id ? [d.wa_id] : [])), ...(after ? { after } : {}) };
    },
  };
}
