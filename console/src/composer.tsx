import { useState } from 'preact/hooks';
import { uploadMedia } from './api';

/** The WhatsApp message a file goes out as, by its type (Meta's supported media types). */
export function mediaKindOf(mimeType: string): 'image' | 'sticker' | 'audio' | 'video' | 'document' {
  if (mimeType === 'image/jpeg' || mimeType === 'image/png') return 'image';
  if (mimeType === 'image/webp') return 'sticker';
  if (mimeType.startsWith('audio/')) return 'audio';
  if (mimeType === 'video/mp4' || mimeType === 'video/3gpp') return 'video';
  return 'document';
}

const ACCEPT = 'image/jpeg,image/png,image/webp,audio/aac,audio/amr,audio/mpeg,audio/mp4,audio/ogg,video/mp4,video/3gpp,application/pdf,text/plain,.doc,.docx,.xls,.xlsx,.ppt,.pptx';

type Send = (message: Record<string, unknown>) => Promise<void>;

/** Attach any file WhatsApp takes: uploaded first, then sent as image, sticker, audio, video or document. */
export function AttachForm({ boxId, send, onProblem }: { boxId: string; send: Send; onProblem: (err: unknown) => void }) {
  const [file, setFile] = useState<File>();
  const [caption, setCaption] = useState('');
  const kind = file ? mediaKindOf(file.type) : undefined;
  const takesCaption = kind === 'image' || kind === 'video' || kind === 'document';
  return (
    <form
      class="composer"
      aria-label="Attach a file"
      onSubmit={(e) => {
        e.preventDefault();
        const form = e.currentTarget;
        if (!file || !kind) return;
        const sendFile = async () => {
          const { mediaId } = await uploadMedia(file);
          await send({ type: kind, mediaId, ...(takesCaption && caption ? { caption } : {}), ...(kind === 'document' ? { filename: file.name } : {}) });
          setFile(undefined);
          setCaption('');
          form.reset();
        };
        sendFile().catch(onProblem);
      }}
    >
      <div>
        <label for={`${boxId}-file`}>File</label>
        <input id={`${boxId}-file`} type="file" accept={ACCEPT} onChange={(e) => setFile(e.currentTarget.files?.[0])} required />
      </div>
      {takesCaption && (
        <div>
          <label for={`${boxId}-caption`}>Caption</label>
          <input id={`${boxId}-caption`} value={caption} maxLength={1024} onInput={(e) => setCaption(e.currentTarget.value)} />
        </div>
      )}
      <button type="submit" disabled={!file}>
        Send {kind ?? 'file'}
      </button>
    </form>
  );
}

/** Reply buttons (up to 3, titles up to 20 characters) or a list (up to 10 rows, titles up to 24), one option a line. */
export function ChoicesForm({ boxId, send, onProblem }: { boxId: string; send: Send; onProblem: (err: unknown) => void }) {
  const [kind, setKind] = useState<'buttons' | 'list'>('buttons');
  const [body, setBody] = useState('');
  const [options, setOptions] = useState('');
  const [button, setButton] = useState('Options');
  const titles = options.split('\n').map((t) => t.trim()).filter(Boolean);
  // WhatsApp's limits, said before the send (the API refuses the same with a 400 naming the field).
  const [most, longest] = kind === 'buttons' ? [3, 20] : [10, 24];
  const tooLong = titles.find((t) => [...t].length > longest);
  const limit =
    titles.length > most
      ? `${kind === 'buttons' ? 'Reply buttons take' : 'A list takes'} at most ${most} options (${titles.length} given).`
      : tooLong
        ? `"${tooLong}" is longer than ${longest} characters.`
        : undefined;
  return (
    <form
      class="composer"
      aria-label="Buttons or list"
      onSubmit={(e) => {
        e.preventDefault();
        if (limit) return;
        const choices = titles.map((title, i) => ({ id: `option_${i + 1}`, title }));
        send(kind === 'buttons' ? { type: 'buttons', body, buttons: choices } : { type: 'list', body, button, sections: [{ rows: choices }] }).then(() => {
          setBody('');
          setOptions('');
        }, onProblem);
      }}
    >
      <div>
        <label for={`${boxId}-kind`}>Offer</label>
        <select id={`${boxId}-kind`} value={kind} onChange={(e) => setKind(e.currentTarget.value as 'buttons' | 'list')}>
          <option value="buttons">reply buttons (up to 3)</option>
          <option value="list">a list (up to 10 rows)</option>
        </select>
      </div>
      <div>
        <label for={`${boxId}-body`}>Question</label>
        <input id={`${boxId}-body`} value={body} onInput={(e) => setBody(e.currentTarget.value)} required />
      </div>
      {kind === 'list' && (
        <div>
          <label for={`${boxId}-button`}>List button</label>
          <input id={`${boxId}-button`} value={button} maxLength={20} onInput={(e) => setButton(e.currentTarget.value)} required />
        </div>
      )}
      <div>
        <label for={`${boxId}-options`}>Options, one a line</label>
        <textarea id={`${boxId}-options`} value={options} rows={3} onInput={(e) => setOptions(e.currentTarget.value)} required />
      </div>
      {limit && (
        <p class="error" role="status">
          {limit}
        </p>
      )}
      <button type="submit">Send {kind === 'buttons' ? 'buttons' : 'list'}</button>
    </form>
  );
}
