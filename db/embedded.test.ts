import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedPostgres, startEmbeddedPostgres } from './embedded';

let embedded: EmbeddedPostgres;
let pool: pg.Pool;
beforeAll(async () => {
  embedded = await startEmbeddedPostgres();
  pool = new pg.Pool({ connectionString: embedded.url, max: 30 });
});
afterAll(async () => {
  await pool.end();
  await embedded.stop();
});

describe('the embedded PostgreSQL', () => {
  it('keeps concurrent connections’ parameterised statements apart', async () => {
    // Different parameter counts on many connections at once, some large enough to arrive in several TCP reads:
    // pglite-socket's own queue lets them interleave between Parse and Bind (13 of 300 failed when measured).
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        i % 2
          ? pool.query('select length($1::text) - $2::int as a', ['x'.repeat(200_000 + i), 200_000])
          : pool.query('select $1::int + $2::int + $3::int as a', [i, 0, 0]),
      ),
    );
    expect(results.map((r) => r.rows[0].a)).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });

  it('keeps a transaction whole while other connections query', async () => {
    await pool.query('create table counter (n int)');
    await pool.query('insert into counter values (0)');
    await Promise.all(
      Array.from({ length: 30 }, async () => {
        const client = await pool.connect();
        try {
          await client.query('begin');
          const { rows } = await client.query('select n from counter');
          await client.query('update counter set n = $1', [rows[0].n + 1]);
          await client.query('commit');
        } finally {
          client.release();
        }
      }),
    );
    expect((await pool.query('select n from counter')).rows[0].n).toBe(30);
  });

  it('rolls back what a vanished connection left open', async () => {
    const client = new pg.Client({ connectionString: embedded.url });
    client.on('error', () => {});
    await client.connect();
    await client.query('begin');
    await client.query('insert into counter values (100)');
    (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    await new Promise((r) => setTimeout(r, 200));
    expect((await pool.query('select count(*)::int as c from counter')).rows[0].c).toBe(1);
  });
});
