import { open, readFile } from 'node:fs/promises';
import { CHUNK_SIZES, Chunker, objectId, type TreeEntry, type VaultKeys } from '@/lib/backup-format';
import { encodeTreePages } from '@/lib/backup-format/tree';
import type { CommitRequest, ProgressReport } from '@/wire/protocol';
import { forEachConcurrently } from '../pool';
import type { CachedFile } from './cache';
import type { Progress } from './progress';
import type { DirNode, FileNode, Scan } from './scan';
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

/**
 * Backs up a scanned folder: every file cut into content-defined chunks, one listing per folder, bottom up, so the
 * root listing's id names the whole tree. Returns what the commit needs.
 */
export async function backupTree(scan: Scan, run: BackupRun): Promise<Omit<CommitRequest, 'dataTransferred'>> {
  const rootId = await backupDir(scan.root, run);
  await run.uploader.finish();
  return {
    rootId,
    objectIds: [...run.uploader.referenced],
    files: scan.files,
    folders: scan.folders,
    bytes: scan.bytes,
  };
}

async function backupDir(dir: DirNode, run: BackupRun): Promise<string> {
  const entries: TreeEntry[] = new Array(dir.children.length);
  const files: Array<{ index: number; node: FileNode }> = [];
  for (const [index, node] of dir.children.entries()) {
    checkStopped(run);
    if (node.type === 'dir') {
      entries[index] = { ...common(node), type: 'dir', size: 0, tree: await backupDir(node, run) };
    } else if (node.type === 'symlink') {
      entries[index] = { ...common(node), type: 'symlink', size: 0, target: node.target };
    } else files.push({ index, node });
  }
  await forEachConcurrently(files, FILE_CONCURRENCY, async (job) => {
    entries[job.index] = {
      ...common(job.node),
      type: 'file',
      size: job.node.size,
      chunks: await backupFile(job.node, run),
    };
  });
  // A huge folder's listing is several objects (pages and their index); the last is the one the parent names.
  const listing = await encodeTreePages({ version: 1, entries }, (bytes) => objectId(run.keys, bytes));
  for (const object of listing.objects) await run.uploader.add(object.id, object.bytes);
  return listing.id;
}

function common(node: { name: string; mode: number; mtimeMs: number }) {
  return { name: node.name, mode: node.mode & 0o7777, mtimeMs: Math.floor(node.mtimeMs) };
}

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
  // Only the file system's own failures are the file's: a failure of the portal while the file's chunks are sent is
  // the portal's, and reported as such.
  const local = (error: unknown) => new Error(`Cannot read '${file.abs}': ${(error as Error).message}`);
  if (file.size < READ_BUFFER) {
    const data = await readFile(file.abs).catch((error) => Promise.reject(local(error)));
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

function checkStopped(run: BackupRun) {
  const reason = run.stopped();
  if (reason) throw new StoppedError(reason);
}

export type { ProgressReport };
