import type { ConversationView, MessageView } from '../../api/conversations.schema';
import type { CallEntry } from '../../services/call-entries';

/**
 * The console's only way to the connector: the same /v1 HTTP API integrators use, with the role API key the person
 * entered (kept in sessionStorage, so it dies with the tab). Problems come back as {@link ApiProblem}.
 */

const KEY = 'wa-console-key';

export const apiKey = {
  get: (): string | null => sessionStorage.getItem(KEY),
  set: (key: string) => sessionStorage.setItem(KEY, key),
  clear: () => sessionStorage.removeItem(KEY),
};

/** An RFC 9457 problem from the API: a stable `code`, a title, and field errors where there are some. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string | undefined,
    readonly body: Record<string, unknown>,
  ) {
    super(detail ?? title);
  }

  get errors(): { path: string; message: string }[] {
    return Array.isArray(this.body.errors) ? (this.body.errors as { path: string; message: string }[]) : [];
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${apiKey.get() ?? ''}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (!response.ok) {
    throw new ApiProblem(response.status, String(parsed.code ?? 'error'), String(parsed.title ?? response.statusText), parsed.detail as string | undefined, parsed);
  }
  return parsed as T;
}

/** An image behind the API key, as an object URL an <img> can show. */
export async function mediaUrl(path: string): Promise<string> {
  const response = await fetch(path, { headers: { authorization: `Bearer ${apiKey.get() ?? ''}` } });
  if (!response.ok) throw new ApiProblem(response.status, 'media', response.statusText, undefined, {});
  return URL.createObjectURL(await response.blob());
}

export const conversationPath = (id: string, rest = '') => `/v1/conversations/${encodeURIComponent(id)}${rest}`;

export type StateName = ConversationView['state'];
export const stateNames: StateName[] = ['inbound', 'openSession', 'handedToAgent', 'expiredNeedsTemplate', 'closed'];
export const stateLabels: Record<StateName, string> = {
  inbound: 'Inbound',
  openSession: 'Open session',
  handedToAgent: 'Handed to agent',
  expiredNeedsTemplate: 'Expired: template needed',
  closed: 'Closed',
};

/** The API's own response types (erased from the bundle), so the console cannot drift from what the API answers. */
export type Conversation = ConversationView;
export type Message = MessageView;
export type Call = CallEntry;

export interface Template {
  id: string;
  businessNumberId: string;
  name: string;
  language: string;
  category: string;
  status: string;
  rejectedReason?: string;
  body: string;
  definition?: import('../../lib/template-definition').TemplateDefinition;
  updatedAt: string;
}

export interface Principal {
  role: 'integrator' | 'agent' | 'supervisor' | 'analyst';
  name: string;
  /** LIVE_STREAM_CONVERSATIONS: the most panels the inbox's one stream carries (absent from an older API: 20). */
  limits?: { liveStreamConversations: number };
}

/** Uploads a file for sending (POST /v1/media); answers its media id. */
export async function uploadMedia(file: File): Promise<{ mediaId: string; mimeType: string }> {
  const form = new FormData();
  form.set('file', file, file.name);
  const response = await fetch('/v1/media', { method: 'POST', body: form, headers: { authorization: `Bearer ${apiKey.get() ?? ''}` } });
  const parsed = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) throw new ApiProblem(response.status, String(parsed.code ?? 'error'), String(parsed.title ?? response.statusText), parsed.detail as string | undefined, parsed);
  return { mediaId: String(parsed.mediaId), mimeType: String(parsed.mimeType ?? file.type) };
}
