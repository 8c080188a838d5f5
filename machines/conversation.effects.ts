import type { ConversationEffect } from './conversation.types';

const effectTypes = new Set<ConversationEffect['type']>(['sendMessage', 'startTimer', 'cancelTimer', 'fetchMedia', 'askBot', 'routeToAgent', 'releaseAgent']);

/**
 * Turns the actions `transition` returned into the effects the workflow executes. An action this list does not
 * know is a bug (a new effect added to the machine but not to the workflow), so it throws: the workflow task
 * fails and retries until a fix ships, instead of silently dropping a send.
 */
export function toEffects(actions: ReadonlyArray<{ type: string; params?: unknown }>): ConversationEffect[] {
  return actions.map((action) => {
    if (!effectTypes.has(action.type as ConversationEffect['type'])) {
      throw new Error(`conversation machine emitted an unknown effect: ${action.type}`);
    }
    return { type: action.type, params: action.params } as ConversationEffect;
  });
}
