import 'server-only';
import { and, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { type Database, withTransaction } from '@/db/client';
import { backupSessions, operations, protectedItems } from '@/db/schema';
import { logChange } from '@/lib/audit/log';
import type { PortalUser } from '@/lib/auth/users';
import { endSession } from '@/lib/backups/sessions';
import { type ActionDone, actionOf, PortalError } from '@/lib/errors';
import type { Services } from '@/lib/services';
import { vaultAccessOrThrow } from '@/lib/vaults/access';

export const cancelMessages = {
  notCancelable: 'The job is not in a cancelable state - Please wait until the job completes.',
  notFound: 'The job was not found.',
} as const;

const cancelSchema = z.object({ jobId: z.uuid(), vaultId: z.uuid() });

type Outcome = 'cancelled' | 'not-cancelable';

type CancelledJob = {
  id: string;
  itemName: string | null;
  subscriptionId: string;
  vaultId: string | null;
  vaultName: string | null;
};

/**
 * Who cancelled, in the operation logs: the job's own entry (Cancelled, by the operations trigger) names the person
 * who started it, who may be someone else.
 */
function logCancel(tx: Database, user: PortalUser, job: CancelledJob, category: 'Backups' | 'Restores') {
  return logChange(tx, {
    actor: user,
    subscriptionId: job.subscriptionId,
    vault: job.vaultId && job.vaultName ? { id: job.vaultId, name: job.vaultName } : null,
    category,
    operation: category === 'Backups' ? 'Cancel backup' : 'Cancel restore',
    target: job.itemName,
    after: { job: job.id, status: 'Cancelled' },
  });
}

/** The JOBS page's CANCEL: cancelJobOrThrow, each refusal as the page shows it. */
export const cancelJob = actionOf(cancelJobOrThrow);

/**
 * CANCEL: a running backup's session ends as Cancelled (a restore's likewise, below), which its agent learns at its next report (about once a
 * second: the portal answers that the session has ended) and stops, leaving no recovery point; a BACKUP NOW no agent
 * took yet is withdrawn. Every other job, and one that ended meanwhile, is refused with the classic message. The
 * item's row lock orders this against the agent taking the request, as startBackup takes it first too.
 */
export async function cancelJobOrThrow(svc: Services, user: PortalUser, input: unknown): Promise<ActionDone> {
  const parsed = cancelSchema.safeParse(input);
  if (!parsed.success) throw new PortalError('not_found', cancelMessages.notFound);
  // The job's vault through the vault guard: another subscription's job is not found, a Reader's CANCEL refused.
  const checked = await vaultAccessOrThrow(svc.db, user, parsed.data.vaultId, 'write', {
    notFound: cancelMessages.notFound,
  });
  const [job] = await svc.db
    .select({
      id: operations.id,
      kind: operations.kind,
      status: operations.status,
      itemId: operations.itemId,
      itemName: operations.itemName,
      subscriptionId: operations.subscriptionId,
      vaultId: operations.vaultId,
      vaultName: operations.vaultName,
    })
    .from(operations)
    .where(and(eq(operations.id, parsed.data.jobId), eq(operations.vaultId, checked.vault.id)));
  if (!job) throw new PortalError('not_found', cancelMessages.notFound);
  if ((job.kind === 'Restore' || job.kind === 'Verify') && job.status === 'InProgress') {
    return cancelRestore(svc, user, job);
  }
  if (job.kind !== 'Backup' || job.status !== 'InProgress' || !job.itemId) {
    throw new PortalError('not_cancellable', cancelMessages.notCancelable);
  }
  const itemId = job.itemId;
  const outcome = await withTransaction(svc.pool, async (tx): Promise<Outcome> => {
    await tx.select({ id: protectedItems.id }).from(protectedItems).where(eq(protectedItems.id, itemId)).for('update');
    const [session] = await tx
      .select({ id: backupSessions.id })
      .from(backupSessions)
      .where(and(eq(backupSessions.operationId, job.id), eq(backupSessions.running, true)));
    if (session) {
      const ended = await endSession(tx, session.id, 'Cancelled', `${user.email} cancelled it in the portal.`);
      if (ended) await logCancel(tx, user, job, 'Backups');
      return ended ? 'cancelled' : 'not-cancelable';
    }
    // BACKUP NOW that no agent has taken yet: the job has no figures until one does.
    const [withdrawn] = await tx
      .update(operations)
      .set({
        status: 'Cancelled',
        message: sql`'The backup of ''' || ${operations.itemName} || ''' on ''' || ${operations.serverName} || ''' was cancelled before the agent started it.'`,
        endedAt: sql`portal_now()`,
        updatedAt: sql`portal_now()`,
      })
      .where(
        and(
          eq(operations.id, job.id),
          eq(operations.status, 'InProgress'),
          sql`${operations.bytesTotal} is null`,
          sql`not exists (select 1 from backup_sessions s where s.operation_id = ${job.id})`,
        ),
      )
      .returning({ id: operations.id });
    if (!withdrawn) return 'not-cancelable';
    await tx
      .update(protectedItems)
      .set({ backupRequestedAt: null, backupRequestedBy: null })
      .where(eq(protectedItems.id, itemId));
    await logCancel(tx, user, job, 'Backups');
    return 'cancelled';
  });
  if (outcome !== 'cancelled') throw new PortalError('not_cancellable', cancelMessages.notCancelable);
  return { ok: true, data: undefined, message: `The backup of '${job.itemName}' is being cancelled.` };
}

/**
 * A running restore (or a RECOVER TO SERVER request no agent took yet) ends as Cancelled: its agent's next report is
 * refused as ended and it stops; the files it already wrote stay in the target folder.
 */
async function cancelRestore(
  svc: Services,
  user: PortalUser,
  job: CancelledJob & { kind: string },
): Promise<ActionDone> {
  const cancelled = await withTransaction(svc.pool, async (tx, client) => {
    const { rows } = await client.query(
      `update restores set running = false, ended_at = portal_now()
       where operation_id = $1 and ended_at is null returning id`,
      [job.id],
    );
    if (rows.length === 0) return false;
    await client.query(
      `update operations set status = 'Cancelled', seconds_left = null, ended_at = portal_now(), updated_at = portal_now(),
         message = 'The ' || case when kind = 'Verify' then 'verification' else 'restore' end || ' of '''
           || item_name || ''' on ''' || server_name || ''' was cancelled: ' || $2::text
       where id = $1 and status = 'InProgress'`,
      [job.id, `${user.email} cancelled it in the portal.`],
    );
    await logCancel(tx, user, job, 'Restores');
    return true;
  });
  if (!cancelled) throw new PortalError('not_cancellable', cancelMessages.notCancelable);
  const what = job.kind === 'Verify' ? 'verification' : 'restore';
  return { ok: true, data: undefined, message: `The ${what} of '${job.itemName}' is being cancelled.` };
}
