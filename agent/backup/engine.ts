import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import {
  CHUNK_SIZES,
  Chunker,
  encodeSkippedList,
  objectId,
  type SkippedFile,
  type TreeEntry,
  type VaultKeys,
} from '@/lib/backup-format';
import { encodeTreePages } from '@/lib/backup-format/tree';
import type { CommitRequest, ProgressReport } from '@/wire/protocol';
import { forEachConcurrently } from '../pool';
import type { CachedFile } from './cache';
import type { Progress } from './progress';
import { compareNames, type DirNode, type FileNode, isFileFailure, type Scan, unreadableReason } from './scan';
import type { Uploader } from './uploader';

// Several small files are read and hashed at once; large ones are streamed one buffer at a time. Chunks are views of
// the buffers they were read into, never copies: a small file is read into a buffer of its own size, and a large
// file's buffers are released once the uploader is done with their chunks (it holds a bounded amount).
const FILE_CONCURRENCY = 4;
// 4 MiB reads: 8 MiB measured no faster, and the 16 MiB they cost more is room the heap needs (agent/heap.ts).
const READ_BUFFER = 4 * 1024 * 1024;

export type BackupRun = {
  keys: VaultKeys;
  uploader: Uploader;
  progress: Progress;
  /** The item's last completed backup, by relative path; empty to read every file. */
  cache: Map<string, CachedFile>;
  /** This backup's files, which become the cache once its point is committed. */
  seen: Map<string, CachedFile>;
  /** Set when the backup must stop (cancelled in the portal, or the agent was interrupted). */
  stopped: () => string | undefined;
};

/** What a backed-up tree commits, and what it could not read (to print: the commit carries only their count). */
export type BackedUpTree = { commit: Omit<CommitRequest, 'dataTransferred'>; skipped: SkippedFile[] };

/** The files left out of one run of backupTree: how many, and the bytes the scan counted for them. */
type Skips = { list: SkippedFile[]; files: number; bytes: number };

/**
 * Backs up a scanned folder: every file cut into content-defined chunks, one listing per folder, bottom up, so the
 * root listing's id names the whole tree. Returns what the commit needs. A file the file system will not let it read
 * (permission denied, deleted meanwhile, an I/O error) is left out of its folder's listing and listed, with the
 * folders the scan could not list, in one more object of the point: the job's warning names only how many.
 */
export async function backupTree(scan: Scan, run: BackupRun): Promise<BackedUpTree> {
  const skips: Skips = { list: [...scan.unreadable], files: 0, bytes: 0 };
  const rootId = await backupDir(scan.root, run, skips);
  skips.list.sort((a, b) => compareNames(a.path, b.path));
  let skippedListId: string | undefined;
  if (skips.list.length > 0) {
    const bytes = encodeSkippedList(skips.list);
    skippedListId = await objectId(run.keys, bytes);
    await run.uploader.add(skippedListId, bytes);
  }
  await run.uploader.finish();
  return {
    commit: {
      rootId,
      objectIds: [...run.uploader.referenced],
      files: scan.files - skips.files,
      folders: scan.folders,
      bytes: scan.bytes - skips.bytes,
      ...(skippedListId ? { filesSkipped: skips.list.length, skippedListId } : {}),
    },
    skipped: skips.list,
  };
}

async function backupDir(dir: DirNode, run: BackupRun, skips: Skips): Promise<string> {
  const entries: TreeEntry[] = new Array(dir.children.length);
  const files: Array<{ index: number; node: FileNode }> = [];
  for (const [index, node] of dir.children.entries()) {
    checkStopped(run);
    if (node.type === 'dir') {
      entries[index] = { ...common(node), type: 'dir', size: 0, tree: await backupDir(node, run, skips) };
    } else if (node.type === 'symlink') {
      entries[index] = { ...common(node), type: 'symlink', size: 0, target: node.target };
    } else files.push({ index, node });
  }
  await forEachConcurrently(files, FILE_CONCURRENCY, async (job) => {
    try {
      const chunks = await backupFile(job.node, run);
      entries[job.index] = { ...common(job.node), type: 'file', size: job.node.size, chunks };
    } catch (error) {
      if (!(error instanceof UnreadableError)) throw error;
      skips.list.push({ path: job.node.rel, reason: error.reason });
      skips.files += 1;
      skips.bytes += job.node.size;
    }
  });
  // A huge folder's listing is several objects (pages and their index); the last is the one the parent names. A
  // file that could not be read leaves a hole, which filter drops.
  const listing = await encodeTreePages({ version: 1, entries: entries.filter(Boolean) }, (bytes) =>
    objectId(run.keys, bytes),
  );
  for (const object of listing.objects) await run.uploader.add(object.id, object.bytes);
  return listing.id;
}

function common(node: { name: string; mode: number; mtimeMs: number }) {
  return { name: node.name, mode: node.mode & 0o7777, mtimeMs: Math.floor(node.mtimeMs) };
}

/**
 * A file's chunks; UnreadableError when the file system refused to open or read it: its chunks already sent are left
 * for garbage collection, its progress is counted as done, and it is not cached (the next backup reads it again).
 */
async function backupFile(file: FileNode, run: BackupRun): Promise<string[]> {
  const cached = run.cache.get(file.rel);
  if (cached && cached.size === file.size && cached.mtimeMs === file.mtimeMs && cached.ino === file.ino) {
    run.uploader.reference(cached.chunks);
    run.seen.set(file.rel, cached);
    run.progress.bytesDone += file.size;
    run.progress.filesDone += 1;
    return cached.chunks;
  }
  const chunks: string[] = [];
  const chunker = new Chunker(run.keys.gear);
  // The buffer a large file is read through, reused for each read: chunks that are views of it are borrowed.
  let reused: ArrayBufferLike | undefined;
  const take = async (chunk: Uint8Array) => {
    const id = await objectId(run.keys, chunk);
    chunks.push(id);
    await run.uploader.add(id, chunk, { borrowed: reused !== undefined && chunk.buffer === reused });
  };
  let read = 0;
  const consume = async (data: Buffer) => {
    checkStopped(run);
    read += data.length;
    run.progress.bytesDone += data.length;
    for (const chunk of chunker.push(new Uint8Array(data.buffer, data.byteOffset, data.length))) await take(chunk);
  };
  // Only the file system's own failures are the file's, and skip it: a failure of the portal while the file's chunks
  // are sent is the portal's, and a failure of the agent's own process (too many open files) fails the backup.
  const local = (error: unknown) =>
    isFileFailure(error)
      ? new UnreadableError(unreadableReason(error))
      : new Error(`Cannot read '${file.abs}': ${(error as Error).message}`);
  try {
    if (file.size < READ_BUFFER) {
      // A file below a read buffer is read in one synchronous call: for a tree of small files the asynchronous
      // open, stat, read and close (four trips through libuv's thread pool) cost about six times the reading itself
      // (node_modules' 42,000 files: 3.0 s read four at a time, 0.5 s synchronously), and a few MiB read from the
      // page cache hold the event loop for about a millisecond.
      let data: Buffer;
      try {
        data = readFileSync(file.abs);
      } catch (error) {
        throw local(error);
      }
      // Shorter than the smallest chunk: the whole file is its one chunk, as the chunker would cut it.
      if (data.length < CHUNK_SIZES.min) {
        checkStopped(run);
        read = data.length;
        run.progress.bytesDone += data.length;
        if (data.length > 0) await take(data);
      } else await consume(data);
    } else {
      await readInto(
        file.abs,
        (buffer) => {
          reused = buffer.buffer;
          return consume(buffer);
        },
        local,
      );
    }
  } catch (error) {
    if (!(error instanceof UnreadableError)) throw error;
    // The progress adds up to the scan's totals all the same.
    run.progress.bytesDone += file.size - read;
    run.progress.filesDone += 1;
    throw error;
  }
  const rest = chunker.finish();
  if (rest && rest.length > 0) await take(rest);
  // A file that grew or shrank while it was read is backed up as read; the progress adds up to the scan's total.
  run.progress.bytesDone += file.size - read;
  run.progress.filesDone += 1;
  run.seen.set(file.rel, { size: file.size, mtimeMs: file.mtimeMs, ino: file.ino, chunks });
  return chunks;
}

/**
 * Reads a large file through one buffer, reused for every read: a fresh buffer per read (as a read stream
 * allocates) leaves garbage that the collector frees late, and that alone took the agent past 300 MiB. Reuse is safe
 * because nothing keeps a view of the buffer once `consume` returns: the chunker copies what it carries over, and the
 * uploader keeps its own copy of a chunk that is part of a larger buffer (Uploader.add). A failed open or read fails
 * with `local`'s error, which names the file; a failure of `consume` (the portal's) is left as it is.
 */
async function readInto(
  file: string,
  consume: (data: Buffer) => Promise<void>,
  local: (error: unknown) => Error,
): Promise<void> {
  const handle = await open(file, 'r').catch((error) => Promise.reject(local(error)));
  try {
    const buffer = Buffer.allocUnsafeSlow(READ_BUFFER);
    for (;;) {
      const { bytesRead } = await handle
        .read(buffer, 0, READ_BUFFER, null)
        .catch((error) => Promise.reject(local(error)));
      if (bytesRead === 0) break;
      await consume(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
}

export class StoppedError extends Error {}

/** A failed open or read of a file (never a failure of the portal's calls): the file is skipped, with the reason. */
class UnreadableError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

function checkStopped(run: BackupRun) {
  const reason = run.stopped();
  if (reason) throw new StoppedError(reason);
}

export type { ProgressReport };
