/**
 * One listing per directory, sealed as an object like a chunk. The encoding is canonical (entries sorted, fixed key
 * order), so an unchanged directory produces the same bytes, the same id, and is stored once across recovery points.
 * A directory too large for one object is stored as pages (sorted slices of its entries, each an ordinary listing)
 * named by an index listing; see encodeTreePages.
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

/** One page of a large directory: the object id of an ordinary listing and how many entries it holds. */
export type TreePage = { id: string; count: number };

/** The listing of a directory stored in pages: the pages in name order. */
export type TreeIndex = { version: 1; pages: TreePage[] };

/** What a directory's listing object decodes to: its entries, or the index of its pages. */
export type Listing = Tree | TreeIndex;

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

function canonicalEntries(tree: Tree): TreeEntry[] {
  const entries = tree.entries.map(normalizeEntry).sort((a, b) => compareNames(a.name, b.name));
  checkOrder(entries);
  return entries;
}

/** Canonical bytes for a listing; entries may come in any order, but names must be unique. */
export function encodeTree(tree: Tree): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ version: 1, entries: canonicalEntries(tree) }));
}

function parseJson(bytes: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new Error('Invalid directory listing: not UTF-8 JSON.', { cause: err });
  }
  if (!isRecord(value) || value.version !== 1) fail('unsupported version.');
  return value;
}

function entriesOf(value: Record<string, unknown>): Tree {
  if (!Array.isArray(value.entries)) fail('entries are missing.');
  const entries = value.entries.map(normalizeEntry);
  checkOrder(entries);
  return { version: 1, entries };
}

/** Parses a listing of entries (a small directory, or one page of a large one), refusing anything encodeTree would not have produced. */
export function decodeTree(bytes: Uint8Array): Tree {
  return entriesOf(parseJson(bytes));
}

/** Parses any directory's listing object: its entries, or the index of its pages. */
export function decodeListing(bytes: Uint8Array): Listing {
  const value = parseJson(bytes);
  if (!('pages' in value)) return entriesOf(value);
  if (!Array.isArray(value.pages) || value.pages.length < 2 || 'entries' in value) fail('the page index is invalid.');
  const pages = value.pages.map((page: unknown, i: number): TreePage => {
    if (!isRecord(page)) fail(`page ${i} is not an object.`);
    const count = checkNumber(page.count, `page ${i}: count`, true);
    if (count === 0) fail(`page ${i} is empty.`);
    return { id: checkId(page.id, `page ${i}`), count };
  });
  return { version: 1, pages };
}

export function isTreeIndex(listing: Listing): listing is TreeIndex {
  return 'pages' in listing;
}

/** A directory whose listing encodes to at most this many bytes is one object, as before pages existed. */
export const LISTING_MAX_BYTES = 1024 * 1024;
/** Pages are cut between these sizes (before compression), well under the sealed-object limit. */
const PAGE_MIN_BYTES = 256 * 1024;
const PAGE_MAX_BYTES = 1024 * 1024;
/** Past the minimum, a page ends after an entry whose name hashes to 0 modulo this: about every 128 entries. */
const PAGE_CUT_MODULUS = 128;

// FNV-1a over UTF-16 code units: cut points depend on names only, so adding one file to a huge directory changes
// one page (and the index), not every page after it.
function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export type ListingObject = { id: string; bytes: Uint8Array };

/**
 * A directory's listing as the objects to store: one listing, byte for byte what encodeTree gives, when it fits
 * LISTING_MAX_BYTES; otherwise its pages, each an ordinary listing of a sorted slice of the entries, followed by the
 * index that names them. The last object is the one the parent directory (or the recovery point) names as `id`.
 * `idOf` names an object (objectId under the vault's keys); it is passed in so this module needs no key.
 */
export async function encodeTreePages(
  tree: Tree,
  idOf: (bytes: Uint8Array) => Promise<string>,
): Promise<{ id: string; objects: ListingObject[] }> {
  const encoder = new TextEncoder();
  const entries = canonicalEntries(tree);
  const json = entries.map((entry) => JSON.stringify(entry));
  const sizes = json.map((text) => encoder.encode(text).length + 1);
  const wrap = (parts: string[]) => encoder.encode(`{"version":1,"entries":[${parts.join(',')}]}`);
  const total = sizes.reduce((sum, size) => sum + size, 0);
  if (total <= LISTING_MAX_BYTES) {
    const bytes = wrap(json);
    const id = await idOf(bytes);
    return { id, objects: [{ id, bytes }] };
  }
  const objects: ListingObject[] = [];
  const pages: TreePage[] = [];
  let start = 0;
  let size = 0;
  for (let i = 0; i < json.length; i++) {
    size += sizes[i]!;
    const last = i === json.length - 1;
    const full = !last && size + sizes[i + 1]! > PAGE_MAX_BYTES;
    const cut = size >= PAGE_MIN_BYTES && nameHash(entries[i]!.name) % PAGE_CUT_MODULUS === 0;
    if (last || full || cut) {
      const bytes = wrap(json.slice(start, i + 1));
      const id = await idOf(bytes);
      objects.push({ id, bytes });
      pages.push({ id, count: i + 1 - start });
      start = i + 1;
      size = 0;
    }
  }
  const index = encoder.encode(JSON.stringify({ version: 1, pages }));
  const id = await idOf(index);
  objects.push({ id, bytes: index });
  return { id, objects };
}

/**
 * Every entry of a directory, given its listing object's plaintext: a small directory's own entries, or its pages
 * loaded with `load` (an opened object's plaintext, by id) and checked to hold the counts the index states, in order.
 */
export async function readTree(bytes: Uint8Array, load: (id: string) => Promise<Uint8Array>): Promise<TreeEntry[]> {
  const listing = decodeListing(bytes);
  if (!isTreeIndex(listing)) return listing.entries;
  const pages = await Promise.all(listing.pages.map((page) => readPage(page, load)));
  const entries = pages.flat();
  checkOrder(entries);
  return entries;
}

/** One page's entries, checked against what the index says of it. */
export async function readPage(page: TreePage, load: (id: string) => Promise<Uint8Array>): Promise<TreeEntry[]> {
  const { entries } = decodeTree(await load(page.id));
  if (entries.length !== page.count) fail(`a page holds ${entries.length} entries, its index says ${page.count}.`);
  return entries;
}
