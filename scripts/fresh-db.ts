/** Prints the URL of a new, empty database on the server that the given URL (or DATABASE_URL) names. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const server = process.argv[2] ?? process.env.DATABASE_URL;
if (!server) {
  console.error('Usage: tsx scripts/fresh-db.ts POSTGRES_URL (or set DATABASE_URL)');
  process.exit(2);
}
const prefix = (process.argv[3] ?? 'portal').replace(/[^a-z0-9_]/g, '_');
const name = `${prefix}_${new Date().toISOString().slice(0, 10).replaceAll('-', '')}_${randomBytes(4).toString('hex')}`;
const client = new pg.Client({ connectionString: server });
await client.connect();
await client.query(`create database ${name}`);
await client.end();
const url = new URL(server);
url.pathname = `/${name}`;
console.log(url.toString());
