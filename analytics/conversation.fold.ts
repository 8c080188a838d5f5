import type { DataConverter } from '@temporalio/common';
import { initialTransition, transition } from 'xstate';
import { toEffects } from '../machines/conversation.effects';
import { conversationMachine } from '../machines/conversation.machine';
import { timerEventFor } from '../machines/conversation.rules';
import { restoreConversation } from '../machines/conversation.snapshot';
import type { ConversationSnapshot } from '../machines/conversation.status';
import { timelineRecordOf, timelineStartOf, type TimelineRecord, type TimelineStart } from '../machines/conversation.timeline';
import type { ConversationEvent, TimerId } from '../machines/conversation.types';
import type { ConversationWorkflowInput, CustomerCall, InboundMessage } from '../workflows/conversation.messages';
import { RecentIds } from '../workflows/support/recent-ids';
import { customerMessageEvent, keptRead, reusableRead, type KeptRead } from '../workflows/support/settings-reads';
import type { SettingsRead } from '../activities/settings.activities';
import { workflowTasksOf, type HistoryTasks, type TaskCommand, type TaskJob } from './history.tasks';
import type { JsonHistory } from './history.types';
import { FoldUnsupported, KNOWN_PATCHES, KNOWN_SIGNALS, KNOWN_UPDATES } from './conversation.fold.known';

export { FoldUnsupported };

/** What a fold reports for a run: the same start and transition records the workflow's timeline sink reports. */
export interface FoldedRun {
  start: TimelineStart;
  records: TimelineRecord[];
}

/**
 * Folds a conversation run's history through the pure machine, as `workflows/conversation.workflow.ts` drives it,
 * without Temporal's replayer or the workflow sandbox: the workflow's input (carried snapshot, timers, pending
 * messages), then task by task at the task's workflow time (Temporal's: WorkflowTaskStarted, moved on by each local
 * activity's completion time) its signals and accepted Updates, its activity results (sends refused or accepted, the
 * bot's answers, routing outcomes), its settings reads (the local activity's recorded result) and its fired timers,
 * each turned into the machine event the workflow dispatches and reported with the same `timelineRecordOf`.
 * It reproduces the timeline, not the commands: the SDK's replayer stays the determinism check (`wa-analyst replay`,
 * `--engine replay`). Throws {@link FoldUnsupported} for a run it cannot vouch for.
 */
export async function foldConversation(history: JsonHistory, dataConverter?: DataConverter): Promise<FoldedRun> {
  return new ConversationFold(await workflowTasksOf(history, dataConverter)).run();
}

class ConversationFold {
  private snapshot!: ConversationSnapshot;
  private timers: Partial<Record<TimerId, number>> = {};
  private recentInbound!: RecentIds;
  private recentSends!: RecentIds;
  private readonly inbox: InboundMessage[] = [];
  private readonly patches = new Set<string>();
  private readsSettings = false;
  /** `timer-kept-armed` and `settings-read-when-changed` (issue 22's loop cuts), as the runtime reads them. */
  private keepsEarlier = false;
  private reusesSettings = false;
  private lastRead: KeptRead | undefined;
  private now = 0;
  /** The EarliestTimer: the due time it sleeps to, when it armed, and the Temporal timer it started. */
  private armed: { due: number; armedAt: number; timerId?: string } | undefined;
  private fired = false;
  private awaitingSettings = false;
  /** Bot answers waiting for their read receipt to finish (event id of the receipt → the continuation). */
  private readonly waitingForReceipt = new Map<number, () => void>();
  private readonly receiptsDone = new Set<number>();
  private readonly records: TimelineRecord[] = [];

  constructor(private readonly history: HistoryTasks) {}

  run(): FoldedRun {
    const [first, ...rest] = this.history.tasks;
    if (!first) throw new FoldUnsupported('no completed workflow task');
    const start = this.begin(first.startedAt, first.commands);
    this.task(first.jobs, first.commands);
    for (const task of rest) {
      this.now = task.startedAt;
      this.notePatches(task.commands);
      this.task(task.jobs, task.commands);
    }
    return { start, records: this.records };
  }

  private get isDone(): boolean {
    return this.snapshot.status === 'done';
  }

  private notePatches(commands: TaskCommand[]): void {
    for (const c of commands) {
      if (c.kind !== 'patch') continue;
      if (!KNOWN_PATCHES.has(c.id)) throw new FoldUnsupported(`patch ${c.id}`);
      this.patches.add(c.id);
    }
  }

  /** The ConversationRuntime's constructor and the workflow's set-up, in the first task. */
  private begin(at: number, commands: TaskCommand[]): TimelineStart {
    this.now = at;
    this.notePatches(commands);
    const input = this.history.input as ConversationWorkflowInput;
    const carried = input.carried;
    this.snapshot = carried ? restoreConversation(carried.snapshot, Object.keys(carried.timers) as TimerId[]) : initialTransition(conversationMachine, input.conversation)[0];
    this.timers = { ...carried?.timers };
    this.recentInbound = new RecentIds(carried?.recentInboundIds);
    this.recentSends = new RecentIds(carried?.recentSendIds);
    this.readsSettings = this.patches.has('settings-read-through');
    this.keepsEarlier = this.patches.has('timer-kept-armed');
    this.reusesSettings = this.patches.has('settings-read-when-changed');
    const start = timelineStartOf(this.snapshot, carried?.generation ?? at, carried !== undefined, at);
    for (const message of input.pendingInbound ?? []) this.receive(message);
    for (const call of input.pendingCalls ?? []) this.called(call);
    this.arm();
    return start;
  }

  /**
   * One workflow task: signal and Update handlers first (core hands them over before results), then the timer that
   * fired and the activity results in order, then the main loop (settings read, due timers), then what the task's
   * local activities returned, each at its completion time.
   */
  private task(jobs: TaskJob[], commands: TaskCommand[]): void {
    for (const job of jobs) if (job.kind === 'signal') this.signal(job.name, job.args);
    for (const c of commands) if (c.kind === 'update') this.update(c.name, c.args);
    for (const job of jobs) if (job.kind === 'timerFired' && this.armed?.timerId === job.timerId) this.fired = true;
    for (const job of jobs) if (job.kind === 'activityDone') this.activityDone(job);
    this.mainLoop();
    for (const c of commands) {
      if (c.kind === 'localActivity') {
        if (c.completeTime !== undefined) this.now = c.completeTime;
        if (c.activityType === 'conversationSettings' && this.awaitingSettings) {
          this.awaitingSettings = false;
          const read = c.result as SettingsRead;
          if (this.reusesSettings) this.lastRead = keptRead(read);
          this.takeInbox(read);
          this.mainLoop();
        }
      } else if (c.kind === 'timerStarted' && this.armed && this.armed.timerId === undefined && c.ms === Math.max(this.armed.due - this.armed.armedAt, 1)) {
        this.armed.timerId = c.timerId;
      }
    }
  }

  private mainLoop(): void {
    if (this.awaitingSettings) return;
    if (this.inbox.length > 0) {
      const reused = this.reusableRead();
      if (!reused) {
        this.awaitingSettings = true;
        return;
      }
      this.takeInbox(reused);
    }
    if (this.fired) this.fireDueTimers();
  }

  /** ConversationRuntime.reusableRead: the last read again while no waiting message carries a newer version. */
  private reusableRead(): SettingsRead | undefined {
    return reusableRead(this.lastRead, this.now, this.inbox, this.snapshot.context.settings);
  }

  private dispatch(event: ConversationEvent): void {
    const [next, actions] = transition(conversationMachine, this.snapshot, event);
    this.records.push(timelineRecordOf(event, this.snapshot, next));
    this.snapshot = next;
    for (const effect of toEffects(actions)) {
      if (effect.type === 'startTimer') this.timers[effect.params.timerId] = effect.params.at;
      else if (effect.type === 'cancelTimer') delete this.timers[effect.params.timerId];
    }
    this.arm();
  }

  /** EarliestTimer.arm: a new Temporal timer only when the earliest due time changes. */
  private arm(): void {
    const dues = Object.values(this.timers) as number[];
    const due = dues.length === 0 ? undefined : Math.min(...dues);
    if (this.armed?.due === due) return;
    if (this.keepsEarlier && this.armed && (due === undefined || this.armed.due <= due)) return;
    this.armed = due === undefined ? undefined : { due, armedAt: this.now };
  }

  private receive(message: InboundMessage): void {
    if (!this.recentInbound.add(message.messageId) || this.isDone) return;
    if (this.readsSettings) this.inbox.push(message);
    else this.dispatch({ type: 'customer.messageReceived', ...message, at: this.now });
  }

  /** ConversationRuntime.called: once per call id, at once (after a close the next run takes it). */
  private called(call: CustomerCall): void {
    if (!this.recentInbound.add(`call:${call.callId}`) || this.isDone) return;
    this.dispatch({ type: 'customer.called', callId: call.callId, calledAt: call.calledAt, at: this.now });
  }

  private takeInbox(read: SettingsRead): void {
    const first = this.inbox[0];
    if (JSON.stringify(read.settings) !== JSON.stringify(this.snapshot.context.settings)) {
      this.dispatch({ type: 'settings.applied', settings: read.settings, at: this.now });
    }
    const closedHours = {
      welcomeWaits: this.patches.has('welcome-waits-for-opening-hours'),
      routesAtOpening: this.patches.has('routes-at-opening'),
      idleWaitsForOpening: this.patches.has('idle-waits-for-opening'),
    };
    for (const message of this.inbox.splice(0)) {
      if (this.isDone) continue;
      this.dispatch(customerMessageEvent(message, read, message === first, closedHours, this.now));
    }
  }

  private fireDueTimers(): void {
    this.fired = false;
    this.armed = undefined;
    for (const [timerId, due] of Object.entries(this.timers) as [TimerId, number][]) {
      if (due > this.now) continue;
      delete this.timers[timerId];
      this.dispatch({ type: timerEventFor[timerId], at: this.now });
    }
    this.arm();
  }

  private signal(name: string, args: unknown[]): void {
    if (!KNOWN_SIGNALS.has(name)) throw new FoldUnsupported(`signal ${name}`);
    const [arg] = args as [Record<string, unknown>];
    if (name === 'customerMessage') this.receive(arg as unknown as InboundMessage);
    else if (name === 'customerMessages') (arg as unknown as InboundMessage[]).forEach((m) => this.receive(m));
    else if (name === 'customerCalled') this.called(arg as unknown as CustomerCall);
    // A reaction moves nothing in the machine (it only reaches an agent's SIP chat); its id is remembered as the workflow does.
    else if (name === 'customerReacted') this.recentInbound.add(`reaction:${String(arg.reactionId)}`);
    else if (name === 'brokerFailure') this.dispatch({ type: 'broker.rejected', ...arg, at: this.now } as ConversationEvent);
    else if (name === 'agentReleased' && !this.isDone) this.dispatch({ type: 'agent.released', callId: arg.callId, at: this.now } as ConversationEvent);
  }

  private update(name: string, args: unknown[]): void {
    if (!KNOWN_UPDATES.has(name)) throw new FoldUnsupported(`update ${name}`);
    const [request] = args as [Record<string, unknown>];
    if (name === 'sendMessage') {
      if (this.recentSends.add(request.messageId as string)) this.dispatch({ type: 'business.sendRequested', ...request, at: this.now } as ConversationEvent);
    } else if (name === 'closeConversation') {
      if (!this.isDone) this.dispatch({ type: 'conversation.closeRequested', by: request.sender, at: this.now } as ConversationEvent);
    } else if (name === 'transferConversation') {
      this.dispatch({ type: 'agent.transferRequested', by: request.sender, to: request.to, at: this.now } as ConversationEvent);
    }
  }

  /** What the drainers dispatch when an activity they awaited comes back (conversation.outbound.ts, conversation.handoff.ts). */
  private activityDone(job: Extract<TaskJob, { kind: 'activityDone' }>): void {
    const scheduled = this.history.activities.get(job.scheduledEventId);
    if (!scheduled) return;
    const input = scheduled.input as Record<string, unknown>;
    const outcome = job.result as Record<string, unknown> | undefined;
    const report = (event: Record<string, unknown>) => {
      if (!this.isDone) this.dispatch({ ...event, at: this.now } as ConversationEvent);
    };
    switch (scheduled.activityType) {
      case 'sendMessage':
        if (!job.ok) return;
        if (outcome!.outcome === 'rejected') this.dispatch({ type: 'broker.rejected', messageId: input.messageId, code: outcome!.code, title: outcome!.title, at: this.now } as ConversationEvent);
        else if (!this.patches.has('skip-broker-accepted-dispatch')) this.dispatch({ type: 'broker.accepted', messageId: input.messageId, wamid: outcome!.wamid, at: this.now } as ConversationEvent);
        return;
      case 'sendReceipt': {
        this.receiptsDone.add(job.scheduledEventId);
        const waiting = this.waitingForReceipt.get(job.scheduledEventId);
        this.waitingForReceipt.delete(job.scheduledEventId);
        return waiting?.();
      }
      case 'askBot': {
        const messageId = input.messageId;
        const answer = () => {
          const o = job.ok ? outcome! : { outcome: 'failed', reason: 'bot activity failed' };
          if (o.outcome === 'failed') return report({ type: 'bot.failed', messageId, reason: o.reason });
          if ((o.replies as unknown[]).length > 0) report({ type: 'bot.replied', messageId, replies: o.replies });
          if (o.handOff) report({ type: 'bot.handOffRequested', messageId, ...(o.reason ? { reason: o.reason } : {}) });
        };
        const receipt = scheduled.receiptEventId;
        if (receipt === undefined || this.receiptsDone.has(receipt)) return answer();
        this.waitingForReceipt.set(receipt, answer);
        return;
      }
      case 'routeToAgent': {
        const attempt = input.attempt;
        const o = job.ok ? outcome! : { outcome: 'busy', status: 503, reason: 'routing attempt failed' };
        if (o.outcome === 'answered') return report({ type: 'sip.answered', attempt, agentId: o.agentId, call: o.call });
        if (o.outcome === 'busy') return report({ type: 'sip.busy', attempt, status: o.status, reason: o.reason, ...(o.retryAfterMs !== undefined ? { retryAfterMs: o.retryAfterMs } : {}) });
        if (o.outcome === 'noAnswer') return report({ type: 'sip.busy', attempt, status: 408, reason: 'no answer' });
        if (o.outcome === 'rejected') return report({ type: 'sip.failed', attempt, status: o.status, reason: o.reason });
        return;
      }
    }
  }
}
