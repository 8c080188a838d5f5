import { connectStore, type Store } from '../../store/db';
import { testEnv, uniqueId } from './env';

/**
 * A database of its own on the tests' store (FerretDB, or MONGODB_URL) for one test file: connected before its tests
 * (handed to `use`), dropped and closed after them. `prefix` names it (`<prefix>_<unique suffix>`).
 */
export function useTestStore(prefix: string, use: (store: Store) => void): void {
  let store: Store | undefined;
  beforeAll(async () => {
    store = await connectStore(testEnv().mongoUrl, uniqueId(prefix));
    use(store);
  });
  afterAll(async () => {
    await store?.db.dropDatabase();
    await store?.close();
  });
}
