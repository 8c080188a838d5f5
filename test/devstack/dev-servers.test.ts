import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { findFreePort, isPortOpen, startFerretDb, startTemporalDevServer } from '../../scripts/dev-servers';

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

  it('runs the Temporal dev server on its file in write-ahead-log mode and keeps a started workflow across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'temporal-'));
    const port = await findFreePort();
    const dbFile = join(dir, 'dev.db');
    const start = () => startTemporalDevServer({ port, uiPort: false, dbFile, logFile: join(dir, 'temporal.log') });
    const client = async (address: string) => new Client({ connection: await Connection.connect({ address }) });
    let server = await start();
    try {
      const first = await client(server.address);
      await first.workflow.start('noSuchWorkflowType', { workflowId: 'kept-across-restart', taskQueue: 'nobody-polls' });
      await first.connection.close();
      expect(existsSync(`${dbFile}-wal`)).toBe(true); // journal_mode=wal took: SQLite's default journal is dev.db-journal
      await server.stop();

      server = await start();
      const second = await client(server.address);
      const described = await second.workflow.getHandle('kept-across-restart').describe();
      await second.connection.close();
      expect(described.status.name).toBe('RUNNING');
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
