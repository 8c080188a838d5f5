import { isMediaType, mediaTypes } from '../lib/inbound-message.schema';
import { flowAnswers } from '../lib/flow-answers';
import type { InboundContent, InboundMedia } from '../lib/inbound-message';
import type { CallPermissionReply } from '../lib/call-permission';
import type { MessageView } from '../api/conversations.schema';
import type { InboundMessageDoc } from '../store/documents';

type MediaView = NonNullable<MessageView['image']>;

function mediaView(media: InboundMedia): MediaView {
  const { brokerMediaId: _broker, mediaId, ...facts } = media;
  return { ...(mediaId ? { mediaId, url: `/v1/media/${mediaId}` } : {}), ...facts };
}

const replyView = ({ response, isPermanent, expiresAt, responseSource, repliedAt }: CallPermissionReply) => ({
  response,
  isPermanent,
  ...(expiresAt !== undefined ? { expiresAt: new Date(expiresAt).toISOString() } : {}),
  responseSource,
  repliedAt: new Date(repliedAt).toISOString(),
});

/** The structured fields of an inbound message or event (or of a message echoed from the WhatsApp Business app), as the thread API shows them (see api/inbound-view.schema.ts). */
export function inboundFieldsView(doc: InboundContent & { event?: true }): Partial<MessageView> {
  const view: Partial<MessageView> = {};
  for (const type of mediaTypes) {
    const media = doc[type];
    if (media) view[type] = mediaView(media);
  }
  const { location, contacts, interactive, button, order, unsupported, context, referral, system, edit, revoke, group } = doc;
  return {
    ...view,
    ...(location ? { location } : {}),
    ...(contacts ? { contacts } : {}),
    ...(interactive ? { interactive } : {}),
    ...(button ? { button } : {}),
    ...(order ? { order } : {}),
    ...(unsupported ? { unsupported } : {}),
    ...(context ? { context } : {}),
    ...(referral ? { referral } : {}),
    ...(doc.event ? { event: true } : {}),
    ...(group ? { group } : {}),
    ...(system ? { system } : {}),
    ...(edit ? { edit } : {}),
    ...(revoke ? { revoke } : {}),
    ...(doc.callPermissionReply ? { callPermissionReply: replyView(doc.callPermissionReply) } : {}),
    ...(doc.identityKeyHash ? { identityKeyHash: doc.identityKeyHash } : {}),
  };
}

/**
 * Marks the messages a customer later edited or deleted (Coexistence numbers: Meta's edit and revoke webhooks name
 * the original by wamid) with when, and which event carries the edit; the events stay in the thread too.
 */
export function withEditsAndRevokes(views: MessageView[]): MessageView[] {
  const marks = new Map<string, Pick<MessageView, 'editedBy' | 'revokedAt'>>();
  for (const view of views) {
    if (view.edit) marks.set(view.edit.originalMessageId, { ...marks.get(view.edit.originalMessageId), editedBy: view.id });
    if (view.revoke) marks.set(view.revoke.originalMessageId, { ...marks.get(view.revoke.originalMessageId), revokedAt: view.at });
  }
  if (marks.size === 0) return views;
  return views.map((view) => (view.wamid && marks.has(view.wamid) ? { ...view, ...marks.get(view.wamid) } : view));
}

/** Thrown while a customer's media is still being fetched: the caller retries (an activity's retry). */
export class MediaPending extends Error {}

/**
 * One inbound message as a line of text, for channels that carry text only (the agent's SIP chat): each type
 * with what a person needs to act on it (a link to the stored media, the place, the chosen button, the order).
 * Throws {@link MediaPending} while media is still being fetched.
 */
export function inboundLineText(doc: InboundMessageDoc, mediaLink: (mediaId: string) => string): string {
  const caption = (text?: string) => (text ? `\n${text}` : '');
  if (isMediaType(doc.type) && doc[doc.type]) {
    const media = doc[doc.type]!;
    const label = [doc.type === 'audio' && media.voice ? 'voice note' : doc.type, media.filename].filter(Boolean).join(' ');
    if (media.problem) return `[${label} not kept: ${media.problem}]${caption(media.caption)}`;
    if (!media.mediaId) throw new MediaPending(`${doc.type} ${doc._id} not stored yet`);
    return `[${label}${media.mimeType ? ` ${media.mimeType}` : ''}] ${mediaLink(media.mediaId)}${caption(media.caption)}`;
  }
  if (doc.text !== undefined) return doc.text;
  if (doc.location) {
    const { latitude, longitude, name, address } = doc.location;
    const place = [name, address].filter(Boolean).join(', ');
    return `[location]${place ? ` ${place}` : ''} geo:${latitude},${longitude}`;
  }
  if (doc.contacts) {
    const names = doc.contacts.map((c) => {
      const card = c as { name?: { formatted_name?: string }; phones?: { phone?: string }[] };
      return [card.name?.formatted_name, ...(card.phones ?? []).map((p) => p.phone)].filter(Boolean).join(' ');
    });
    return `[contacts] ${names.join('; ')}`;
  }
  if (doc.button) return `[button] ${doc.button.text}`;
  if (doc.interactive?.type === 'nfm_reply') {
    // The answers are what the agent acts on; Meta's `body` is only the button's "Sent".
    const answers = flowAnswers(doc.interactive.responseJson).map(([field, value]) => `${field}: ${value}`);
    return `[form answer] ${answers.length > 0 ? answers.join('; ') : (doc.interactive.body ?? '')}`.trimEnd();
  }
  if (doc.interactive) return `[chose] ${doc.interactive.title ?? doc.interactive.body ?? ''}`.trimEnd();
  if (doc.callPermissionReply) {
    const r = doc.callPermissionReply;
    const until = r.response !== 'accept' ? '' : r.isPermanent ? ' (permanently)' : r.expiresAt !== undefined ? ` until ${new Date(r.expiresAt).toISOString()}` : '';
    return `[call permission] ${r.response === 'accept' ? 'allows calls' : 'declines calls'}${until}`;
  }
  if (doc.order) return `[order] ${doc.order.productItems.map((p) => `${p.quantity} × ${p.productRetailerId}`).join(', ')}${caption(doc.order.text)}`;
  return `[${doc.unsupported?.type ?? doc.type} message: WhatsApp does not deliver its content]`;
}
