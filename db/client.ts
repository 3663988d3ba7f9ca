import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { getEnv } from '@/lib/env';
import * as schema from './schema';

/** drizzle on a pool (or, in a transaction, on one pooled connection), which hot paths can also query directly. */
export type Database = NodePgDatabase<typeof schema> & { $client: pg.Pool | pg.PoolClient };

type Cached = { pool: pg.Pool; db: Database };

// One pool per process; kept on globalThis so that module reloads in development do not open new pools.
const holder = globalThis as typeof globalThis & { __portalDb?: Cached };

export function createDatabase(url: string, max = 10): Cached {
  const pool = new pg.Pool({ connectionString: url, max, idleTimeoutMillis: 30_000 });
  pool.on('error', (err) => console.error('database pool error:', err.message));
  return { pool, db: drizzle(pool, { schema }) };
}

export function getDb(): Database {
  if (!holder.__portalDb) {
    const url = getEnv().DATABASE_URL;
    if (!url) throw new Error('DATABASE_URL is not set: start the portal with `npm start`, which provides one.');
    holder.__portalDb = createDatabase(url);
  }
  return holder.__portalDb.db;
}

export function getPool(): pg.Pool {
  getDb();
  return holder.__portalDb!.pool;
}

/**
 * Runs `work` in one transaction on one pooled connection, giving both a drizzle handle and the raw client (pg-boss
 * enqueues through the raw client, so a job is created if and only if the rows it works on are committed).
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  work: (tx: Database, client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const result = await work(drizzle(client, { schema }), client);
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
