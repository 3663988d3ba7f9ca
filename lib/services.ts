import type pg from 'pg';
import type PgBoss from 'pg-boss';
import { type Database, getDb, getPool } from '@/db/client';
import { blobStoreFor } from '@/lib/backups/store';
import type { BlobStore } from '@/lib/blob-store';
import { type Env, getEnv } from '@/lib/env';
import { startBoss } from '@/lib/operations/boss';

/** What the domain functions work with; the server builds it once, tests build their own on a fresh database. */
export type Services = { db: Database; pool: pg.Pool; boss: PgBoss; env: Env; store: BlobStore };

const holder = globalThis as typeof globalThis & { __portalServices?: Promise<Services> };

export function getServices(): Promise<Services> {
  holder.__portalServices ??= (async () => {
    const env = getEnv();
    if (!env.DATABASE_URL) throw new Error('DATABASE_URL is not set: start the portal with `npm start`.');
    const db = getDb();
    const pool = getPool();
    const boss = await startBoss(env.DATABASE_URL, env.VAULT_PROVISIONING_SECONDS);
    return { db, pool, boss, env, store: blobStoreFor(env) };
  })();
  holder.__portalServices.catch(() => {
    holder.__portalServices = undefined;
  });
  return holder.__portalServices;
}
