import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Compose v2 (`docker compose`) where the plugin is installed, else Debian's docker-compose. */
function composeCommand(): string[] | undefined {
  for (const candidate of [['docker', 'compose'], ['docker-compose']]) {
    try {
      execFileSync(candidate[0]!, [...candidate.slice(1), 'version'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // not installed; try the next
    }
  }
  return undefined;
}

const compose = composeCommand();
const file = join(__dirname, '../../docker-compose.yml');
const run = (env: Record<string, string>) =>
  execFileSync(compose![0]!, [...compose!.slice(1), '-f', file, 'config'], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', stdio: 'pipe' });

// .ci/run installs Debian's docker-compose, so in CI this always runs; without any compose it has nothing to call.
(compose ? describe : describe.skip)('docker-compose.yml (production deployment)', () => {
  it('is accepted by compose with the secrets given, and wires worker and API to Temporal and MongoDB', () => {
    const rendered = run({ WHATSAPP_ACCESS_TOKEN: 't', WHATSAPP_APP_SECRET: 's', WHATSAPP_VERIFY_TOKEN: 'v', TEMPORAL_PAYLOAD_KEYS: 'k1:dGVzdC1rZXktMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=' });
    for (const service of ['temporal-db:', 'temporal:', 'mongodb:', 'worker:', 'api:']) expect(rendered).toContain(service);
    expect(rendered).toContain('TEMPORAL_ADDRESS: temporal:7233');
    expect(rendered).toContain('MONGODB_URL: mongodb://mongodb:27017/');
  });

  it('refuses to render without the broker secrets', () => {
    expect(() => run({})).toThrow(/access token|WHATSAPP_ACCESS_TOKEN/);
  });
});
