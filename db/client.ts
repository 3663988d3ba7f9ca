import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './schema';

/** drizzle on a pool (or, in a transaction, on one pooled connection), which hot paths can also query directly. */
export type Database = NodePgDatabase<typeof schema> & { $client: pg.Pool | pg.PoolClient };

/** A pool on `url` and drizzle on it. The process's own is built once by lib/services (processDatabase). */
export function createDatabase(url: string, max = 10): { pool: pg.Pool; db: Database } {
  const pool = new pg.Pool({ connectionString: url, max, idleTimeoutMillis: 30_000 });
  pool.on('error', (err) => console.error('database pool error:', err.message));
  // A client checked out of the pool (pool.connect(): a transaction, garbage collection) whose connection is lost emits
  // 'error' on itself, and the pool listens only while the client is idle: without a listener of its own, a database
  // restart mid-transaction would end the process. The statement in flight fails with the error, and the pool drops the
  // client when it is released (it is no longer queryable); an idle client's error is logged by the pool above.
  pool.on('connect', (client) => client.on('error', () => {}));
  return { pool, db: drizzle(pool, { schema }) };
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
