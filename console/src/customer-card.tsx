import { useEffect, useState } from 'preact/hooks';
import { api, stateLabels, type StateName } from './api';
import type { CustomerView } from '../../api/customers.schema';
import { visibleText } from '../../lib/file-names';

/**
 * Who the person in a conversation is (from the customer registry: phone, username, BSUID) and their other
 * conversations, on any business number, newest first. Nothing is shown for a conversation the registry does not
 * know yet (before `npm run customers:link`).
 */
export function CustomerCard({ conversationId }: { conversationId: string }) {
  const [customer, setCustomer] = useState<CustomerView | null>(null);
  useEffect(() => {
    let current = true;
    api<CustomerView>('GET', `/v1/customers?conversationId=${encodeURIComponent(conversationId)}`).then(
      (found) => current && setCustomer(found),
      () => current && setCustomer(null),
    );
    return () => {
      current = false;
    };
  }, [conversationId]);
  if (!customer) return null;
  const others = customer.conversations.filter((c) => c.conversationId !== conversationId);
  const who = [customer.waId && `+${customer.waId}`, customer.username && `@${visibleText(customer.username.replace(/^@/, ''))}`, !customer.waId && customer.userId].filter(Boolean);
  return (
    <details class="customer" data-customer={customer.id}>
      <summary>
        {who.join(' · ') || customer.id}
        {others.length > 0 && ` · ${others.length} other conversation${others.length === 1 ? '' : 's'}`}
      </summary>
      <ul>
        {others.map((c) => (
          <li key={c.conversationId}>
            {c.conversationId} · {stateLabels[c.state as StateName] ?? c.state} · {new Date(c.updatedAt).toLocaleString()}
          </li>
        ))}
        {customer.formerPhones.length > 0 && <li>Former numbers: {customer.formerPhones.map((p) => `+${p}`).join(', ')}</li>}
      </ul>
    </details>
  );
}
