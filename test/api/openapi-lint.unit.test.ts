/**
 * The OpenAPI document passes Redocly's recommended rules (redocly.yaml lists each exception and why): servers, an
 * operationId per operation, a 4xx on every operation, required properties that exist. Client generators name
 * their methods after operationIds, so the test also holds the names stable.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openApiDocument } from '../../api/openapi';
import { operationIds } from '../../api/openapi.operations';

const root = join(__dirname, '../..');
const redocly = join(root, 'node_modules/.bin/redocly');

interface LintReport {
  totals: { errors: number; warnings: number; ignored: number };
  problems: { ruleId: string; message: string; location: { pointer: string }[] }[];
}

function lint(doc: unknown): LintReport {
  const file = join(mkdtempSync(join(tmpdir(), 'openapi-lint-')), 'openapi.json');
  writeFileSync(file, JSON.stringify(doc));
  const run = (): string => {
    try {
      return execFileSync(redocly, ['lint', '--config', join(root, 'redocly.yaml'), '--format', 'json', file], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      });
    } catch (error) {
      return (error as { stdout: string }).stdout; // exit 1 when there are errors; the report is still on stdout
    }
  };
  return JSON.parse(run()) as LintReport;
}

describe("the OpenAPI document under Redocly's recommended rules", () => {
  it('has no error and no warning', () => {
    const report = lint(openApiDocument());
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('would refuse an operation without an operationId or a 4xx, and an undefined required property', () => {
    const doc = structuredClone(openApiDocument()) as unknown as {
      paths: Record<string, Record<string, { operationId?: string; responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, { required?: string[] }> };
    };
    delete doc.paths['/v1/whoami']!.get!.operationId;
    doc.paths['/v1/whoami']!.get!.responses = { '200': { description: 'ok' } };
    doc.components.schemas.Problem!.required!.push('notAProperty');
    const rules = lint(doc).problems.map((p) => p.ruleId);
    expect(rules).toEqual(expect.arrayContaining(['operation-operationId', 'operation-4xx-response', 'no-required-schema-properties-undefined']));
  });

  it('gives every documented operation a unique operationId from the table, and the table names no undocumented one', () => {
    const doc = openApiDocument() as unknown as { paths: Record<string, Record<string, { operationId?: string }>> };
    const documented = Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => [`${method.toUpperCase()} ${path}`, op.operationId]));
    const ids = documented.map(([, id]) => id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Object.keys(operationIds).filter((key) => !documented.some(([k]) => k === key))).toEqual([]);
  });

  it('has its typed client (api/openapi.types.ts, openapi-typescript) generated from the committed document: `npm run openapi` rewrites both', () => {
    const generated = execFileSync(join(root, 'node_modules/.bin/openapi-typescript'), [join(root, 'api/openapi.json')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(generated.trim()).toBe(readFileSync(join(root, 'api/openapi.types.ts'), 'utf8').trim());
  });
});
