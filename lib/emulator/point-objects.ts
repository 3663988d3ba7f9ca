/**
 * A seeded recovery point's content, made as the agent makes a backup's (agent/backup/engine.ts): every file cut into
 * content-defined chunks under the key's gear table, one canonical listing per folder (pages for a huge one), bottom
 * up, each object named by its HMAC under the key and sealed with AES-256-GCM. Objects are sealed raw (flag 0, which
 * the format allows and every reader opens): the agent's zstd is WebAssembly it loads for itself, and seeded files are
 * small. Equal content under one key is one object, across the points of the key as within one.
 */
import { CHUNK_SIZES, Chunker, objectId, sealObject, type TreeEntry, type VaultKeys } from '@/lib/backup-format';
import { encodeTreePages } from '@/lib/backup-format/tree';

/** Modes as the agent records them (permission bits only: `mode & 0o7777`). */
const FILE_MODE = 0o644;
const DIR_MODE = 0o755;

/** A folder of a point's files, from the seed's `{"RELATIVE/PATH": "CONTENT"}`. */
export type FolderNode = { folders: Map<string, FolderNode>; files: Map<string, Uint8Array> };

const LONE_SURROGATE = /\p{Cs}/u;

function checkName(name: string, path: string): void {
  if (name === '' || name === '.' || name === '..') {
    throw new Error(`'${path}' is not a relative path of names separated by '/' (no empty name, '.' or '..').`);
  }
  if (name.includes('\0') || LONE_SURROGATE.test(name)) {
    throw new Error(`'${path}' has a name with a NUL or an unpaired surrogate, which no file system keeps.`);
  }
}

/**
 * The folder tree of `files`: each key a path relative to the protected folder, `/`-separated; a key ending in `/`
 * is an (empty) folder. Throws an Error naming the path when one is not usable, or is both a file and a folder.
 */
export function folderTree(files: Record<string, string>): FolderNode {
  const root: FolderNode = { folders: new Map(), files: new Map() };
  const encoder = new TextEncoder();
  for (const [path, content] of Object.entries(files)) {
    const isFolder = path.endsWith('/');
    const names = (isFolder ? path.slice(0, -1) : path).split('/');
    for (const name of names) checkName(name, path);
    let folder = root;
    for (const [i, name] of names.entries()) {
      const last = i === names.length - 1;
      if (last && !isFolder) {
        if (folder.folders.has(name) || folder.files.has(name))
          throw new Error(`'${path}' is given twice, or is also a folder.`);
        folder.files.set(name, encoder.encode(content));
        break;
      }
      if (folder.files.has(name))
        throw new Error(`'${path}' is inside '${names.slice(0, i + 1).join('/')}', which is a file.`);
      if (isFolder && last && content !== '')
        throw new Error(`'${path}' is a folder (it ends in '/'): give it "" as content.`);
      let next = folder.folders.get(name);
      if (!next) {
        next = { folders: new Map(), files: new Map() };
        folder.folders.set(name, next);
      }
      folder = next;
    }
  }
  return root;
}

/** What a point commits, as the agent's commit request carries it. */
export type BuiltPoint = {
  rootId: string;
  /** Every object the point references (its recovery_point_objects). */
  objectIds: string[];
  files: number;
  /** Folders below the protected folder (the root not counted, as the agent's scan counts). */
  folders: number;
  bytes: number;
  /** Sealed bytes of the objects this point added to the key (what its backup would have uploaded). */
  transferred: number;
};

/** The sealed objects of one vault key, each once, in the order they were first made (bottom up, as uploaded). */
export class KeyObjects {
  readonly sealed = new Map<string, Uint8Array>();

  constructor(readonly keys: VaultKeys) {}

  /** A point of these files, every file and folder dated `mtimeMs` (the point's time). */
  async point(root: FolderNode, mtimeMs: number): Promise<BuiltPoint> {
    const run = { referenced: new Set<string>(), files: 0, folders: 0, bytes: 0, transferred: 0 };
    const rootId = await this.folder(root, Math.floor(mtimeMs), run);
    const { referenced, ...counts } = run;
    return { rootId, objectIds: [...referenced], ...counts };
  }

  private async add(plaintext: Uint8Array, run: { referenced: Set<string>; transferred: number }): Promise<string> {
    const id = await objectId(this.keys, plaintext);
    run.referenced.add(id);
    if (!this.sealed.has(id)) {
      const sealed = await sealObject(this.keys, id, plaintext);
      this.sealed.set(id, sealed);
      run.transferred += sealed.length;
    }
    return id;
  }

  private async folder(
    node: FolderNode,
    mtimeMs: number,
    run: { referenced: Set<string>; files: number; folders: number; bytes: number; transferred: number },
  ): Promise<string> {
    const entries: TreeEntry[] = [];
    for (const [name, child] of node.folders) {
      run.folders += 1;
      const tree = await this.folder(child, mtimeMs, run);
      entries.push({ name, type: 'dir', size: 0, mode: DIR_MODE, mtimeMs, tree });
    }
    for (const [name, data] of node.files) {
      const chunks: string[] = [];
      for (const chunk of chunksOf(this.keys, data)) chunks.push(await this.add(chunk, run));
      run.files += 1;
      run.bytes += data.length;
      entries.push({ name, type: 'file', size: data.length, mode: FILE_MODE, mtimeMs, chunks });
    }
    const listing = await encodeTreePages({ version: 1, entries }, (bytes) => objectId(this.keys, bytes));
    for (const object of listing.objects) await this.add(object.bytes, run);
    return listing.id;
  }
}

/** A file's chunks as the agent cuts them: none when empty, itself when shorter than the smallest chunk. */
function chunksOf(keys: VaultKeys, data: Uint8Array): Uint8Array[] {
  if (data.length === 0) return [];
  if (data.length < CHUNK_SIZES.min) return [data];
  const chunker = new Chunker(keys.gear);
  const chunks = chunker.push(data);
  const rest = chunker.finish();
  if (rest && rest.length > 0) chunks.push(rest);
  return chunks;
}
