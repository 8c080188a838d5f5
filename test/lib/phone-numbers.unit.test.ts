import { checkCustomerNumber, normaliseCustomerNumber } from '../../lib/phone-numbers';

/**
 * Customer numbers as integrators type them. Meta's `to` is the number with its country code
 * (https://developers.facebook.com/docs/whatsapp/cloud-api/guides/send-messages#phone-number-formats): a number
 * written nationally must be refused, not read as if its first digits were a country code.
 */
describe('customer numbers', () => {
  it.each([
    ['+1 555 987 6543', '15559876543'],
    ['+1 (555) 010-4477', '15550104477'],
    ['0015550104477', '15550104477'],
    ['16505551234', '16505551234'], // Meta's own form: digits with country code
    ['15550000001', '15550000001'], // the fictional numbers tests and benchmarks use
    ['+33 6 12 34 56 78', '33612345678'],
    ['+44 20 7946 0958', '442079460958'],
    // WhatsApp's id for a Mexican mobile keeps the 1 after 52 (what webhooks carry); the number as dialled since 2019 has none
    ['5215512345678', '5215512345678'],
    ['+52 1 55 1234 5678', '5215512345678'],
    ['525512345678', '525512345678'],
    ['5491123456789', '5491123456789'], // Argentina's WhatsApp form (9 after 54)
  ])('accepts %s as %s', (text, digits) => {
    expect(normaliseCustomerNumber(text)).toBe(digits);
  });

  it.each([
    ['(555) 987-6543', 'missing_country_code'], // libphonenumber read it as +55 59876543 (Brazil)
    ['55 1234 5678', 'missing_country_code'], // Mexico City, written locally
    ['555-987-6543', 'missing_country_code'],
    ['06 12 34 56 78', 'missing_country_code'], // a trunk 0
    ['0612345678', 'missing_country_code'],
    ['+1-555-987-6543 ext. 12', 'extension'],
    ['+15559876543x12', 'extension'],
    ['+1 555', 'short_code'],
    ['call me', 'invalid_number'],
    ['52155123456', 'invalid_number'], // a 1 after 52 does not make any length possible
  ])('refuses %s (%s)', (text, refused) => {
    expect(normaliseCustomerNumber(text)).toBeUndefined();
    expect(checkCustomerNumber(text)).toMatchObject({ refused });
  });

  it('asks for the country code when it is missing', () => {
    expect(checkCustomerNumber('(555) 987-6543')).toMatchObject({ message: expect.stringContaining('country code') });
  });
});
