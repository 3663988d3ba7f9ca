/**
 * The list of what a backup could not read (files it could not open or read, folders it could not list), with the
 * reason for each: UTF-8 JSON, sealed as one object of the point's key like a listing, and named by the commit
 * (`skippedListId`) so the point keeps it. The server sees only its id and the count; the names open with the
 * passphrase, in the browser.
 */

export type SkippedFile = {
  /** '/'-separated, relative to the protected folder. */
  path: string;
  /** Short and in words: `permission denied`, `it was deleted during the backup`. */
  reason: string;
};

/** `more` counts the entries left out so the list fits one object (SKIPPED_LIST_MAX_BYTES). */
export type SkippedList = { version: 1; files: SkippedFile[]; more: number };

/** Far below the sealed-object limit (8 MiB): several thousand long paths; the rest are counted. */
export const SKIPPED_LIST_MAX_BYTES = 1024 * 1024;

// Code-unit order, as listings sort names: the same skipped files give the same bytes, and the same object.
const byPath = (a: SkippedFile, b: SkippedFile) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** Canonical bytes for the list, sorted by path, cut to fit SKIPPED_LIST_MAX_BYTES (the rest counted in `more`). */
export function encodeSkippedList(files: SkippedFile[]): Uint8Array {
  const encoder = new TextEncoder();
  const sorted = files.map((file) => ({ path: file.path, reason: file.reason })).sort(byPath);
  const parts: string[] = [];
  // The envelope with a `more` of any count fits in this much.
  let size = 64;
  for (const file of sorted) {
    const part = JSON.stringify(file);
    const length = encoder.encode(part).length + 1;
    if (size + length > SKIPPED_LIST_MAX_BYTES) break;
    parts.push(part);
    size += length;
  }
  return encoder.encode(`{"version":1,"files":[${parts.join(',')}],"more":${sorted.length - parts.length}}`);
}

/** The list as encodeSkippedList made it; anything else is refused. */
export function decodeSkippedList(bytes: Uint8Array): SkippedList {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new Error('Invalid list of skipped files: not UTF-8 JSON.', { cause: error });
  }
  const list = value as Partial<SkippedList> | null;
  if (typeof list !== 'object' || list === null || list.version !== 1 || !Array.isArray(list.files)) {
    throw new Error('Invalid list of skipped files: unsupported version.');
  }
  const more = list.more;
  if (typeof more !== 'number' || !Number.isSafeInteger(more) || more < 0) {
    throw new Error('Invalid list of skipped files: `more` is not a count.');
  }
  const files = list.files.map((file: unknown, i: number): SkippedFile => {
    const entry = file as Partial<SkippedFile> | null;
    if (typeof entry?.path !== 'string' || typeof entry.reason !== 'string') {
      throw new Error(`Invalid list of skipped files: entry ${i} is not a path and a reason.`);
    }
    return { path: entry.path, reason: entry.reason };
  });
  return { version: 1, files, more };
}
