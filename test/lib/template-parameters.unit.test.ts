import { checkParameters, renderBody } from '../../lib/template-parameters';
import type { TemplateDefinition } from '../../lib/template-definition';
import type { TemplateSendComponent } from '../../machines/conversation.types';

/**
 * Amounts and dates in a template send, as Meta's parameter object allows them: a body placeholder takes `text`,
 * `currency` or `date_time`; a header's takes text only.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/template-messages
 */
const invoice: TemplateDefinition = {
  header: { format: 'text', text: 'Invoice {{1}}', example: 'A-1' },
  body: { text: 'Hello {{1}}, your invoice of {{2}} is due on {{3}}.', examples: ['Ada', '$100.99', 'February 25, 1977'] },
};
const named: TemplateDefinition = { body: { text: 'Hi {{first_name}}, you owe {{amount}}.', examples: { first_name: 'Ada', amount: '$1' } } };
const currency = { type: 'currency', fallbackValue: '$100.99', code: 'USD', amount1000: 100990 } as const;
const dateTime = { type: 'date_time', fallbackValue: 'February 25, 1977' } as const;
const header: TemplateSendComponent = { type: 'header', parameters: [{ type: 'text', text: 'A-7' }] };

describe('currency and date_time template parameters', () => {
  it('fill body placeholders, and the preview shows their fallback values', () => {
    const given: TemplateSendComponent[] = [header, { type: 'body', parameters: [{ type: 'text', text: 'Ada' }, currency, dateTime] }];
    expect(checkParameters(invoice, given)).toEqual([]);
    expect(renderBody(invoice, given)).toBe('Hello Ada, your invoice of $100.99 is due on February 25, 1977.');
  });

  it('do not fill a header placeholder (body placeholders only, as Meta)', () => {
    const given: TemplateSendComponent[] = [{ type: 'header', parameters: [currency] }, { type: 'body', parameters: [{ type: 'text', text: 'Ada' }, currency, dateTime] }];
    expect(checkParameters(invoice, given)).toEqual([expect.objectContaining({ path: 'components.0.parameters.0.type', message: expect.stringContaining('body placeholders only') })]);
  });

  it('name their placeholder in a template with named placeholders, as text does', () => {
    const unnamed: TemplateSendComponent[] = [{ type: 'body', parameters: [{ type: 'text', text: 'Ada', name: 'first_name' }, currency] }];
    expect(checkParameters(named, unnamed)).toEqual([expect.objectContaining({ path: 'components.0.parameters.1.name' })]);
    const wrong: TemplateSendComponent[] = [{ type: 'body', parameters: [{ type: 'text', text: 'Ada', name: 'first_name' }, { ...currency, name: 'total' }] }];
    expect(checkParameters(named, wrong)).toEqual([expect.objectContaining({ path: 'components.0.parameters.1.name', message: expect.stringContaining('{{total}}') })]);
    const right: TemplateSendComponent[] = [{ type: 'body', parameters: [{ type: 'text', text: 'Ada', name: 'first_name' }, { ...currency, name: 'amount' }] }];
    expect(checkParameters(named, right)).toEqual([]);
    expect(renderBody(named, right)).toBe('Hi Ada, you owe $100.99.');
  });
});
