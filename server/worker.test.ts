import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createVault } from '@/lib/vaults/create';
import { createTestUser, type TestServices, testServices } from '@/testing/services';
import { startOperationWorkers } from './worker';

// Real "servers": separate worker processes running the same queue subscriptions as every portal server, on the same
// database, killed with SIGKILL as a crash would.
const PROVISIONING_SECONDS = 2;
let svc: TestServices;
const children: ChildProcess[] = [];

type Worker = { child: ChildProcess; lines: string[] };

function startWorker(): Promise<Worker> {
  // The same condition as `npm run worker`: the worker loads server-only modules.
  const child = spawn(
    process.execPath,
    ['--conditions=react-server', '--import', 'tsx', path.resolve('scripts/worker.ts')],
    {
      env: {
        ...process.env,
        DATABASE_URL: svc.database.url,
        VAULT_PROVISIONING_SECONDS: String(PROVISIONING_SECONDS),
        VAULT_PROVISIONING_FAIL_NAMES: '',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  const worker: Worker = { child, lines: [] };
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      worker.lines.push(...lines);
      if (lines.includes('worker ready')) resolve(worker);
    });
    child.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function operationOf(operationId: string) {
  const { rows } = await svc.pool.query('select status, progress, message from operations where id = $1', [
    operationId,
  ]);
  return rows[0] as { status: string; progress: number; message: string };
}

async function vaultStatus(vaultId: string) {
  const { rows } = await svc.pool.query('select status from vaults where id = $1', [vaultId]);
  return rows[0]?.status as string | undefined;
}

beforeAll(async () => {
  svc = await testServices({ VAULT_PROVISIONING_SECONDS: String(PROVISIONING_SECONDS) });
});
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});
afterAll(() => svc.close());

describe('durable provisioning', () => {
  it('reports progress in steps and ends with the contract message', async () => {
    await startWorker();
    const user = await createTestUser(svc);
    const created = await createVault(svc, user, { name: 'Stepwise', region: 'westus' });
    if (!created.ok) throw new Error('create failed');
    const seen = new Set<number>();
    await waitFor('success', async () => {
      const op = await operationOf(created.data.operationId);
      seen.add(op.progress);
      return op.status === 'Succeeded' ? op : undefined;
    });
    expect([...seen].filter((p) => p > 0 && p < 100).length).toBeGreaterThanOrEqual(2);
    expect(await operationOf(created.data.operationId)).toEqual({
      status: 'Succeeded',
      progress: 100,
      message: "The backup vault 'Stepwise' has been successfully created.",
    });
    expect(await vaultStatus(created.data.vaultId)).toBe('Active');
  });

  it('survives SIGKILL of the server mid-provisioning: a restarted server finishes the vault', async () => {
    const first = await startWorker();
    const user = await createTestUser(svc);
    const created = await createVault(svc, user, { name: 'Crashy', region: 'westus' });
    if (!created.ok) throw new Error('create failed');
    await waitFor('progress', async () =>
      (await operationOf(created.data.operationId)).progress >= 40 ? true : undefined,
    );
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    const stalled = await operationOf(created.data.operationId);
    expect(stalled.status).toBe('InProgress');
    expect(await vaultStatus(created.data.vaultId)).toBe('Creating');

    const second = await startWorker();
    await waitFor('the restarted server to finish', async () =>
      (await vaultStatus(created.data.vaultId)) === 'Active' ? true : undefined,
    );
    expect(await operationOf(created.data.operationId)).toMatchObject({ status: 'Succeeded', progress: 100 });
    // The worker reports after its transaction commits, so its line may trail the status by a moment.
    const line = `done provision-vault ${created.data.operationId} changed`;
    await waitFor('the report', async () => (second.lines.includes(line) ? true : undefined), 5000);
  });

  it('with two servers on one database provisions each vault exactly once', async () => {
    const workers = await Promise.all([startWorker(), startWorker()]);
    const user = await createTestUser(svc);
    const ops: string[] = [];
    const vaultIds: string[] = [];
    for (let i = 0; i < 6; i++) {
      const created = await createVault(svc, user, { name: `Twin-${i}`, region: 'eastus' });
      if (!created.ok) throw new Error('create failed');
      ops.push(created.data.operationId);
      vaultIds.push(created.data.vaultId);
    }
    await waitFor('all vaults', async () => {
      const statuses = await Promise.all(vaultIds.map(vaultStatus));
      return statuses.every((s) => s === 'Active') ? true : undefined;
    });
    // Reports trail the commits: wait until every operation has been reported by some worker.
    const reported = () => workers.flatMap((w) => w.lines.filter((l) => l.startsWith('done provision-vault')));
    await waitFor('the reports', async () =>
      ops.every((op) => reported().some((l) => l.includes(op))) ? true : undefined,
    );
    const changes = reported().filter((l) => l.endsWith(' changed'));
    for (const op of ops) expect(changes.filter((l) => l.includes(op))).toHaveLength(1);
    expect(changes).toHaveLength(ops.length);
  });
});

describe('failure for testing', () => {
  it('fails provisioning of the configured names with the contract message', async () => {
    const failing = await testServices({ VAULT_PROVISIONING_SECONDS: '0', VAULT_PROVISIONING_FAIL_NAMES: 'doomed' });
    try {
      await startOperationWorkers(failing);
      const user = await createTestUser(failing);
      const created = await createVault(failing, user, { name: 'Doomed', region: 'japaneast' });
      if (!created.ok) throw new Error('create failed');
      const { rows } = await waitFor('failure', async () => {
        const r = await failing.pool.query('select status, message from operations where id = $1', [
          created.data.operationId,
        ]);
        return r.rows[0].status === 'Failed' ? r : undefined;
      });
      expect(rows[0].message).toMatch(/^The backup vault 'Doomed' could not be created: .+/);
      const vault = await failing.pool.query('select status from vaults where id = $1', [created.data.vaultId]);
      expect(vault.rows[0].status).toBe('Failed');
    } finally {
      await failing.close();
    }
  });
});
