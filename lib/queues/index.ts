import type pg from 'pg';
import PgBoss from 'pg-boss';

export const QUEUES = {
  provisionVault: 'provision-vault',
  deleteVault: 'delete-vault',
  backupData: 'backup-data',
  retention: 'retention',
  /** Verifying a vault's or an item's packs in each store (lib/replication/verify.ts). */
  verifyStorage: 'verify-storage',
  /** Dead letters: a vault operation's job that failed its last retry, so that its operation ends Failed. */
  operationGaveUp: 'operation-gave-up',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export type OperationJob = { operationId: string };

/** Deleting backup data from the blob store: a removed key's whole namespace, or a key's unreferenced objects. */
export type BackupDataJob = { action: 'purge-key' | 'collect'; keyId: string; graceSeconds?: number };
/** Applying retention: to one item's points (after a backup or a policy change), or to every item (the hourly sweep). */
export type RetentionJob = { itemId?: string };

/**
 * A pg-boss on the portal's database. Jobs that a killed server left active expire and are retried by any server;
 * their handlers make each state change conditional, so a retried or duplicated job changes nothing twice.
 */
export async function startBoss(url: string, provisioningSeconds: number): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: url,
    max: 3,
    maintenanceIntervalSeconds: 5,
    application_name: 'portal-jobs',
  });
  boss.on('error', (err) => console.error('job queue error:', err.message));
  await boss.start();
  // Long enough for a healthy run to finish, short enough that a crashed server's job is picked up soon.
  const expireInSeconds = Math.ceil(provisioningSeconds * 2) + 10;
  // The dead-letter queue first: the operation queues name it.
  const names = [QUEUES.operationGaveUp, ...Object.values(QUEUES).filter((q) => q !== QUEUES.operationGaveUp)];
  for (const name of names) {
    // Removing a large namespace from a bucket takes a while; the work is idempotent, so a retry just goes on.
    const options =
      name === QUEUES.verifyStorage
        ? // Reading a vault's packs takes a while; a killed server's verification is taken up again from the start.
          { name, retryLimit: 3, retryDelay: 30, expireInSeconds: 3600, deadLetter: QUEUES.operationGaveUp }
        : name === QUEUES.backupData || name === QUEUES.retention
          ? { name, retryLimit: 20, retryDelay: 30, expireInSeconds: 900 }
          : name === QUEUES.operationGaveUp
            ? { name, retryLimit: 50, retryDelay: 1 }
            : { name, retryLimit: 50, retryDelay: 1, expireInSeconds, deadLetter: QUEUES.operationGaveUp };
    if (await boss.getQueue(name)) await boss.updateQueue(name, options);
    else
      await boss.createQueue(name, options).catch(async (err) => {
        // Another server created it between our check and our create.
        if (!(await boss.getQueue(name))) throw err;
      });
  }
  return boss;
}

/** Enqueues inside the caller's transaction: the job exists if and only if the caller's changes commit. */
export async function sendInTransaction(
  boss: PgBoss,
  client: pg.PoolClient,
  queue: QueueName,
  job: OperationJob | BackupDataJob | RetentionJob,
) {
  await boss.send(queue, job, {
    singletonKey: 'operationId' in job ? job.operationId : undefined,
    db: { executeSql: (text: string, values: unknown[]) => client.query(text, values) },
  });
}

/**
 * How long an object no recovery point needs is kept: a killed backup's uploads stay reusable by the next backup for
 * this long before garbage collection takes them.
 */
export const DEFAULT_GRACE_SECONDS = 6 * 3600;
/** Enqueues, inside the caller's transaction, the removal of a deleted key's whole namespace from the blob store. */
export async function enqueuePurge(svc: { boss: PgBoss }, client: pg.PoolClient, keyIds: string[]): Promise<void> {
  for (const keyId of keyIds) {
    await sendInTransaction(svc.boss, client, QUEUES.backupData, { action: 'purge-key', keyId });
  }
}

/** Enqueues, inside the caller's transaction, a garbage collection of a key's objects that no point needs. */
export async function enqueueCollect(
  svc: { boss: PgBoss },
  client: pg.PoolClient,
  keyIds: string[],
  graceSeconds = DEFAULT_GRACE_SECONDS,
): Promise<void> {
  for (const keyId of keyIds) {
    await sendInTransaction(svc.boss, client, QUEUES.backupData, { action: 'collect', keyId, graceSeconds });
  }
}

/** Enqueues, inside the caller's transaction, retention for these items (after a backup or a policy change). */
export async function enqueueRetention(svc: { boss: PgBoss }, client: pg.PoolClient, itemIds: string[]): Promise<void> {
  for (const itemId of itemIds) await sendInTransaction(svc.boss, client, QUEUES.retention, { itemId });
}
