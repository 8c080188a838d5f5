import { z } from 'zod';
import type { AlertSeverity } from '../store/health.store';

/**
 * Meta's account-health webhooks, read as their reference pages document them, and what each means for supervisors:
 * the alert's words and whether it holds campaigns. Pure: no I/O (services/account-health.ts applies them).
 */
const REF = 'https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference';
export const pages = {
  accountUpdate: `${REF}/account_update`,
  phoneQuality: `${REF}/phone_number_quality_update`,
  accountAlerts: `${REF}/account_alerts`,
  templateStatus: `${REF}/message_template_status_update`,
  templateQuality: `${REF}/message_template_quality_update`,
  userPreferences: `${REF}/user_preferences`,
  messagesErrors: `${REF}/messages/errors`,
  qualityRating: 'https://developers.facebook.com/documentation/business-messaging/whatsapp/messaging-limits#quality-rating',
  errorCodes: 'https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes',
};

/** `phone_number_quality_update`: names the number by its display number only. */
export const PhoneQualityValue = z.looseObject({
  display_phone_number: z.string().min(1),
  event: z.string().min(1),
  current_limit: z.string().optional(),
  old_limit: z.string().optional(),
  max_daily_conversations_per_business: z.string().optional(),
});

/** `account_update`: the WABA is the entry's id; the parts present depend on `event`. */
export const AccountUpdateValue = z.looseObject({
  event: z.string().min(1),
  ban_info: z.looseObject({ waba_ban_state: z.string().optional(), waba_ban_date: z.string().optional() }).optional(),
  restriction_info: z.array(z.looseObject({ restriction_type: z.string(), expiration: z.string().optional() })).optional(),
  violation_info: z.looseObject({ violation_type: z.string().optional() }).optional(),
});

/** `account_alerts`: an alert about the business portfolio or a number, in Meta's words. */
export const AccountAlertsValue = z.looseObject({
  entity_type: z.string().min(1),
  entity_id: z.union([z.string(), z.number()]).transform(String),
  alert_info: z.looseObject({
    alert_severity: z.string().min(1),
    alert_status: z.string().optional(),
    alert_type: z.string().min(1),
    alert_description: z.string().optional(),
  }),
});

/** `user_preferences`: a person stopped or resumed marketing messages (Offers and announcements). */
export const UserPreferencesValue = z.looseObject({
  metadata: z.looseObject({ phone_number_id: z.string().min(1) }),
  user_preferences: z
    .array(
      z.looseObject({
        wa_id: z.string().min(1).optional(),
        user_id: z.string().min(1).optional(),
        category: z.string().min(1),
        value: z.string().min(1),
        detail: z.string().optional(),
        timestamp: z.union([z.number(), z.string().regex(/^\d{1,12}$/)]).transform(Number),
      }),
    )
    .min(1),
});

/**
 * One entry of a `messages` change's `errors[]` (Meta's "errors messages webhook"): a system-, app- or account-level
 * problem that kept WhatsApp from processing a request, outside any message or status. The ingest hands each with the
 * change's metadata.
 */
export const MessagesErrorValue = z.looseObject({
  metadata: z.looseObject({ phone_number_id: z.string().min(1) }),
  error: z.looseObject({
    code: z.number().int(),
    title: z.string().optional(),
    message: z.string().optional(),
    error_data: z.looseObject({ details: z.string().optional() }).optional(),
  }),
});

/** What an event says to supervisors, and what it holds or lifts. */
export interface HealthVerdict {
  severity: AlertSeverity;
  title: string;
  whatToDo: string;
  source: string;
  details?: string;
  /** Place this hold (campaigns pause) or lift it (WhatsApp's all-clear). */
  hold?: 'place' | 'lift';
}

const QUALITY: Record<string, Omit<HealthVerdict, 'source'>> = {
  FLAGGED: {
    severity: 'critical',
    hold: 'place',
    title: 'Quality rating is low (RED): the number is flagged',
    whatToDo:
      "Campaigns from this number are paused. In WhatsApp Manager, check the number's quality rating and the reasons people blocked or reported it; send only templates people opted into, and stop the template that drew complaints. Resolve this alert to resume (or keep) the paused campaigns.",
  },
  UNFLAGGED: {
    severity: 'info',
    hold: 'lift',
    title: 'Quality rating recovered: the number is no longer flagged',
    whatToDo: 'Campaigns paused for the low rating stay paused until you resume them (resolve their alert, or resume each campaign).',
  },
  DOWNGRADE: { severity: 'warning', title: 'Messaging limit decreased', whatToDo: 'Fewer customers can be messaged outside their window per 24 hours; large campaigns will wait for the tier.' },
  UPGRADE: { severity: 'info', title: 'Messaging limit increased', whatToDo: 'Nothing to do.' },
  THROUGHPUT_UPGRADE: { severity: 'info', title: 'Throughput increased', whatToDo: 'Nothing to do; the send rate is set by WHATSAPP_SEND_RATE_PER_SECOND.' },
  ONBOARDING: { severity: 'info', title: 'The number is still being registered', whatToDo: 'Wait for registration to finish before sending.' },
};

export function phoneQualityVerdict(value: z.infer<typeof PhoneQualityValue>): HealthVerdict {
  const known = QUALITY[value.event] ?? { severity: 'info' as const, title: `Phone number quality event ${value.event}`, whatToDo: 'See Meta’s page.' };
  const limits = [value.old_limit && `from ${value.old_limit}`, value.current_limit && `to ${value.current_limit}`].filter(Boolean).join(' ');
  return { ...known, source: pages.phoneQuality, ...(limits ? { details: `messaging limit ${limits}` } : {}) };
}

/** Restrictions that stop business-initiated (campaign) or all messaging; adding numbers does not. */
const MESSAGING_RESTRICTIONS = new Set(['RESTRICTED_BIZ_INITIATED_MESSAGING', 'RESTRICTED_CUSTOMER_INITIATED_MESSAGING']);

export function accountUpdateVerdict(value: z.infer<typeof AccountUpdateValue>): HealthVerdict {
  const source = pages.accountUpdate;
  if (value.event === 'ACCOUNT_RESTRICTION') {
    const types = (value.restriction_info ?? []).map((r) => `${r.restriction_type}${r.expiration ? ` until ${r.expiration}` : ''}`);
    const holds = (value.restriction_info ?? []).some((r) => MESSAGING_RESTRICTIONS.has(r.restriction_type));
    return {
      severity: holds ? 'critical' : 'warning',
      ...(holds ? { hold: 'place' as const } : {}),
      title: 'WhatsApp restricted the account',
      whatToDo: `${holds ? 'Campaigns on every number of this account are paused. ' : ''}Review the policy violation in WhatsApp Manager's Account quality page; a restriction ends at its expiry. Resolve this alert to resume (or keep) the paused campaigns.`,
      source,
      details: types.join('; ') || 'no restriction_info',
    };
  }
  if (value.event === 'DISABLED_UPDATE') {
    const state = value.ban_info?.waba_ban_state ?? 'unknown';
    if (state === 'REINSTATE') {
      return { severity: 'info', hold: 'lift', title: 'WhatsApp reinstated the account', whatToDo: 'Paused campaigns stay paused until you resume them.', source, details: `waba_ban_state ${state}` };
    }
    return {
      severity: 'critical',
      hold: 'place',
      title: state === 'SCHEDULE_FOR_DISABLE' ? 'WhatsApp will disable the account' : 'WhatsApp disabled the account',
      whatToDo: "Campaigns on every number of this account are paused. Request a review in WhatsApp Manager's Account quality page.",
      source,
      details: [`waba_ban_state ${state}`, value.ban_info?.waba_ban_date && `on ${value.ban_info.waba_ban_date}`].filter(Boolean).join(' '),
    };
  }
  if (value.event === 'ACCOUNT_VIOLATION') {
    return {
      severity: 'warning',
      title: 'Policy violation on the account',
      whatToDo: "Review the violation in WhatsApp Manager's Account quality page and change what was sent; further violations lead to restrictions.",
      source,
      details: value.violation_info?.violation_type ?? '',
    };
  }
  if (value.event === 'ACCOUNT_DELETED') {
    return { severity: 'critical', hold: 'place', title: 'The WhatsApp Business Account was deleted', whatToDo: 'Campaigns on its numbers are paused; move the numbers to another account.', source };
  }
  return { severity: 'info', title: `Account update ${value.event}`, whatToDo: 'For information; see Meta’s page for this event.', source };
}

const ALERT_SEVERITY: Record<string, AlertSeverity> = { CRITICAL: 'critical', WARNING: 'warning', INFORMATIONAL: 'info' };

export function accountAlertsVerdict(value: z.infer<typeof AccountAlertsValue>): HealthVerdict {
  const info = value.alert_info;
  return {
    severity: ALERT_SEVERITY[info.alert_severity] ?? 'warning',
    title: `${info.alert_type.replace(/_/g, ' ').toLowerCase()} (${value.entity_type.toLowerCase()} ${value.entity_id})`,
    // Meta's description says what can be done (account_alerts reference).
    whatToDo: info.alert_description ?? 'See Meta’s page for this alert type.',
    source: pages.accountAlerts,
    details: `${info.alert_type}, status ${info.alert_status ?? 'unknown'}`,
  };
}

/** message_template_status_update events that hold (PAUSED, DISABLED, DELETED) or release campaigns of that template. */
export function templateStatusVerdict(event: string, reason?: string): HealthVerdict | undefined {
  const source = pages.templateStatus;
  if (event === 'PAUSED') {
    return {
      severity: 'critical',
      hold: 'place',
      title: 'WhatsApp paused a template for low quality',
      whatToDo: 'Campaigns sending it are paused. Edit the template (people reported or blocked it) or wait for WhatsApp to reinstate it; then resolve this alert to resume the campaigns.',
      source,
      ...(reason ? { details: reason } : {}),
    };
  }
  if (event === 'DELETED') {
    return {
      severity: 'critical',
      hold: 'place',
      title: 'A template was deleted at WhatsApp',
      whatToDo: 'Campaigns sending it are paused: nothing more can be sent with it. Create it again (POST /v1/templates submits it anew) and resolve this alert once it is approved, or cancel the campaigns and start new ones with another template.',
      source,
      ...(reason ? { details: reason } : {}),
    };
  }
  if (event === 'DISABLED') {
    return { severity: 'critical', hold: 'place', title: 'WhatsApp disabled a template', whatToDo: 'Campaigns sending it are paused; create a new template and start a new campaign with it.', source, ...(reason ? { details: reason } : {}) };
  }
  if (event === 'REINSTATED' || event === 'APPROVED') {
    return { severity: 'info', hold: 'lift', title: `Template ${event.toLowerCase()}`, whatToDo: 'Campaigns paused for it stay paused until you resume them.', source };
  }
  return undefined;
}

export function templateQualityVerdict(score: string): HealthVerdict | undefined {
  if (score !== 'RED') return undefined;
  return {
    severity: 'warning',
    title: "A template's quality score fell to RED",
    whatToDo: 'People are blocking or reporting it; WhatsApp may pause it. Review its content and who it goes to.',
    source: pages.templateQuality,
  };
}

/** An errors webhook: a warning in Meta's words (code, title, details); it holds nothing, as no send is named. */
export function messagesErrorVerdict(error: z.infer<typeof MessagesErrorValue>['error'], meaning?: string): HealthVerdict {
  const title = error.title ?? error.message?.replace(/^\(#\d+\)\s*/, '') ?? 'error';
  return {
    severity: 'warning',
    title: `WhatsApp reported an error for this number: (#${error.code}) ${title}`,
    whatToDo: `WhatsApp could not process a request (a system-, app- or account-level problem, not one message).${meaning ? ` ${meaning}` : ''} Look the code up on Meta's error codes page (${pages.errorCodes}) and resolve this alert once it is dealt with.`,
    source: pages.messagesErrors,
    ...(error.error_data?.details ? { details: error.error_data.details } : {}),
  };
}
