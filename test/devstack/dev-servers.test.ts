import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { findFreePort, isPortOpen, startFerretDb } from '../../scripts/dev-servers';

describe('embedded servers', () => {
  it('starts FerretDB on a free loopback port, stores a document, and leaves nothing behind when stopped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferretdb-'));
    const port = await findFreePort();
    const ferret = await startFerretDb({ port, dataDir: join(dir, 'data'), logFile: join(dir, 'ferretdb.log') });
    const client = await MongoClient.connect(ferret.url);
    await client.db('smoke').collection('things').insertOne({ _id: 'a' as never, n: 1 });
    expect(await client.db('smoke').collection('things').findOne({ n: 1 })).toMatchObject({ n: 1 });
    await client.close();

    await ferret.stop();
    expect(await isPortOpen('127.0.0.1', port)).toBe(false);
    expect(() => process.kill(ferret.pid, 0)).toThrow();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to start on a port already in use, naming the way out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferretdb-'));
    const first = await startFerretDb({ dataDir: join(dir, 'a'), logFile: join(dir, 'a.log') });
    const port = Number(new URL(first.url).port);
    await expect(startFerretDb({ port, dataDir: join(dir, 'b'), logFile: join(dir, 'b.log') })).rejects.toThrow(/already in use; set MONGODB_URL/);
    await first.stop();
    rmSync(dir, { recursive: true, force: true });
  });
});
