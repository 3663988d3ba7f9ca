/**
 * The one wiring of the process: the services every capability works with, built once from the validated settings
 * (database, job queues, blob store, clock, fault rules). Every entry calls it: the HTTP server and Next.js
 * (`getServices`), `npm run worker` and the tests (`buildServices`, with their own settings and database).
 */
import type pg from 'pg';
import type PgBoss from 'pg-boss';
import { createDatabase, type Database } from '@/db/client';
import { type BlobStore, blobStoreFor, secondaryBlobStoreFor } from '@/lib/blob-store';
import { startBoss } from '@/lib/queues';
import { DatabaseClock, type MovableClock } from './clock';
import { Faults } from './faults';
import { type Env, getEnv } from './settings';

export type { Clock, MovableClock } from './clock';
export type { FaultRule } from './faults';

/** What the domain functions work with; the server builds it once, tests build their own on a fresh database. */
export type Services = {
  db: Database;
  pool: pg.Pool;
  boss: PgBoss;
  env: Env;
  store: BlobStore;
  /**
   * The secondary region's store (BACKUP_STORE_SECONDARY), where Geo-Redundant vaults' packs are copied; null when
   * the portal has none.
   */
  secondaryStore: BlobStore | null;
  clock: MovableClock;
  faults: Faults;
};

/** The database a process uses, for callers that need it before (or without) the rest of the services. */
export type ProcessDatabase = { db: Database; pool: pg.Pool };

/**
 * Builds the services on the given settings. `database` is an open database to use instead of opening
 * `env.DATABASE_URL` (tests pass their fresh one); `queues: false` leaves the job queues unstarted (the HTTP server's
 * fast path needs only the database and the store).
 */
export async function buildServices(
  env: Env,
  options: { database?: ProcessDatabase; poolSize?: number } = {},
): Promise<Services> {
  if (!env.DATABASE_URL) throw new Error('DATABASE_URL is not set: start the portal with `npm start`.');
  const { db, pool } = options.database ?? createDatabase(env.DATABASE_URL, options.poolSize);
  const clock = new DatabaseClock(pool);
  await clock.refresh();
  const boss = await startBoss(env.DATABASE_URL, env.VAULT_PROVISIONING_SECONDS);
  return {
    db,
    pool,
    boss,
    env,
    store: blobStoreFor(env),
    secondaryStore: secondaryBlobStoreFor(env),
    clock,
    faults: new Faults(),
  };
}

// One set per process, kept on globalThis: Next.js's bundles and the HTTP server's bundle share the process, and
// module reloads in development must not open new pools.
const holder = globalThis as typeof globalThis & {
  __portalServices?: Promise<Services>;
  __portalDb?: ProcessDatabase;
};

/** The process's database (opened on first use from DATABASE_URL); the same one getServices() hands out. */
export function processDatabase(): ProcessDatabase {
  if (!holder.__portalDb) {
    const url = getEnv().DATABASE_URL;
    if (!url) throw new Error('DATABASE_URL is not set: start the portal with `npm start`, which provides one.');
    holder.__portalDb = createDatabase(url);
  }
  return holder.__portalDb;
}

/** The process's services, built on first use from the process's settings. */
export function getServices(): Promise<Services> {
  holder.__portalServices ??= buildServices(getEnv(), { database: processDatabase() });
  holder.__portalServices.catch(() => {
    holder.__portalServices = undefined;
  });
  return holder.__portalServices;
}
