import { decompress } from 'fzstd';
import { describe, expect, it } from 'vitest';
import { deriveVaultKeys, newVaultKey } from './keys';
import { CorruptObjectError, objectId, openObject, sealObject } from './objects';
import { decodeSkippedList, encodeSkippedList, SKIPPED_LIST_MAX_BYTES } from './skipped';

const keys = await deriveVaultKeys(newVaultKey());
const files = [
  { path: 'docs/zeta.txt', reason: 'permission denied' },
  { path: 'Archive', reason: 'permission denied' },
  { path: 'docs/été "quoted".txt', reason: 'it was deleted during the backup' },
];

describe('the list of skipped files', () => {
  it('is canonical: sorted by path in code-unit order, the same bytes (and id) whatever the order it was found in', async () => {
    const bytes = encodeSkippedList(files);
    expect(decodeSkippedList(bytes)).toEqual({
      version: 1,
      files: [files[1], files[0], files[2]],
      more: 0,
    });
    const reversed = encodeSkippedList([...files].reverse());
    expect(reversed).toEqual(bytes);
    expect(await objectId(keys, reversed)).toBe(await objectId(keys, bytes));
  });

  it('fits one object: what does not fit SKIPPED_LIST_MAX_BYTES is counted in `more`', () => {
    const many = Array.from({ length: 20_000 }, (_, i) => ({
      path: `folder/${String(i).padStart(6, '0')}-${'x'.repeat(80)}`,
      reason: 'permission denied',
    }));
    const bytes = encodeSkippedList(many);
    expect(bytes.length).toBeLessThanOrEqual(SKIPPED_LIST_MAX_BYTES);
    const list = decodeSkippedList(bytes);
    expect(list.files.length).toBeGreaterThan(5_000);
    expect(list.files.length + list.more).toBe(20_000);
    expect(list.files[0]).toEqual(many[0]);
  });

  it('is sealed and opened as any object, with the vault keys: another vault cannot open it', async () => {
    const bytes = encodeSkippedList(files);
    const id = await objectId(keys, bytes);
    const sealed = await sealObject(keys, id, bytes);
    expect(Buffer.from(sealed).includes('zeta')).toBe(false);
    const opened = decodeSkippedList(await openObject(keys, id, sealed, (data) => decompress(data)));
    expect(opened.files.map((file) => file.path)).toEqual(['Archive', 'docs/zeta.txt', 'docs/été "quoted".txt']);
    const other = await deriveVaultKeys(newVaultKey());
    await expect(openObject(other, id, sealed, (data) => decompress(data))).rejects.toBeInstanceOf(CorruptObjectError);
  });

  it('refuses anything else', () => {
    const text = (value: string) => new TextEncoder().encode(value);
    expect(() => decodeSkippedList(text('not json'))).toThrow(/not UTF-8 JSON/);
    expect(() => decodeSkippedList(text('{"version":2,"files":[],"more":0}'))).toThrow(/version/);
    expect(() => decodeSkippedList(text('{"version":1,"files":[],"more":-1}'))).toThrow(/more/);
    expect(() => decodeSkippedList(text('{"version":1,"files":[{"path":1}],"more":0}'))).toThrow(/entry 0/);
    expect(() => decodeSkippedList(text('{"version":1,"entries":[]}'))).toThrow(/version/);
  });
});
