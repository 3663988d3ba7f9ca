import { statfs } from 'node:fs/promises';
import path from 'node:path';
import { deriveVaultKeys, fromBase64, type VaultKeys } from '@/lib/backup-format';
import {
  AGENT_MESSAGES,
  AGENT_PATHS,
  type CommitResponse,
  type ItemsResponse,
  MAX_DATA_SOURCE_GB,
  type MissingResponse,
  type ObjectsResponse,
  type ProgressResponse,
  type StartBackupRequest,
  type StartBackupResponse,
} from '@/wire/protocol';
import { withRoomyHeap } from '../heap';
import type { AgentContext } from '../io';
import { callAsMachine, isObject, registeredState } from '../machine';
import { callPortal, PortalRefusal, sessionEnded } from '../portal';
import type { AgentState } from '../state';
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
  /** Set by the service when the backup must end early (shutdown). */
  signal?: AbortSignal;
};

export type BackupResult = { path: string; pointId: string; takenAt: string; dataTransferred: number };

const REPORT_INTERVAL_MS = 1000;
const GB = 1024 ** 3;

/** `backup`: backs up the machine's protected folders (or one) now; each completed item is one recovery point. */
export async function backup(options: BackupOptions, ctx: AgentContext): Promise<BackupResult[]> {
  let state = await registeredState(options.stateDir);
  state = await ensureVaultKey(state, options, ctx);
  const keys = await deriveVaultKeys(fromBase64(state.vaultKey!));
  await initZstd();
  const paths = options.path ? [path.resolve(options.path)] : await protectedFolders(state, ctx);
  const results: BackupResult[] = [];
  for (const itemPath of paths) results.push(await backupItem(state, keys, itemPath, options, ctx));
  if (options.json) ctx.stdout.write(`${JSON.stringify({ event: 'completed', items: results })}\n`);
  else ctx.stdout.write(`${AGENT_MESSAGES.backupCompleted}\n`);
  return results;
}

async function protectedFolders(state: AgentState, ctx: AgentContext): Promise<string[]> {
  const { items } = await callAsMachine(state, ctx, {
    path: AGENT_PATHS.items,
    method: 'GET',
    accept: isObject<ItemsResponse>,
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

async function backupItem(
  state: AgentState,
  keys: VaultKeys,
  itemPath: string,
  options: BackupOptions,
  ctx: AgentContext,
): Promise<BackupResult> {
  return withItemLock(options.stateDir, itemPath, async () => {
    const scan = await scanFolder(itemPath);
    await checkCapacity(scan.bytes, options.stateDir, (line) => ctx.stderr.write(`${line}\n`));
    for (const skipped of scan.skipped.slice(0, 20)) {
      ctx.stderr.write(
        `Skipped '${path.join(itemPath, skipped)}': not a regular file, folder or link, or unreadable.\n`,
      );
    }
    const request: StartBackupRequest = {
      path: itemPath,
      keyId: state.keyId!,
      filesTotal: scan.files,
      bytesTotal: scan.bytes,
    };
    const session = await callAsMachine(state, ctx, {
      path: AGENT_PATHS.backups,
      method: 'POST',
      body: request,
      accept: isObject<StartBackupResponse>,
    });
    const call = <T>(step: Parameters<typeof AGENT_PATHS.session>[1], body: unknown) =>
      callPortal({
        portalUrl: state.portalUrl,
        path: AGENT_PATHS.session(session.sessionId, step),
        method: 'POST',
        headers: { authorization: `Bearer ${session.token}` },
        body,
        fetch: ctx.fetch,
        accept: isObject<T>,
      });

    const progress = new Progress({ bytesTotal: scan.bytes, filesTotal: scan.files });
    const uploader = new Uploader(keys, {
      missing: (ids) => call<MissingResponse>('missing', { ids }),
      objects: (parts) => call<ObjectsResponse>('objects', parts),
    });
    const mode = options.json ? 'json' : (ctx.stderr as { isTTY?: boolean }).isTTY ? 'bar' : 'none';
    const view = progressView(mode, itemPath, options.json ? ctx.stdout : ctx.stderr);
    const reporter = startReporting({
      progress,
      view,
      transferred: () => uploader.transferred,
      send: (figures) => call<ProgressResponse>('progress', figures),
      ended: sessionEnded,
      signal: options.signal,
      intervalMs: REPORT_INTERVAL_MS,
    });

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
        committed = await call<CommitResponse>('commit', { ...tree, dataTransferred: uploader.transferred });
      } catch (error) {
        // The vault lost objects the cache says it has (deleted data): read everything again, once.
        if (!(error instanceof PortalRefusal && error.code === 'missing_objects') || cache.size === 0) throw error;
        await clearFileCache(options.stateDir, itemPath);
        progress.bytesDone = 0;
        progress.filesDone = 0;
        uploader.referenced.clear();
        tree = await run(new Map());
        committed = await call<CommitResponse>('commit', { ...tree, dataTransferred: uploader.transferred });
      }
      await reporter.finish(true);
      await writeFileCache(options.stateDir, itemPath, state.keyId!, seen);
      return {
        path: itemPath,
        pointId: committed.pointId,
        takenAt: committed.takenAt,
        dataTransferred: uploader.transferred,
      };
    } catch (error) {
      await reporter.finish(false);
      const ended = error instanceof PortalRefusal && error.code === 'session_ended';
      const message = error instanceof StoppedError ? error.message : (error as Error).message;
      if (!ended) await call('fail', { message }).catch(() => {});
      throw error instanceof StoppedError ? new Error(`The backup of '${itemPath}' stopped: ${message}`) : error;
    }
  });
}
