import { useEffect, useRef, useState } from 'preact/hooks';
import { api, conversationPath, type Message } from './api';

/** How many earlier messages one click reads (the API takes at most 500). */
const PAGE = 200;

/**
 * The messages before a conversation's live page (the newest 200, which the live stream sends): read a page at a time
 * on request (`GET …/messages?before=<the first message shown>`), and kept contiguous while the live page moves on,
 * as each message it drops is kept here. `more`: whether a click would read more.
 */
export function useEarlierMessages(conversationId: string, live: readonly Message[], liveHasOlder: boolean | undefined) {
  const [earlier, setEarlier] = useState<Message[]>([]);
  const [olderExist, setOlderExist] = useState<boolean | undefined>();
  const previous = useRef<readonly Message[]>([]);
  useEffect(() => {
    // The live page moved on: what it no longer holds follows the earlier messages already read, so nothing goes missing.
    const dropped = previous.current.findIndex((m) => m.id === live[0]?.id);
    if (dropped > 0) setEarlier((shown) => (shown.length > 0 ? [...shown, ...previous.current.slice(0, dropped)] : shown));
    previous.current = live;
  }, [live]);
  const first = earlier[0] ?? live[0];
  const more = earlier.length > 0 ? olderExist === true : liveHasOlder === true;
  const load = async () => {
    if (!first) return;
    const page = await api<{ messages: Message[]; hasOlder: boolean }>('GET', conversationPath(conversationId, `/messages?limit=${PAGE}&before=${encodeURIComponent(first.id)}`));
    setEarlier((shown) => [...page.messages, ...shown]);
    setOlderExist(page.hasOlder);
  };
  return { earlier, more, load };
}
