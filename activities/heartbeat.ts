import { Context } from '@temporalio/activity';

/** The running activity's context, or undefined outside an activity (a test calling an activity's function itself). */
export function currentActivity(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/**
 * Runs `work` while heartbeating every `everyMs`, so Temporal notices within the activity's heartbeat timeout when an
 * attempt is gone (the worker died, or its completion was lost while the server restarted) instead of waiting out a
 * start-to-close timeout sized for a 100 MB upload. Outside an activity (a direct call in a test) it just runs `work`.
 */
export async function withHeartbeat<T>(work: () => Promise<T>, everyMs = 5_000): Promise<T> {
  const context = currentActivity();
  if (!context) return work();
  const beat = setInterval(() => context.heartbeat(), everyMs);
  try {
    return await work();
  } finally {
    clearInterval(beat);
  }
}
