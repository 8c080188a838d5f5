/**
 * The chat in the agent's SIP dialog (SIP_CHAT_MODE=message, page mode, RFC 3428, or SIP_CHAT_MODE=msrp, session mode,
 * RFC 4975): which lines go to the agent, in what order, with which CSeq (page mode) or Message-ID (session mode: one
 * derived from the call and the line's number). Lines are fixed (dialog, CSeq, message id or text) when queued and
 * carried across continue-as-new, so the activity that sends one is a pure retransmission when retried. Only calls the routing
 * activity marked `chatMode: 'message'` or `'msrp'` carry chat; runs from before either mode never meet one, and the
 * first such call is behind `patched('sip-chat-page-mode')` or `patched('sip-chat-session-mode')`.
 */
import { ActivityFailure, condition, patched, proxyActivities } from '@temporalio/workflow';
import type { ConversationActivities } from '../activities/activities.types';
import { holderOf, stateNameOf, type ConversationSnapshot } from '../machines/conversation.status';
import type { ConversationEffect, ConversationEvent, ReleaseAgentEffect } from '../machines/conversation.types';
import type { ChatLine, ChatOrigin } from '../integrations/sip/sip.types';
import type { AgentNotice, CustomerReaction, SipChatState } from './conversation.messages';

export type { AgentNotice, SipChatState };
import { TEMPLATE_COMMAND_HELP } from '../lib/agent-commands';

const relay = proxyActivities<Pick<ConversationActivities, 'relayToAgent'>>({
  // One MESSAGE transaction gives up after 64·T1 (32 s with the default T1).
  startToCloseTimeout: '1 minute',
  // The activity heartbeats while it waits for the answer: a worker killed mid-send is noticed this soon.
  heartbeatTimeout: '5 seconds',
  // The agent's side unreachable this long: the line is given up and the conversation goes on without it.
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/**
 * Session mode: a line for a call whose MSRP connection a worker holds goes to that worker's own task queue. A worker
 * that died is noticed by the heartbeat (5 s) or by nobody taking the task (10 s); then the line goes to any worker,
 * which connects again and becomes the holder. An attempt there that fails for another reason (the session's
 * connection dropped, the message not stored yet) is retried there first.
 */
const relayOn = (taskQueue: string) =>
  proxyActivities<Pick<ConversationActivities, 'relayToAgent'>>({
    taskQueue,
    startToCloseTimeout: '1 minute',
    heartbeatTimeout: '5 seconds',
    scheduleToStartTimeout: '10 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '4 seconds', maximumAttempts: 4 },
  });

export const SIP_CHAT_PATCH = 'sip-chat-page-mode';
/** Session mode (RFC 4975): the first call answered with an MSRP session (`chatMode: 'msrp'`). */
export const SIP_SESSION_PATCH = 'sip-chat-session-mode';

const WINDOW_CLOSED = `The customer's 24-hour window is closed: WhatsApp lets only a template reach them now. /templates lists the approved ones. ${TEMPLATE_COMMAND_HELP}`;

function closedText(snapshot: ConversationSnapshot): string {
  return snapshot.context.closedReason === 'idle' ? 'The conversation closed: the customer has not written for the idle period.' : 'The conversation was closed.';
}

export class SipChat {
  readonly state: SipChatState;

  /**
   * `mayChat` decides once per chat call whether to go ahead: the mode's patch in a workflow (page mode and session
   * mode each met their first call in a later build), always in pure tests.
   */
  constructor(
    carried?: SipChatState,
    private readonly mayChat: (mode: 'message' | 'msrp') => boolean = (mode) => patched(mode === 'msrp' ? SIP_SESSION_PATCH : SIP_CHAT_PATCH),
  ) {
    this.state = carried ?? { queue: [], lastSeqs: {}, noticeKeys: [] };
  }

  /** Whether there is anything worth carrying across continue-as-new. */
  get active(): boolean {
    return this.state.current !== undefined || this.state.queue.length > 0 || Object.keys(this.state.lastSeqs).length > 0;
  }

  private push(line: Omit<ChatLine, 'call' | 'seq'>): void {
    const current = this.state.current!;
    this.state.queue.push({ call: current.call, seq: current.nextSeq++, ...line });
  }

  /** After each transition: queues what the agent holding the conversation must see. */
  observe(event: ConversationEvent, before: ConversationSnapshot, after: ConversationSnapshot, effects: ConversationEffect[]): void {
    const call = holderOf(after)?.call ?? null;
    const current = this.state.current;
    if (current && call?.callId !== current.call.callId) {
      if (after.status === 'done') this.push({ origin: 'system', notice: 'closed', text: closedText(after) });
      // They hung up: nobody reads the lines still waiting (all but the one in flight), and their release waits on them.
      if (event.type === 'agent.released') this.dropQueued(current.call.callId);
      this.state.lastSeqs[current.call.callId] = current.nextSeq - 1;
      delete this.state.current;
    }
    if (call && (call.chatMode === 'message' || call.chatMode === 'msrp') && !this.state.current) {
      if (!this.mayChat(call.chatMode)) return;
      this.state.current = { call, nextSeq: 2, windowNoticed: false };
      // What came before the answer: the conversation so far, or on a transfer the last messages, marked as history.
      const transfer = before.context.routing.assignedAt !== null;
      // In the thread's order (by when each was written, a customer's message before a reply of the same instant):
      // the machine files a welcome before the message it answers.
      const rank = (direction: string) => (direction === 'inbound' ? 0 : 1);
      const backlog = [...(before.context.recentMessages ?? [])].sort((a, b) => a.at - b.at || rank(a.direction) - rank(b.direction));
      for (const m of backlog) this.push({ messageId: m.messageId, ...(transfer ? { history: true } : {}) });
    } else if (this.state.current) {
      if (event.type === 'customer.messageReceived' && after.context.inboundCount > before.context.inboundCount) {
        this.push({ origin: 'customer', messageId: event.messageId });
      }
      for (const effect of effects) {
        if (effect.type !== 'sendMessage' || effect.params.message.type !== 'text') continue;
        const { sender, messageId, message } = effect.params;
        // The agent's own replies are on their desktop already; the bot's and the connector's are not.
        if (sender.kind !== 'bot' && sender.kind !== 'system') continue;
        const origin: ChatOrigin = sender.kind === 'bot' ? 'bot' : sender.id?.startsWith('auto-reply') ? 'auto-reply' : 'system';
        this.push({ origin, messageId, text: message.text });
      }
    }
    const live = this.state.current;
    if (!live) return;
    const windowClosed = stateNameOf(after) === 'expiredNeedsTemplate';
    if (windowClosed && !live.windowNoticed) this.push({ origin: 'system', notice: 'window-closed', text: WINDOW_CLOSED });
    live.windowNoticed = windowClosed;
  }

  /** Removes a call's lines from the queue, in place (the drainer holds the array), keeping the head, maybe in flight. */
  private dropQueued(callId: string): void {
    for (let i = this.state.queue.length - 1; i > 0; i--) if (this.state.queue[i]!.call.callId === callId) this.state.queue.splice(i, 1);
  }

  /** The customer reacted to a message: a line for the agent chatting now (none when nobody is). */
  reaction(reaction: CustomerReaction): void {
    if (!this.state.current) return;
    this.push({ origin: 'customer', reaction });
  }

  /** A notice about the agent's own MESSAGE (e.g. a reply refused outside the window), once per key. */
  notice(notice: AgentNotice): void {
    if (this.state.current?.call.callId !== notice.callId || this.state.noticeKeys.includes(notice.key)) return;
    this.state.noticeKeys = [...this.state.noticeKeys, notice.key].slice(-50);
    this.push({ origin: 'system', notice: notice.code, text: notice.text });
  }

  /** Sends one line; a line given up on (ten minutes unreachable) is skipped so the rest still go. */
  async relay(line: ChatLine): Promise<void> {
    const given = (err: unknown) => {
      if (!(err instanceof ActivityFailure)) throw err;
      return undefined;
    };
    const callId = line.call.callId;
    const holder = line.call.chatMode === 'msrp' ? this.state.msrpHolders?.[callId] : undefined;
    let outcome = holder ? await relayOn(holder).relayToAgent(line).catch(given) : undefined;
    if (!outcome) {
      // No holder, or it is gone: any worker takes the line (and, in session mode, the session's connection).
      if (holder) delete this.state.msrpHolders![callId];
      outcome = await relay.relayToAgent(line).catch(given);
    }
    if (outcome?.heldOn) this.state.msrpHolders = { ...this.state.msrpHolders, [callId]: outcome.heldOn };
  }

  /**
   * Before a call is released: its queued lines go first, and its BYE takes the CSeq after the last MESSAGE.
   * Synchronous when there is nothing to wait for, so runs without chat schedule their release exactly as before.
   */
  beforeRelease(effect: ReleaseAgentEffect): ReleaseAgentEffect | Promise<ReleaseAgentEffect> {
    const callId = effect.call.callId;
    const pending = () => this.state.queue.some((line) => line.call.callId === callId);
    if (pending()) return condition(() => !pending()).then(() => this.beforeRelease(effect));
    if (this.state.msrpHolders?.[callId]) delete this.state.msrpHolders[callId];
    const last = this.state.lastSeqs[callId];
    if (last === undefined) return effect;
    delete this.state.lastSeqs[callId];
    return { ...effect, call: { ...effect.call, localSeq: Math.max(Number(effect.call.localSeq ?? 1), last) } };
  }
}
