/**
 * One listing per directory, sealed as an object like a chunk. The encoding is canonical (entries sorted, fixed key
 * order), so an unchanged directory produces the same bytes, the same id, and is stored once across recovery points.
 */
import { OBJECT_ID_PATTERN } from './objects';

export type TreeEntry = {
  name: string;
  type: 'file' | 'dir' | 'symlink';
  size: number;
  mode: number;
  mtimeMs: number;
  /** file: its chunks' object ids, in order (none for an empty file) */
  chunks?: string[];
  /** dir: the object id of its own listing */
  tree?: string;
  /** symlink: where it points, as read, not resolved */
  target?: string;
};

export type Tree = { version: 1; entries: TreeEntry[] };

// Code-unit order, not localeCompare: the encoding must not depend on the machine's locale or ICU version.
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function fail(message: string): never {
  throw new Error(`Invalid directory listing: ${message}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const LONE_SURROGATE = /\p{Cs}/u;

function checkName(name: unknown): string {
  if (typeof name !== 'string' || name === '' || name === '.' || name === '..') fail('an entry has no usable name.');
  // A lone surrogate would be replaced when encoded as UTF-8 and come back as a different name.
  if (name.includes('/') || name.includes('\0') || LONE_SURROGATE.test(name)) {
    fail(`the name ${JSON.stringify(name)} is not allowed.`);
  }
  return name;
}

function checkNumber(value: unknown, what: string, integer: boolean): number {
  const ok =
    typeof value === 'number' && (integer ? Number.isSafeInteger(value) && value >= 0 : Number.isFinite(value));
  if (!ok) fail(`${what} must be ${integer ? 'a non-negative integer' : 'a finite number'}.`);
  return value as number;
}

function checkId(value: unknown, what: string): string {
  if (typeof value !== 'string' || !OBJECT_ID_PATTERN.test(value)) fail(`${what} is not an object id.`);
  return value;
}

// Builds the entry with a fixed key order and only the fields its type uses; this is what makes the bytes canonical.
function normalizeEntry(raw: unknown): TreeEntry {
  if (!isRecord(raw)) fail('an entry is not an object.');
  const name = checkName(raw.name);
  const base = {
    name,
    type: raw.type as TreeEntry['type'],
    size: checkNumber(raw.size, `${name}: size`, true),
    mode: checkNumber(raw.mode, `${name}: mode`, true),
    mtimeMs: checkNumber(raw.mtimeMs, `${name}: mtimeMs`, false),
  };
  switch (raw.type) {
    case 'file': {
      if (!Array.isArray(raw.chunks)) fail(`${name}: a file needs its chunk list.`);
      return { ...base, chunks: raw.chunks.map((id) => checkId(id, `${name}: a chunk`)) };
    }
    case 'dir':
      return { ...base, tree: checkId(raw.tree, `${name}: its listing`) };
    case 'symlink':
      if (typeof raw.target !== 'string') fail(`${name}: a symlink needs its target.`);
      return { ...base, target: raw.target };
    default:
      return fail(`${name}: unknown type ${JSON.stringify(raw.type)}.`);
  }
}

function checkOrder(entries: TreeEntry[]): void {
  for (let i = 1; i < entries.length; i++) {
    if (compareNames(entries[i - 1]!.name, entries[i]!.name) >= 0) {
      fail(`entries are not sorted or ${JSON.stringify(entries[i]!.name)} appears twice.`);
    }
  }
}

/** Canonical bytes for a listing; entries may come in any order, but names must be unique. */
export function encodeTree(tree: Tree): Uint8Array {
  const entries = tree.entries.map(normalizeEntry).sort((a, b) => compareNames(a.name, b.name));
  checkOrder(entries);
  return new TextEncoder().encode(JSON.stringify({ version: 1, entries }));
}

/** Parses a listing, refusing anything encodeTree would not have produced. */
export function decodeTree(bytes: Uint8Array): Tree {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new Error('Invalid directory listing: not UTF-8 JSON.', { cause: err });
  }
  if (!isRecord(value) || value.version !== 1) fail('unsupported version.');
  if (!Array.isArray(value.entries)) fail('entries are missing.');
  const entries = value.entries.map(normalizeEntry);
  checkOrder(entries);
  return { version: 1, entries };
}
