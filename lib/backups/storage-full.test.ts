import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registeredMachine } from '@/testing/backups';
import { type TestServices, testServices } from '@/testing/services';
import { AGENT_MESSAGES } from '@/wire/protocol';

let svc: TestServices;
beforeAll(async () => {
  svc = await testServices();
});
afterAll(() => svc.close());

describe("a backup store that is full (the store's writer answers ENOSPC)", () => {
  it('is named as such to the agent, on JOBS and in the log; no point is committed, and the next backup succeeds', async () => {
    const machine = await registeredMachine(svc);
    const folder = path.join(machine.work, 'data');
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, 'large-video.bin'), randomBytes(3 * 1024 * 1024));
    await writeFile(path.join(folder, 'note.txt'), 'a note\n');
    expect((await machine.agent('protect', '--path', folder)).code).toBe(0);

    const full = vi
      .spyOn(svc.store, 'put')
      .mockRejectedValue(
        Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 }),
      );
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const failed = await machine.agent('backup');
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain(AGENT_MESSAGES.storageFull);
      // The agent blames the portal's store, not a local file.
      expect(failed.stderr).not.toContain('Cannot read');
      expect(log.mock.calls.some((args) => String(args[0]).startsWith('The backup store is full:'))).toBe(true);
    } finally {
      full.mockRestore();
      log.mockRestore();
    }

    const { rows: jobs } = await svc.pool.query(
      `select status, message from operations where vault_id = $1 and kind = 'Backup' order by started_at`,
      [machine.vaultId],
    );
    expect(jobs).toHaveLength(1);
    expect(jobs[0].status).toBe('Failed');
    expect(jobs[0].message).toContain(AGENT_MESSAGES.storageFull);
    const points = await svc.pool.query(
      'select p.id from recovery_points p join protected_items i on i.id = p.item_id where i.path = $1',
      [folder],
    );
    expect(points.rows).toHaveLength(0);

    // Room again: the next backup completes.
    const next = await machine.agent('backup');
    expect(next.stderr).toBe('');
    expect(next.code).toBe(0);
  });
});
