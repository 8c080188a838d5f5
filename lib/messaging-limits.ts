import type { Config } from './config';

/** WhatsApp's per-number limits as this connector applies them. */
export interface NumberLimits {
  /** Sends per second, enforced across workers by the Temporal server (the number's send lane). */
  sendRatePerSecond: number;
  /** Unique customers per moving 24 h that may get a template outside their window. */
  templateTier: number | 'unlimited';
}

/** Plain data (it crosses into activities and workflow results); read it with {@link limitsFor}. */
export interface MessagingLimits {
  defaults: NumberLimits;
  overrides: Record<string, Partial<NumberLimits>>;
  /** Least time between two sends to one customer. */
  customerPacingMs: number;
}

/** WhatsApp's defaults for a new number, with some of the 80/s throughput left to customers' messages. */
export const defaultMessagingLimits: MessagingLimits = {
  defaults: { sendRatePerSecond: 60, templateTier: 250 },
  overrides: {},
  customerPacingMs: 6_000,
};

/** The limits as configured (`WHATSAPP_*` settings in `lib/config.ts`). */
export function messagingLimitsFrom(
  config: Pick<Config, 'WHATSAPP_SEND_RATE_PER_SECOND' | 'WHATSAPP_TEMPLATE_TIER' | 'WHATSAPP_NUMBER_LIMITS' | 'WHATSAPP_CUSTOMER_PACING_MS'>,
): MessagingLimits {
  return {
    defaults: { sendRatePerSecond: config.WHATSAPP_SEND_RATE_PER_SECOND, templateTier: config.WHATSAPP_TEMPLATE_TIER },
    overrides: config.WHATSAPP_NUMBER_LIMITS ?? {},
    customerPacingMs: config.WHATSAPP_CUSTOMER_PACING_MS,
  };
}

/** One number's limits: its overrides over the defaults. */
export function limitsFor(limits: MessagingLimits, businessNumberId: string): NumberLimits {
  return { ...limits.defaults, ...limits.overrides[businessNumberId] };
}

/**
 * A business portfolio's messaging limit as configured, the fallback until WhatsApp reports one
 * (`business_capability_update`): the override under the portfolio's id, else (configurations from before portfolios)
 * the number's own, else the default. https://developers.facebook.com/documentation/business-messaging/whatsapp/messaging-limits
 */
export function configuredPortfolioTier(limits: MessagingLimits, portfolioId: string, businessNumberId: string): NumberLimits['templateTier'] {
  return limits.overrides[portfolioId]?.templateTier ?? limits.overrides[businessNumberId]?.templateTier ?? limits.defaults.templateTier;
}
