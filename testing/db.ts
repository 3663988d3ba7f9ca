import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDatabase, type Database } from '@/db/client';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '@/db/embedded';
import { migrateDatabase } from '@/db/migrate';

export type TestDatabase = { url: string; db: Database; pool: pg.Pool; close(): Promise<void> };

/**
 * A fresh, migrated database for one test file: a new database on the server DATABASE_URL names (dropped at the end),
 * or a new in-memory PGlite server when it is unset.
 */
export async function freshDatabase(serverUrl = process.env.DATABASE_URL || undefined): Promise<TestDatabase> {
  let url: string;
  let embedded: EmbeddedPostgres | undefined;
  let drop: (() => Promise<void>) | undefined;
  if (serverUrl) {
    const name = `portal_test_${Date.now()}_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const target = new URL(serverUrl);
    target.pathname = `/${name}`;
    url = target.toString();
    drop = async () => {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    };
  } else {
    embedded = await startEmbeddedPostgres();
    url = embedded.url;
  }
  await migrateDatabase(url);
  const { db, pool } = createDatabase(url, 10);
  return {
    url,
    db,
    pool,
    async close() {
      await pool.end();
      await embedded?.stop();
      await drop?.();
    },
  };
}
