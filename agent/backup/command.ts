import { setMaxListeners } from 'node:events';
import { statfs } from 'node:fs/promises';
import path from 'node:path';
import { deriveVaultKeys, fromBase64, type SkippedFile, type VaultKeys } from '@/lib/backup-format';
import {
  AGENT_MESSAGES,
  AGENT_PATHS,
  type CommitRequest,
  type CommitResponse,
  type ItemsResponse,
  MAX_DATA_SOURCE_GB,
  type MissingResponse,
  type ObjectsResponse,
  type PointsResponse,
  type ProgressResponse,
  type StartBackupRequest,
  type StartBackupResponse,
} from '@/wire/protocol';
import { excludeMatcher, exclusionsOf } from '../exclusions';
import { withRoomyHeap } from '../heap';
import { type AgentContext, interruption } from '../io';
import { callAsMachine, isObject, registeredState } from '../machine';
import { callPortal, PortalRefusal, type PortalRequest, sessionEnded } from '../portal';
import { DEFAULT_RETRY, FAILURE_REPORT, PORTAL_SILENCE_MS, type Retry } from '../retry';
import type { AgentState } from '../state';
import { type BackupPace, uploadPace } from '../throttle';
import { initZstd } from '../zstd';
import { type CachedFile, clearFileCache, readFileCache, writeFileCache } from './cache';
import { backupTree, StoppedError } from './engine';
import { ensureVaultKey, type KeyOptions } from './key';
import { withItemLock } from './lock';
import { Progress, progressView, startReporting } from './progress';
import { scanFolder } from './scan';
import { Uploader } from './uploader';

export type BackupOptions = KeyOptions & {
  stateDir: string;
  /** One protected folder; every protected folder of the machine when absent. */
  path?: string;
  json: boolean;
  /** Aborted when the backup must stop: the agent was interrupted (SIGINT/SIGTERM), or its service stops. */
  signal?: AbortSignal;
};

export type BackupResult = {
  path: string;
  pointId: string;
  takenAt: string;
  dataTransferred: number;
  /** Files and folders that could not be read, left out of the point (listed on stderr). */
  skipped: number;
};

/** How many skipped entries are named on stderr; the rest are counted. */
const NAMED_SKIPS = 20;

const REPORT_INTERVAL_MS = 1000;
const GB = 1024 ** 3;

/** `backup`: backs up the machine's protected folders (or one) now; each completed item is one recovery point. */
export async function backup(options: BackupOptions, ctx: AgentContext): Promise<BackupResult[]> {
  let state = await registeredState(options.stateDir);
  const safe = idempotent(ctx, options.signal);
  state = await ensureVaultKey(state, options, ctx, safe);
  const keys = await deriveVaultKeys(fromBase64(state.vaultKey!));
  await initZstd();
  // The upload throttle, one bucket for all of this backup's uploads, its limit following the local time as it goes.
  const pace = uploadPace(state.throttle, ctx.now);
  const paths = options.path ? [path.resolve(options.path)] : await protectedFolders(state, ctx, safe);
  const results: BackupResult[] = [];
  for (const itemPath of paths) results.push(await backupItem(state, keys, itemPath, options, ctx, pace));
  const skipped = results.reduce((sum, result) => sum + result.skipped, 0);
  if (options.json) ctx.stdout.write(`${JSON.stringify({ event: 'completed', items: results, skipped })}\n`);
  else {
    ctx.stdout.write(
      `${skipped > 0 ? AGENT_MESSAGES.backupCompletedWithWarnings(skipped) : AGENT_MESSAGES.backupCompleted}\n`,
    );
  }
  return results;
}

async function protectedFolders(state: AgentState, ctx: AgentContext, retry: Retry): Promise<string[]> {
  const { items } = await callAsMachine(state, ctx, {
    path: AGENT_PATHS.items,
    method: 'GET',
    accept: isObject<ItemsResponse>,
    signal: retry.signal,
    retry,
  });
  const active = items.filter((item) => item.status !== 'Stopped').map((item) => item.path);
  if (active.length === 0) {
    throw new Error('No folder is protected on this server: protect one first with `protect --path DIR`.');
  }
  return active;
}

/** The limits the classic agent had: a data source's size, and room on the disk that holds the agent's state. */
export async function checkCapacity(
  bytes: number,
  stateDir: string,
  warn: (line: string) => void,
  free?: number,
): Promise<void> {
  if (bytes > MAX_DATA_SOURCE_GB * GB) throw new Error(AGENT_MESSAGES.tooLarge(Math.ceil(bytes / GB)));
  const available = free ?? (await freeSpace(stateDir));
  const needed = bytes * 0.1;
  if (available < needed) {
    throw new Error(
      `There is not enough free space on the disk of the agent's state directory ${stateDir}: ${formatGb(available)} free, and a backup of ${formatGb(bytes)} needs at least 10% of it (${formatGb(needed)}).`,
    );
  }
  if (available < bytes * 0.15) {
    warn(
      `Warning: the disk of the agent's state directory ${stateDir} has ${formatGb(available)} free, less than 15% of the ${formatGb(bytes)} being backed up.`,
    );
  }
}

async function freeSpace(dir: string): Promise<number> {
  const stats = await statfs(dir);
  return stats.bavail * stats.bsize;
}

/** Room for the backup's short-lived buffers within its 300 MiB peak memory (agent/heap.ts). */
const BACKUP_HEAP_GROWING_PERCENT = 250;

const formatGb = (bytes: number) => `${(bytes / GB).toFixed(2)} GB`;

/** Retries of a call that is safe to repeat (agent/retry.ts), ended by `signal`. */
function idempotent(ctx: AgentContext, signal?: AbortSignal): Retry {
  return { policy: ctx.retry ?? DEFAULT_RETRY, repeat: 'always', signal };
}

/**
 * Names the first entries the backup left out on stderr, `Skipped '<path>': <reason>.`, and counts the rest: sockets,
 * pipes and devices as the scan meets them (never backed up), and after the commit what could not be read (the
 * backup's warnings).
 */
function printSkipped(ctx: AgentContext, skipped: SkippedFile[], itemPath: string): void {
  for (const entry of skipped.slice(0, NAMED_SKIPS)) {
    ctx.stderr.write(`Skipped '${path.join(itemPath, entry.path)}': ${entry.reason}.\n`);
  }
  if (skipped.length > NAMED_SKIPS) {
    ctx.stderr.write(`… and ${(skipped.length - NAMED_SKIPS).toLocaleString('en-US')} more\n`);
  }
}

/** A silence of the portal this long (or longer) is named when the portal ended the backup meanwhile. */
const LONG_SILENCE_MS = PORTAL_SILENCE_MS / 2;

/** Records a backup that failed before it began: a session started and failed at once with the reason. */
async function reportFailedStart(state: AgentState, ctx: AgentContext, itemPath: string, message: string) {
  const request: StartBackupRequest = { path: itemPath, keyId: state.keyId!, filesTotal: 0, bytesTotal: 0 };
  try {
    const session = await callAsMachine(state, ctx, {
      path: AGENT_PATHS.backups,
      method: 'POST',
      body: request,
      accept: isObject<StartBackupResponse>,
      // Starting makes a job: not repeated unless the portal surely never received it.
      retry: { ...FAILURE_REPORT.retry, repeat: 'unsent' },
    });
    await callPortal({
      portalUrl: state.portalUrl,
      path: AGENT_PATHS.session(session.sessionId, 'fail'),
      method: 'POST',
      headers: { authorization: `Bearer ${session.token}` },
      body: { message },
      fetch: ctx.fetch,
      accept: isObject,
      ...FAILURE_REPORT,
    });
  } catch {
    // The portal is away or refuses: the machine's own error still says what happened.
  }
}

async function backupItem(
  state: AgentState,
  keys: VaultKeys,
  itemPath: string,
  options: BackupOptions,
  ctx: AgentContext,
  pace?: BackupPace,
): Promise<BackupResult> {
  const interrupted = () =>
    options.signal?.aborted
      ? new Error(`The backup of '${itemPath}' stopped: ${interruption(options.signal)}.`)
      : undefined;
  return withItemLock(options.stateDir, itemPath, async () => {
    const early = interrupted();
    if (early) throw early;
    // The item's `protect --exclude` patterns, matched once per entry while the folder is walked (agent/exclusions.ts).
    let scan: Awaited<ReturnType<typeof scanFolder>>;
    try {
      scan = await scanFolder(itemPath, excludeMatcher(await exclusionsOf(options.stateDir, itemPath)));
      await checkCapacity(scan.bytes, options.stateDir, (line) => ctx.stderr.write(`${line}\n`));
    } catch (error) {
      // A backup that cannot begin (the folder is gone, the disk is full) still failed: the portal records it as a
      // Failed job, so JOBS, the alerts and the Backup center see what was not backed up.
      if (!interrupted()) await reportFailedStart(state, ctx, itemPath, (error as Error).message);
      throw error;
    }
    printSkipped(
      ctx,
      scan.special.map((rel) => ({ path: rel, reason: 'not a regular file, folder or link' })),
      itemPath,
    );
    const scanned = interrupted();
    if (scanned) throw scanned;
    const policy = ctx.retry ?? DEFAULT_RETRY;
    const request: StartBackupRequest = {
      path: itemPath,
      keyId: state.keyId!,
      filesTotal: scan.files,
      bytesTotal: scan.bytes,
    };
    // Starting a backup makes a job (and ends one of the item left running): not repeated unless the portal surely
    // never received it.
    const session = await callAsMachine(state, ctx, {
      path: AGENT_PATHS.backups,
      method: 'POST',
      body: request,
      accept: isObject<StartBackupResponse>,
      signal: options.signal,
      retry: { policy, repeat: 'unsent', signal: options.signal },
    });

    // Ends the calls still on their way once the backup stops, whatever stopped it.
    const halt = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, halt.signal]) : halt.signal;
    // Every call and read on its way, and every wait between tries, listens to it.
    setMaxListeners(0, signal);
    // When the portal last answered (anything), and the longest it went without answering: a backup it does not hear
    // from for PORTAL_SILENCE_MS is ended there.
    let heard = Date.now();
    let longestSilence = 0;
    let endedByPortal = false;
    const answered = () => {
      const now = Date.now();
      longestSilence = Math.max(longestSilence, now - heard);
      heard = now;
    };
    const call = async <T>(
      step: Parameters<typeof AGENT_PATHS.session>[1],
      body: unknown,
      how: Pick<PortalRequest<T>, 'signal' | 'retry' | 'timeoutMs' | 'pace'> = {
        signal,
        retry: idempotent(ctx, signal),
      },
    ): Promise<T> => {
      try {
        const result = await callPortal({
          portalUrl: state.portalUrl,
          path: AGENT_PATHS.session(session.sessionId, step),
          method: 'POST',
          headers: { authorization: `Bearer ${session.token}` },
          body,
          fetch: ctx.fetch,
          accept: isObject<T>,
          ...how,
        });
        answered();
        return result;
      } catch (error) {
        if (error instanceof PortalRefusal) answered();
        if (sessionEnded(error) !== undefined) endedByPortal = true;
        throw error;
      }
    };

    const progress = new Progress({ bytesTotal: scan.bytes, filesTotal: scan.files });
    // Which objects are missing, and uploads of content-addressed objects: safe to repeat (an object stored twice is
    // stored once), so they wait for a portal that is away.
    const uploader = new Uploader(
      keys,
      {
        missing: (ids) => call<MissingResponse>('missing', { ids }),
        objects: (parts) => call<ObjectsResponse>('objects', parts, { signal, retry: idempotent(ctx, signal), pace }),
      },
      pace?.postLimit,
    );
    const mode = options.json ? 'json' : (ctx.stderr as { isTTY?: boolean }).isTTY ? 'bar' : 'none';
    const view = progressView(mode, itemPath, options.json ? ctx.stdout : ctx.stderr);
    const reporter = startReporting({
      progress,
      view,
      transferred: () => uploader.transferred,
      // Not repeated: the next report, a second later, supersedes one that failed.
      send: (figures) => call<ProgressResponse>('progress', figures, { signal }),
      ended: sessionEnded,
      signal: options.signal,
      intervalMs: REPORT_INTERVAL_MS,
    });
    /**
     * The commit, repeated while the portal is away. A second commit of a session the first one ended is refused
     * (session_ended, lib/backups/sessions.ts): after a repeat, that refusal may mean the first one made the point,
     * whose answer was lost; the item's points say (a point is taken at its session's start).
     */
    const commit = async (body: CommitRequest): Promise<CommitResponse> => {
      const stop = interrupted();
      if (stop) throw stop;
      let repeated = false;
      try {
        // Not cut short by an interruption once sent: the point is made, or not, and the portal says which.
        return await call<CommitResponse>('commit', body, {
          retry: { ...idempotent(ctx, signal), onRetry: () => (repeated = true) },
        });
      } catch (error) {
        if (!repeated || sessionEnded(error) === undefined) throw error;
        const { points } = await callAsMachine(state, ctx, {
          path: `${AGENT_PATHS.points}?path=${encodeURIComponent(itemPath)}`,
          method: 'GET',
          accept: isObject<PointsResponse>,
          retry: idempotent(ctx, options.signal),
        });
        const made = points.find((point) => point.takenAt === session.takenAt);
        if (!made) throw error;
        endedByPortal = false;
        return { pointId: made.id, takenAt: made.takenAt };
      }
    };

    try {
      const cache = await readFileCache(options.stateDir, itemPath, state.keyId!);
      let seen = new Map<string, CachedFile>();
      const run = (fromCache: Map<string, CachedFile>) => {
        seen = new Map();
        // With room for the backup's many short-lived buffers (agent/heap.ts).
        return withRoomyHeap(BACKUP_HEAP_GROWING_PERCENT, () =>
          backupTree(scan, { keys, uploader, progress, cache: fromCache, seen, stopped: reporter.stopped }),
        );
      };
      let tree = await run(cache);
      let committed: CommitResponse;
      try {
        committed = await commit({ ...tree.commit, dataTransferred: uploader.transferred });
      } catch (error) {
        // The vault lost objects the cache says it has (deleted data): read everything again, once.
        if (!(error instanceof PortalRefusal && error.code === 'missing_objects') || cache.size === 0) throw error;
        await clearFileCache(options.stateDir, itemPath);
        progress.bytesDone = 0;
        progress.filesDone = 0;
        uploader.referenced.clear();
        tree = await run(new Map());
        committed = await commit({ ...tree.commit, dataTransferred: uploader.transferred });
      }
      await reporter.finish(true);
      await writeFileCache(options.stateDir, itemPath, state.keyId!, seen);
      printSkipped(ctx, tree.skipped, itemPath);
      return {
        path: itemPath,
        pointId: committed.pointId,
        takenAt: committed.takenAt,
        dataTransferred: uploader.transferred,
        skipped: tree.skipped.length,
      };
    } catch (error) {
      // Nothing more is sent for this backup: the batches on their way end at once.
      halt.abort();
      await reporter.finish(false);
      await uploader.settle();
      const stop = interrupted();
      const message = stop
        ? `the agent was ${interruption(options.signal!)} on the machine.`
        : (error as Error).message;
      if (!endedByPortal) await call('fail', { message }, FAILURE_REPORT).catch(() => {});
      if (stop) throw stop;
      if (endedByPortal && longestSilence >= LONG_SILENCE_MS) {
        throw new Error(
          `The backup of '${itemPath}' stopped: ${AGENT_MESSAGES.sessionEnded} The agent could not reach the portal for ${Math.round(longestSilence / 1000)} s, and the portal ends a backup it has not heard from for ${PORTAL_SILENCE_MS / 1000} s: run the backup again.`,
        );
      }
      throw error instanceof StoppedError ? new Error(`The backup of '${itemPath}' stopped: ${message}`) : error;
    }
  });
}
