import { startAlertDeliveries } from '@/lib/alerts/deliver';
import { queueDigests, raiseStaleAlerts } from '@/lib/alerts/raise';
import { runBackupDataJob } from '@/lib/backups/purge';
import { failStaleBackups } from '@/lib/backups/sessions';
import { type BackupDataJob, type OperationJob, QUEUES, type RetentionJob } from '@/lib/queues';
import { startReplication } from '@/lib/replication/replicate';
import { queueWeeklyVerifies, runVerifyStorage } from '@/lib/replication/verify';
import { failStaleRestores } from '@/lib/restore/sessions';
import { runRetentionJob } from '@/lib/retention/apply';
import type { Services } from '@/lib/services';
import { giveUpOperation, provisionVault, removeVault } from '@/lib/vaults/provisioning';

export type WorkerEvents = { onDone?: (queue: string, operationId: string, changed: boolean) => void };

const STALE_BACKUP_SWEEP_MS = 15_000;

/** What pg-boss kept of the last failure: a serialized error, or its own `{value:{message}}` for a timeout. */
function failureReason(output: unknown): string {
  const o = output as { message?: unknown; value?: { message?: unknown } } | null;
  const message = o?.message ?? o?.value?.message;
  return typeof message === 'string' && message.trim() ? message.trim() : 'the job failed';
}
// Recovery points age out of their policies' rules by the hour, whether or not backups run.
const RETENTION_CRON = '7 * * * *';

/**
 * Subscribes this process to the operation queues; any number of servers may do so on one database. Each also
 * sweeps backups whose agents stopped reporting (a conditional update, so servers never fail one twice), raises
 * `No recent backup` alerts and queues hourly digests (both once, by the database's unique indexes), and makes the
 * alerts' email and webhook deliveries, the replication to the secondary store (lib/replication), and the weekly
 * verification of each vault's packs.
 */
export async function startOperationWorkers(svc: Services, events: WorkerEvents = {}): Promise<void> {
  const handlers = { [QUEUES.provisionVault]: provisionVault, [QUEUES.deleteVault]: removeVault };
  for (const [queue, handle] of Object.entries(handlers)) {
    await svc.boss.work<OperationJob>(queue, { batchSize: 1, pollingIntervalSeconds: 0.5 }, async ([job]) => {
      if (!job) return;
      const changed = await handle(svc, job.data.operationId);
      events.onDone?.(queue, job.data.operationId, changed);
    });
  }
  // A job that failed its last retry (an error each time, or a server killed each time) ends its operation Failed.
  await svc.boss.work<OperationJob>(
    QUEUES.operationGaveUp,
    { batchSize: 1, pollingIntervalSeconds: 1, includeMetadata: true },
    async ([job]) => {
      if (job) await giveUpOperation(svc, job.data.operationId, failureReason(job.output));
    },
  );
  await svc.boss.work<BackupDataJob>(QUEUES.backupData, { batchSize: 1, pollingIntervalSeconds: 2 }, async ([job]) => {
    if (job) await runBackupDataJob(svc, job.data);
  });
  await svc.boss.work<RetentionJob>(QUEUES.retention, { batchSize: 1, pollingIntervalSeconds: 2 }, async ([job]) => {
    if (job) await runRetentionJob(svc, job.data);
  });
  await svc.boss.schedule(QUEUES.retention, RETENTION_CRON, {});
  // Verifications of stored packs: VERIFY on PROTECTED ITEMS, and each vault's weekly one (queued by the sweep).
  await svc.boss.work<OperationJob>(
    QUEUES.verifyStorage,
    { batchSize: 1, pollingIntervalSeconds: 1 },
    async ([job]) => {
      if (job) await runVerifyStorage(svc, job.data.operationId);
    },
  );
  const sweep = setInterval(async () => {
    // Another process may have moved the portal's clock (SQL's portal_now() always reads the current offset).
    await svc.clock.refresh().catch((err) => console.error('clock refresh failed:', err.message));
    failStaleBackups(svc).catch((err) => console.error('stale backup sweep failed:', err.message));
    failStaleRestores(svc).catch((err) => console.error('stale restore sweep failed:', err.message));
    raiseStaleAlerts(svc).catch((err) => console.error('no-recent-backup check failed:', err.message));
    queueDigests(svc).catch((err) => console.error('alert digests failed:', err.message));
    queueWeeklyVerifies(svc).catch((err) => console.error('weekly verification failed:', err.message));
  }, STALE_BACKUP_SWEEP_MS);
  sweep.unref();
  // Alert emails and webhooks: their own loop, so a slow mail server or webhook holds up nothing else.
  startAlertDeliveries(svc);
  // Copies of Geo-Redundant vaults' packs to the secondary store, and deletions there: their own loop too.
  startReplication(svc);
}
