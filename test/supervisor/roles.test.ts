import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { testEnv } from '../support/env';
import { startService, type ServiceRig } from '../support/service';

let rig: ServiceRig;
beforeAll(async () => {
  rig = await startService();
}, 60_000);
afterAll(async () => rig?.stop());

/** Every supervisor route, with a body that would be valid, so only the role decides. */
const supervisorRoutes: [string, string, unknown?][] = [
  ['POST', '/v1/api-keys', { role: 'agent', name: 'agent-9', agentId: 'agent-1' }],
  ['GET', '/v1/api-keys'],
  ['POST', '/v1/agents', { agentId: 'agent-roles', name: 'Roles' }],
  ['GET', '/v1/agents'],
  ['DELETE', '/v1/api-keys/0123456789abcdef'],
  ['GET', '/v1/config'],
  ['PUT', '/v1/config/draft', { agentCapacity: 4 }],
  ['POST', '/v1/config/draft/validate', {}],
  ['POST', '/v1/config/publish', {}],
  ['POST', '/v1/config/rollback', { version: 1 }],
  ['GET', '/v1/config/versions'],
  ['GET', '/v1/config/versions/1'],
  ['GET', '/v1/config/audit'],
  ['POST', '/v1/numbers', { phoneNumberId: '1', displayNumber: '+1 202 555 0107', verificationMethod: 'sms', ownership: { attestedBy: 'x', statement: true } }],
  ['GET', '/v1/numbers'],
  ['GET', '/v1/numbers/1'],
  ['PUT', '/v1/numbers/1/legacy', { replacementNumber: '+1 202 555 0107' }],
  ['DELETE', '/v1/numbers/1/legacy'],
  ['POST', '/v1/templates', { businessNumberId: '1', name: 'x', language: 'en_US', category: 'utility', definition: { body: { text: 'Hi' } } }],
  ['POST', '/v1/templates/sync', {}],
  ['PUT', '/v1/templates/1:x:en_US', { definition: { body: { text: 'Hi' } } }],
  ['DELETE', '/v1/templates/1:x:en_US'],
];

describe('API keys and roles', () => {
  it.each(['integrator', 'agent', 'analyst'] as const)('refuses every supervisor route to an %s key with 403, changing nothing', async (role) => {
    const before = await Promise.all([rig.store.apiKeys.countDocuments(), rig.store.configDrafts.countDocuments(), rig.store.numbers.countDocuments()]);
    for (const [method, path, body] of supervisorRoutes) {
      const answer = await rig.requestAs(role, method, path, body);
      expect({ method, path, status: answer.status, code: answer.body.code }).toEqual({ method, path, status: 403, code: 'forbidden' });
      expect(answer.contentType).toContain('application/problem+json');
    }
    const after = await Promise.all([rig.store.apiKeys.countDocuments(), rig.store.configDrafts.countDocuments(), rig.store.numbers.countDocuments()]);
    expect(after).toEqual(before);
  });

  it('lets a supervisor key through every supervisor route (no 401/403)', async () => {
    for (const [method, path, body] of supervisorRoutes) {
      const answer = await rig.requestAs('supervisor', method, path, body);
      expect({ method, path, status: [401, 403].includes(answer.status) ? 'refused' : 'let through' }).toEqual({ method, path, status: 'let through' });
    }
  });

  it('answers 401 without a key, with an unknown key, and with a malformed header', async () => {
    for (const authorization of ['', 'Bearer wak_nope', 'Basic abc', `Bearer ${rig.keys.supervisor} extra`]) {
      const answer = await rig.request('GET', '/v1/conversations', undefined, { authorization });
      expect(answer).toMatchObject({ status: 401, body: { code: 'unauthenticated' } });
    }
  });

  it('issues a key once, stores only its hash, and stops accepting it once revoked', async () => {
    const issued = await rig.requestAs('supervisor', 'POST', '/v1/api-keys', { role: 'agent', name: 'agent-42', agentId: 'agent-1' });
    expect(issued).toMatchObject({ status: 201, body: { role: 'agent', name: 'agent-42', agentId: 'agent-1', key: expect.stringMatching(/^wak_/) } });
    const key: string = issued.body.key;
    const stored = await rig.store.apiKeys.findOne({ keyId: issued.body.keyId });
    expect(stored?._id).toBe(createHash('sha256').update(key).digest('hex'));
    expect(JSON.stringify(stored)).not.toContain(key);
    const listed = await rig.requestAs('supervisor', 'GET', '/v1/api-keys');
    expect(JSON.stringify(listed.body)).not.toContain(key);

    const asAgent = { authorization: `Bearer ${key}` };
    expect((await rig.request('GET', '/v1/conversations', undefined, asAgent)).status).toBe(200);
    expect((await rig.requestAs('supervisor', 'DELETE', `/v1/api-keys/${issued.body.keyId}`)).status).toBe(204);
    expect(await rig.request('GET', '/v1/conversations', undefined, asAgent)).toMatchObject({ status: 401, body: { code: 'unauthenticated' } });
    expect(await rig.requestAs('supervisor', 'DELETE', `/v1/api-keys/${issued.body.keyId}`)).toMatchObject({ status: 404, body: { code: 'unknown_api_key' } });
  });

  it('bootstraps the first supervisor key from the command line', () => {
    const { mongoUrl } = testEnv();
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, '../../bin/create-api-key.ts'), '--role', 'supervisor', '--name', 'Ada'], {
      env: { ...process.env, MONGODB_URL: mongoUrl, MONGODB_DB: rig.store.db.databaseName },
      encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    const key = /wak_[A-Za-z0-9_-]+/.exec(run.stdout)?.[0];
    expect(key).toBeDefined();
    return rig.request('GET', '/v1/config', undefined, { authorization: `Bearer ${key}` }).then((answer) => expect(answer.status).toBe(200));
  });

  it('refuses a bootstrap without a valid role, issuing nothing', async () => {
    const before = await rig.store.apiKeys.countDocuments();
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, '../../bin/create-api-key.ts'), '--role', 'root', '--name', 'x'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--role <integrator|agent|supervisor|analyst>');
    expect(await rig.store.apiKeys.countDocuments()).toBe(before);
  });
});
