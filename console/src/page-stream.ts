import { useEffect, useState } from 'preact/hooks';
import type { ApiProblem, Call, Conversation, Message } from './api';
import { liveSource, problemFrom } from './live';

/** What one conversation panel shows: the conversation, its newest messages and calls (as GET /v1/console/live carries them). */
export interface ConversationSnapshot {
  conversation: Conversation;
  messages: Message[];
  hasOlder?: boolean;
  calls?: Call[];
}

/** The latest word on one topic of the page's stream. */
export interface Live<T> {
  data: T | undefined;
  problem: ApiProblem | undefined;
}

interface PageEvent {
  topic?: 'agent' | 'conversation';
  conversationId?: string;
  snapshot?: unknown;
  problem?: Record<string, unknown>;
}

/** The page's stream: the agent's own conversations and each panel's, by conversation id. */
export interface PageStream {
  agent: Live<{ conversations: Conversation[] }>;
  conversation(id: string): Live<ConversationSnapshot>;
}

/** `/v1/console/live` for these conversations (the parameter once per conversation, in a stable order). */
export const pageStreamPath = (conversationIds: readonly string[]) => {
  const query = [...new Set(conversationIds)].sort().map((id) => `conversation=${encodeURIComponent(id)}`);
  return `/v1/console/live${query.length > 0 ? `?${query.join('&')}` : ''}`;
};

/**
 * One live stream for the whole page (`GET /v1/console/live`): a browser holds at most six HTTP/1.1 connections per
 * origin, so a stream per panel stalled the page past five panels. The stream carries the agent's own conversations
 * (agent keys) and each of `conversationIds`; when the list changes the stream is opened again with the new one
 * (the server sends each conversation's newest snapshot at once) and what the panels kept show meanwhile. A
 * conversation dropped from the list stops sending. `enabled` false: no stream (a page with nothing to watch).
 * `onMalformed` gets each id the server refused as not a conversation id (400 invalid_request on the stream): it
 * never will be one, so the page may forget it.
 */
export function usePageStream(conversationIds: readonly string[], enabled: boolean, onMalformed?: (conversationId: string) => void): PageStream {
  const [agent, setAgent] = useState<PageStream['agent']>({ data: undefined, problem: undefined });
  const [byId, setById] = useState<Record<string, Live<ConversationSnapshot>>>({});
  const [streamProblem, setStreamProblem] = useState<ApiProblem | undefined>();
  const path = enabled ? pageStreamPath(conversationIds) : null;
  useEffect(() => {
    if (!path) return;
    const source = liveSource(path, setStreamProblem);
    source.addEventListener('snapshot', (event) => {
      const { topic, conversationId, snapshot } = JSON.parse(event.data) as PageEvent;
      setStreamProblem(undefined);
      if (topic === 'agent') setAgent({ data: snapshot as { conversations: Conversation[] }, problem: undefined });
      else if (conversationId) setById((all) => ({ ...all, [conversationId]: { data: snapshot as ConversationSnapshot, problem: undefined } }));
    });
    source.addEventListener('problem', (event) => {
      const { topic, conversationId, problem = {} } = JSON.parse(event.data) as PageEvent;
      const shown = problemFrom(problem, 500);
      if (topic === 'agent') setAgent((was) => ({ ...was, problem: shown }));
      else if (conversationId) setById((all) => ({ ...all, [conversationId]: { data: all[conversationId]?.data, problem: shown } }));
      else setStreamProblem(shown);
      if (topic === 'conversation' && conversationId && shown.code === 'invalid_request') onMalformed?.(conversationId);
    });
    return () => source.close();
  }, [path]);
  // What a hidden panel held is forgotten: opened again, it starts from the stream's snapshot.
  useEffect(() => {
    setById((all) => Object.fromEntries(Object.entries(all).filter(([id]) => conversationIds.includes(id))));
  }, [path]);
  return {
    agent: { data: agent.data, problem: agent.problem ?? streamProblem },
    conversation: (id) => ({ data: byId[id]?.data, problem: byId[id]?.problem ?? streamProblem }),
  };
}
