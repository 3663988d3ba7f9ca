import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import type { SkippedFile } from '@/lib/backup-format';
import type { ExcludeMatcher } from '../exclusions';

export type FileNode = {
  type: 'file';
  name: string;
  abs: string;
  rel: string;
  size: number;
  mode: number;
  mtimeMs: number;
  ino: number;
};
export type DirNode = {
  type: 'dir';
  name: string;
  abs: string;
  rel: string;
  mode: number;
  mtimeMs: number;
  children: Node[];
};
export type LinkNode = { type: 'symlink'; name: string; rel: string; mode: number; mtimeMs: number; target: string };
export type Node = FileNode | DirNode | LinkNode;

export type Scan = {
  root: DirNode;
  files: number;
  folders: number;
  bytes: number;
  /** Sockets, pipes and devices: not backed up, by design (reported, not a warning). */
  special: string[];
  /**
   * Folders that could not be listed (each stays in the point, empty) and entries that vanished or could not be
   * examined while the walk ran: the backup's warnings, with the files it then cannot read (engine.ts).
   */
  unreadable: SkippedFile[];
};

/**
 * Walks the folder once before reading any file: the totals drive the progress bar, the size limit and the free
 * space check. Symbolic links are recorded, not followed; sockets, pipes and devices are skipped, as are entries
 * that vanish or cannot be read while the walk runs (they are reported, and the backup goes on).
 *
 * `excluded` (the item's `protect --exclude` patterns) is asked about each entry as the listing names it, before
 * anything else is done with it: an excluded entry is never examined, opened or counted, and an excluded folder is
 * not listed. The listing then gives each entry's type (as readdir's d_type, without a stat) so that a folder is asked
 * about as `rel/`, as git does.
 *
 * The listings and stats are synchronous calls, a slice of entries at a time between turns of the event loop: a
 * tree of tens of thousands of small files is mostly these calls, and each asynchronous one costs a trip through
 * libuv's thread pool and a promise, about six times the call itself (node_modules, 46,000 entries: 1.9 s walked
 * asynchronously one entry at a time, 0.3 s synchronously).
 */
const ENTRIES_PER_TURN = 2000;

export async function scanFolder(root: string, excluded?: ExcludeMatcher): Promise<Scan> {
  const stats = await lstat(root).catch((error: NodeJS.ErrnoException) => {
    throw new Error(
      error.code === 'ENOENT' ? `The folder '${root}' does not exist.` : `Cannot read '${root}': ${error.message}`,
    );
  });
  if (!stats.isDirectory()) throw new Error(`'${root}' is not a folder.`);
  const scan: Scan = {
    root: { type: 'dir', name: '', abs: root, rel: '', mode: stats.mode, mtimeMs: stats.mtimeMs, children: [] },
    files: 0,
    folders: 0,
    bytes: 0,
    special: [],
    unreadable: [],
  };
  const pending: DirNode[] = [scan.root];
  let sinceTurn = 0;
  for (let dir = pending.pop(); dir; dir = pending.pop()) {
    // The event loop's turn (a progress line, a signal, a heartbeat) every few thousand entries.
    if (sinceTurn >= ENTRIES_PER_TURN) {
      sinceTurn = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    let names: string[];
    try {
      names = excluded ? includedNames(dir, excluded) : readdirSync(dir.abs);
    } catch (error) {
      if (dir === scan.root || !isFileFailure(error)) {
        throw new Error(`Cannot read '${dir.abs}': ${(error as Error).message}`);
      }
      scan.unreadable.push({ path: dir.rel, reason: unreadableReason(error) });
      continue;
    }
    names.sort(compareNames);
    sinceTurn += names.length;
    for (const name of names) {
      const abs = path.join(dir.abs, name);
      const rel = dir.rel === '' ? name : `${dir.rel}/${name}`;
      try {
        const st = lstatSync(abs);
        const common = { name, rel, mode: st.mode, mtimeMs: st.mtimeMs };
        if (st.isFile()) {
          dir.children.push({ type: 'file', abs, size: st.size, ino: st.ino, ...common });
          scan.files += 1;
          scan.bytes += st.size;
        } else if (st.isDirectory()) {
          const child: DirNode = { type: 'dir', abs, children: [], ...common };
          dir.children.push(child);
          pending.push(child);
          scan.folders += 1;
        } else if (st.isSymbolicLink()) {
          dir.children.push({ type: 'symlink', target: readlinkSync(abs), ...common });
        } else {
          scan.special.push(rel);
        }
      } catch (error) {
        if (!isFileFailure(error)) throw new Error(`Cannot read '${abs}': ${(error as Error).message}`);
        scan.unreadable.push({ path: rel, reason: unreadableReason(error) });
      }
    }
  }
  return scan;
}

/** The names of a folder's entries that are not excluded, each asked about once (a folder's with a trailing '/'). */
function includedNames(dir: DirNode, excluded: ExcludeMatcher): string[] {
  const names: string[] = [];
  const prefix = dir.rel === '' ? '' : `${dir.rel}/`;
  for (const entry of readdirSync(dir.abs, { withFileTypes: true })) {
    const rel = prefix + entry.name;
    if (!excluded(entry.isDirectory() ? `${rel}/` : rel)) names.push(entry.name);
  }
  return names;
}

// The file system's answers in a few words, without the path Node's messages repeat (the list names it already).
const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'it was deleted during the backup',
  ENOTDIR: 'its folder was replaced during the backup',
  EISDIR: 'it was replaced by a folder during the backup',
  EIO: 'input/output error',
  EBUSY: 'resource busy or locked',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'name too long',
  ESTALE: 'stale file handle',
  ENXIO: 'no such device or address',
  EINVAL: 'invalid argument',
};

/**
 * Failures of the agent's own process rather than of a file: retried by the next backup, never a file skipped for
 * good (the backup fails, naming the file).
 */
const PROCESS_FAILURES = new Set(['EMFILE', 'ENFILE', 'ENOMEM']);

/** Whether a failed open, read or listing is the file's own (skipped, a warning) rather than the agent's. */
export function isFileFailure(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && !PROCESS_FAILURES.has(code);
}

/** Why an entry could not be read, in a few words: `permission denied`, or the error's code and words. */
export function unreadableReason(error: unknown): string {
  const { code, message } = (error ?? {}) as NodeJS.ErrnoException;
  if (code && REASONS[code]) return REASONS[code];
  // `EXDEV: cross-device link not permitted, open '/srv/x'` without the path.
  const words = typeof message === 'string' ? message.replace(/, \w+ '.*'$/s, '') : '';
  return words || code || 'unknown error';
}

/** The order of entries in a listing: by UTF-16 code units, as the format's canonical trees sort them. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
