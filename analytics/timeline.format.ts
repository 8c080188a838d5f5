import { conversationDiagram } from '../machines/conversation.diagram';
import { byType, humanDuration } from './kpi.format';
import type { Timeline, TimelineEvent } from './timeline.build';

const time = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

function describe(event: TimelineEvent): string {
  const details = [
    event.kind && `kind=${event.kind}`,
    event.messageType && `type=${event.messageType}`,
    event.templateName && `template=${event.templateName}`,
    event.senderKind && `by=${event.senderKind}${event.senderId ? `:${event.senderId}` : ''}`,
    event.code !== undefined && `code=${event.code}`,
    event.agentId && `agent=${event.agentId}`,
    event.messageId && `id=${event.messageId}`,
    event.callId && `call=${event.callId}`,
  ].filter(Boolean);
  const move = event.from === event.to ? `in ${event.to}` : `${event.from} → ${event.to}`;
  return `${time(event.at)}  ${event.eventType.padEnd(27)} ${move.padEnd(38)} ${details.join(' ')}`.trimEnd();
}

/** One run's timeline for the terminal: states with their times, then every event. */
export function timelineToText(t: Timeline): string {
  const lines = [
    `${t.conversationId}  run ${t.runId}${t.continued ? ' (continued)' : ''}`,
    `  started ${time(t.startedAt)}, ${t.endedAt ? `ended ${time(t.endedAt)} (${t.ending})` : 'still running'}, now ${t.finalState}`,
    `  messages: inbound ${t.messages.inbound}, outbound session ${t.messages.outboundSession}, outbound template ${t.messages.outboundTemplate}`,
    `  by type: ${byType(t.messagesByType)}`,
    `  first response ${humanDuration(t.firstResponseMs)}, hold ${humanDuration(t.holdMs)}, window expiries ${t.windowExpiries.length}, hand-offs ${t.handOffs.length}, failures ${t.failures.length}`,
    '  states:',
    ...t.states.map((s) => `    ${s.state.padEnd(22)} ${time(s.enteredAt)} → ${s.leftAt ? `${time(s.leftAt)}  (${humanDuration(s.durationMs)})` : '…'}`),
    '  events:',
    ...t.events.map((e) => `    ${describe(e)}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** The run's path through the machine's diagram, in Mermaid: visited states highlighted, transitions numbered. */
export function timelineToMermaid(t: Timeline): string {
  return conversationDiagram(t.path);
}
