import { MessageText } from './customer-text';
import type { Message } from './api';

/**
 * What is not the customer writing, and what they did to their own messages, as the agent reads it: system notices
 * (changed number or user id), a welcome request, edits and deletions (Coexistence numbers), what WhatsApp could not
 * deliver (Meta's `unsupported` with its errors), an order, and the ad a customer came from (Meta's messages webhook
 * reference: https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages).
 */
export function EventLine({ m }: { m: Message }) {
  if (m.system) {
    const what = m.system.type === 'user_changed_number' ? `The customer changed their number${m.system.waId ? ` to +${m.system.waId}` : ''}` : "The customer's WhatsApp user id changed";
    return (
      <p class="event" role="note">
        {what}
        {m.system.body && <span class="muted"> · <MessageText text={m.system.body} /></span>}
      </p>
    );
  }
  if (m.type === 'request_welcome') return <p class="event" role="note">The customer opened the chat for the first time (welcome request)</p>;
  if (m.edit) {
    const edited = m.edit.message as { text?: { body?: string }; type?: string } | undefined;
    return (
      <p class="event" role="note">
        The customer edited a message{edited?.text?.body ? <>: “<MessageText text={edited.text.body} />”</> : edited?.type ? ` (${edited.type})` : ''}
      </p>
    );
  }
  if (m.revoke) return <p class="event" role="note">The customer deleted a message for everyone</p>;
  if (m.unsupported) {
    const [error] = m.unsupported.errors;
    return (
      <p class="event unsupported" role="note">
        A {m.unsupported.type ?? m.type} message WhatsApp does not deliver{error ? `: ${error.title} (${error.code})` : ''}
        {error?.details && <span class="muted"> · {error.details}</span>}
      </p>
    );
  }
  return null;
}

/** An order from the catalogue: what, how many, at what price. */
export function OrderLines({ order }: { order: NonNullable<Message['order']> }) {
  return (
    <div class="order">
      <p>
        <strong>Order</strong> <span class="muted">catalogue {order.catalogId}</span>
      </p>
      <ul aria-label="Order items">
        {order.productItems.map((item) => (
          <li key={item.productRetailerId}>
            {item.quantity} × {item.productRetailerId}
            {item.itemPrice !== undefined && ` · ${item.itemPrice}${item.currency ? ` ${item.currency}` : ''}`}
          </li>
        ))}
      </ul>
      {order.text && <p><MessageText text={order.text} /></p>}
    </div>
  );
}

/** The click-to-WhatsApp ad (or post) the customer came from. */
export function ReferralNote({ referral }: { referral: NonNullable<Message['referral']> }) {
  return (
    <p class="muted referral">
      From {referral.sourceType === 'post' ? 'a post' : 'an ad'}
      {referral.headline && <>: “{referral.headline}”</>}
      {referral.sourceUrl && (
        <>
          {' '}
          <a href={referral.sourceUrl} target="_blank" rel="noreferrer">
            source
          </a>
        </>
      )}
    </p>
  );
}

/** Marks on a message the customer later edited or deleted. */
export function EditMarks({ m }: { m: Message }) {
  if (!m.editedBy && !m.revokedAt) return null;
  return (
    <p class="muted marks">
      {m.editedBy && 'Edited by the customer'}
      {m.editedBy && m.revokedAt && ' · '}
      {m.revokedAt && 'Deleted by the customer'}
    </p>
  );
}
