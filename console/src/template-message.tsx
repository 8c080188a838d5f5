/** A template message as the customer's phone shows it, placeholders already filled; the editor and the reply box draw it. */
export function TemplateMessage({ header, body, footer, buttons }: { header?: { format: 'text' | 'image' | 'video' | 'document' | 'location'; text?: string }; body: string; footer?: string; buttons: string[] }) {
  return (
    <>
      {header?.format === 'text' && header.text && <strong>{header.text}</strong>}
      {header && header.format !== 'text' && <span class="muted">[header {header.format}]</span>}
      <p>{body}</p>
      {footer && <small>{footer}</small>}
      {buttons.map((text, i) => (
        <span key={i} class="template-button">{text}</span>
      ))}
    </>
  );
}
