import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { ConversationId } from './conversations.schema';
import { problem } from './openapi.responses';

const liveStream = { description: 'A stream of `snapshot` and `problem` events', content: { 'text/event-stream': { schema: z.string() } } };
const common =
  'The server re-reads every CONSOLE_LIVE_POLL_MS, once for everyone watching, and sends a snapshot only when it changed; a stream that joins gets the newest snapshot at once, so a client that reconnects misses nothing (there are no event ids to resume from: each snapshot is whole). A failed read is a `problem` event with an RFC 9457 problem, and the stream goes on. A key holds at most LIVE_STREAMS_PER_KEY streams (429 too_many_streams past it, or past LIVE_STREAMS_TOTAL for the service); a stream ends when its key is revoked or changes role, and after LIVE_STREAM_MAX_MS (the client reconnects).';
const liveDescription = (snapshot: string) => `Each \`snapshot\` event carries ${snapshot}. ${common}`;

/** The web console's live streams (server-sent events); api/console.routes.ts. */
export function livePaths(conversationPath: z.ZodObject): ZodOpenApiPathsObject {
  const refusals = { '401': problem('Missing or unknown key'), '429': problem('too_many_streams: the key or the service holds as many streams as it may') };
  return {
    '/v1/console/live': {
      get: {
        summary: "The web console: one page's stream, the calling agent's conversations and every conversation asked for, as server-sent events",
        description: `One connection for a whole page (a browser holds at most six HTTP/1.1 connections per origin). Every event's data says what it is about: \`{ topic: 'agent', snapshot: { conversations: Conversation[] } }\` (agent keys only, as GET /v1/agent/conversations answers), \`{ topic: 'conversation', conversationId, snapshot: { conversation, messages, calls } }\` (as GET /v1/console/live/conversations/{conversationId} carries), \`{ topic, conversationId?, problem }\` for a problem about one of them, and \`{ problem }\` for one about the stream (revoked key). A conversation that does not exist or that the key may not read is refused on the stream with one \`problem\` event (404 unknown_conversation, as the one-conversation stream answers) and is not watched; so is a value that is not a conversation id (400 invalid_request; a stale saved panel list must not take down the other panels); the rest stream on. To add or drop a conversation the page opens the stream again with the new list (and closes the old one): each conversation's newest snapshot arrives at once. ${common}`,
        requestParams: {
          query: z.object({
            conversation: z
              .array(ConversationId)
              .optional()
              .meta({ description: 'A conversation to stream, the parameter repeated once per conversation (`?conversation=a&conversation=b`); at most LIVE_STREAM_CONVERSATIONS (20)' }),
          }),
        },
        responses: {
          '200': liveStream,
          '400': problem('too_many_conversations: more conversations than LIVE_STREAM_CONVERSATIONS (`limit` says how many); invalid_request: a `conversation` value that is not text (a malformed id is refused on the stream instead)'),
          ...refusals,
        },
      },
    },
    '/v1/console/live/conversations': {
      get: {
        summary: 'The web console: the board (up to 200 conversations, newest activity first) as server-sent events',
        description: liveDescription('`{ conversations: Conversation[] }`, as GET /v1/conversations answers'),
        responses: { '200': liveStream, ...refusals },
      },
    },
    '/v1/console/live/conversations/{conversationId}': {
      get: {
        summary: "The web console: one conversation's status and thread as server-sent events",
        description: liveDescription('`{ conversation: Conversation, messages: Message[], calls: CallEntry[] }`; an unknown id is a `problem` event'),
        requestParams: { path: conversationPath },
        responses: { '200': liveStream, '400': problem('Not a conversation id'), '404': problem('No such conversation, or not one this key may read'), ...refusals },
      },
    },
    '/v1/console/live/agent': {
      get: {
        summary: "The web console: the calling agent's conversations as server-sent events",
        description: liveDescription('`{ conversations: Conversation[] }`, as GET /v1/agent/conversations answers'),
        responses: { '200': liveStream, '403': problem('Not an agent key'), ...refusals },
      },
    },
    '/v1/console/live/templates': {
      get: {
        summary: 'The web console: the templates with their review status as server-sent events',
        description: liveDescription('`{ templates: Template[] }`, as GET /v1/templates answers'),
        responses: { '200': liveStream, ...refusals },
      },
    },
  };
}
