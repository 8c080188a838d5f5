/** Which conversations have a panel in this tab's inbox, oldest first (kept in sessionStorage, like the key). */
export const OPEN = 'wa-console-open';
export const opened = (): string[] => JSON.parse(sessionStorage.getItem(OPEN) ?? '[]') as string[];

/** Opens a conversation from the board in the inbox (integrators, or agents where nothing is routed). */
export function openInInbox(conversationId: string): void {
  sessionStorage.setItem(OPEN, JSON.stringify([...new Set([...opened(), conversationId])]));
  location.hash = '#/inbox';
}
