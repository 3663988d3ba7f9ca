/**
 * Issue 23's goals, run by `npm run bench` (scripts/bench.ts), against the built portal in emulator mode
 * (`npm run emulator`, which builds first when there is no build):
 * - from the start command to a healthy answer ≤ 5 s;
 * - `POST /_emulator/reset` with 50 vaults seeded ≤ 100 ms (median of 10);
 * - seeding 10 vaults, each with a server, an item and 10 recovery points of real encrypted data, ≤ 2 s.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function vaults(count: number, points: number, tag: string) {
  const now = Date.now();
  return Array.from({ length: count }, (_, v) => ({
    name: `bench-${tag}-${v}`,
    servers: [
      {
        name: `SERVER-${v}`,
        items: [
          {
            path: `/srv/data-${v}`,
            points: Array.from({ length: points }, (_, p) => ({
              takenAt: new Date(now - (points - p) * 3600_000).toISOString(),
              files: { 'readme.txt': `vault ${v} point ${p}\n`, [`docs/report-${p}.txt`]: `report ${p}\n`.repeat(50) },
            })),
          },
        ],
      },
    ],
  }));
}

export async function benchEmulator(): Promise<number> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/start.ts'],
    {
      cwd: root,
      env: { ...process.env, PORTAL_EMULATOR: '1', PORT: String(port), DATABASE_URL: '', NEXT_TELEMETRY_DISABLED: '1' },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  let missed = 0;
  try {
    for (;;) {
      const ok = await fetch(`${base}/api/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (performance.now() - started > 240_000) throw new Error('the emulator did not become healthy in 4 minutes');
      await new Promise((r) => setTimeout(r, 50));
    }
    const startup = performance.now() - started;
    const call = async (method: string, route: string, body?: unknown) => {
      const response = await fetch(`${base}/_emulator${route}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
      return response.json();
    };

    const seeds: number[] = [];
    for (let round = 0; round < 3; round++) {
      await call('POST', '/reset');
      const t0 = performance.now();
      await call('POST', '/seed', { vaults: vaults(10, 10, `s${round}`) });
      seeds.push(performance.now() - t0);
    }
    const resets: number[] = [];
    for (let round = 0; round < 10; round++) {
      await call('POST', '/reset');
      await call('POST', '/seed', { vaults: vaults(25, 0, `a${round}`) });
      const { subscriptionId } = await call('POST', '/subscriptions', {});
      await call('POST', '/seed', {
        vaults: vaults(25, 0, `b${round}`).map((v) => ({ ...v, subscriptionId })),
      });
      const t0 = performance.now();
      await call('POST', '/reset');
      resets.push(performance.now() - t0);
    }
    const rows: [string, string, string, boolean][] = [
      ['start to healthy (npm run emulator, built)', `${(startup / 1000).toFixed(2)} s`, '≤ 5 s', startup <= 5000],
      [
        'POST /_emulator/reset, 50 vaults (median of 10)',
        `${median(resets).toFixed(1)} ms`,
        '≤ 100 ms',
        median(resets) <= 100,
      ],
      [
        'seed 10 vaults × server, item, 10 points (median of 3)',
        `${(median(seeds) / 1000).toFixed(2)} s`,
        '≤ 2 s',
        median(seeds) <= 2000,
      ],
    ];
    console.log(`\n${'emulator'.padEnd(58)} ${'measured'.padStart(10)} ${'goal'.padStart(10)}`);
    for (const [name, value, goal, held] of rows) {
      console.log(`${name.padEnd(58)} ${value.padStart(10)} ${goal.padStart(10)}  ${held ? 'held' : 'MISSED'}`);
      if (!held) missed += 1;
    }
    console.log(
      `  resets (ms): ${resets.map((r) => r.toFixed(0)).join(', ')}; seeds (s): ${seeds.map((s) => (s / 1000).toFixed(2)).join(', ')}`,
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  return missed;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exit((await benchEmulator()) ? 1 : 0);
}
