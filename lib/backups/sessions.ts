import 'server-only';
import { randomBytes } from 'node:crypto';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { type Database, withTransaction } from '@/db/client';
import { backupKeys, backupSessions, operations, protectedItems, registeredServers } from '@/db/schema';
import { PortalError, violatedConstraint } from '@/lib/errors';
import { enqueueRetention } from '@/lib/queues';
import type { AuthenticatedMachine } from '@/lib/registration/machine';
import type { Services } from '@/lib/services';
import {
  AGENT_MESSAGES,
  type CommitResponse,
  MAX_BATCH_BYTES,
  type MissingResponse,
  type ObjectsResponse,
  type ProgressResponse,
  type StartBackupResponse,
} from '@/wire/protocol';
import { count, failSchema, hashToken, parseAgentBody, progressSchema } from './agent-input';
import { machineItem } from './items';
import { keyLock } from './locks';
import {
  authenticateSessionToken,
  type BackupSession,
  findMissingObjects,
  idsNotStored,
  malformedUpload,
  objectIdSchema,
  storeObjectBatch,
} from './object-batches';

/** A running backup whose agent has not reported for this long is failed: the agent was killed or lost its way. */
export const HEARTBEAT_TIMEOUT_SECONDS = 60;
/** A BACKUP NOW that no agent takes for this long fails, with a hint that the agent's service is not running. */
export const REQUEST_TIMEOUT_MINUTES = 10;

const startSchema = z.object({
  path: z.string(),
  keyId: z.uuid(),
  filesTotal: count,
  bytesTotal: count,
});
const commitSchema = z.object({
  rootId: objectIdSchema,
  objectIds: z.array(objectIdSchema).min(1).max(10_000_000),
  files: count,
  folders: count,
  bytes: count,
  dataTransferred: count,
  filesSkipped: count.optional(),
  skippedListId: objectIdSchema.optional(),
});

/**
 * Starts a backup of one of the machine's protected items: a Backup job the portal shows, and a session whose token
 * authenticates the uploads. A session of the same item that this machine left running (its agent was killed) is
 * failed first: one machine never runs two backups of an item (its agent holds a lock), so the old one is dead.
 */
/**
 * The emulator's fault rule for Backup (matched by the server's name): the backup fails with its message where the
 * user sees it, a Failed job (which raises its alert as any failed backup does) and the agent's error line.
 */
async function failedByFaultRule(svc: Services, machine: AuthenticatedMachine, item: { id: string; path: string }) {
  const fault = await svc.faults.check('Backup', { name: machine.name }).then(
    () => undefined,
    (err: Error) => err.message,
  );
  if (fault === undefined) return;
  await svc.db.insert(operations).values({
    subscriptionId: machine.subscriptionId,
    vaultId: machine.vaultId,
    vaultName: machine.vaultName,
    kind: 'Backup',
    itemId: item.id,
    itemName: item.path,
    serverId: machine.id,
    serverName: machine.name,
    status: 'Failed',
    progress: 100,
    message: `The backup of '${item.path}' on '${machine.name}' failed: ${fault}`,
    endedAt: sql`portal_now()`,
  });
  throw new PortalError('conflict', fault);
}

export async function startBackup(
  svc: Services,
  machine: AuthenticatedMachine,
  body: unknown,
): Promise<StartBackupResponse> {
  const request = parseAgentBody(startSchema, body, 'backup request');
  const item = await machineItem(svc, machine, request.path);
  if (item.status === 'Stopped') throw new PortalError('conflict', AGENT_MESSAGES.protectionStopped(item.path));
  await failedByFaultRule(svc, machine, item);
  const secret = randomBytes(32).toString('base64url');

  return withTransaction(svc.pool, async (tx, client) => {
    const [key] = await tx
      .select({ id: backupKeys.id })
      .from(backupKeys)
      .where(and(eq(backupKeys.id, request.keyId), eq(backupKeys.serverId, machine.id)));
    if (!key) throw new PortalError('not_found', 'The vault key is not known to the portal: run the backup again.');
    // Orders this session against a garbage collection of the key's objects (which holds the lock exclusively).
    await client.query('select pg_advisory_xact_lock_shared($1)', [keyLock(key.id)]);

    const [locked] = await tx
      .select({ requestedAt: protectedItems.backupRequestedAt, requestedBy: protectedItems.backupRequestedBy })
      .from(protectedItems)
      .where(eq(protectedItems.id, item.id))
      .for('update');
    if (!locked) throw new PortalError('not_found', AGENT_MESSAGES.notProtected(item.path));
    const [stale] = await tx
      .select({ id: backupSessions.id })
      .from(backupSessions)
      .where(and(eq(backupSessions.itemId, item.id), eq(backupSessions.running, true)));
    if (stale) {
      await endSession(
        tx,
        stale.id,
        'Failed',
        'The agent started a new backup of this item; this one stopped without finishing.',
      );
    }

    const figures = {
      message: `Backing up '${item.path}' on '${machine.name}'...`,
      bytesDone: 0,
      bytesTotal: request.bytesTotal,
      filesDone: 0,
      filesTotal: request.filesTotal,
      dataTransferred: 0,
    };
    // BACKUP NOW made the job already: this backup carries it on.
    const [requested] = locked.requestedAt
      ? await tx
          .update(operations)
          .set({ ...figures, updatedAt: sql`portal_now()` })
          .where(
            and(
              eq(operations.itemId, item.id),
              eq(operations.kind, 'Backup'),
              eq(operations.status, 'InProgress'),
              isNull(operations.bytesTotal),
            ),
          )
          .returning({ id: operations.id })
      : [];
    const [operation] = requested
      ? [requested]
      : await tx
          .insert(operations)
          .values({
            userId: locked.requestedAt ? locked.requestedBy : null,
            subscriptionId: machine.subscriptionId,
            vaultId: machine.vaultId,
            vaultName: machine.vaultName,
            kind: 'Backup',
            itemId: item.id,
            itemName: item.path,
            serverId: machine.id,
            serverName: machine.name,
            ...figures,
          })
          .returning({ id: operations.id });
    const [session] = await tx
      .insert(backupSessions)
      .values({
        itemId: item.id,
        keyId: key.id,
        operationId: operation!.id,
        tokenHash: hashToken(secret).toString('hex'),
      })
      .returning({ id: backupSessions.id, startedAt: backupSessions.startedAt });
    // The request is taken: the next BACKUP NOW is a new one.
    await tx
      .update(protectedItems)
      .set({ backupRequestedAt: null, backupRequestedBy: null })
      .where(eq(protectedItems.id, item.id));
    return {
      sessionId: session!.id,
      token: `${session!.id}.${secret}`,
      operationId: operation!.id,
      takenAt: session!.startedAt.toISOString(),
    };
  });
}

export type { BackupSession } from './object-batches';
export { parseFrames } from './object-batches';

/** The running session a session token stands for, or the refusal the agent stops on. */
export function authenticateSession(
  svc: Services,
  sessionId: string,
  authorization: string | null,
): Promise<BackupSession> {
  return authenticateSessionToken(svc.pool, sessionId, authorization);
}

/** Which of the ids the key's namespace lacks (see findMissingObjects; the portal's server answers it on a fast path). */
export function findMissing(svc: Services, session: BackupSession, body: unknown): Promise<MissingResponse> {
  return findMissingObjects(svc.pool, session, body);
}

/** The body, refused as soon as it grows past the limit, so an oversized upload is never held in memory whole. */
async function readLimited(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > limit) throw malformed(`send at most ${limit} bytes per request`);
  if (!request.body) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (let part = await reader.read(); !part.done; part = await reader.read()) {
    size += part.value.length;
    if (size > limit) {
      await reader.cancel();
      throw malformed(`send at most ${limit} bytes per request`);
    }
    parts.push(part.value);
  }
  if (request.headers.has('content-length') && size !== declared) {
    throw malformed(`it was cut short (${size} of ${declared} bytes arrived)`);
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

const malformed = malformedUpload;

/** Stores a batch of sealed objects (see storeObjectBatch); the portal's server takes the same batches on a fast path. */
export async function storeObjects(svc: Services, session: BackupSession, request: Request): Promise<ObjectsResponse> {
  return storeObjectBatch(svc.pool, svc.store, session, await readLimited(request, MAX_BATCH_BYTES));
}

/** The agent's report, about once a second: the job's live figures, and the heartbeat that keeps the session alive. */
export async function reportProgress(svc: Services, session: BackupSession, body: unknown): Promise<ProgressResponse> {
  const report = parseAgentBody(progressSchema, body, 'progress report');
  await svc.db
    .update(operations)
    .set({
      ...report,
      progress: report.bytesTotal > 0 ? Math.min(99, Math.floor((report.bytesDone / report.bytesTotal) * 100)) : 0,
      updatedAt: sql`portal_now()`,
    })
    .where(and(eq(operations.id, session.operationId), eq(operations.status, 'InProgress')));
  await touch(svc.db, session.id);
  return { running: true };
}

/** The foreign keys of a point's root and references to the object index. */
const MISSING_OBJECT_CONSTRAINTS = new Set([
  'recovery_points_key_id_root_id_backup_objects_key_id_id_fk',
  'recovery_point_objects_key_id_object_id_backup_objects_key_id_id_fk',
]);

/** A reference of the point to an object the key does not hold: the commit is rolled back, then they are named. */
class MissingObjects extends Error {
  constructor(readonly ids: string[]) {
    super('missing objects');
  }
}

/**
 * Commits the recovery point. It appears only if every object it names is stored under the session's key: the
 * foreign keys of recovery_point_objects check that in the database, and hold those objects against deletion. Only
 * when they refuse are the missing objects looked for, to name them (a check of every id before the insert cost a
 * commit of node_modules about 0.1 s each time).
 */
export async function commitBackup(svc: Services, session: BackupSession, body: unknown): Promise<CommitResponse> {
  try {
    return await commitPoint(svc, session, body);
  } catch (error) {
    if (!(error instanceof MissingObjects)) throw error;
    const missing = await idsNotStored(svc.pool, session.keyId, error.ids);
    throw new PortalError(
      'missing_objects',
      `${AGENT_MESSAGES.missingObjects} Missing: ${missing
        .slice(0, 5)
        .map((id) => id.slice(0, 16))
        .join(', ')}.`,
    );
  }
}

async function commitPoint(svc: Services, session: BackupSession, body: unknown): Promise<CommitResponse> {
  const request = parseAgentBody(commitSchema, body, 'recovery point');
  const ids = [...new Set(request.objectIds)];
  if (!ids.includes(request.rootId)) throw new PortalError('invalid', 'The recovery point must list its root.');
  const skipped = request.filesSkipped ?? 0;
  if (skipped > 0 !== (request.skippedListId !== undefined)) {
    throw new PortalError(
      'invalid',
      'The recovery point is not valid: filesSkipped and skippedListId go together, for a backup that skipped files.',
    );
  }
  if (request.skippedListId !== undefined && !ids.includes(request.skippedListId)) {
    throw new PortalError('invalid', 'The recovery point must list the object that lists its skipped files.');
  }

  return withTransaction(svc.pool, async (tx, client) => {
    const [running] = await tx
      .select({ id: backupSessions.id })
      .from(backupSessions)
      .where(and(eq(backupSessions.id, session.id), eq(backupSessions.running, true)))
      .for('update');
    if (!running) throw new PortalError('session_ended', AGENT_MESSAGES.sessionEnded);
    if (skipped > 0) {
      // What was skipped was counted when the backup started: its files (files_total), and folders it could not list.
      const [job] = await tx
        .select({ filesTotal: operations.filesTotal })
        .from(operations)
        .where(eq(operations.id, session.operationId));
      if (skipped > (job?.filesTotal ?? 0) + request.folders) {
        throw new PortalError(
          'invalid',
          `The recovery point is not valid: it skipped ${skipped} files of the ${job?.filesTotal ?? 0} files and ${request.folders} folders the backup counted.`,
        );
      }
    }
    const missing = (error: unknown) => {
      throw MISSING_OBJECT_CONSTRAINTS.has(violatedConstraint(error) ?? '') ? new MissingObjects(ids) : error;
    };
    const { rows: points } = await client
      .query<{ id: string; taken_at: Date }>(
        `insert into recovery_points (vault_id, item_id, key_id, root_id, taken_at, files, folders, bytes)
         select i.vault_id, i.id, $2, $3, $4, $5, $6, $7 from protected_items i where i.id = $1
         returning id, taken_at`,
        [
          session.itemId,
          session.keyId,
          request.rootId,
          session.startedAt,
          request.files,
          request.folders,
          request.bytes,
        ],
      )
      .catch(missing);
    const point = points[0];
    if (!point) throw new PortalError('session_ended', AGENT_MESSAGES.sessionEnded);
    // In the indexes' order: the rows land on neighbouring index pages instead of tens of thousands of random ones
    // (node_modules' 46,000 references: about a fifth of the insert's time).
    await client
      .query(
        `insert into recovery_point_objects (point_id, key_id, object_id)
         select $1, $2, u.id from unnest($3::text[]) as u(id) order by u.id collate "C"`,
        [point.id, session.keyId, ids],
      )
      .catch(missing);
    const [item] = await tx
      .update(protectedItems)
      .set({ status: 'Protected', lastBackupStatus: 'Completed', lastBackupAt: sql`portal_now()` })
      .where(and(eq(protectedItems.id, session.itemId), sql`${protectedItems.status} <> 'Stopped'`))
      .returning({ path: protectedItems.path, serverId: protectedItems.serverId });
    if (item) {
      await tx
        .update(registeredServers)
        .set({ lastBackupAt: sql`portal_now()` })
        .where(eq(registeredServers.id, item.serverId));
    }
    await tx
      .update(backupSessions)
      .set({ running: false, heartbeatAt: sql`portal_now()` })
      .where(eq(backupSessions.id, session.id));
    // The new point may push older ones out of the item's policy.
    await enqueueRetention(svc, client, [session.itemId]);
    // The skipped files are set by the update that ends the job: the operations_alerts trigger reads them as the
    // status changes, and raises the Warning (BackupWarnings) alert.
    const completed = skipped > 0 ? ` completed with warnings: ${AGENT_MESSAGES.skippedFiles(skipped)}` : ' completed.';
    await tx
      .update(operations)
      .set({
        status: 'Succeeded',
        progress: 100,
        bytesDone: request.bytes,
        filesDone: request.files,
        dataTransferred: request.dataTransferred,
        secondsLeft: 0,
        filesSkipped: skipped > 0 ? skipped : null,
        skippedListId: request.skippedListId ?? null,
        message: sql`'The backup of ''' || ${operations.itemName} || ''' on ''' || ${operations.serverName} || '''' || ${completed}`,
        endedAt: sql`portal_now()`,
        updatedAt: sql`portal_now()`,
      })
      .where(and(eq(operations.id, session.operationId), eq(operations.status, 'InProgress')));
    return { pointId: point.id, takenAt: point.taken_at.toISOString() };
  });
}

/** The agent gave up (an unreadable folder, a full disk, Ctrl+C): the job fails with its reason, no point is made. */
export async function failBackup(svc: Services, session: BackupSession, body: unknown): Promise<{ ended: boolean }> {
  const { message } = parseAgentBody(failSchema, body, 'failure report');
  const ended = await withTransaction(svc.pool, (tx) => endSession(tx, session.id, 'Failed', message));
  return { ended };
}

/**
 * Ends a running session and its job: Failed or Cancelled with the reason. Conditional on the session still
 * running, so a late report or a second sweeper changes nothing twice; returns whether this call ended it.
 */
export async function endSession(
  tx: Database,
  sessionId: string,
  status: 'Failed' | 'Cancelled',
  reason: string,
): Promise<boolean> {
  const [session] = await tx
    .update(backupSessions)
    .set({ running: false })
    .where(and(eq(backupSessions.id, sessionId), eq(backupSessions.running, true)))
    .returning({ itemId: backupSessions.itemId, operationId: backupSessions.operationId });
  if (!session) return false;
  await tx.update(protectedItems).set({ lastBackupStatus: status }).where(eq(protectedItems.id, session.itemId));
  const verb = status === 'Failed' ? 'failed' : 'was cancelled';
  await tx
    .update(operations)
    .set({
      status,
      secondsLeft: null,
      message: sql`'The backup of ''' || ${operations.itemName} || ''' on ''' || ${operations.serverName} || ''' ' || ${verb} || ': ' || ${reason}`,
      endedAt: sql`portal_now()`,
      updatedAt: sql`portal_now()`,
    })
    .where(and(eq(operations.id, session.operationId), eq(operations.status, 'InProgress')));
  return true;
}

/**
 * Fails the backups whose agents stopped reporting (killed, or cut off), and BACKUP NOW requests no agent took in
 * time (its service is not running): run periodically by every worker.
 */
export async function failStaleBackups(svc: Services, now = svc.clock.now()): Promise<number> {
  await svc.pool.query(
    `with dropped as (
       update protected_items set backup_requested_at = null, backup_requested_by = null
       where backup_requested_at < $1 returning id)
     update operations o set status = 'Failed', progress = 100, ended_at = portal_now(), updated_at = portal_now(),
       message = 'The backup of ''' || o.item_name || ''' on ''' || o.server_name || ''' failed: the agent did not start it within '
         || $2 || ' minutes. Is the agent running as a service (\`run\`) on the server?'
     from dropped where o.item_id = dropped.id and o.kind = 'Backup' and o.status = 'InProgress' and o.bytes_total is null`,
    [new Date(now.getTime() - REQUEST_TIMEOUT_MINUTES * 60_000), REQUEST_TIMEOUT_MINUTES],
  );
  const cutoff = new Date(now.getTime() - HEARTBEAT_TIMEOUT_SECONDS * 1000);
  const { rows } = await svc.pool.query<{ id: string }>(
    'select id from backup_sessions where running and heartbeat_at < $1',
    [cutoff],
  );
  let ended = 0;
  for (const { id } of rows) {
    const done = await withTransaction(svc.pool, (tx) =>
      endSession(tx, id, 'Failed', 'the agent stopped reporting progress (it was stopped, or lost its connection).'),
    );
    if (done) ended += 1;
  }
  return ended;
}

async function touch(db: Database, sessionId: string) {
  await db.update(backupSessions).set({ heartbeatAt: sql`portal_now()` }).where(eq(backupSessions.id, sessionId));
}
