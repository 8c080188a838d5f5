/**
 * WhatsApp's review of a template as a scripted play: each step waits, then changes the template and delivers the
 * webhook Meta sends for it. Webhook shapes from Meta's references:
 * - https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/message_template_status_update
 * - https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/message_template_quality_update
 * - https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/template_category_update
 * A template nobody scripted stays PENDING, unless the simulator has a default play (the `npm start` demo approves).
 */
import { templateCategoryWebhook, templateQualityWebhook, templateStatusWebhook } from './cloud-api.payloads';

export type ReviewStep = { afterMs?: number } & (
  | { status: 'APPROVED' | 'REJECTED' | 'PAUSED' | 'DISABLED' | 'REINSTATED' | 'IN_APPEAL' | 'PENDING_DELETION'; reason?: string }
  | { category: 'MARKETING' | 'UTILITY' | 'AUTHENTICATION' }
  | { quality: 'GREEN' | 'YELLOW' | 'RED' | 'UNKNOWN' }
);

export interface ReviewedTemplate {
  id: string;
  wabaId: string;
  name: string;
  language: string;
  status: string;
  category: string;
  quality: string;
  rejectedReason?: string;
}

interface Deps {
  deliverWebhook(body: object): Promise<unknown>;
  later(ms: number): Promise<void>;
}

export function createReviewPlays(deps: Deps, defaultPlay: ReviewStep[] = []) {
  /** Plays scripted for templates by name; consumed by the next creation or edit of that name. */
  const scripted = new Map<string, ReviewStep[]>();

  /** Applies one step now and delivers its webhook; REINSTATED (unpaused) leaves the template APPROVED, as at Meta. */
  async function apply(t: ReviewedTemplate, step: ReviewStep): Promise<unknown> {
    const ids = { wabaId: t.wabaId, templateId: t.id, name: t.name, language: t.language };
    if ('status' in step) {
      t.status = step.status === 'REINSTATED' ? 'APPROVED' : step.status;
      if (step.status === 'REJECTED') t.rejectedReason = step.reason ?? 'INVALID_FORMAT';
      else delete t.rejectedReason;
      const extra =
        step.status === 'PAUSED'
          ? { other_info: { title: 'FIRST_PAUSE', description: 'Your template has been paused because of low quality (customer feedback).' } }
          : step.status === 'DISABLED'
            ? { disable_info: { disable_date: new Date().toISOString() } }
            : {};
      return deps.deliverWebhook(templateStatusWebhook({ ...ids, event: step.status, ...(step.status === 'REJECTED' ? { reason: t.rejectedReason! } : step.reason ? { reason: step.reason } : {}), extra }));
    }
    if ('category' in step) {
      const previous = t.category;
      t.category = step.category;
      return deps.deliverWebhook(templateCategoryWebhook({ ...ids, previous, next: step.category }));
    }
    const previous = t.quality;
    t.quality = step.quality;
    return deps.deliverWebhook(templateQualityWebhook({ ...ids, previous, next: step.quality }));
  }

  /** Runs the steps in order, each after its delay; resolves when every webhook was delivered. */
  async function play(t: ReviewedTemplate, steps: ReviewStep[]): Promise<unknown[]> {
    const deliveries: unknown[] = [];
    for (const step of steps) {
      if (step.afterMs) await deps.later(step.afterMs);
      deliveries.push(await apply(t, step));
    }
    return deliveries;
  }

  return {
    play,
    /** Scripts the review of the next template created or edited under this name. */
    script(name: string, steps: ReviewStep[]): void {
      scripted.set(name, steps);
    },
    /** A template was submitted (created or edited): plays its script, else the default play, in the background. */
    submitted(t: ReviewedTemplate): void {
      const steps = scripted.get(t.name) ?? defaultPlay;
      scripted.delete(t.name);
      if (steps.length > 0) void play(t, steps);
    },
  };
}
