import { useEffect, useState } from 'preact/hooks';
import { mediaUrl, type Message } from './api';
import { flowAnswers } from '../../lib/flow-answers';
import { defaultFilename } from '../../lib/media-limits';
import { visibleText } from '../../lib/file-names';
import { CustomerText, MessageText } from './customer-text';
import { EditMarks, EventLine, OrderLines, ReferralNote } from './message-events';

type Media = NonNullable<Message['image']>;

/** Media sit behind the API key: fetched with it, shown from an object URL freed when the bubble goes. */
function useObjectUrl(url: string | undefined): string | undefined {
  const [src, setSrc] = useState<string>();
  useEffect(() => {
    if (!url) return undefined;
    let objectUrl: string | undefined;
    mediaUrl(url).then((u) => setSrc((objectUrl = u)), () => setSrc(undefined));
    return () => objectUrl && URL.revokeObjectURL(objectUrl);
  }, [url]);
  return src;
}

const size = (bytes: number | undefined) =>
  bytes === undefined ? '' : bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(0)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;

type Kind = 'image' | 'audio' | 'video' | 'document' | 'sticker';

/**
 * Media the business sent from the WhatsApp Business app (smb_message_echoes): never fetched (it is the business's
 * own file, on its phone), so no `url` ever comes. Named, not "on its way": its file name marked as a customer's is.
 */
function EchoedMedia({ kind, media }: { kind: Kind; media: Media }) {
  return (
    <span class="muted">
      [{kind} sent from the WhatsApp Business app{media.filename !== undefined && <>: <CustomerText text={media.filename} /></>}]
    </span>
  );
}

function MediaView({ kind, media, echoed }: { kind: Kind; media: Media; echoed: boolean }) {
  const src = useObjectUrl(media.url);
  if (media.problem) return <span class="error">{kind} not kept: {media.problem}</span>;
  if (!media.url && echoed) return <EchoedMedia kind={kind} media={media} />;
  if (!media.url) return <span class="muted">[{kind} on its way]</span>;
  if (!src) return <span class="muted">[{kind} loading]</span>;
  switch (kind) {
    case 'image':
      return <img src={src} alt={media.caption ?? 'Image from the conversation'} />;
    case 'sticker':
      return <img class="sticker" src={src} alt="Sticker" />;
    case 'audio':
      return <audio controls src={src} aria-label={media.voice ? 'Voice message' : 'Audio message'} />;
    case 'video':
      return <video controls src={src} aria-label={media.caption ?? 'Video message'} />;
    case 'document': {
      const name = media.filename ?? defaultFilename('document', media.mimeType ?? '');
      return (
        <a class="document" href={src} download={visibleText(name)}>
          <CustomerText text={name} />
          {media.size !== undefined && <span class="muted"> · {size(media.size)}</span>}
        </a>
      );
    }
  }
}

function Contacts({ contacts }: { contacts: Record<string, unknown>[] }) {
  return (
    <ul class="contacts" aria-label="Contact cards">
      {contacts.map((c, i) => {
        const card = c as { name?: { formatted_name?: string }; phones?: { phone?: string; type?: string }[]; emails?: { email?: string }[]; org?: { company?: string } };
        return (
          <li key={i} class="contact">
            <strong><MessageText text={card.name?.formatted_name ?? 'Contact'} /></strong>
            {card.org?.company && <span class="muted"> · <MessageText text={card.org.company} /></span>}
            {(card.phones ?? []).map((p) => p.phone && <div key={p.phone}>{p.phone}{p.type ? ` (${p.type.toLowerCase()})` : ''}</div>)}
            {(card.emails ?? []).map((e) => e.email && <div key={e.email}>{e.email}</div>)}
          </li>
        );
      })}
    </ul>
  );
}

function Interactive({ interactive }: { interactive: NonNullable<Message['interactive']> }) {
  // Inbound: a Flow's answer (nfm_reply).
  if (interactive.type === 'nfm_reply') {
    // The answers themselves (Meta's response_json, a JSON string), not only the "Sent" of the form's button.
    const answers = flowAnswers(interactive.responseJson);
    return (
      <div class="choice">
        <p>
          Answered the form <strong>{interactive.name ?? 'flow'}</strong>
          {interactive.body && <span class="muted"> · <MessageText text={interactive.body} /></span>}
        </p>
        {answers.length > 0 && (
          <dl class="form-answers" aria-label="Form answers">
            {answers.map(([field, value]) => [<dt key={`${field}:f`}>{field}</dt>, <dd key={`${field}:v`}>{value}</dd>])}
          </dl>
        )}
      </div>
    );
  }
  // Inbound: the customer's choice from our buttons or list.
  if (interactive.title !== undefined) {
    return (
      <p class="choice">
        Chose <strong><MessageText text={interactive.title} /></strong>
        {interactive.description && <span class="muted"> · <MessageText text={interactive.description} /></span>}
      </p>
    );
  }
  return (
    <div class="offered">
      {interactive.header && <p><strong>{interactive.header}</strong></p>}
      {interactive.body && <p>{interactive.body}</p>}
      {interactive.footer && <p class="muted">{interactive.footer}</p>}
      {interactive.buttons && (
        <ul class="choices" aria-label="Reply buttons">
          {interactive.buttons.map((b) => <li key={b.id}>{b.title}</li>)}
        </ul>
      )}
      {interactive.sections && (
        <details>
          <summary>{interactive.button ?? 'List'}</summary>
          {interactive.sections.map((s, i) => (
            <ul key={i} class="choices" aria-label={s.title ?? 'List rows'}>
              {s.rows.map((r) => <li key={r.id}>{r.title}{r.description && <span class="muted"> · {r.description}</span>}</li>)}
            </ul>
          ))}
        </details>
      )}
      {interactive.url && <p class="template-button">{interactive.displayText} ↗ <span class="muted">{interactive.url}</span></p>}
      {interactive.type === 'location_request_message' && <p class="template-button">Send location</p>}
    </div>
  );
}

/** The customer's Allow or Decline on our call permission request (Meta's call_permission_reply), or WhatsApp's for them. */
function CallPermissionReply({ reply }: { reply: NonNullable<Message['callPermissionReply']> }) {
  const accepted = reply.response === 'accept';
  const until = !accepted ? '' : reply.isPermanent ? ', permanently' : reply.expiresAt ? ` until ${new Date(reply.expiresAt).toLocaleString()}` : '';
  return (
    <p class="choice">
      {accepted ? 'Allows' : 'Declines'} <strong>WhatsApp calls</strong>
      {until}
      {reply.responseSource === 'automatic' && <span class="muted"> · answered by WhatsApp</span>}
    </p>
  );
}

const mapLink = (l: { latitude: number; longitude: number }) => `https://www.openstreetmap.org/?mlat=${l.latitude}&mlon=${l.longitude}#map=17/${l.latitude}/${l.longitude}`;

/**
 * A short line for the message a reply quotes (plain text: shown through {@link MessageText}, isolated). A caption or
 * file name is marked as the message itself shows it ({@link CustomerText}), so a quote never reads otherwise.
 */
export const gist = (m: Message | undefined): string => {
  if (!m) return 'an earlier message';
  const marked = m.image?.caption ?? m.document?.filename;
  return m.text ?? (marked !== undefined ? visibleText(marked) : undefined) ?? m.location?.name ?? m.interactive?.title ?? m.button?.text ?? `[${m.type}]`;
};

/** What a message says, by type, following the thread API's MessageView: media, location, contacts, choices offered or made. */
export function MessageBody({ m }: { m: Message }) {
  const kinds = ['image', 'sticker', 'audio', 'video', 'document'] as const;
  const interactiveText = m.interactive && m.interactive.title === undefined;
  const echoed = m.source === 'business_app';
  return (
    <>
      {m.referral && <ReferralNote referral={m.referral} />}
      <EventLine m={m} />
      {kinds.map((kind) => m[kind] && <MediaView key={kind} kind={kind} media={m[kind]!} echoed={echoed} />)}
      {/* An image's caption is its alt text until it loads; one never fetched (echoed) shows it at once. Captions may
          carry bidi overrides as file names may: shown marked, as CustomerText shows names. */}
      {kinds.map((kind) => m[kind]?.caption && (kind !== 'image' || m.image!.url || echoed) && <p key={`${kind}-caption`}><CustomerText text={m[kind]!.caption!} /></p>)}
      {m.text && !interactiveText && <p><MessageText text={m.text} /></p>}
      {m.location && (
        <p>
          <a href={mapLink(m.location)} target="_blank" rel="noreferrer">
            📍 {m.location.name !== undefined ? <MessageText text={m.location.name} /> : `${m.location.latitude}, ${m.location.longitude}`}
          </a>
          {m.location.address && <span class="muted"> · <MessageText text={m.location.address} /></span>}
        </p>
      )}
      {m.contacts && <Contacts contacts={m.contacts} />}
      {m.interactive && <Interactive interactive={m.interactive} />}
      {m.button && (
        <p class="choice">
          Tapped <strong><MessageText text={m.button.text} /></strong>
        </p>
      )}
      {m.callPermissionReply && <CallPermissionReply reply={m.callPermissionReply} />}
      {m.order && <OrderLines order={m.order} />}
      <EditMarks m={m} />
      {m.template && (
        <p>
          Template <code>{m.template.name}</code> ({m.template.language})
        </p>
      )}
    </>
  );
}
