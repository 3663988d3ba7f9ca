/**
 * Issue 13, "Speed at the front door": whole requests measured from outside, next to a bare Next.js app. Builds the
 * fixture in bench/bare-next (same Next.js and React, one dynamic page with a 50-row table, no database) in a temp
 * folder and serves it with `next start`; starts the built portal (`npm start`) on a fresh database of
 * BENCH_DATABASE_URL's server (default: the local PostgreSQL) seeded with 1,000 vaults and 20,000 past operations;
 * signs in; loads each URL with autocannon (50 connections, 10 s, three rounds taken in turn) and prints the medians
 * of requests/s, p50 and p97.5, the ratios, the first-load JavaScript of both pages, and which goals hold. Also serves the same portal build with `next start`
 * (no custom server) to show what scripts/serve.ts costs.
 *
 * `npm run bench:pages` runs this section alone; `npm run bench` runs it after the query goals.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { freePort, type Portal, startPortal, stopPortal } from './bench-portal';

const root = path.resolve(import.meta.dirname, '..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
export const SERVER_URL = process.env.BENCH_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';
const ADMIN = { email: 'bench-pages@example.com', password: 'bench-pages-password' };
const SUBSCRIPTIONS = 40;
const VAULTS_PER_SUBSCRIPTION = 25;
const OPERATIONS = 20_000;
export const CONNECTIONS = 50;
export const SECONDS = 10;
export const ROUNDS = 3;

export type Load = { rps: number; p50: number; p975: number; failed: number };

async function waitFor(url: string, child: ChildProcess, log: string[]) {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && child.exitCode === null) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} did not answer:\n  ${log.slice(-20).join('\n  ')}`);
}

/** `next start` of the build in `dir`, in its own process group so stopPortal ends it. */
export async function nextStart(dir: string, env: NodeJS.ProcessEnv, probe: string): Promise<Portal> {
  const port = await freePort();
  const next = path.join(root, 'node_modules', 'next', 'dist', 'bin', 'next');
  const child = spawn(process.execPath, [next, 'start', '-p', String(port), '-H', '127.0.0.1'], {
    cwd: dir,
    env: {
      ...env,
      PORT: String(port),
      NEXTAUTH_URL: `http://localhost:${port}`,
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
    },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  const keep = (b: Buffer) => log.push(...b.toString().split('\n').filter(Boolean));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const portal = { url, child, log };
  try {
    await waitFor(`${url}${probe}`, child, log);
  } catch (err) {
    await stopPortal(portal);
    throw err;
  }
  return portal;
}

/** Builds bench/bare-next in a temp folder (its own node_modules hard-linked: Turbopack refuses a symlinked one). */
export async function buildBare(work: string): Promise<string> {
  const dir = path.join(work, 'bare-next');
  await cp(path.join(root, 'bench', 'bare-next'), dir, { recursive: true });
  execFileSync('cp', ['-al', path.join(root, 'node_modules'), path.join(dir, 'node_modules')]);
  execFileSync(process.execPath, [path.join(dir, 'node_modules', 'next', 'dist', 'bin', 'next'), 'build'], {
    cwd: dir,
    env: { ...process.env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1' },
    stdio: 'ignore',
  });
  return dir;
}

/** 1,000 vaults in 40 subscriptions the admin owns (its Free Trial among them) and 20,000 past operations of its. */
async function seed(databaseUrl: string): Promise<string> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  try {
    const { rows } = await pool.query<{ id: string }>('select id from users where email = $1', [ADMIN.email]);
    const userId = rows[0]!.id;
    await pool.query(
      `with s as (insert into subscriptions (display_name) select 'Bench ' || g from generate_series(2, $1) g returning id)
       insert into memberships (user_id, subscription_id, role) select $2, id, 'Owner' from s`,
      [SUBSCRIPTIONS, userId],
    );
    await pool.query(
      `insert into vaults (subscription_id, name, region, status, created_by)
       select m.subscription_id, 'vault-' || substr(md5(m.subscription_id::text || g), 1, 10), 'westus', 'Active', $2
       from memberships m, generate_series(1, $1) g where m.user_id = $2`,
      [VAULTS_PER_SUBSCRIPTION, userId],
    );
    await pool.query(
      `insert into operations (user_id, subscription_id, vault_id, vault_name, kind, status, progress, message, started_at, dismissed_at)
       select $1, v.subscription_id, v.id, v.name, 'CreateVault', 'Succeeded', 100, 'done', now() - (g || ' minutes')::interval,
              case when g > 3 then now() end
       from generate_series(1, $2) g
       join lateral (select * from vaults order by id offset (g % 1000) limit 1) v on true`,
      [userId, OPERATIONS],
    );
    await pool.query('analyze');
    const vault = await pool.query<{ id: string }>('select id from vaults order by name limit 1');
    return vault.rows[0]!.id;
  } finally {
    await pool.end();
  }
}

/** next-auth's credentials sign-in over HTTP; returns the Cookie header a signed-in browser sends. */
export async function signIn(url: string, admin: { email: string; password: string } = ADMIN): Promise<string> {
  const jar = new Map<string, string>();
  const keep = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const at = pair!.indexOf('=');
      jar.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const csrf = await fetch(`${url}/api/auth/csrf`);
  keep(csrf);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const res = await fetch(`${url}/api/auth/callback/credentials`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookie() },
    body: new URLSearchParams({ csrfToken, ...admin, callbackUrl: `${url}/`, json: 'true' }),
  });
  keep(res);
  if (![...jar.keys()].some((k) => k.endsWith('next-auth.session-token'))) {
    throw new Error(`Signing in failed: ${res.status} ${await res.text()}`);
  }
  return cookie();
}

export async function load(url: string, cookie?: string, { warm = true }: { warm?: boolean } = {}): Promise<Load> {
  const headers: Record<string, string> = cookie ? { cookie } : {};
  if (warm) {
    const check = await fetch(url, { headers, redirect: 'manual' });
    if (check.status !== 200) throw new Error(`${url} answered ${check.status}, not 200.`);
    await check.arrayBuffer();
    // A short warm-up, so the measured run finds the code compiled and the pools filled.
    await autocannon({ url, connections: 10, duration: 2, headers });
  }
  const r = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, headers });
  return { rps: r.requests.average, p50: r.latency.p50, p975: r.latency.p97_5, failed: r.non2xx + r.errors };
}

/** Each figure's median over the rounds (an odd number of them). */
export function median(rounds: Load[]): Load {
  const mid = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return {
    rps: mid(rounds.map((r) => r.rps)),
    p50: mid(rounds.map((r) => r.p50)),
    p975: mid(rounds.map((r) => r.p975)),
    failed: rounds.reduce((n, r) => n + r.failed, 0),
  };
}

/** Bytes on the wire (gzip, as a browser asks) of one URL. */
function transferred(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { headers: { 'accept-encoding': 'gzip, deflate, br' } }, (res) => {
      let bytes = 0;
      res.on('data', (b: Buffer) => {
        bytes += b.length;
      });
      res.on('end', () => resolve(bytes));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

/** First-load JavaScript: every script file the page's HTML references, as transferred. */
export async function firstLoadJs(url: string, cookie?: string): Promise<number> {
  const html = await (await fetch(url, { headers: cookie ? { cookie } : {} })).text();
  const sources = new Set(
    [...html.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1]!.replaceAll('&amp;', '&')),
  );
  let total = 0;
  for (const src of sources) total += await transferred(new URL(src, url).toString());
  return total;
}

export const ms = (n: number) => `${Math.round(n).toLocaleString('en-US')} ms`;
export const kb = (n: number) => `${(n / 1000).toFixed(1)} kB`;

/** A new, empty database on SERVER_URL's server (scripts/fresh-db.ts), and how to drop it again. */
export function freshBenchDatabase(prefix: string): { url: string; drop: () => Promise<void> } {
  const fresh = path.join(root, 'scripts', 'fresh-db.ts');
  const url = execFileSync(tsx, [fresh, SERVER_URL, prefix], { cwd: root }).toString().trim();
  return { url, drop: async () => void execFileSync(tsx, [fresh, '--drop', url], { cwd: root }) };
}

/** Prints a section's goals, each held or MISSED; returns how many were missed. */
export function printGoals(issue: string, goals: Array<[string, boolean]>): number {
  console.log(`\nGoals (${issue}):`);
  for (const [text, ok] of goals) console.log(`  ${ok ? 'holds ' : 'MISSED'} ${text}`);
  return goals.filter(([, ok]) => !ok).length;
}

/** Runs the section; returns how many of issue 13's goals were missed. */
export async function benchFrontDoor(): Promise<number> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'bench-pages-'));
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    console.log('Building the bare Next.js fixture (bench/bare-next) ...');
    const bareDir = await buildBare(work);
    const bare = await nextStart(bareDir, process.env, '/');
    cleanups.push(() => stopPortal(bare));

    console.log(`Creating a database on ${new URL(SERVER_URL).host} and starting the portal ...`);
    const { url: databaseUrl, drop } = freshBenchDatabase('bench_pages');
    cleanups.push(drop);
    const dataDir = path.join(work, 'portal-data');
    const portal = await startPortal(databaseUrl, dataDir, ADMIN);
    cleanups.push(() => stopPortal(portal));
    const vaultId = await seed(databaseUrl);
    const cookie = await signIn(portal.url);

    const targets: Array<[string, string, string | undefined]> = [
      ['bare Next.js dynamic page', `${bare.url}/`, undefined],
      ['/recovery-services (50 vaults shown)', `${portal.url}/recovery-services`, cookie],
      ["a vault's DASHBOARD", `${portal.url}/recovery-services/vaults/${vaultId}/dashboard`, cookie],
      ['/api/operations (the poll)', `${portal.url}/api/operations`, cookie],
      ['/api/health', `${portal.url}/api/health`, undefined],
    ];
    const results = new Map<string, Load>();
    console.log(
      `\nautocannon, ${CONNECTIONS} connections for ${SECONDS} s each, ${ROUNDS} interleaved rounds (medians):`,
    );
    const row = (name: string, r: Load, baseline: Load) =>
      console.log(
        `${name.padEnd(40)} ${r.rps.toFixed(0).padStart(7)} ${ms(r.p50).padStart(9)} ${ms(r.p975).padStart(9)}` +
          `   ${(r.rps / baseline.rps).toFixed(2).padStart(5)}× ${(r.p975 / baseline.p975).toFixed(2).padStart(5)}×` +
          (r.failed ? `   ${r.failed} failed` : ''),
      );
    console.log(
      `${''.padEnd(40)} ${'req/s'.padStart(7)} ${'p50'.padStart(9)} ${'p97.5'.padStart(9)}   req/s and p97.5 vs bare`,
    );
    // Interleaved rounds, each figure the median of its rounds: the bare page's own rate drifted by a third between
    // runs on the shared machine, and one measurement of each, minutes apart, turned that drift into the ratios.
    const rounds = new Map<string, Load[]>(targets.map(([name]) => [name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, url, withCookie] of targets)
        rounds.get(name)!.push(await load(url, withCookie, { warm: round === 0 }));
    }
    for (const [name] of targets) {
      results.set(name, median(rounds.get(name)!));
      row(name, results.get(name)!, results.get(targets[0]![0])!);
    }

    // The same portal build served by `next start`: what the custom server (scripts/serve.ts) costs.
    const authSecret = (await readFile(path.join(dataDir, 'auth-secret'), 'utf8')).trim();
    const plainEnv: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      AUTH_SECRET: authSecret,
      PORTAL_DATA_DIR: dataDir,
    };
    delete plainEnv.BACKUP_STORE;
    const plain = await nextStart(root, plainEnv, '/api/health');
    cleanups.push(() => stopPortal(plain));
    const baseline = results.get(targets[0]![0])!;
    console.log('\nThe same portal build under `next start` (no scripts/serve.ts):');
    row('/recovery-services (next start)', await load(`${plain.url}/recovery-services`, cookie), baseline);
    row('/api/health (next start)', await load(`${plain.url}/api/health`), baseline);

    const bareJs = await firstLoadJs(`${bare.url}/`);
    const listJs = await firstLoadJs(`${portal.url}/recovery-services`, cookie);
    console.log(
      `\nFirst-load JavaScript (as transferred): bare page ${kb(bareJs)}, /recovery-services ${kb(listJs)} ` +
        `(+${kb(listJs - bareJs)})`,
    );

    const list = results.get(targets[1]![0])!;
    const poll = results.get(targets[3]![0])!;
    const health = results.get(targets[4]![0])!;
    const goals: Array<[string, boolean]> = [
      [
        `/recovery-services ≥ 0.5× the bare page's requests/s (${(list.rps / baseline.rps).toFixed(2)}×)`,
        list.rps >= 0.5 * baseline.rps,
      ],
      [
        `/recovery-services p97.5 ≤ 2× the bare page's (${(list.p975 / baseline.p975).toFixed(2)}×)`,
        list.p975 <= 2 * baseline.p975,
      ],
      [
        `/api/operations ≥ 0.6× /api/health's requests/s (${(poll.rps / health.rps).toFixed(2)}×)`,
        poll.rps >= 0.6 * health.rps,
      ],
      [`first-load JS ≤ the bare page's + 30 kB (+${kb(listJs - bareJs)})`, listJs <= bareJs + 30_000],
    ];
    return printGoals('issue 13', goals);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err) => console.error(err));
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const missed = await benchFrontDoor();
  console.log(missed ? `\n${missed} goal(s) missed.` : '\nAll goals met.');
  process.exit(0);
}
