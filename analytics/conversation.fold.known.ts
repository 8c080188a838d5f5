/**
 * What the fold vouches for (analytics/conversation.fold.ts): the signals, Updates and patches of the conversation
 * workflow whose effect on the machine it models. A new one in the workflow sends its runs to the SDK's replayer
 * until it is added here, with the fold taught what it changes.
 */

/** The signals, Updates and patches whose effect on the machine the fold knows; anything else sends the run to the replayer. */
export const KNOWN_SIGNALS = new Set(['customerMessage', 'customerMessages', 'customerCalled', 'customerReacted', 'brokerFailure', 'agentReleased', 'agentNotice']);
export const KNOWN_UPDATES = new Set(['sendMessage', 'closeConversation', 'transferConversation', 'markRead', 'showTyping']);
export const KNOWN_PATCHES = new Set([
  'settings-read-through',
  'local-activities-one-at-a-time',
  'paced-send-lanes',
  'skip-broker-accepted-dispatch',
  'mark-read-for-bot',
  'sip-chat-page-mode',
  'sip-chat-session-mode',
  'timer-kept-armed',
  'settings-read-when-changed',
  // The machine gets `welcomeWaitsForOpening` on each customer message (conversation.runtime.ts, takeInbox).
  'welcome-waits-for-opening-hours',
  // The machine gets the settings read's `opensAt` on each customer message; its `opening` timer is a timer like the others.
  'routes-at-opening',
  // The machine gets `idleWaitsForOpening` beside `opensAt` (settings-reads.ts); its `idle` timer is a timer like the others.
  'idle-waits-for-opening',
  // Changes only when the workflow's typing debounce re-arms, which the machine never sees (conversation.receipts.ts).
  'typing-debounce-after-send',
]);

/** The run uses something the fold does not model (a newer signal, patch or Update): replay it with the SDK instead. */
export class FoldUnsupported extends Error {}
