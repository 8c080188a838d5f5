import { removeTestData } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  await Promise.all((globalThis.__testServers ?? []).map((server) => server.stop()));
  removeTestData();
}
