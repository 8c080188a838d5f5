import { useEffect, useState } from 'preact/hooks';
import { mediaUrl, type Message } from './api';

const statusLabel: Record<string, string> = { queued: 'queued', accepted: 'sent to WhatsApp', sent: 'sent', delivered: 'delivered', read: 'read', failed: 'failed', received: '' };

function Picture({ url, caption }: { url: string; caption?: string }) {
  const [src, setSrc] = useState<string>();
  useEffect(() => {
    let objectUrl: string | undefined;
    mediaUrl(url).then((u) => setSrc((objectUrl = u)), () => setSrc(undefined));
    return () => objectUrl && URL.revokeObjectURL(objectUrl);
  }, [url]);
  return src ? <img src={src} alt={caption ?? 'Image from the conversation'} /> : <span class="muted">[image loading]</span>;
}

/** The time of day for today's messages; older ones (a window long closed) say the day too. */
const when = (at: string) => {
  const date = new Date(at);
  return date.toDateString() === new Date().toDateString() ? date.toLocaleTimeString() : date.toLocaleString();
};

/** The message thread: who said what, pictures, delivery statuses, and why a send failed. */
export function Thread({ messages }: { messages: Message[] }) {
  return (
    <ol class="thread" aria-label="Messages">
      {messages.map((m) => (
        <li key={m.id} class={`message ${m.direction}`} data-status={m.status}>
          {m.image?.url && <Picture url={m.image.url} {...(m.image.caption ? { caption: m.image.caption } : {})} />}
          {m.image?.problem && <span class="error">image not kept: {m.image.problem}</span>}
          {m.text && <p>{m.text}</p>}
          {m.template && (
            <p>
              Template <code>{m.template.name}</code> ({m.template.language})
            </p>
          )}
          <small>
            {when(m.at)} {m.sender ? `· ${m.sender.kind}${m.sender.id ? ` ${m.sender.id}` : ''}` : ''} {statusLabel[m.status] ? `· ${statusLabel[m.status]}` : ''}
          </small>
          {m.failure && (
            <p class="error" role="status">
              Not delivered: {m.failure.title} ({m.failure.code}){m.failure.details ? `: ${m.failure.details}` : ''}
              {m.failure.reason === 'template_required' && ' The window had closed: send an approved template.'}
            </p>
          )}
        </li>
      ))}
    </ol>
  );
}
