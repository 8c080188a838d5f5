import { randomUUID } from 'node:crypto';
import { dataConverterFor, parsePayloadKeys } from '../../lib/payload-codec';

/**
 * The payload keys every test rig's clients and workers share (as TEMPORAL_PAYLOAD_KEYS), newest first: tests see
 * the codec at work, and `test-0` lets a test show a history written with an older key still decodes.
 */
export const TEST_PAYLOAD_KEYS = 'test-1:dGVzdC1rZXktMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=,test-0:b2xkLXRlc3Qta2V5LTAwMDAwMDAwMDAwMDAwMDAwMDA=';
export const testPayloadKeys = parsePayloadKeys(TEST_PAYLOAD_KEYS);
/** The data converter of the test rigs' Temporal clients. */
export const testDataConverter = dataConverterFor(testPayloadKeys);

/** Addresses the jest global set-up exported: the shared dev server, the MongoDB-wire store, the workflow bundle. */
export function testEnv(): { temporalAddress: string; mongoUrl: string; workflowBundlePath: string } {
  const temporalAddress = process.env.TEST_TEMPORAL_ADDRESS;
  const mongoUrl = process.env.TEST_MONGODB_URL;
  const workflowBundlePath = process.env.TEST_WORKFLOW_BUNDLE;
  if (!temporalAddress || !mongoUrl || !workflowBundlePath) {
    throw new Error('test servers are not running: run the tests through jest (its global set-up starts them)');
  }
  return { temporalAddress, mongoUrl, workflowBundlePath };
}

/** A unique name for a task queue, database or id, so tests sharing servers never see each other's data. */
export function uniqueId(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
}
