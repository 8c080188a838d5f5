/**
 * The campaign workflow's public surface: its updates, query, ids and payloads. The API imports this file alone,
 * never the workflow code.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';

export const CAMPAIGN_WORKFLOW_TYPE = 'campaignWorkflow';

/** One workflow per campaign: the id is the business key. */
export function campaignWorkflowId(campaignId: string): string {
  return `campaign:${campaignId}`;
}

/** `waitingForTier`: the number's tier is used up and the campaign sleeps until a unit frees. */
export type CampaignState = 'running' | 'paused' | 'waitingForTier' | 'completed' | 'cancelled';

/** What a campaign does when the number's tier is used up: wait for units to free, or refuse the recipient. */
export type TierPolicy = 'wait' | 'refuse';

export interface CampaignTemplate {
  name: string;
  language: string;
}

/** Recipients by what the campaign did with them; delivery statuses live on the messages. */
export interface CampaignCounts {
  /** Not reached yet. */
  pending: number;
  /** Handed to the customer's conversation, which sends it. */
  queued: number;
  /** Refused before sending (template not approved, tier used up, invalid recipient); see `refusals`. */
  refused: number;
  /** Not sent because the campaign was cancelled. */
  cancelled: number;
}

export interface CampaignProgress {
  campaignId: string;
  businessNumberId: string;
  template: CampaignTemplate;
  state: CampaignState;
  total: number;
  /** Recipients dealt with (queued or refused). */
  processed: number;
  counts: CampaignCounts;
  /** Refused recipients by error code. */
  refusals: Record<string, number>;
  ratePerSecond: number;
  whenTierUsedUp: TierPolicy;
  /** While waiting for the tier: when the next unit frees (ISO). */
  resumesAt: string | null;
  /** Paused by an account-health hold (not by a person): which, why, and the alert that says what to do. */
  pausedFor?: CampaignHold | null;
}

/** An account-health hold that paused a campaign (store/health.store.ts). */
export interface CampaignHold {
  /** `number:<id>`, `account:<WABA id>`, `template:<key>` or `marketing:<id>`. */
  holdId: string;
  reason: string;
  /** GET /v1/alerts/{alertId}: what to do, and where a supervisor resumes the campaign. */
  alertId?: string;
}

/** State carried across continue-as-new: plain JSON. */
export interface CampaignCarried {
  state: 'running' | 'paused';
  /** The next recipient never tried. */
  cursor: number;
  /** Recipients tried but deferred for the tier, tried again first. */
  deferred: number[];
  counts: Pick<CampaignCounts, 'queued' | 'refused'>;
  refusals: Record<string, number>;
  pausedFor?: CampaignHold | null;
}

export interface CampaignWorkflowInput {
  campaignId: string;
  businessNumberId: string;
  template: CampaignTemplate;
  total: number;
  /** Recipients handed over per second (whole numbers: one batch per second). */
  ratePerSecond: number;
  whenTierUsedUp: TierPolicy;
  carried?: CampaignCarried;
  /** Continue as new past this many history events even if Temporal has not suggested it yet. */
  maxHistoryEvents?: number;
}

/** Answer to pause, resume and cancel: the progress once the change has taken effect. */
export const pauseCampaignUpdate = defineUpdate<CampaignProgress>('pauseCampaign');
export const resumeCampaignUpdate = defineUpdate<CampaignProgress>('resumeCampaign');
export const cancelCampaignUpdate = defineUpdate<CampaignProgress>('cancelCampaign');
export const campaignProgressQuery = defineQuery<CampaignProgress>('campaignProgress');
