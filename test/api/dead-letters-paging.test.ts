/**
 * An operator clearing a backlog reaches every dead letter: `GET /v1/dead-letters` pages newest first with
 * `?before=<the last letter's id of the page held>` and says `hasOlder`, as the thread does. Before, the route answered
 * the newest `limit` (at most 500) with no cursor, so older letters could not be listed. Letters sharing one arrival
 * time are told apart by id, so none is repeated or lost across pages.
 */
import { recordDeadLetter, type DeadLetter } from '../../store/dead-letters.store';
import { startService, type ServiceRig } from '../support/service';

let rig: ServiceRig;

beforeAll(async () => {
  rig = await startService();
}, 60_000);

afterAll(async () => {
  await rig?.stop();
});

const letter = (n: number, receivedAt: Date): DeadLetter => ({
  reason: 'field_not_handled',
  detail: `change ${n}`,
  field: 'account_review_update',
  raw: JSON.stringify({ decision: 'APPROVED', n }),
  receivedAt,
});

describe('GET /v1/dead-letters pages with ?before', () => {
  it('three pages of limit=2 cover five letters, none repeated or lost; an unknown before is a 404', async () => {
    const base = Date.UTC(2026, 0, 5, 10, 0, 0);
    // Three letters in one millisecond: only their ids order them.
    const times = [base, base + 1000, base + 1000, base + 1000, base + 2000];
    for (const [n, at] of times.entries()) expect(await recordDeadLetter(rig.store, letter(n, new Date(at)))).toBe(true);

    const seen: string[] = [];
    const hasOlder: boolean[] = [];
    let before: string | undefined;
    for (let page = 0; page < 3; page++) {
      const answer = await rig.requestAs('supervisor', 'GET', `/v1/dead-letters?limit=2${before ? `&before=${before}` : ''}`);
      expect(answer.status).toBe(200);
      const ids = (answer.body.deadLetters as { id: string }[]).map((l) => l.id);
      seen.push(...ids);
      hasOlder.push(answer.body.hasOlder);
      before = ids.at(-1);
    }
    expect(hasOlder).toEqual([true, true, false]);
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    const all = await rig.requestAs('supervisor', 'GET', '/v1/dead-letters?limit=500');
    expect(all.body).toMatchObject({ hasOlder: false });
    const receivedAt = (all.body.deadLetters as { receivedAt: string }[]).map((l) => Date.parse(l.receivedAt));
    expect(receivedAt).toEqual([...receivedAt].sort((a, b) => b - a));
    expect(seen).toEqual((all.body.deadLetters as { id: string }[]).map((l) => l.id));

    const unknown = await rig.requestAs('supervisor', 'GET', '/v1/dead-letters?limit=2&before=nope');
    expect(unknown.status).toBe(404);
    expect(unknown.contentType).toMatch(/^application\/problem\+json/);
    expect(unknown.body).toMatchObject({ code: 'unknown_dead_letter' });
    const twice = await rig.requestAs('supervisor', 'GET', `/v1/dead-letters?before=${seen[0]}&before=${seen[1]}`);
    expect(twice.body).toMatchObject({ code: 'invalid_request', detail: 'before given twice' });
  }, 60_000);
});
