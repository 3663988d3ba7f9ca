import { randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { type FileHandle, lstat, mkdir, open, readdir, readFile, rename, rmdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ReusedBuffers } from '@/lib/buffers';
import { NewFile, openForDirectReads, readRangesDirect } from '@/lib/direct-io';
import { assertBlobKey, assertBlobPrefix } from './keys';
import type { BlobInfo, BlobStore } from './types';

/** Keys never have a segment starting with a dot, so these names cannot collide with an object and list skips them. */
const TEMP_PREFIX = '.tmp-';
const STREAM_CHUNK = 256 * 1024;
const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);
/** Direct reads of ranges go through page-aligned scratch memory of this size, kept for the next read. */
const READ_SCRATCH = 4 * 1024 * 1024;
const readScratch = new ReusedBuffers(16, 60_000, true);
/** Files written and synced at once by putMany: the disk merges concurrent syncs into few journal commits. */
const PUT_MANY_CONCURRENCY = 32;

type WalkEntry = { kind: 'object' | 'temporary' | 'folder'; key: string; file: string };

function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

function isAbsent(err: unknown): boolean {
  return ABSENT.has(errorCode(err) ?? '');
}

/** S3 lists in code-unit order of the whole key; sorting a folder's subfolders as `name/` gives the same order. */
function sortLikeKeys(entries: Dirent[]): Dirent[] {
  const sortKey = (entry: Dirent) => (entry.isDirectory() ? `${entry.name}/` : entry.name);
  return entries.sort((a, b) => {
    const x = sortKey(a);
    const y = sortKey(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

async function readFolder(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isAbsent(err)) return [];
    throw err;
  }
}

/** The rename is only durable once the folder's entry is on disk too. */
async function syncFolder(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (err) {
    // Some platforms and file systems cannot open or fsync a folder; the file itself was already synced.
    if (!['EISDIR', 'EPERM', 'EINVAL', 'EBADF'].includes(errorCode(err) ?? '')) throw err;
  } finally {
    await handle?.close();
  }
}

/** Runs work over the items, at most `limit` at once; rejects with the first failure once every started item ended. */
async function eachConcurrently<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (next < items.length && failure === undefined) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure;
}

function webStream(handle: FileHandle): ReadableStream<Uint8Array> {
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const buffer = new Uint8Array(STREAM_CHUNK);
        const { bytesRead } = await handle.read(buffer, 0, STREAM_CHUNK, null);
        if (bytesRead === 0) {
          await close();
          controller.close();
        } else {
          controller.enqueue(buffer.subarray(0, bytesRead));
        }
      } catch (err) {
        await close().catch(() => undefined);
        controller.error(err);
      }
    },
    cancel: close,
  });
}

/** Fills `target` from `position` of the file; false when the file ends first. */
async function readFully(handle: FileHandle, target: Uint8Array, position: number): Promise<boolean> {
  for (let done = 0; done < target.length; ) {
    const { bytesRead } = await handle.read(target, done, target.length - done, position + done);
    if (bytesRead === 0) return false;
    done += bytesRead;
  }
  return true;
}

/**
 * Backup data in a folder: one file per key, written to a temporary file beside the target, synced, then renamed over it,
 * so a reader sees the old object, the new one, or none, never a partial one.
 */
export class FileBlobStore implements BlobStore {
  readonly root: string;
  readonly description: string;
  /** False once the folder's file system refused a direct read: ordinary reads from then on. */
  private directReads = true;

  constructor(root: string) {
    if (!path.isAbsolute(root)) throw new Error(`The blob store folder must be an absolute path (got "${root}").`);
    this.root = path.resolve(root);
    this.description = `file://${this.root}`;
  }

  private pathOf(key: string): string {
    assertBlobKey(key);
    return path.join(this.root, ...key.split('/'));
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    await this.putMany([{ key, data }]);
  }

  /**
   * Each object is written to a temporary file and synced, then renamed over its target; each folder touched is synced
   * once, after all its renames. Only then does it resolve, so what the caller acknowledges survives a crash; a crash
   * before leaves at most temporary files (invisible, swept later) or whole objects not yet synced into their folder.
   */
  async putMany(objects: ReadonlyArray<{ key: string; data: Uint8Array }>): Promise<void> {
    const writes = objects.map(({ key, data }) => {
      const target = this.pathOf(key);
      const dir = path.dirname(target);
      return { target, dir, data, temp: path.join(dir, `${TEMP_PREFIX}${randomBytes(12).toString('hex')}`) };
    });
    const folders = new Set<string>();
    await eachConcurrently(writes, PUT_MANY_CONCURRENCY, async (write) => {
      if (await this.writeTemporary(write.dir, write.temp, write.data)) {
        // New folders are durable once their parents' entries are: sync each up to the root too.
        for (let dir = path.dirname(write.dir); dir.startsWith(this.root); dir = path.dirname(dir)) {
          folders.add(dir);
          if (dir === this.root) break;
        }
      }
      try {
        await rename(write.temp, write.target);
      } catch (err) {
        await unlink(write.temp).catch(() => undefined);
        throw err;
      }
      folders.add(write.dir);
    });
    await eachConcurrently([...folders], PUT_MANY_CONCURRENCY, syncFolder);
  }

  /** Returns whether it had to create the folder. */
  private async writeTemporary(dir: string, temp: string, data: Uint8Array): Promise<boolean> {
    let file: NewFile;
    let created = false;
    try {
      file = await NewFile.create(temp, 0o600);
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw err;
      // First object in this folder, or a deletePrefix removed the folder since: create it and try once more.
      await mkdir(dir, { recursive: true, mode: 0o700 });
      created = true;
      file = await NewFile.create(temp, 0o600);
    }
    try {
      // Past the page cache where it can (lib/direct-io): a pack is written once and read back rarely.
      await file.write(data, 0);
      await file.handle.sync();
    } catch (err) {
      await file.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
      throw err;
    }
    await file.close();
    return created;
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      return await readFile(this.pathOf(key));
    } catch (err) {
      if (isAbsent(err)) return null;
      throw err;
    }
  }

  readInto(key: string, target: Uint8Array): Promise<boolean> {
    return this.withFile(key, async (handle) => {
      const info = await handle.stat();
      return info.isFile() && info.size === target.length && readFully(handle, target, 0);
    });
  }

  readRange(key: string, offset: number, target: Uint8Array): Promise<boolean> {
    return this.readRanges(key, [{ offset, target }]);
  }

  async readRanges(key: string, ranges: ReadonlyArray<{ offset: number; target: Uint8Array }>): Promise<boolean> {
    if (this.directReads) {
      // Past the page cache too (lib/direct-io): packs were written so, and reading them back through the cache
      // would fill it with pages faulted in for bytes read once, at the cost the direct writes avoid.
      let handle: FileHandle | undefined;
      try {
        handle = await openForDirectReads(this.pathOf(key));
        if (handle) {
          const scratch = readScratch.take(READ_SCRATCH);
          try {
            return await readRangesDirect(handle, ranges, scratch);
          } finally {
            readScratch.give(scratch);
          }
        }
        this.directReads = false;
      } catch (err) {
        if (isAbsent(err)) return false;
        if (errorCode(err) !== 'EINVAL') throw err;
        this.directReads = false;
      } finally {
        await handle?.close();
      }
    }
    return this.withFile(key, async (handle) => {
      for (const { offset, target } of ranges) if (!(await readFully(handle, target, offset))) return false;
      return true;
    });
  }

  /** Runs `read` on the object's file, open for reading and closed after; false when there is no such file. */
  private async withFile(key: string, read: (handle: FileHandle) => Promise<boolean>): Promise<boolean> {
    let handle: FileHandle;
    try {
      handle = await open(this.pathOf(key), 'r');
    } catch (err) {
      if (isAbsent(err)) return false;
      throw err;
    }
    try {
      return await read(handle);
    } finally {
      await handle.close();
    }
  }

  async stream(key: string): Promise<ReadableStream<Uint8Array> | null> {
    const file = this.pathOf(key);
    let handle: FileHandle;
    try {
      handle = await open(file, 'r');
    } catch (err) {
      if (isAbsent(err)) return null;
      throw err;
    }
    try {
      if (!(await handle.stat()).isFile()) {
        await handle.close();
        return null;
      }
    } catch (err) {
      await handle.close();
      throw err;
    }
    return webStream(handle);
  }

  async has(key: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(key))).isFile();
    } catch (err) {
      if (isAbsent(err)) return false;
      throw err;
    }
  }

  async delete(keys: string[]): Promise<void> {
    const files = keys.map((key) => this.pathOf(key));
    for (const file of files) {
      try {
        await unlink(file);
      } catch (err) {
        if (!isAbsent(err)) throw err;
      }
    }
  }

  /** Removes the matching files, then the folders left empty (a folder a concurrent put just filled stays). */
  async deletePrefix(prefix: string): Promise<number> {
    assertBlobPrefix(prefix, { allowEmpty: false });
    let count = 0;
    const folders: string[] = [];
    for await (const entry of this.walk(prefix, { temporary: true })) {
      if (entry.kind === 'folder') {
        folders.push(entry.file);
        continue;
      }
      try {
        await unlink(entry.file);
        if (entry.kind === 'object') count += 1;
      } catch (err) {
        if (!isAbsent(err)) throw err;
      }
    }
    // The walk reports a folder before its contents, so the reverse order removes children first.
    for (const folder of folders.reverse()) {
      await rmdir(folder).catch((err: unknown) => {
        if (!['ENOENT', 'ENOTEMPTY', 'EEXIST'].includes(errorCode(err) ?? '')) throw err;
      });
    }
    return count;
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    assertBlobPrefix(prefix, { allowEmpty: true });
    for await (const entry of this.walk(prefix, { temporary: false })) {
      if (entry.kind !== 'object') continue;
      try {
        const info = await lstat(entry.file);
        if (info.isFile()) yield { key: entry.key, size: info.size, modifiedAt: info.mtime };
      } catch (err) {
        // Deleted between the folder read and the stat: it is simply not there any more.
        if (!isAbsent(err)) throw err;
      }
    }
  }

  /** Removes leftovers of writes that were killed before their rename (under `prefix`); returns how many. */
  async sweepTemporaryFiles(olderThanMs: number, prefix = ''): Promise<number> {
    assertBlobPrefix(prefix, { allowEmpty: true });
    const cutoff = Date.now() - olderThanMs;
    let count = 0;
    for await (const entry of this.walk(prefix, { temporary: true })) {
      if (entry.kind !== 'temporary') continue;
      try {
        if ((await lstat(entry.file)).mtimeMs > cutoff) continue;
        await unlink(entry.file);
        count += 1;
      } catch (err) {
        if (!isAbsent(err)) throw err;
      }
    }
    return count;
  }

  /**
   * Everything under the prefix, matched as a string like S3 does, in key order; each folder comes before its contents.
   * Temporary files are reported only inside folders wholly under the prefix (one beside them may belong to another
   * key's write). Names that cannot be keys (symlinks, other dot files) are never reported.
   */
  private async *walk(prefix: string, { temporary }: { temporary: boolean }): AsyncGenerator<WalkEntry> {
    const slash = prefix.lastIndexOf('/');
    const base = prefix.slice(0, slash + 1);
    const baseDir = path.join(this.root, ...base.split('/').filter(Boolean));
    // So that deletePrefix('objects/<uuid>/') removes that folder too, not only what is in it.
    if (base !== '' && slash === prefix.length - 1) yield { kind: 'folder', key: base.slice(0, -1), file: baseDir };
    yield* this.walkFolder(baseDir, base, prefix.slice(slash + 1), temporary);
  }

  private async *walkFolder(
    dir: string,
    keyBase: string,
    start: string,
    temporary: boolean,
  ): AsyncGenerator<WalkEntry> {
    for (const entry of sortLikeKeys(await readFolder(dir))) {
      const file = path.join(dir, entry.name);
      const key = `${keyBase}${entry.name}`;
      if (entry.name.startsWith(TEMP_PREFIX)) {
        if (temporary && start === '' && entry.isFile()) yield { kind: 'temporary', key, file };
        continue;
      }
      if (entry.name.startsWith('.') || !entry.name.startsWith(start)) continue;
      if (entry.isDirectory()) {
        yield { kind: 'folder', key, file };
        yield* this.walkFolder(file, `${key}/`, '', temporary);
      } else if (entry.isFile()) {
        yield { kind: 'object', key, file };
      }
    }
  }
}
