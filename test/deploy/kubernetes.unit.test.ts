/**
 * The Kubernetes manifests (deploy/kubernetes/) against the Kubernetes API's own schemas, strictly (no unknown
 * field), with kubernetes-validate from PyPI (.ci/run installs the pinned version into .tools/python), and what the
 * README promises of them: the API and the worker scale apart, each probed and with resources, and every setting
 * they pass is one the connector reads.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ConfigSchema } from '../../lib/config';

const dir = join(__dirname, '../../deploy/kubernetes');
const notResources = new Set(['kustomization.yaml', 'temporal-values.yaml']);
const manifests = readdirSync(dir).filter((f) => f.endsWith('.yaml') && !notResources.has(f));

/** The pinned validator where .ci/run installed it, else one on PATH. */
function validator(): string | undefined {
  const local = join(__dirname, '../../.tools/python/bin/kubernetes-validate');
  if (existsSync(local)) return local;
  return spawnSync('kubernetes-validate', ['--version']).status === 0 ? 'kubernetes-validate' : undefined;
}
const validate = validator();
// In CI the validator is always installed: a missing one fails there instead of skipping.
if (!validate && process.env.CI) throw new Error('kubernetes-validate is not installed (.ci/run installs it into .tools/python)');

const validateFiles = (files: string[]) => spawnSync(validate!, ['--strict', ...files], { encoding: 'utf8' });

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests are arbitrary YAML documents
const load = (file: string): any => parse(readFileSync(join(dir, file), 'utf8'));

(validate ? describe : describe.skip)('the Kubernetes manifests under the Kubernetes API schemas', () => {
  it('are each a valid resource, with no unknown field', () => {
    const result = validateFiles(manifests.map((f) => join(dir, f)));
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/ERROR|failed/i);
    expect(result.status).toBe(0);
    expect(execFileSync(validate!, ['--version'], { encoding: 'utf8' }).trim()).toBe('1.37.0');
  });

  it('would refuse a Deployment with a wrong type or a misspelt field', () => {
    const broken = load('worker-deployment.yaml');
    broken.spec.replicas = 'two';
    broken.spec.template.spec.containers[0].resource = broken.spec.template.spec.containers[0].resources;
    const file = join(mkdtempSync(join(tmpdir(), 'k8s-')), 'broken.yaml');
    writeFileSync(file, JSON.stringify(broken));
    expect(validateFiles([file]).status).not.toBe(0);
  });
});

describe('the Kubernetes deployment', () => {
  it('applies every manifest but the example Secret through kustomization.yaml', () => {
    expect([...load('kustomization.yaml').resources].sort()).toEqual(manifests.filter((f) => f !== 'secret.example.yaml').sort());
  });

  it('runs the API and the worker as separate Deployments, each scaled by its own autoscaler, probed and with resources', () => {
    for (const [deployment, hpa, probePort] of [
      ['api-deployment.yaml', 'api-hpa.yaml', 'http'],
      ['worker-deployment.yaml', 'worker-hpa.yaml', 'health'],
    ] as const) {
      const d = load(deployment);
      expect(load(hpa).spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name });
      const container = d.spec.template.spec.containers[0];
      expect(container.readinessProbe.httpGet).toEqual({ path: '/healthz', port: probePort });
      expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: probePort });
      expect(container.resources.requests.cpu).toBeDefined();
      expect(container.resources.limits.memory).toBeDefined();
    }
    expect(load('api-deployment.yaml').spec.template.spec.containers[0].command).toEqual(['node', 'dist/bin/api.js']);
    expect(load('worker-deployment.yaml').spec.template.spec.containers[0].command).toEqual(['node', 'dist/bin/worker.js']);
  });

  it('passes only settings the connector reads, and points at the Helm chart’s Temporal and a MongoDB replica set', () => {
    const known = new Set(Object.keys(ConfigSchema.shape));
    const names = [
      ...Object.keys(load('configmap.yaml').data),
      ...Object.keys(load('secret.example.yaml').stringData),
      ...['api-deployment.yaml', 'worker-deployment.yaml'].flatMap((f) => load(f).spec.template.spec.containers[0].env.map((e: { name: string }) => e.name)),
    ];
    expect(names.filter((name) => !known.has(name))).toEqual([]);
    expect(load('configmap.yaml').data.TEMPORAL_ADDRESS).toBe('temporal-frontend.temporal.svc.cluster.local:7233');
    expect(load('secret.example.yaml').stringData.MONGODB_URL).toMatch(/replicaSet=/);
    const values = load('temporal-values.yaml');
    const namespace = values.server.config.namespaces.namespace.find((n: { name: string }) => n.name === load('configmap.yaml').data.TEMPORAL_NAMESPACE);
    // Closed histories are kept as long as the connector keeps the rest of a customer's data.
    expect(namespace.retention).toBe(`${load('configmap.yaml').data.RETENTION_DAYS}d`);
  });
});
