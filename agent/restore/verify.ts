import { randomInt } from 'node:crypto';
import path from 'node:path';
import { CHUNK_SIZES, CorruptObjectError, deriveVaultKeys, fromBase64, openObject } from '@/lib/backup-format';
import { readTree, type TreeEntry } from '@/lib/backup-format/tree';
import { readFrame } from '@/wire/frame';
import {
  AGENT_MESSAGES,
  type CompleteVerifyRequest,
  type FailVerifyRequest,
  type StartRestoreResponse,
} from '@/wire/protocol';
import { Progress } from '../backup/progress';
import { withRoomyHeap } from '../heap';
import { type AgentContext, interruption } from '../io';
import { registeredState } from '../machine';
import { forEachConcurrently } from '../pool';
import { PortalRefusal, sessionEnded } from '../portal';
import { FAILURE_REPORT } from '../retry';
import type { AgentState } from '../state';
import { initZstd, zstdDecompress } from '../zstd';
import { RESTORE_GONE, reportSession, sessionCalls, startRestore } from './command';
import { ObjectReader, sessionFetcher } from './reader';

export type VerifyOptions = {
  stateDir: string;
  path: string;
  /** `latest`, or a time: the newest point taken at or before it. */
  point?: string;
  /** The share of the point's distinct file chunks read, in percent (at least one chunk when it has any). */
  sample: number;
  json: boolean;
  signal?: AbortSignal;
};

export const DEFAULT_SAMPLE_PERCENT = 5;
/** Sampled chunks asked for at once: enough to fill the reader's requests on their way (reader.ts). */
const CHUNKS_AT_ONCE = 96;
/** What a listing is expected to weigh, for the reader's batches. */
const LISTING_BYTES = 64 * 1024;
const VERIFY_HEAP_GROWING_PERCENT = 400;

/** The point is damaged: `what` names the listing or chunk, `objectId` its object. */
class Damage extends Error {
  constructor(
    readonly what: string,
    readonly objectId: string,
  ) {
    super(what);
  }
}

/** Where a distinct chunk was met first, and whether every file that holds it has it last (the one chunk that may be short). */
type ChunkUse = { file: string; index: number; count: number; expected: number; last: boolean };

export type VerifyCounts = { listings: number; chunks: number; chunksTotal: number };

/**
 * `verify`: reads back every listing of a point and a random share of its file chunks through a restore session of
 * the portal (a Verify job there), opening each (the AEAD tag and the id's HMAC prove it intact) and checking the
 * chunks' lengths; writes nothing. A damaged point fails the job and the command, naming the point and the object.
 */
export async function verify(options: VerifyOptions, ctx: AgentContext): Promise<void> {
  const state = await registeredState(options.stateDir);
  const start = await startRestore(
    state,
    { path: path.resolve(options.path), point: options.point, verify: true },
    ctx,
    options.signal,
  );
  await withRoomyHeap(VERIFY_HEAP_GROWING_PERCENT, () => verifySession(state, start, options, ctx));
}

async function verifySession(
  state: AgentState,
  start: StartRestoreResponse,
  options: VerifyOptions,
  ctx: AgentContext,
): Promise<void> {
  const { halt, signal, retry, call } = sessionCalls(state, start, options.signal, ctx);
  // The figures count sampled chunks as the job's files; the totals are known once the listings are read.
  const progress = new Progress({ bytesTotal: Math.round((start.bytes * options.sample) / 100), filesTotal: 0 });
  let reader: ObjectReader | undefined;
  const reporter = reportSession(start, progress, () => reader?.transferred ?? 0, options, ctx, call, signal);
  try {
    await initZstd();
    if (start.keyId !== state.keyId || !state.vaultKey) {
      throw new Error('This recovery point was made under another vault key than this machine holds.');
    }
    const keys = await deriveVaultKeys(fromBase64(state.vaultKey));
    const fetchObjects = sessionFetcher(state.portalUrl, start.restoreId, start.token, ctx.fetch, { signal, retry });
    reader = new ObjectReader(keys, fetchObjects);
    const opened = reader;
    // One object asked for alone, when a batch that held it was refused as missing objects: which one is missing.
    const alone = async (id: string): Promise<Uint8Array> => {
      const body = await fetchObjects([id]);
      const frame = readFrame(body, 0);
      if (frame?.id !== id) throw new Error(`The portal answered a read of object ${id.slice(0, 16)} with another.`);
      return openObject(keys, id, frame.data.slice(), zstdDecompress);
    };
    const read = async (id: string, what: string, expected: number): Promise<Uint8Array> => {
      try {
        try {
          return await opened.get(id, expected);
        } catch (error) {
          if (error instanceof PortalRefusal && error.code === 'not_found') return await alone(id);
          throw error;
        }
      } catch (error) {
        if (error instanceof CorruptObjectError) throw new Damage(`${what} is corrupt`, id);
        if (error instanceof PortalRefusal && error.code === 'not_found') {
          throw new Damage(`${what} is missing from the vault`, id);
        }
        throw error;
      }
    };
    const stopped = () => {
      const reason = reporter.stopped();
      if (reason) throw new Error(`The verification of '${start.itemPath}' stopped: ${reason}`);
    };

    // Every listing, folders asked for together so they share requests.
    const chunks = new Map<string, ChunkUse>();
    let listings = 0;
    // Folders with the same contents share their listing (and everything below it): checked once.
    const seen = new Set<string>();
    const folder = async (id: string, rel: string): Promise<void> => {
      if (seen.has(id)) return;
      seen.add(id);
      stopped();
      const what = rel === '' ? 'the listing of the root folder' : `the listing of '${rel}'`;
      const plain = await read(id, what, LISTING_BYTES);
      listings += 1;
      let entries: TreeEntry[];
      try {
        entries = await readTree(plain, (page) => {
          listings += 1;
          return read(page, `a page of ${what}`, LISTING_BYTES);
        });
      } catch (error) {
        if (error instanceof Damage) throw error;
        throw new Damage(`${what} is not a valid listing (${(error as Error).message})`, id);
      }
      const below: Promise<void>[] = [];
      for (const entry of entries) {
        const name = rel === '' ? entry.name : `${rel}/${entry.name}`;
        if (entry.type === 'dir') below.push(folder(entry.tree!, name));
        else if (entry.type === 'file') noteChunks(chunks, entry, name);
      }
      await Promise.all(below);
    };
    await folder(start.rootId, '');

    const all = [...chunks.keys()];
    const sample = pick(all, options.sample);
    progress.totals.filesTotal = sample.length;
    progress.totals.bytesTotal = sample.reduce((sum, id) => sum + chunks.get(id)!.expected, 0);
    await forEachConcurrently(sample, CHUNKS_AT_ONCE, async (id) => {
      stopped();
      const use = chunks.get(id)!;
      const what = `chunk ${use.index + 1} of ${use.count} of '${use.file}'`;
      const plain = await read(id, what, use.expected);
      // The chunker cuts no chunk longer than its maximum, and none but a file's last shorter than its minimum.
      if (plain.length === 0 || plain.length > CHUNK_SIZES.max || (!use.last && plain.length < CHUNK_SIZES.min)) {
        throw new Damage(`${what} holds ${plain.length.toLocaleString('en-US')} bytes, which no chunk can`, id);
      }
      progress.bytesDone += plain.length;
      progress.filesDone += 1;
    });
    progress.totals.bytesTotal = progress.bytesDone;
    await reporter.finish(true);
    const counts: VerifyCounts = { listings, chunks: sample.length, chunksTotal: all.length };
    const done: CompleteVerifyRequest = {
      filesDone: progress.filesDone,
      bytesDone: progress.bytesDone,
      dataTransferred: opened.transferred,
      skipped: 0,
      copies: 0,
      verified: counts,
    };
    let repeated = false;
    try {
      await call('complete', done, { retry: { ...retry, onRetry: () => (repeated = true) } });
    } catch (error) {
      if (!repeated || sessionEnded(error) === undefined) throw error;
    }
    if (options.json) {
      ctx.stdout.write(
        `${JSON.stringify({ event: 'completed', item: start.itemPath, takenAt: start.takenAt, ...counts, dataTransferred: opened.transferred })}\n`,
      );
    } else ctx.stdout.write(`${AGENT_MESSAGES.verifyCompleted(start.takenAt)}\n`);
  } catch (error) {
    halt.abort();
    await reporter.finish(false);
    const interrupted = options.signal?.aborted ? interruption(options.signal) : undefined;
    const gone = error instanceof PortalRefusal && error.code === 'invalid';
    const damage = !interrupted && error instanceof Damage ? error : undefined;
    const message = interrupted
      ? `the agent was ${interrupted} on the machine.`
      : gone
        ? RESTORE_GONE
        : damage
          ? AGENT_MESSAGES.pointDamaged(start.takenAt, damage.what, damage.objectId)
          : (error as Error).message;
    const ended = error instanceof PortalRefusal && (error.code === 'session_ended' || gone);
    const failure: FailVerifyRequest = { message, ...(damage ? { damaged: true } : {}) };
    if (!ended) await call('fail', failure, FAILURE_REPORT).catch(() => {});
    if (interrupted) throw new Error(`The verification of '${start.itemPath}' stopped: ${interrupted}.`);
    if (gone) throw new Error(`The verification of '${start.itemPath}' stopped: ${message}`);
    if (damage) {
      if (options.json) {
        ctx.stdout.write(
          `${JSON.stringify({ event: 'damaged', item: start.itemPath, takenAt: start.takenAt, what: damage.what, objectId: damage.objectId })}\n`,
        );
      }
      throw new Error(
        `The recovery point of ${start.takenAt} of '${start.itemPath}' is damaged: ${damage.what} (object ${damage.objectId.slice(0, 16)}).`,
      );
    }
    throw error;
  }
}

/** Records a file's chunks, each distinct chunk once (deduplicated data is read once). */
function noteChunks(chunks: Map<string, ChunkUse>, entry: TreeEntry, file: string): void {
  const ids = entry.chunks ?? [];
  const expected = ids.length > 0 ? Math.max(1, Math.ceil(entry.size / ids.length)) : 0;
  for (const [index, id] of ids.entries()) {
    const last = index === ids.length - 1;
    const use = chunks.get(id);
    if (use) use.last &&= last;
    else chunks.set(id, { file, index, count: ids.length, expected, last });
  }
}

/** A random `percent` of `ids` (at least one when there are any), in their order. */
export function pick(ids: string[], percent: number): string[] {
  if (ids.length === 0) return [];
  const count = Math.min(ids.length, Math.max(1, Math.ceil((ids.length * percent) / 100)));
  if (count === ids.length) return ids;
  const order = ids.map((_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + randomInt(order.length - i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order
    .slice(0, count)
    .sort((a, b) => a - b)
    .map((i) => ids[i]!);
}
