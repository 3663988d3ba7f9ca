/**
 * `tsx scripts/fresh-db.ts SERVER_URL [PREFIX]` creates a new, empty database on that server and prints its URL;
 * `tsx scripts/fresh-db.ts --drop DATABASE_URL` drops it again (the test scripts do, when they finish).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

async function onServer(url: URL, sql: string) {
  const server = new URL(url);
  server.pathname = '/postgres';
  const client = new pg.Client({ connectionString: server.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const [first, second] = process.argv.slice(2);
if (first === '--drop' && second) {
  const url = new URL(second);
  const name = url.pathname.slice(1);
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`Not a database this script made: ${name}`);
  await onServer(url, `drop database if exists ${name} with (force)`);
} else if (first) {
  const prefix = (second ?? 'portal').replace(/[^a-z0-9_]/g, '_');
  const name = `${prefix}_${new Date().toISOString().slice(0, 10).replaceAll('-', '')}_${randomBytes(4).toString('hex')}`;
  const url = new URL(first);
  await onServer(url, `create database ${name}`);
  url.pathname = `/${name}`;
  console.log(url.toString());
} else {
  console.error('Usage: tsx scripts/fresh-db.ts SERVER_URL [PREFIX] | --drop DATABASE_URL');
  process.exit(2);
}
