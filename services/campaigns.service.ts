import { createHash, randomUUID } from 'node:crypto';
import { ServiceError, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { AppError } from '../lib/errors';
import { checkParameters } from '../lib/template-parameters';
import { defaultMessagingLimits, limitsFor, type MessagingLimits } from '../lib/messaging-limits';
import { createCampaign, findCampaign, listRecipients, type CampaignDoc, type RecipientDoc } from '../store/campaigns.store';
import type { Store } from '../store/db';
import { isConnectorOutbound, outboundStatuses, type MessageDoc } from '../store/documents';
import { messagesById, withDeliveryStatuses } from '../store/messages.store';
import { findTemplate } from '../store/templates.store';
import { holdFor } from './campaign-holds';
import {
  CAMPAIGN_WORKFLOW_TYPE,
  campaignProgressQuery,
  campaignWorkflowId,
  cancelCampaignUpdate,
  pauseCampaignUpdate,
  resumeCampaignUpdate,
  type CampaignProgress,
  type CampaignWorkflowInput,
} from '../workflows/campaign.messages';
import type { CampaignView, CreateCampaignBody, RecipientPage, RecipientView } from '../api/campaigns.schema';

export interface CampaignServiceDeps {
  store: Store;
  temporal: Client;
  taskQueue: string;
  limits?: MessagingLimits;
  /** Longest a request waits on Temporal before answering 503. */
  temporalDeadlineMs?: number;
}

/** A stable campaign id from the caller's Idempotency-Key, so a retried create finds the first campaign. */
export function campaignIdFor(idempotencyKey: string | undefined): string {
  if (!idempotencyKey) return `cmp_${randomUUID().replace(/-/g, '')}`;
  return `cmp_${createHash('sha256').update(`campaign\n${idempotencyKey}`).digest('hex').slice(0, 32)}`;
}

const isFinished = (state: CampaignProgress['state']) => state === 'completed' || state === 'cancelled';

/** Campaign operations for the API: each a store write or read plus one Temporal call. */
export function createCampaignService(deps: CampaignServiceDeps) {
  const { store, temporal } = deps;
  const bounded = <T>(call: () => Promise<T>) => temporal.connection.withDeadline(Date.now() + (deps.temporalDeadlineMs ?? 10_000), call);
  const handle = (campaignId: string) => temporal.workflow.getHandle(campaignWorkflowId(campaignId));

  async function requireCampaign(campaignId: string): Promise<CampaignDoc> {
    const doc = await findCampaign(store, campaignId);
    if (!doc) throw new AppError('unknown_campaign', `No campaign ${campaignId}`);
    return doc;
  }

  /** Delivery statuses of the campaign's messages, counted where the status webhooks record them. */
  async function deliveryOf(campaignId: string): Promise<CampaignView['delivery']> {
    const projection = { direction: 1, wamid: 1, statusRank: 1, statusTimes: 1 };
    const sent = await store.messages.find({ 'sender.id': `campaign:${campaignId}` }, { projection }).toArray();
    const messages = await withDeliveryStatuses(store, sent);
    const delivery = Object.fromEntries(outboundStatuses.map((status) => [status, 0])) as CampaignView['delivery'];
    for (const message of messages) {
      if (message.direction === 'outbound') delivery[outboundStatuses[message.statusRank] ?? 'queued'] += 1;
    }
    return delivery;
  }

  async function view(doc: CampaignDoc, live?: CampaignProgress): Promise<CampaignView> {
    const { _id, createdAt, updatedAt, ...stored } = doc;
    const progress = { ...stored, ...live };
    return {
      ...progress,
      // FerretDB drops a null field written with $setOnInsert; the API always answers it.
      resumesAt: progress.resumesAt ?? null,
      pausedFor: progress.pausedFor ?? null,
      delivery: await deliveryOf(_id),
      createdAt: createdAt.toISOString(),
      updatedAt: updatedAt.toISOString(),
    };
  }

  /** Pause, resume or cancel: the workflow answers once the change holds; a finished campaign answers from the store. */
  async function change(campaignId: string, update: typeof pauseCampaignUpdate): Promise<CampaignView> {
    await requireCampaign(campaignId);
    try {
      const live = await bounded(() => handle(campaignId).executeUpdate(update));
      return view(await requireCampaign(campaignId), live);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      const doc = await requireCampaign(campaignId);
      if (update === cancelCampaignUpdate && doc.state === 'cancelled') return view(doc);
      throw new AppError('campaign_finished', `Campaign ${campaignId} is ${doc.state}`);
    }
  }

  return {
    /** Stores the list, then starts the workflow; a retry with the same Idempotency-Key answers the same campaign. */
    async create(body: CreateCampaignBody, idempotencyKey?: string): Promise<CampaignView> {
      const { name, language } = body.template;
      const template = await findTemplate(store, body.businessNumberId, name, language);
      if (template?.status !== 'APPROVED') {
        throw new AppError('template_not_approved', `Template ${name} (${language}) is ${template?.status ?? 'unknown'} on this number`);
      }
      // Every recipient's parameters against the template, before anything is stored: a list with one bad row is
      // refused whole (422 naming the row), not sent and failed per recipient minutes later. Templates recorded
      // before supervisors managed them here have no definition to check against.
      const definition = template.definition;
      const problems = definition
        ? body.recipients.flatMap((r, i) => checkParameters(definition, r.components).map((p) => ({ in: 'body', ...p, path: `recipients.${i}.${p.path}` })))
        : [];
      if (problems.length > 0) {
        const rows = [...new Set(problems.map((p) => Number(p.path.split('.')[1])))];
        throw new AppError('template_parameters_mismatch', `The parameters of recipient row(s) ${rows.slice(0, 10).join(', ')}${rows.length > 10 ? ', …' : ''} do not fit ${name} (${language}); see errors`, {
          errors: problems.slice(0, 100),
        });
      }
      const numberRate = limitsFor(deps.limits ?? defaultMessagingLimits, body.businessNumberId).sendRatePerSecond;
      // Half the number's rate by default, so conversations keep the other half.
      const ratePerSecond = Math.min(body.ratePerSecond ?? Math.max(1, Math.floor(numberRate / 2)), numberRate);
      const campaignId = campaignIdFor(idempotencyKey);
      const now = new Date();
      const total = body.recipients.length;
      const doc = await createCampaign(
        store,
        {
          _id: campaignId,
          campaignId,
          businessNumberId: body.businessNumberId,
          template: { name, language },
          state: 'running',
          total,
          processed: 0,
          counts: { pending: total, queued: 0, refused: 0, cancelled: 0 },
          refusals: {},
          ratePerSecond,
          whenTierUsedUp: body.whenTierUsedUp,
          resumesAt: null,
          createdAt: now,
          updatedAt: now,
        },
        body.recipients.map(({ waId, userId, components }) => ({
          customer: { ...(waId ? { waId } : {}), ...(userId ? { userId } : {}) },
          ...(components ? { components } : {}),
        })),
      );
      const input: CampaignWorkflowInput = {
        campaignId,
        businessNumberId: doc.businessNumberId,
        template: doc.template,
        total: doc.total,
        ratePerSecond: doc.ratePerSecond,
        whenTierUsedUp: doc.whenTierUsedUp,
      };
      try {
        await bounded(() =>
          temporal.workflow.start(CAMPAIGN_WORKFLOW_TYPE, {
            workflowId: campaignWorkflowId(campaignId),
            taskQueue: deps.taskQueue,
            args: [input],
            workflowIdConflictPolicy: 'USE_EXISTING',
            // A retry after the campaign finished must not run it again.
            workflowIdReusePolicy: 'REJECT_DUPLICATE',
          }),
        );
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
      return view(doc);
    },

    /** Live progress from the workflow while it runs; the stored progress once it has finished. */
    async get(campaignId: string): Promise<CampaignView> {
      const doc = await requireCampaign(campaignId);
      if (isFinished(doc.state)) return view(doc);
      try {
        return await view(doc, await bounded(() => handle(campaignId).query(campaignProgressQuery)));
      } catch (err) {
        // No worker to answer, or Temporal down: the progress it last stored (after every batch) is the answer.
        if (!(err instanceof WorkflowNotFoundError) && !(err instanceof ServiceError)) throw err;
        return view(await requireCampaign(campaignId));
      }
    },

    /** One page of recipients in list order, each with its message's delivery status. */
    async recipients(campaignId: string, from: number, limit: number): Promise<RecipientPage> {
      const doc = await requireCampaign(campaignId);
      const page = await listRecipients(store, doc, from, limit);
      const messages = await messagesById(store, page.flatMap((r) => (r.outcome === 'queued' ? [r.messageId] : [])));
      const next = from + limit < doc.total ? from + limit : null;
      const messageOf = (r: RecipientDoc) => (r.outcome === 'queued' ? (messages.get(r.messageId) ?? null) : null);
      return { recipients: page.map((r) => toRecipientView(r, messageOf(r), doc.state)), next };
    },

    pause: (campaignId: string) => change(campaignId, pauseCampaignUpdate),
    /** Refused while the account-health hold that paused it stands: the alert says what to do (and resolving it resumes). */
    async resume(campaignId: string): Promise<CampaignView> {
      const doc = await requireCampaign(campaignId);
      if (doc.state === 'paused') {
        const hold = await holdFor(store, doc.businessNumberId, doc.template);
        if (hold) {
          throw new AppError('campaign_on_hold', `Campaign ${campaignId} is held: ${hold.reason}. Deal with the alert, then resolve it to resume.`, {
            holdId: hold.holdId,
            ...(hold.alertId ? { alertId: hold.alertId } : {}),
          });
        }
      }
      return change(campaignId, resumeCampaignUpdate);
    },
    cancel: (campaignId: string) => change(campaignId, cancelCampaignUpdate),
  };
}

export type CampaignService = ReturnType<typeof createCampaignService>;

function toRecipientView(recipient: RecipientDoc, message: MessageDoc | null, state: CampaignProgress['state']): RecipientView {
  const base = { index: recipient.index, customer: recipient.customer };
  if (recipient.outcome === 'pending') return { ...base, status: state === 'cancelled' ? 'cancelled' : 'pending' };
  if (recipient.outcome === 'refused') {
    return { ...base, status: 'refused', refusal: { code: recipient.code, ...(recipient.detail ? { detail: recipient.detail } : {}) } };
  }
  const outbound = message && isConnectorOutbound(message) ? message : undefined;
  return {
    ...base,
    status: outbound ? (outboundStatuses[outbound.statusRank] ?? 'queued') : 'queued',
    messageId: recipient.messageId,
    conversationId: recipient.conversationId,
    ...(outbound?.failure ? { failure: outbound.failure } : {}),
  };
}
