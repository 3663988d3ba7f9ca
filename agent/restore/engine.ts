import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { chmod, lstat, lutimes, mkdir, readdir, rename, rm, symlink, unlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { readTree, type TreeEntry } from '@/lib/backup-format/tree';
import { ReusedBuffers } from '@/lib/buffers';
import { BLOCK, NewFile, SequentialWriter } from '@/lib/direct-io';
import type { Progress } from '../backup/progress';
import { forEachConcurrently } from '../pool';
import { PortalFailure } from '../retry';
import type { ObjectReader } from './reader';
import { SmallFileWriter } from './small-files';

export type Conflict = 'copies' | 'overwrite' | 'skip';

export type RestoreRun = {
  reader: ObjectReader;
  progress: Progress;
  conflict: Conflict;
  /** Set when the restore must stop (the agent was interrupted, or the portal ended it). */
  stopped: () => string | undefined;
};

export type RestoreCounts = { skipped: number; copies: number };

// Several files are written at once. The small files' objects are asked for a window ahead of the one being written
// (ReadAhead): up to this many objects, or about this many bytes; a large file's next chunks a few ahead of the one
// being written, by the file itself, so that every large file under way has its next chunks on their way, not only
// the one the window starts at. (With the small files created on a thread of their own, the large files go on
// beside them, so the window's 32 MiB went to 16: 20 MiB less at the peak, no slower.)
const FILE_CONCURRENCY = 4;
/** Small files taken at once: one waits for its bytes while another waits for room on the small files' thread. */
const SMALL_CONCURRENCY = 2;
const OBJECTS_AHEAD = 256;
const BYTES_AHEAD = 16 * 1024 * 1024;
const CHUNKS_AHEAD = 8;
/** Files of one chunk up to this size are created on a thread of their own (small-files.ts). */
const SMALL_FILE = 256 * 1024;
/**
 * Larger files are written through a page-aligned buffer of this size each, past the page cache where the file system
 * allows (lib/direct-io): the copy into the page cache was half the agent's CPU in a restore. Kept for the next file.
 */
const STAGING = 4 * 1024 * 1024;
const stagingBuffers = new ReusedBuffers(FILE_CONCURRENCY, 60_000, true);

/** `first`: where a small file's object is in the sequence of ReadAhead, which sets it. */
type PlannedFile = { entry: TreeEntry; dest: string; first: number };
type PlannedDir = { entry: TreeEntry; dest: string };

export class StoppedError extends Error {}

/**
 * Restores a listing's entries into `target` (which is created): folders first, as the listings are read, then the
 * files, several at once; modes and modification times of folders last, deepest first, since writing into a folder
 * changes its time.
 */
export async function restoreEntries(entries: TreeEntry[], target: string, run: RestoreRun): Promise<RestoreCounts> {
  const counts: RestoreCounts = { skipped: 0, copies: 0 };
  const files: PlannedFile[] = [];
  const dirs: PlannedDir[] = [];
  // mkdir names the first folder it made: none when the target was there already.
  const made = await mkdir(target, { recursive: true });
  await plan(entries, target, made !== undefined, run, counts, files, dirs, new Listings(run.reader));
  // Exact totals once the listings are read: a selection's, and less what a conflict left alone.
  run.progress.totals.filesTotal = run.progress.filesDone + files.length;
  run.progress.totals.bytesTotal = files.reduce((sum, f) => sum + f.entry.size, run.progress.bytesDone);
  const ahead = new ReadAhead(run.reader, files);
  const smallFiles = new SmallFileWriter((file) => {
    run.progress.bytesDone += file.data.length;
    run.progress.filesDone += 1;
  });
  // Two lanes that do not wait for each other: the small files in order, handed to their thread as their bytes
  // arrive, and the larger files, several at once. (In one lane, workers waiting for room on the small files' thread
  // held up the large files queued behind the small ones: for a second, next to nothing was written.) The first
  // failure, or a stop, ends both.
  let failure: unknown;
  const lane = (jobs: PlannedFile[], concurrency: number, restore: (job: PlannedFile) => Promise<void>) =>
    forEachConcurrently(jobs, concurrency, async (job) => {
      if (failure !== undefined) throw failure;
      try {
        await restore(job);
      } catch (error) {
        failure ??= error;
        throw error;
      }
    });
  await Promise.allSettled([
    lane(files.filter(isSmall), SMALL_CONCURRENCY, (job) => queueSmallFile(job, ahead, smallFiles, run)),
    lane(
      files.filter((file) => !isSmall(file)),
      FILE_CONCURRENCY,
      (job) => restoreFile(job, run),
    ),
  ]);
  if (failure !== undefined) {
    // The small files on their way still finish (or fail) before the restore ends.
    await smallFiles.close().catch(() => {});
    throw failure;
  }
  await smallFiles.close();
  for (const dir of dirs.reverse()) await setTimes(dir.dest, dir.entry);
  return counts;
}

/** The entries of a folder of the point, by its listing's id (a large folder's pages are read as well). */
export async function readFolder(reader: ObjectReader, id: string): Promise<TreeEntry[]> {
  return readTree(await reader.get(id), (page) => reader.get(page));
}

/**
 * The listings of a tree, asked for ahead of the plan: each folder's subfolders are asked for as soon as its own
 * listing arrives, so a deep tree's listings travel together (a tree of 4,000 folders, node_modules' kind, otherwise
 * waited one round trip per level of each branch), up to LISTED_AHEAD entries read but not yet planned; past that a
 * folder's listing is asked for when the plan reaches it, which bounds the memory a huge tree's listings take.
 */
class Listings {
  private ahead = 0;
  private readonly asked = new Map<string, Promise<TreeEntry[]>>();

  constructor(private readonly reader: ObjectReader) {}

  /** A folder's entries, by its listing's id; its subfolders' listings are then on their way (within the bound). */
  async take(id: string): Promise<TreeEntry[]> {
    const entries = await (this.asked.get(id) ?? this.fetch(id));
    this.asked.delete(id);
    this.ahead -= entries.length;
    return entries;
  }

  /** Asks for the listings of the entries' subfolders (those not asked for yet, within the bound). */
  askFor(entries: TreeEntry[]): void {
    for (const entry of entries) {
      if (entry.type !== 'dir' || this.ahead >= LISTED_AHEAD || this.asked.has(entry.tree!)) continue;
      const sub = this.fetch(entry.tree!);
      // Taken in turn by the plan; one not reached (the restore stopped) must not count as unhandled meanwhile.
      sub.catch(() => {});
      this.asked.set(entry.tree!, sub);
    }
  }

  private fetch(id: string): Promise<TreeEntry[]> {
    return readFolder(this.reader, id).then((entries) => {
      this.ahead += entries.length;
      this.askFor(entries);
      return entries;
    });
  }
}

/** Entries of listings read ahead of the plan, at most (Listings). */
const LISTED_AHEAD = 200_000;

/**
 * Plans the restore of a folder's entries into `parent`, and makes its folders. `fresh`: the restore has just made
 * `parent`, so nothing in it can be in the way.
 */
async function plan(
  entries: TreeEntry[],
  parent: string,
  fresh: boolean,
  run: RestoreRun,
  counts: RestoreCounts,
  files: PlannedFile[],
  dirs: PlannedDir[],
  listings: Listings,
): Promise<void> {
  // What is in the way, by one listing of the folder rather than a lookup per entry (3,000 of them, one after
  // another through the thread pool, were a tenth of a restore's time).
  const present = fresh ? new Set<string>() : new Set(await readdir(parent));
  // The subfolders' listings are asked for together (and theirs as they arrive), not one round trip each.
  listings.askFor(entries);
  for (const entry of entries) {
    checkStopped(run);
    let dest = path.join(parent, entry.name);
    const existing = present.has(entry.name) ? await lstat(dest).catch(() => null) : null;
    if (entry.type === 'dir') {
      if (existing && !existing.isDirectory()) {
        if (run.conflict === 'skip') {
          counts.skipped += 1;
          continue;
        }
        dest = await freeName(dest);
        counts.copies += 1;
      }
      // Synchronous: thousands of folders, each a call far shorter than a trip through the thread pool.
      mkdirSync(dest, { recursive: true });
      // In the way of a later entry of the same name (a copy's "name (1)"), as if it had been there.
      present.add(path.basename(dest));
      dirs.push({ entry, dest });
      const madeHere = !existing?.isDirectory();
      await plan(await listings.take(entry.tree!), dest, madeHere, run, counts, files, dirs, listings);
      continue;
    }
    let replace = false;
    if (existing) {
      if (run.conflict === 'skip') {
        counts.skipped += 1;
        if (entry.type === 'file') {
          run.progress.filesDone += 1;
          run.progress.bytesDone += entry.size;
        }
        continue;
      }
      // A file is replaced by the rename that puts the restored one in place; a link must go first.
      if (run.conflict === 'overwrite' && !existing.isDirectory()) replace = true;
      else {
        dest = await freeName(dest);
        counts.copies += 1;
      }
    }
    if (entry.type === 'symlink') {
      if (replace) await unlink(dest);
      await symlink(entry.target!, dest);
      await lutimes(dest, seconds(entry.mtimeMs), seconds(entry.mtimeMs)).catch(() => {});
      present.add(path.basename(dest));
    } else {
      files.push({ entry, dest, first: 0 });
    }
  }
}

/** `name (1).ext`, `name (2).ext`, ...: the first name beside `dest` that nothing uses. */
async function freeName(dest: string): Promise<string> {
  const { dir, name, ext } = path.parse(dest);
  for (let n = 1; ; n++) {
    const candidate = path.join(dir, `${name} (${n})${ext}`);
    if (!(await lstat(candidate).catch(() => null))) return candidate;
  }
}

/**
 * Where a file is written until it is whole: a hidden name beside its place, unique by this process's random prefix
 * and a count (random bytes for each of node_modules' 42,000 files cost a restore 0.26 s of the main thread).
 */
function temporaryName(dest: string): string {
  temporaryCount += 1;
  return path.join(
    path.dirname(dest),
    `.${path.basename(dest)}.${TEMPORARY_PREFIX}${temporaryCount.toString(36)}.restoring`,
  );
}
const TEMPORARY_PREFIX = randomBytes(4).toString('hex');
let temporaryCount = 0;

/**
 * A small file (isSmall), handed to the small files' thread (small-files.ts) once its bytes are at hand: created
 * there under a temporary name and renamed into place like the others, and counted done once it is in place.
 */
async function queueSmallFile(
  job: PlannedFile,
  ahead: ReadAhead,
  smallFiles: SmallFileWriter,
  run: RestoreRun,
): Promise<void> {
  checkStopped(run);
  const { entry, dest } = job;
  const data = (entry.chunks?.length ?? 0) === 0 ? new Uint8Array(0) : await ahead.take(job.first);
  checkStopped(run);
  const mode = entry.mode & 0o7777;
  await smallFiles.write({ temp: temporaryName(dest), dest, data, mode, mtimeSeconds: seconds(entry.mtimeMs) });
}

/**
 * Writes a file larger than a small one under a temporary name beside its place and renames it there when whole, so
 * an interrupted restore never leaves a truncated file under the real name (nor has replaced the existing one yet).
 */
async function restoreFile(job: PlannedFile, run: RestoreRun): Promise<void> {
  checkStopped(run);
  const { entry, dest } = job;
  const temp = temporaryName(dest);
  const chunks = entry.chunks ?? [];
  const expected = Math.ceil(entry.size / chunks.length);
  const reads: Array<Promise<Uint8Array> | undefined> = [];
  const ask = (i: number) => {
    if (i >= chunks.length) return;
    const read = run.reader.get(chunks[i]!, expected);
    // Awaited in turn below; one not reached (the restore stopped) must not count as unhandled meanwhile.
    read.catch(() => {});
    reads[i] = read;
  };
  for (let i = 0; i < CHUNKS_AHEAD; i++) ask(i);
  let file: NewFile | undefined;
  let created = false;
  const staging = stagingBuffers.take(Math.min(STAGING, Math.ceil(entry.size / BLOCK) * BLOCK || BLOCK));
  try {
    file = await NewFile.create(temp, 0o600);
    created = true;
    // Past the page cache where it can (lib/direct-io): a restore writes more than it will read back soon.
    const writer = new SequentialWriter(file, staging);
    for (let i = 0; i < chunks.length; i++) {
      const data = await reads[i]!;
      reads[i] = undefined;
      ask(i + CHUNKS_AHEAD);
      checkStopped(run);
      await writer.append(data);
      run.progress.bytesDone += data.length;
    }
    await writer.finish();
    // Mode and times through the open file: no lookups of its path (3,000 small files spent more CPU in the kernel
    // and in the thread pool's hand-offs than on their bytes).
    await file.handle.chmod(entry.mode & 0o7777);
    await file.handle.utimes(seconds(entry.mtimeMs), seconds(entry.mtimeMs));
    await file.close();
    file = undefined;
    await rename(temp, dest);
    run.progress.filesDone += 1;
  } catch (error) {
    await file?.close().catch(() => {});
    // Only a temporary file this created: an existing file of that name (it is created exclusively) stays.
    if (created) await rm(temp, { force: true });
    // The portal's failures (a read of the file's data) and a stop are not this file's: reported as they are.
    if (error instanceof StoppedError || error instanceof PortalFailure || run.stopped()) throw error;
    throw new Error(`Cannot restore '${dest}': ${(error as Error).message}`);
  } finally {
    stagingBuffers.give(staging);
  }
}

/**
 * The objects of the planned small files (one each) as one sequence, in the order the files are written, requested a
 * window ahead of the one being taken, so many small files share requests.
 */
class ReadAhead {
  private readonly ids: string[] = [];
  private readonly sizes: number[] = [];
  private readonly requested = new Map<number, Promise<Uint8Array>>();
  private next = 0;
  private bytesAhead = 0;

  constructor(
    private readonly reader: ObjectReader,
    files: PlannedFile[],
  ) {
    for (const file of files) {
      if (!isSmall(file)) continue;
      file.first = this.ids.length;
      for (const id of file.entry.chunks ?? []) {
        this.ids.push(id);
        this.sizes.push(file.entry.size);
      }
    }
  }

  private readonly taken = new Set<number>();
  private lowest = 0;

  take(seq: number): Promise<Uint8Array> {
    // Workers take files in order, so takes come nearly in order: the window runs from the lowest one not taken.
    this.taken.add(seq);
    while (this.taken.has(this.lowest)) this.taken.delete(this.lowest++);
    this.next = Math.max(this.next, this.lowest);
    while (this.next < this.ids.length && this.next - this.lowest < OBJECTS_AHEAD && this.bytesAhead < BYTES_AHEAD) {
      if (!this.taken.has(this.next)) this.request(this.next);
      this.next += 1;
    }
    if (!this.requested.has(seq)) this.request(seq);
    const read = this.requested.get(seq)!;
    this.requested.delete(seq);
    this.bytesAhead -= this.sizes[seq]!;
    return read;
  }

  private request(seq: number): void {
    if (this.requested.has(seq)) return;
    const read = this.reader.get(this.ids[seq]!, this.sizes[seq]!);
    // Taken in turn later; a failure of one not reached yet must not count as unhandled meanwhile.
    read.catch(() => {});
    this.requested.set(seq, read);
    this.bytesAhead += this.sizes[seq]!;
  }
}

/** Seconds for utimes, a microsecond past the millisecond so float rounding cannot land it on the one before. */
const seconds = (ms: number) => ms / 1000 + 1e-6;

async function setTimes(dest: string, entry: TreeEntry): Promise<void> {
  await chmod(dest, entry.mode & 0o7777);
  await utimes(dest, seconds(entry.mtimeMs), seconds(entry.mtimeMs));
}

/** A file of at most one chunk, small enough to be created on the small files' thread (small-files.ts). */
const isSmall = ({ entry }: PlannedFile) => (entry.chunks?.length ?? 0) <= 1 && entry.size <= SMALL_FILE;

function checkStopped(run: RestoreRun) {
  const reason = run.stopped();
  if (reason) throw new StoppedError(reason);
}
