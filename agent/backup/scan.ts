import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';

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

export type Scan = { root: DirNode; files: number; folders: number; bytes: number; skipped: string[] };

/**
 * Walks the folder once before reading any file: the totals drive the progress bar, the size limit and the free
 * space check. Symbolic links are recorded, not followed; sockets, pipes and devices are skipped, as are entries
 * that vanish or cannot be read while the walk runs (they are reported, and the backup goes on).
 */
export async function scanFolder(root: string): Promise<Scan> {
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
    skipped: [],
  };
  const pending: DirNode[] = [scan.root];
  for (let dir = pending.pop(); dir; dir = pending.pop()) {
    let names: string[];
    try {
      names = await readdir(dir.abs);
    } catch (error) {
      if (dir === scan.root) throw new Error(`Cannot read '${root}': ${(error as Error).message}`);
      scan.skipped.push(dir.rel);
      continue;
    }
    names.sort(compareNames);
    for (const name of names) {
      const abs = path.join(dir.abs, name);
      const rel = dir.rel === '' ? name : `${dir.rel}/${name}`;
      try {
        const st = await lstat(abs);
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
          dir.children.push({ type: 'symlink', target: await readlink(abs), ...common });
        } else {
          scan.skipped.push(rel);
        }
      } catch {
        scan.skipped.push(rel);
      }
    }
  }
  return scan;
}

/** The order of entries in a listing: by UTF-16 code units, as the format's canonical trees sort them. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
