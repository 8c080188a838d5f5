/**
 * The rig the retention tests share: the service with the simulator's business number registered (retention is set
 * and purged per number), and a teardown that deletes the `retention-purge` Schedule the test made under its own id
 * before stopping, so no Schedule outlives its test on the shared dev server.
 */
import { ScheduleNotFoundError } from '@temporalio/client';
import { BUSINESS_NUMBER_ID, startService, type ServiceRig } from './service';

export async function startRetentionRig(): Promise<ServiceRig> {
  const rig = await startService();
  const registered = await rig.requestAs('supervisor', 'POST', '/v1/numbers', {
    phoneNumberId: BUSINESS_NUMBER_ID,
    displayNumber: '+1 202 555 0107',
    verificationMethod: 'sms',
    ownership: { attestedBy: 'Grace, head of support', statement: true },
  });
  expect(registered.status).toBe(201);
  return rig;
}

export async function stopRetentionRig(rig: ServiceRig | undefined, scheduleId: string): Promise<void> {
  await rig?.temporal.schedule
    .getHandle(scheduleId)
    .delete()
    .catch((err: unknown) => {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    });
  await rig?.stop();
}
