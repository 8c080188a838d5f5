import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parse } from 'yaml';

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

const secrets = { WHATSAPP_ACCESS_TOKEN: 't', WHATSAPP_APP_SECRET: 's', WHATSAPP_VERIFY_TOKEN: 'v', TEMPORAL_PAYLOAD_KEYS: 'k1:dGVzdC1rZXktMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=' };

interface Rendered {
  services: Record<string, {
    image?: string;
    command?: string[];
    restart?: string;
    depends_on?: Record<string, { condition: string }>;
    environment?: Record<string, string>;
    healthcheck?: { test?: string[] };
    deploy?: { resources?: { limits?: { memory?: string | number } } };
  }>;
}

// .ci/run installs Debian's docker-compose, so in CI this always runs; without any compose it has nothing to call.
(compose ? describe : describe.skip)('docker-compose.yml (production deployment)', () => {
  it('is accepted by compose with the secrets given, and wires worker and API to Temporal and MongoDB', () => {
    const rendered = run(secrets);
    for (const service of ['temporal-db:', 'temporal:', 'mongodb:', 'worker:', 'api:']) expect(rendered).toContain(service);
    expect(rendered).toContain('TEMPORAL_ADDRESS: temporal:7233');
    expect(rendered).toContain('MONGODB_URL: mongodb://mongodb:27017/');
  });

  it("runs Temporal as Temporal recommends: the server image after an admin-tools schema job, never auto-setup", () => {
    const { services } = parse(run(secrets)) as Rendered;
    const images = Object.values(services).map((s) => s.image ?? '');
    expect(images.filter((image) => image.includes('auto-setup'))).toEqual([]);
    expect(services.temporal!.image).toMatch(/^temporalio\/server:\d+\.\d+\.\d+$/);
    const release = services.temporal!.image!.split(':')[1];
    expect(services['temporal-schema']!.image).toBe(`temporalio/admin-tools:${release}`);
    expect(services.temporal!.depends_on).toMatchObject({ 'temporal-schema': { condition: 'service_completed_successfully' } });
    expect(services.worker!.depends_on).toMatchObject({ 'temporal-namespace': { condition: 'service_completed_successfully' }, mongodb: { condition: 'service_healthy' } });
  });

  it('runs MongoDB as a replica set the connector names, with health checks and resource limits on every long-running service', () => {
    const { services } = parse(run(secrets)) as Rendered;
    expect(services.mongodb!.command).toEqual(expect.arrayContaining(['--replSet', 'rs0']));
    expect(services.worker!.environment!.MONGODB_URL).toBe('mongodb://mongodb:27017/?replicaSet=rs0');
    const longRunning = Object.entries(services).filter(([, s]) => s.restart === 'unless-stopped');
    expect(longRunning.map(([name]) => name).sort()).toEqual(['api', 'mongodb', 'temporal', 'temporal-db', 'temporal-ui', 'worker']);
    for (const [name, service] of longRunning) {
      // Compose v1 renders the limit as written (1g), v2 in bytes.
      expect([name, String(service.deploy?.resources?.limits?.memory)]).toEqual([name, expect.stringMatching(/^\d+[kmg]?$/i)]);
      if (name !== 'temporal-ui') expect([name, service.healthcheck?.test]).toEqual([name, expect.anything()]);
    }
    expect(services.worker!.environment!.WORKER_HEALTH_PORT).toBe('3001');
  });

  it('refuses to render without the broker secrets', () => {
    expect(() => run({})).toThrow(/access token|WHATSAPP_ACCESS_TOKEN/);
  });
});
