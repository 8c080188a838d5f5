import { mediaTypes } from '../lib/inbound-message.schema';
import type { InboundMedia } from '../lib/inbound-message';
import type { MessageView } from '../api/conversations.schema';
import type { InboundMessageDoc } from '../store/documents';

type MediaView = NonNullable<MessageView['image']>;

function mediaView(media: InboundMedia): MediaView {
  const { brokerMediaId: _broker, mediaId, ...facts } = media;
  return { ...(mediaId ? { mediaId, url: `/v1/media/${mediaId}` } : {}), ...facts };
}

/** The structured fields of an inbound message or event, as the thread API shows them (see api/inbound-view.schema.ts). */
export function inboundFieldsView(doc: InboundMessageDoc): Partial<MessageView> {
  const view: Partial<MessageView> = {};
  for (const type of mediaTypes) {
    const media = doc[type];
    if (media) view[type] = mediaView(media);
  }
  const { location, contacts, interactive, button, order, unsupported, context, referral, system, edit, revoke } = doc;
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
    ...(system ? { system } : {}),
    ...(edit ? { edit } : {}),
    ...(revoke ? { revoke } : {}),
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
