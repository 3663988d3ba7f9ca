import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { createDatabase } from './client';

export const migrationsFolder = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

const MIGRATION_LOCK = 7_246_001;

/**
 * Applies the committed drizzle-kit migrations. Two servers starting together on one database would race to apply
 * them, so they wait on a session advisory lock; the pool has one connection, which keeps the lock for the run.
 */
export async function migrateDatabase(url: string): Promise<void> {
  const { pool, db } = createDatabase(url, 1);
  try {
    await pool.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await migrate(db, { migrationsFolder });
    await pool.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  } finally {
    await pool.end();
  }
}
