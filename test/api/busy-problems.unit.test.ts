/**
 * What Temporal answers a burst of Updates to one workflow, as the API words it (api/problem.ts): never a 500. The
 * errors are built as @temporalio/client 1.24 throws them; test/e2e/busy-conversation.test.ts meets the first for
 * real, through a worker that leaves the Update unprocessed.
 */
import { ServiceError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { problemOf } from '../../api/problem';

/** The gRPC error the client wraps: `code` as @grpc/grpc-js sets it (8 RESOURCE_EXHAUSTED, 14 UNAVAILABLE). */
const grpc = (code: number, details: string) => Object.assign(new Error(details), { code, details });

describe('a busy conversation, as the API answers it', () => {
  it("Temporal's rejection of an Update no worker took (UnprocessedUpdate) is 429 too_many_in_flight, retry after 1 s", () => {
    const unprocessed = ApplicationFailure.create({ type: 'UnprocessedUpdate', nonRetryable: true, message: "Workflow Update is rejected because it wasn't processed by worker. Probably, Workflow Update is not supported by the worker." });
    expect(problemOf(new WorkflowUpdateFailedError('Workflow Update failed', unprocessed))).toMatchObject({ status: 429, code: 'too_many_in_flight', retryAfterSeconds: 1 });
  });

  it('past history.maxInFlightUpdates (RESOURCE_EXHAUSTED) is 429 too_many_in_flight, retry after 1 s', () => {
    const exhausted = new ServiceError('Update-With-Start failed', { cause: grpc(8, 'limit on number of concurrent in-flight updates has been reached (10)') });
    expect(problemOf(exhausted)).toMatchObject({ status: 429, code: 'too_many_in_flight', retryAfterSeconds: 1 });
  });

  it('an Update Temporal aborted (UNAVAILABLE) is 503 temporarily_unavailable, retry after 1 s', () => {
    const aborted = new ServiceError('Update-With-Start failed', { cause: grpc(14, 'workflow update was aborted') });
    expect(problemOf(aborted)).toMatchObject({ status: 503, code: 'temporarily_unavailable', retryAfterSeconds: 1 });
  });

  it("an Update the workflow itself failed stays what it was (a refusal by its code; anything else 500)", () => {
    expect(problemOf(new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ type: 'not_assigned', nonRetryable: true })))).toMatchObject({ status: 403, code: 'not_assigned' });
    expect(problemOf(new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ type: 'SomethingElse' })))).toMatchObject({ status: 500, code: 'internal' });
  });
});
