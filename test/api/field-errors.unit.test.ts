/**
 * A 400's `errors[].path` names the field as the request spells it (README, *A session to paste*), an unknown one too:
 * `GET …/messages?page=2` answered `{"in":"query","path":"","message":"Unrecognized key: \"page\""}` (found by a
 * fresh user), leaving a client to read the field's name out of the message.
 */
import { z } from 'zod';
import { fieldErrorsOf } from '../../api/request';

describe('field errors of an unknown key', () => {
  it('names the unknown query parameter in path', () => {
    const parsed = z.strictObject({ limit: z.coerce.number().optional() }).safeParse({ page: '2' });
    expect(parsed.success).toBe(false);
    expect(fieldErrorsOf('query', parsed.error!.issues)).toEqual([{ in: 'query', path: 'page', message: 'Unrecognized key: "page"' }]);
  });

  it('names each unknown body field under its object, one error per key', () => {
    const schema = z.strictObject({ message: z.strictObject({ components: z.array(z.strictObject({ type: z.string() })) }) });
    const parsed = schema.safeParse({ message: { components: [{ type: 'body', fallback_value: '$1', amount_1000: 1000 }] } });
    expect(fieldErrorsOf('body', parsed.error!.issues)).toEqual([
      { in: 'body', path: 'message.components.0.fallback_value', message: 'Unrecognized key: "fallback_value"' },
      { in: 'body', path: 'message.components.0.amount_1000', message: 'Unrecognized key: "amount_1000"' },
    ]);
  });

  it('keeps other issues as they were, prefixed with the parameter name', () => {
    const parsed = z.number().safeParse('x');
    expect(fieldErrorsOf('query', parsed.error!.issues, 'limit')).toEqual([{ in: 'query', path: 'limit', message: 'Invalid input: expected number, received string' }]);
  });
});
