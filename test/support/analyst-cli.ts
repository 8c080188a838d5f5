import { runAnalyst } from '../../analytics/analyst.cli';
import { TEST_PAYLOAD_KEYS } from './env';

export interface AnalystRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the `wa-analyst` tool in this process, as a user would from the shell (holding the rigs' payload keys), capturing what it prints. */
export async function analyst(...argv: string[]): Promise<AnalystRun> {
  let stdout = '';
  let stderr = '';
  const code = await runAnalyst(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } }, { TEMPORAL_PAYLOAD_KEYS: TEST_PAYLOAD_KEYS });
  return { code, stdout, stderr };
}
