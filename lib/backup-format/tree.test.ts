import { describe, expect, it } from 'vitest';
import { deriveVaultKeys, newVaultKey } from './keys';
import { MAX_SEALED_SIZE, objectId, openObject, SEAL_OVERHEAD, sealObject } from './objects';
import {
  decodeListing,
  decodeTree,
  encodeTree,
  encodeTreePages,
  isTreeIndex,
  readTree,
  type Tree,
  type TreeEntry,
} from './tree';

const ID_A = 'a'.repeat(64);
const ID_B = 'b'.repeat(64);
const file = (name: string, chunks: string[] = [ID_A]): TreeEntry => ({
  name,
  type: 'file',
  size: 10,
  mode: 0o100644,
  mtimeMs: 1_700_000_000_123.456,
  chunks,
});
const encode = (entries: TreeEntry[]) => encodeTree({ version: 1, entries });
const decodeText = (json: string) => decodeTree(new TextEncoder().encode(json));

describe('a directory listing', () => {
  it('round-trips files, directories and symlinks', () => {
    const tree: Tree = {
      version: 1,
      entries: [
        file('a.txt', [ID_A, ID_B]),
        { name: 'empty', type: 'file', size: 0, mode: 0o100600, mtimeMs: 0, chunks: [] },
        { name: 'link', type: 'symlink', size: 6, mode: 0o120777, mtimeMs: 1, target: '../etc' },
        { name: 'sub', type: 'dir', size: 0, mode: 0o40755, mtimeMs: 2, tree: ID_B },
      ],
    };
    expect(decodeTree(encodeTree(tree))).toEqual(tree);
  });

  it('encodes equal directories to equal bytes, whatever the order of entries or keys', () => {
    const entries = [file('b'), file('a'), file('C')];
    const reordered: TreeEntry[] = [
      { chunks: [ID_A], mtimeMs: 1_700_000_000_123.456, mode: 0o100644, size: 10, type: 'file', name: 'a' },
      file('C'),
      file('b'),
    ];
    expect(encode(reordered)).toEqual(encode(entries));
    expect(decodeTree(encode(entries)).entries.map((e) => e.name)).toEqual(['C', 'a', 'b']);
  });

  it('sorts by UTF-16 code units, not by locale', () => {
    const names = ['\u00e9', 'z', 'Z', '\u{1f600}', '\uff01', '10', '9'];
    expect(decodeTree(encode(names.map((n) => file(n)))).entries.map((e) => e.name)).toEqual([
      '10',
      '9',
      'Z',
      'z',
      '\u00e9',
      '\u{1f600}',
      '\uff01',
    ]);
  });

  it('drops fields its type does not use', () => {
    const entry = { ...file('x'), tree: ID_B, target: 'nowhere' };
    expect(decodeTree(encode([entry])).entries[0]).toEqual(file('x'));
  });

  it('dedupes: the same directory seals to the same object id', async () => {
    const keys = await deriveVaultKeys(newVaultKey());
    const first = encode([file('a'), file('b')]);
    const second = encode([file('b'), file('a')]);
    const id = await objectId(keys, first);
    expect(await objectId(keys, second)).toBe(id);
    const sealed = await sealObject(keys, id, first);
    expect(decodeTree(await openObject(keys, id, sealed, (d) => d)).entries).toHaveLength(2);
  });

  it.each([
    ['duplicate names', [file('a'), file('a')]],
    ['an empty name', [file('')]],
    ['a name with a slash', [file('a/b')]],
    ['a dot-dot name', [file('..')]],
    ['a lone surrogate', [file('bad\ud800')]],
    ['a bad chunk id', [file('a', ['xyz'])]],
    ['a negative size', [{ ...file('a'), size: -1 }]],
    ['a directory without its listing', [{ name: 'd', type: 'dir', size: 0, mode: 0o40755, mtimeMs: 0 } as TreeEntry]],
    ['an unknown type', [{ ...file('a'), type: 'socket' } as unknown as TreeEntry]],
  ])('refuses to encode %s', (_, entries) => {
    expect(() => encode(entries)).toThrow(/Invalid directory listing/);
  });

  it.each([
    ['bytes that are not UTF-8', () => decodeTree(Uint8Array.of(0xff, 0xfe, 0x7b))],
    ['text that is not JSON', () => decodeText('{"version":1,')],
    ['another version', () => decodeText('{"version":2,"entries":[]}')],
    ['missing entries', () => decodeText('{"version":1}')],
    ['an entry that is not an object', () => decodeText('{"version":1,"entries":[42]}')],
    [
      'a file without chunks',
      () => decodeText('{"version":1,"entries":[{"name":"a","type":"file","size":1,"mode":0,"mtimeMs":0}]}'),
    ],
    [
      'unsorted entries',
      () => decodeTree(new TextEncoder().encode(JSON.stringify({ version: 1, entries: [file('b'), file('a')] }))),
    ],
  ])('refuses to decode %s', (_, decode) => {
    expect(decode).toThrow(/Invalid directory listing/);
  });
});

describe('a large directory', () => {
  const named = (i: number) => file(`file-${String(i).padStart(6, '0')}.txt`, [ID_A, ID_B]);
  const many = (n: number) => Array.from({ length: n }, (_, i) => named(i));
  const idOf = async (bytes: Uint8Array) => objectId(keysFor, bytes);
  let keysFor: Awaited<ReturnType<typeof deriveVaultKeys>>;

  async function store(entries: TreeEntry[]) {
    keysFor ??= await deriveVaultKeys(newVaultKey());
    const listing = await encodeTreePages({ version: 1, entries }, idOf);
    const byId = new Map(listing.objects.map((o) => [o.id, o.bytes]));
    return { ...listing, byId, load: async (id: string) => byId.get(id)! };
  }

  it('stays one listing, byte for byte what encodeTree gives, while it is small', async () => {
    const entries = many(100);
    const { id, objects } = await store(entries);
    expect(objects).toHaveLength(1);
    expect(objects[0]!.bytes).toEqual(encode(entries));
    expect(objects[0]!.id).toBe(id);
  });

  it('of 100,000 files is stored as pages that each seal within the object limit, and reads back whole', async () => {
    const entries = many(100_000);
    const { id, objects, byId, load } = await store(entries);
    const root = decodeListing(byId.get(id)!);
    expect(isTreeIndex(root)).toBe(true);
    expect(objects.length).toBeGreaterThan(3);
    for (const { bytes } of objects) expect(bytes.length + SEAL_OVERHEAD).toBeLessThan(MAX_SEALED_SIZE);
    const read = await readTree(byId.get(id)!, load);
    expect(read).toHaveLength(100_000);
    expect(read.map((e) => e.name)).toEqual(entries.map((e) => e.name));
    expect(objects.at(-1)!.id).toBe(id);
  });

  it('changes one page and the index when one file is added, not every page after it', async () => {
    const before = await store(many(60_000));
    const after = await store([...many(60_000), file('file-030000.txt.new')]);
    const oldIds = new Set(before.objects.map((o) => o.id));
    const changed = after.objects.filter((o) => !oldIds.has(o.id));
    expect(changed).toHaveLength(2);
  });

  it('refuses an index whose page does not hold what it states, or whose pages are out of order', async () => {
    const { id, byId, load } = await store(many(30_000));
    const root = decodeListing(byId.get(id)!);
    if (!isTreeIndex(root)) throw new Error('expected pages');
    const lying = { version: 1, pages: root.pages.map((p, i) => (i === 0 ? { ...p, count: p.count + 1 } : p)) };
    await expect(readTree(new TextEncoder().encode(JSON.stringify(lying)), load)).rejects.toThrow(/index says/);
    const swapped = { version: 1, pages: [...root.pages].reverse() };
    await expect(readTree(new TextEncoder().encode(JSON.stringify(swapped)), load)).rejects.toThrow(/not sorted/);
    expect(() =>
      decodeListing(new TextEncoder().encode(JSON.stringify({ version: 1, pages: [root.pages[0]] }))),
    ).toThrow(/page index/);
    expect(() =>
      decodeListing(
        new TextEncoder().encode(JSON.stringify({ version: 1, pages: [{ id: 'x', count: 1 }, root.pages[0]] })),
      ),
    ).toThrow(/not an object id/);
  });
});
