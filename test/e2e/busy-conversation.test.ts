/**
 * A fresh user's report: 20 replies sent at once to one conversation answered `202 500 500 202 …`, the 500s
 * `WorkflowUpdateFailedError: Workflow Update is rejected because it wasn't processed by worker` (Temporal rejects an
 * Update a worker completed its workflow task without taking, and refuses Updates past `history.maxInFlightUpdates`,
 * 10 per workflow by default). A busy conversation answers 429 `too_many_in_flight` (or 503) with Retry-After, never
 * 500 (README "Conversations"), and a retry under the same Idempotency-Key still sends the message once.
 */
import { eventually } from '../support/workflow-env';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from '../support/service';

interface Answer {
  key: string;
  status: number;
  retryAfter: string | null;
  body: { code?: string; status?: string; messageId?: string; retryAfterSeconds?: number };
}

async function post(rig: ServiceRig, path: string, key: string, body: unknown): Promise<Answer> {
  const response = await fetch(`${rig.baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${rig.keys.integrator}`, 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify(body),
  });
  return { key, status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Answer['body'] };
}

describe('many replies at once to one conversation', () => {
  let rig: ServiceRig;
  beforeAll(async () => {
    rig = await startService();
  }, 60_000);
  afterAll(async () => rig?.stop());

  const busy = (answer: Answer) => {
    expect(answer.body.code).toBe(answer.status === 429 ? 'too_many_in_flight' : 'temporarily_unavailable');
    expect([429, 503]).toContain(answer.status);
    expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
  };

  /** 20 replies at once to one new conversation, the refused ones retried as Retry-After asks; the first answers. */
  async function burst(customer: string): Promise<Answer[]> {
    const id = `wa:${BUSINESS_NUMBER_ID}:${customer}`;
    const reply = (key: string) => post(rig, `/v1/conversations/${encodeURIComponent(id)}/messages`, key, { message: { type: 'text', text: `reply ${key}` } });
    await rig.simulator.sendInboundText({ phoneNumberId: BUSINESS_NUMBER_ID, from: customer, text: 'Hello?' });
    await eventually(() => rig.request('GET', `/v1/conversations/${encodeURIComponent(id)}`), (r) => r.body.state === 'openSession', 30_000);

    const keys = Array.from({ length: 20 }, (_, i) => `burst-${i}`);
    const first = await Promise.all(keys.map(reply));
    first.filter((a) => a.status !== 202).forEach(busy);
    // Every key again, under the same key, until each is accepted: the accepted ones answer their first acceptance.
    const accepted = new Map(first.filter((a) => a.status === 202).map((a) => [a.key, a.body.messageId]));
    for (let round = 0; round < 20; round += 1) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      for (const answer of await Promise.all(keys.map(reply))) {
        if (answer.status !== 202) busy(answer);
        else if (accepted.has(answer.key)) expect(answer.body.messageId).toBe(accepted.get(answer.key));
        else accepted.set(answer.key, answer.body.messageId);
      }
      if (accepted.size === keys.length) break;
    }
    expect(accepted.size).toBe(keys.length);

    // Nothing lost, nothing twice: WhatsApp received each reply exactly once (the pacing per customer spaces them).
    const texts = () => rig.simulator.sent().filter((m) => m.to === customer).map((m) => (m.body as { text: { body: string } }).text.body);
    await eventually(texts, (t) => t.length >= keys.length, 90_000);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(texts().sort()).toEqual(keys.map((k) => `reply ${k}`).sort());
    return first;
  }

  it('answers each 202, or 429 too_many_in_flight / 503 with Retry-After, never 500; retried under the same key, each is sent once', async () => {
    const base = 15557300000 + Math.floor(Math.random() * 900_000);
    // Three conversations at once, 60 requests: Temporal's 10 in flight per workflow is passed on any machine.
    const answers = await Promise.all([0, 1, 2].map((i) => burst(String(base + i))));
    console.log(`20 concurrent replies to each of 3 conversations answered: ${answers.map((a) => a.map((x) => x.status).join(' ')).join(' | ')}`);
  }, 150_000);
});

/**
 * What the burst above meets when it is unlucky, made certain: a worker that completes the workflow task without
 * taking the Update (as the user's did under the burst). Temporal itself then rejects the Update, "wasn't processed by
 * worker"; nothing was recorded, so the caller is told to retry.
 */
describe('an Update Temporal rejects unprocessed', () => {
  let rig: ServiceRig;
  const stopPolling = new AbortController();
  let poller: Promise<void>;

  beforeAll(async () => {
    rig = await startService({ inProcessWorker: false });
    await rig.approveTemplate('order_update');
    const service = rig.temporal.connection.workflowService;
    poller = (async () => {
      while (!stopPolling.signal.aborted) {
        const { connection } = rig.temporal;
        const task = await connection
          .withAbortSignal(stopPolling.signal, () =>
            connection.withDeadline(Date.now() + 20_000, () => service.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: rig.taskQueue }, identity: 'lossy-worker' })),
          )
          .catch(() => undefined);
        if (!task?.taskToken?.length) continue;
        await service.respondWorkflowTaskCompleted({ namespace: 'default', taskToken: task.taskToken, commands: [], messages: [], identity: 'lossy-worker' }).catch(() => undefined);
      }
    })();
  }, 60_000);
  afterAll(async () => {
    stopPolling.abort();
    await poller;
    await rig?.stop();
  });

  it('answers 429 too_many_in_flight with Retry-After, not 500', async () => {
    const customer = String(15557300000 + Math.floor(Math.random() * 900_000));
    const start = await post(rig, '/v1/conversations', 'start-1', { businessNumberId: BUSINESS_NUMBER_ID, customer: { waId: customer }, template: { name: 'order_update', language: 'en_US' } });
    expect(start).toMatchObject({ status: 429, body: { code: 'too_many_in_flight', retryAfterSeconds: 1 } });
    expect(start.retryAfter).toBe('1');
    // Nothing reached WhatsApp.
    expect(rig.simulator.sent().filter((m) => m.to === customer)).toEqual([]);
  }, 60_000);
});
