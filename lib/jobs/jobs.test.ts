import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVault } from '@/lib/vaults/create';
import { createTestUser, type TestServices, testServices } from '@/testing/services';
import { jobsHref, parseJobFilters } from './filters';
import { vaultJobs } from './history';

let svc: TestServices;
beforeAll(async () => {
  svc = await testServices();
});
afterAll(() => svc.close());

describe('JOBS filters and pages', () => {
  it('keeps the filters in the URL, dropping what means nothing', () => {
    const filters = parseJobFilters({ status: 'Failed', operation: 'Backup', from: '2026-11-01', to: 'nope', x: '1' });
    expect(filters).toEqual({ status: 'Failed', operation: 'Backup', from: '2026-11-01' });
    expect(jobsHref('V', filters)).toBe(
      '/recovery-services/vaults/V/jobs?status=Failed&operation=Backup&from=2026-11-01',
    );
    expect(parseJobFilters({ status: 'Sleeping', operation: 'DROP TABLE' })).toEqual({});
  });

  it('filters by status, operation and dates, and pages by keyset without gaps or repeats', async () => {
    const user = await createTestUser(svc);
    const created = await createVault(svc, user, { name: 'Jobs', region: 'westus' });
    if (!created.ok) throw new Error('create failed');
    const vaultId = created.data.vaultId;
    // 130 jobs over 13 days, several in the same second, of every status, backups and restores.
    await svc.pool.query(
      `insert into operations (subscription_id, vault_id, vault_name, kind, status, message, started_at)
       select $1, $2, 'Jobs', (case when i % 3 = 0 then 'Restore' else 'Backup' end)::operation_kind,
         (array['Succeeded','Failed','InProgress','Cancelled'])[1 + i % 4]::operation_status, 'job ' || i,
         timestamptz '2026-11-01T00:00:00Z' + (i / 10) * interval '1 day' + (i % 5) * interval '1 second'
       from generate_series(0, 129) i`,
      [user.subscriptions[0]!.id, vaultId],
    );
    const all: string[] = [];
    let after: string | undefined;
    do {
      const page = await vaultJobs(svc.db, vaultId, { after }, 25);
      all.push(...page.jobs.map((j) => j.message));
      after = page.next;
    } while (after);
    // The vault's creation is a job too; every job once, newest first.
    expect(all).toHaveLength(131);
    expect(new Set(all).size).toBe(131);

    const failedBackups = await vaultJobs(svc.db, vaultId, { status: 'Failed', operation: 'Backup' }, 500);
    expect(failedBackups.jobs.every((j) => j.status === 'Failed' && j.kind === 'Backup')).toBe(true);
    expect(failedBackups.jobs).toHaveLength(22);
    const days = await vaultJobs(svc.db, vaultId, { from: '2026-11-03', to: '2026-11-04' }, 500);
    expect(days.jobs).toHaveLength(20);
    expect(days.jobs.map((j) => j.startedAt.toISOString().slice(0, 10)).sort()[0]).toBe('2026-11-03');
    expect(days.next).toBeUndefined();
  });
});
