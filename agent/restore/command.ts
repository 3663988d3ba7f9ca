import { setMaxListeners } from 'node:events';
import path from 'node:path';
import {
  deriveVaultKeys,
  fromBase64,
  openObject,
  parseWrappedVaultKey,
  unwrapVaultKey,
  type VaultKeys,
} from '@/lib/backup-format';
import type { TreeEntry } from '@/lib/backup-format/tree';
import {
  AGENT_MESSAGES,
  AGENT_PATHS,
  type CompleteRestoreRequest,
  type ProgressResponse,
  type SealedRestoreRequest,
  type StartRestoreRequest,
  type StartRestoreResponse,
} from '@/wire/protocol';
import { Progress, progressView, startReporting } from '../backup/progress';
import { withRoomyHeap } from '../heap';
import { type AgentContext, interruption } from '../io';
import { callAsMachine, isObject, registeredState } from '../machine';
import { readPassphraseFile } from '../passphrase';
import { callPortal, PortalRefusal, type PortalRequest, sessionEnded } from '../portal';
import { DEFAULT_RETRY, FAILURE_REPORT, type Retry } from '../retry';
import type { AgentState } from '../state';
import { initZstd, zstdDecompress } from '../zstd';
import { type Conflict, type RestoreCounts, readFolder, restoreEntries, StoppedError } from './engine';
import { ObjectReader, sessionFetcher } from './reader';

export type RecoverOptions = {
  stateDir: string;
  path: string;
  /** `latest`, or a time: the newest point taken at or before it. */
  point?: string;
  target: string;
  conflict: Conflict;
  /** Another server of the vault whose data to recover; needs the passphrase it was registered with. */
  fromServer?: string;
  passphraseFile?: string;
  json: boolean;
  signal?: AbortSignal;
};

const REPORT_INTERVAL_MS = 1000;

/** `recover`: the folder as it was at a recovery point, into the target folder; a Restore job in the portal. */
export async function recover(options: RecoverOptions, ctx: AgentContext): Promise<void> {
  const state = await registeredState(options.stateDir);
  const body: StartRestoreRequest = {
    path: path.resolve(options.path),
    point: options.point,
    ...(options.fromServer ? { fromServer: options.fromServer } : {}),
  };
  const start = await startRestore(state, body, ctx, options.signal);
  await runRestore(
    state,
    start,
    async () => {
      if (start.keyId === state.keyId && state.vaultKey) return deriveVaultKeys(fromBase64(state.vaultKey));
      if (!options.passphraseFile) {
        throw new Error(
          'This recovery point was made under another vault key than this machine holds: give --passphrase-file PATH with the passphrase of the server that made it.',
        );
      }
      const passphrase = await readPassphraseFile(options.passphraseFile);
      return deriveVaultKeys(await unwrapVaultKey(parseWrappedVaultKey(start.wrappedKey), passphrase));
    },
    { target: path.resolve(options.target), conflict: options.conflict, selection: '' },
    options,
    ctx,
  );
}

/** The agent's service carries out a RECOVER TO SERVER request that the browser sealed for this machine. */
export async function recoverRequested(
  options: { stateDir: string; requestId: string; json: boolean; signal?: AbortSignal },
  ctx: AgentContext,
): Promise<void> {
  const state = await registeredState(options.stateDir);
  await initZstd();
  const start = await startRestore(state, { requestId: options.requestId }, ctx, options.signal);
  let request: SealedRestoreRequest | undefined;
  await runRestore(
    state,
    start,
    async () => {
      request = await openRequest(state, start);
      return deriveVaultKeys(fromBase64(request.vaultKey));
    },
    () => {
      if (!request) throw new Error('The restore request was not opened.');
      return request;
    },
    options,
    ctx,
  );
}

/**
 * Starting a restore makes a Restore job (or takes a request, once): not repeated unless the portal surely never
 * received it.
 */
export async function startRestore(
  state: AgentState,
  body: StartRestoreRequest,
  ctx: AgentContext,
  signal?: AbortSignal,
) {
  if (signal?.aborted) throw new Error(`The recovery stopped: ${interruption(signal)}.`);
  return callAsMachine(state, ctx, {
    path: AGENT_PATHS.restores,
    method: 'POST',
    body,
    accept: isObject<StartRestoreResponse>,
    signal,
    retry: { policy: ctx.retry ?? DEFAULT_RETRY, repeat: 'unsent', signal },
  });
}

async function openRequest(state: AgentState, start: StartRestoreResponse): Promise<SealedRestoreRequest> {
  const sealed = start.request;
  if (!sealed) throw new Error('The portal sent no restore request.');
  if (sealed.keyId !== state.keyId || !state.vaultKey) {
    throw new Error('The restore request was sealed for another vault key of this server: request it again.');
  }
  const own = await deriveVaultKeys(fromBase64(state.vaultKey));
  const plain = await openObject(own, sealed.id, fromBase64(sealed.sealed), zstdDecompress);
  const request = JSON.parse(new TextDecoder().decode(plain)) as SealedRestoreRequest;
  if (!path.isAbsolute(request.target)) throw new Error(`The target folder '${request.target}' is not absolute.`);
  return request;
}

type Destination = { target: string; conflict: Conflict; selection: string };

/** Room for the restore's short-lived buffers (agent/heap.ts); a restore has no memory goal. */
const RESTORE_HEAP_GROWING_PERCENT = 400;

/**
 * One restore session: opens the point's keys, restores the selection into the target while reporting progress
 * about once a second, and ends the Restore job as completed or failed with the reason.
 */
function runRestore(...args: Parameters<typeof restoreSession>): Promise<void> {
  // With room for the restore's many short-lived buffers (agent/heap.ts).
  return withRoomyHeap(RESTORE_HEAP_GROWING_PERCENT, () => restoreSession(...args));
}

/**
 * What a restore session's steps share (a restore's, or a verify's): a signal that ends the reads still on their way
 * once the session stops, whatever stopped it (every call, read and wait between tries listens to it), the retries of
 * what is safe to repeat, and the session's calls (progress, complete, fail) under its token.
 */
export function sessionCalls(
  state: AgentState,
  start: StartRestoreResponse,
  stopped: AbortSignal | undefined,
  ctx: AgentContext,
) {
  const halt = new AbortController();
  const signal = stopped ? AbortSignal.any([stopped, halt.signal]) : halt.signal;
  setMaxListeners(0, signal);
  const retry: Retry = { policy: ctx.retry ?? DEFAULT_RETRY, repeat: 'always', signal };
  const call = <T>(
    step: 'progress' | 'complete' | 'fail',
    body: unknown,
    how: Pick<PortalRequest<T>, 'signal' | 'retry' | 'timeoutMs'>,
  ) =>
    callPortal({
      portalUrl: state.portalUrl,
      path: AGENT_PATHS.restore(start.restoreId, step),
      method: 'POST',
      headers: { authorization: `Bearer ${start.token}` },
      body,
      fetch: ctx.fetch,
      accept: isObject<T>,
      ...how,
    });
  return { halt, signal, retry, call };
}

/**
 * A session's figures (a restore's, or a verify's): shown as a bar, JSON lines or not at all, and sent to the portal
 * every REPORT_INTERVAL_MS, not repeated (the next report, a second later, supersedes one that failed).
 */
export function reportSession(
  start: StartRestoreResponse,
  progress: Progress,
  transferred: () => number,
  options: { json: boolean; signal?: AbortSignal },
  ctx: AgentContext,
  call: ReturnType<typeof sessionCalls>['call'],
  signal: AbortSignal,
) {
  const mode = options.json ? 'json' : (ctx.stderr as { isTTY?: boolean }).isTTY ? 'bar' : 'none';
  return startReporting({
    progress,
    view: progressView(mode, start.itemPath, options.json ? ctx.stdout : ctx.stderr),
    transferred,
    send: (figures) => call<ProgressResponse>('progress', figures, { signal }),
    ended: sessionEnded,
    signal: options.signal,
    intervalMs: REPORT_INTERVAL_MS,
  });
}

async function restoreSession(
  state: AgentState,
  start: StartRestoreResponse,
  keysOf: () => Promise<VaultKeys>,
  destination: Destination | (() => Destination),
  options: { json: boolean; signal?: AbortSignal },
  ctx: AgentContext,
): Promise<void> {
  const { halt, signal, retry, call } = sessionCalls(state, start, options.signal, ctx);
  const progress = new Progress({ bytesTotal: start.bytes, filesTotal: start.files });
  let reader: ObjectReader | undefined;
  const reporter = reportSession(start, progress, () => reader?.transferred ?? 0, options, ctx, call, signal);
  try {
    await initZstd();
    const keys = await keysOf();
    const { target, conflict, selection } = typeof destination === 'function' ? destination() : destination;
    // Reads are safe to repeat: they wait for a portal that is away.
    reader = new ObjectReader(
      keys,
      sessionFetcher(state.portalUrl, start.restoreId, start.token, ctx.fetch, { signal, retry }),
    );
    const run = { reader, progress, conflict, stopped: reporter.stopped };
    const entries = await selectedEntries(reader, start.rootId, selection);
    const counts: RestoreCounts = await restoreEntries(entries, target, run);
    await reporter.finish(true);
    const done: CompleteRestoreRequest = {
      filesDone: progress.filesDone,
      bytesDone: progress.bytesDone,
      dataTransferred: reader.transferred,
      ...counts,
    };
    // Repeated while the portal is away. A repeat refused because the restore is no longer running was most likely
    // preceded by a first report that ended it (its answer lost); the files are in place either way.
    let repeated = false;
    try {
      await call('complete', done, { retry: { ...retry, onRetry: () => (repeated = true) } });
    } catch (error) {
      if (!repeated || sessionEnded(error) === undefined) throw error;
    }
    if (options.json) {
      ctx.stdout.write(`${JSON.stringify({ event: 'completed', item: start.itemPath, target, ...done })}\n`);
    } else ctx.stdout.write(`${AGENT_MESSAGES.recoveryCompleted}\n`);
  } catch (error) {
    // Nothing more is read for this restore: the reads on their way end at once.
    halt.abort();
    await reporter.finish(false);
    const interrupted = options.signal?.aborted ? interruption(options.signal) : undefined;
    // A token the portal no longer knows mid-restore: the restore's point (or its server) was deleted, which also
    // failed the job there (lib/backups/ended-restores.ts).
    const gone = error instanceof PortalRefusal && error.code === 'invalid';
    const message = interrupted
      ? `the agent was ${interrupted} on the machine.`
      : gone
        ? RESTORE_GONE
        : (error as Error).message;
    const ended = error instanceof PortalRefusal && (error.code === 'session_ended' || gone);
    if (!ended) await call('fail', { message }, FAILURE_REPORT).catch(() => {});
    if (interrupted) throw new Error(`The recovery of '${start.itemPath}' stopped: ${interrupted}.`);
    if (gone) throw new Error(`The recovery of '${start.itemPath}' stopped: ${message}`);
    throw error instanceof StoppedError ? new Error(`The recovery of '${start.itemPath}' stopped: ${message}`) : error;
  }
}

export const RESTORE_GONE =
  'the portal no longer knows this restore: its recovery point or its server was deleted while it ran.';

/** What to restore: the whole point's contents, or the one file or folder at `selection` ('/'-separated). */
async function selectedEntries(reader: ObjectReader, rootId: string, selection: string): Promise<TreeEntry[]> {
  let entries = await readFolder(reader, rootId);
  if (selection === '') return entries;
  const names = selection.split('/').filter(Boolean);
  for (const [i, name] of names.entries()) {
    const entry = entries.find((e) => e.name === name);
    if (!entry) throw new Error('The selected file or folder is not in the recovery point.');
    if (i === names.length - 1) return [entry];
    if (entry.type !== 'dir') throw new Error('The selected file or folder is not in the recovery point.');
    entries = await readFolder(reader, entry.tree!);
  }
  return entries;
}
