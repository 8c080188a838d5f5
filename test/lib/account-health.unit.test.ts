/**
 * The account-health events read from Meta's documented example payloads (the webhooks reference's samples, values as
 * Meta prints them), and the pricing KPIs from the per-message pricing page's `pricing` objects. Pure: no service.
 */
import { PricingAccumulator } from '../../analytics/pricing.kpis';
import {
  AccountAlertsValue,
  AccountUpdateValue,
  PhoneQualityValue,
  UserPreferencesValue,
  accountAlertsVerdict,
  accountUpdateVerdict,
  phoneQualityVerdict,
  templateStatusVerdict,
} from '../../services/account-health.events';
import { meaningOf } from '../../lib/meta-errors';
import * as sim from '../../simulator/account-health';

describe("Meta's account-health payloads", () => {
  it('holds campaigns for a FLAGGED number and lifts the hold on UNFLAGGED; a limit change only informs', () => {
    // phone_number_quality_update reference, example
    const sample = { display_phone_number: '15550783881', event: 'THROUGHPUT_UPGRADE', current_limit: 'TIER_UNLIMITED' };
    expect(phoneQualityVerdict(PhoneQualityValue.parse(sample))).toMatchObject({ severity: 'info' });
    expect(phoneQualityVerdict(PhoneQualityValue.parse({ ...sample, event: 'FLAGGED' }))).toMatchObject({ severity: 'critical', hold: 'place' });
    expect(phoneQualityVerdict(PhoneQualityValue.parse({ ...sample, event: 'UNFLAGGED' }))).toMatchObject({ hold: 'lift' });
    expect(phoneQualityVerdict(PhoneQualityValue.parse({ ...sample, event: 'DOWNGRADE', old_limit: 'TIER_10K', current_limit: 'TIER_2K' }))).toMatchObject({
      severity: 'warning',
      details: 'messaging limit from TIER_10K to TIER_2K',
    });
  });

  it('holds campaigns of a restricted (business-initiated messaging), disabled or deleted account, and lifts on REINSTATE', () => {
    const restriction = { event: 'ACCOUNT_RESTRICTION', restriction_info: [{ restriction_type: 'RESTRICTED_BIZ_INITIATED_MESSAGING', expiration: '2026-04-19T13:59:20+0000' }] };
    expect(accountUpdateVerdict(AccountUpdateValue.parse(restriction))).toMatchObject({ hold: 'place', severity: 'critical', details: expect.stringContaining('RESTRICTED_BIZ_INITIATED_MESSAGING until') });
    const addNumber = { event: 'ACCOUNT_RESTRICTION', restriction_info: [{ restriction_type: 'RESTRICTED_ADD_PHONE_NUMBER_ACTION', expiration: '2026-04-19T13:59:20+0000' }] };
    expect(accountUpdateVerdict(AccountUpdateValue.parse(addNumber)).hold).toBeUndefined();
    expect(accountUpdateVerdict(AccountUpdateValue.parse({ event: 'DISABLED_UPDATE', ban_info: { waba_ban_state: 'DISABLE', waba_ban_date: 'October 9, 2025' } }))).toMatchObject({ hold: 'place' });
    expect(accountUpdateVerdict(AccountUpdateValue.parse({ event: 'DISABLED_UPDATE', ban_info: { waba_ban_state: 'REINSTATE', waba_ban_date: 'October 9, 2025' } }))).toMatchObject({ hold: 'lift' });
    expect(accountUpdateVerdict(AccountUpdateValue.parse({ event: 'ACCOUNT_VIOLATION', violation_info: { violation_type: 'SCAM' } }))).toMatchObject({ severity: 'warning', details: 'SCAM' });
    expect(accountUpdateVerdict(AccountUpdateValue.parse({ event: 'PARTNER_APP_INSTALLED' }))).toMatchObject({ severity: 'info' });
    expect(AccountUpdateValue.safeParse({ ban_info: {} }).success).toBe(false);
  });

  it("keeps an account_alerts alert in Meta's words with its severity", () => {
    const sample = {
      entity_type: 'BUSINESS',
      entity_id: '506914307656634',
      alert_info: {
        alert_severity: 'WARNING',
        alert_status: 'ACTIVE',
        alert_type: 'INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED',
        alert_description: 'Limits cannot be increased for your business Jaspers Market. Use WhatsApp Business platform actively for several days and follow our messaging policies.',
      },
    };
    expect(accountAlertsVerdict(AccountAlertsValue.parse(sample))).toMatchObject({ severity: 'warning', whatToDo: sample.alert_info.alert_description });
  });

  it('reads user_preferences as the reference prints it (timestamp a number)', () => {
    const value = {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
      contacts: [{ wa_id: '16505551234' }],
      user_preferences: [{ wa_id: '16505551234', detail: 'User requested to resume marketing messages', category: 'marketing_messages', value: 'resume', timestamp: 1731705721 }],
    };
    expect(UserPreferencesValue.parse(value).user_preferences[0]).toMatchObject({ value: 'resume', timestamp: 1731705721 });
  });

  it('holds a paused or disabled template, lifts on REINSTATED', () => {
    expect(templateStatusVerdict('PAUSED')).toMatchObject({ hold: 'place' });
    expect(templateStatusVerdict('DISABLED')).toMatchObject({ hold: 'place' });
    expect(templateStatusVerdict('REINSTATED')).toMatchObject({ hold: 'lift' });
    expect(templateStatusVerdict('PENDING')).toBeUndefined();
  });
});

describe("WhatsApp's marketing error codes (lib/meta-errors.ts)", () => {
  it('131049 is final with its meaning, 131050 records an opt-out, 131048 holds marketing and alerts: none retried', () => {
    expect(meaningOf(131049)).toMatchObject({ action: 'refuse', meaning: expect.stringContaining('per-user marketing limit') });
    expect(meaningOf(131050)).toMatchObject({ action: 'refuse', consequence: 'marketingOptOut' });
    expect(meaningOf(131048)).toMatchObject({ action: 'alert', consequence: 'holdMarketing' });
  });
});

describe('pricing KPIs', () => {
  it('counts billable (type regular) and free messages by category, and estimates the cost from the rate card', () => {
    const kpis = new PricingAccumulator();
    kpis.add([
      { billable: true, model: 'PMP', type: 'regular', category: 'marketing' },
      { billable: true, model: 'PMP', type: 'regular', category: 'marketing' },
      { billable: true, model: 'PMP', type: 'regular', category: 'utility' },
      { billable: false, model: 'PMP', type: 'free_customer_service', category: 'utility' },
      { billable: false, model: 'PMP', type: 'free_entry_point', category: 'marketing' },
      { billable: false, model: 'PMP', type: 'free_customer_service', category: 'service' },
      { billable: true, model: 'PMP', type: 'regular', category: 'authentication_international' },
      undefined,
    ]);
    expect(kpis.result({ currency: 'USD', rates: { marketing: 0.025, utility: 0.004 } })).toEqual({
      byCategory: {
        marketing: { billable: 2, free: 1 },
        utility: { billable: 1, free: 1 },
        service: { billable: 0, free: 1 },
        authentication_international: { billable: 1, free: 0 },
      },
      freeByType: { free_customer_service: 2, free_entry_point: 1 },
      unpriced: 1,
      costEstimate: { currency: 'USD', total: 0.054, byCategory: { marketing: 0.05, utility: 0.004 }, unratedCategories: ['authentication_international'] },
    });
    expect(kpis.result(null).costEstimate).toBeNull();
  });
});

describe("the simulator's account-health webhooks are Meta's documented examples", () => {
  const only = (body: { entry: { id: string; changes: { field: string; value: unknown }[] }[] }) => ({ id: body.entry[0]!.id, change: body.entry[0]!.changes[0] });

  it('user_preferences: the reference example, field for field', () => {
    const body = sim.userPreferencesWebhook({ wabaId: '102290129340398', phoneNumberId: '106540352242922', displayPhoneNumber: '15550783881', waId: '16505551234', value: 'resume', timestamp: 1731705721 });
    expect(only(body)).toEqual({
      id: '102290129340398',
      change: {
        field: 'user_preferences',
        value: {
          messaging_product: 'whatsapp',
          metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
          contacts: [{ wa_id: '16505551234' }],
          user_preferences: [{ wa_id: '16505551234', detail: 'User requested to resume marketing messages', category: 'marketing_messages', value: 'resume', timestamp: 1731705721 }],
        },
      },
    });
    expect(UserPreferencesValue.safeParse(only(body).change!.value).success).toBe(true);
  });

  it('phone_number_quality_update, account_update and account_alerts: the reference shapes, read back by the connector', () => {
    const quality = sim.phoneQualityWebhook({ wabaId: '102290129340398', displayPhoneNumber: '15550783881', event: 'THROUGHPUT_UPGRADE', currentLimit: 'TIER_UNLIMITED' });
    expect(only(quality).change).toEqual({ field: 'phone_number_quality_update', value: { display_phone_number: '15550783881', event: 'THROUGHPUT_UPGRADE', current_limit: 'TIER_UNLIMITED' } });
    const update = sim.accountUpdateWebhook({ wabaId: '102290129340398', event: 'DISABLED_UPDATE', banState: 'DISABLE', banDate: 'October 9, 2025' });
    expect(only(update).change).toEqual({ field: 'account_update', value: { event: 'DISABLED_UPDATE', ban_info: { waba_ban_state: 'DISABLE', waba_ban_date: 'October 9, 2025' } } });
    const alerts = sim.accountAlertsWebhook({ wabaId: '102290129340398', entityType: 'PHONE_NUMBER', entityId: '106540352242922', severity: 'INFORMATIONAL', type: 'OBA_APPROVED', description: 'Official business account approved.' });
    expect(AccountAlertsValue.parse(only(alerts).change!.value)).toMatchObject({ entity_type: 'PHONE_NUMBER', alert_info: { alert_severity: 'INFORMATIONAL', alert_status: 'ACTIVE', alert_type: 'OBA_APPROVED' } });
    expect(typeof (quality.entry[0] as { time?: unknown }).time).toBe('number');
  });
});
