import type { BlobInfo, BlobStore } from './types';

/**
 * A store for reading only: each read asks `primary`, and asks `secondary` only when the primary lacks the object (or
 * the range) or throws; a read the secondary cannot answer either gives the primary's answer (its miss, or its error).
 * The fast path stays as it was: the secondary is never asked while the primary answers. Writes go to the primary.
 */
export function readingWithFallback(primary: BlobStore, secondary: BlobStore | null): BlobStore {
  if (!secondary) return primary;
  const store = new FallbackStore(primary, secondary);
  // A primary without readRanges (S3) is read object by object, several at once (lib/backups/packs.ts): so is this.
  if (!primary.readRanges) Object.defineProperty(store, 'readRanges', { value: undefined });
  return store;
}

/** The primary's answer unless it is a miss (false/null) or an error, then the secondary's when that is no miss. */
async function firstAnswer<T>(ask: (store: BlobStore) => Promise<T>, primary: BlobStore, secondary: BlobStore) {
  let failure: { err: unknown } | undefined;
  let miss: T | undefined;
  try {
    const answer = await ask(primary);
    if (answer !== false && answer !== null) return answer;
    miss = answer;
  } catch (err) {
    failure = { err };
  }
  try {
    const answer = await ask(secondary);
    if (answer !== false && answer !== null) return answer;
  } catch {
    // The secondary's own trouble is not the caller's: the primary's answer stands.
  }
  if (failure) throw failure.err;
  return miss as T;
}

class FallbackStore implements BlobStore {
  readonly description: string;

  constructor(
    private readonly primary: BlobStore,
    private readonly secondary: BlobStore,
  ) {
    this.description = `${primary.description} (reads fall back to ${secondary.description})`;
  }

  put(key: string, data: Uint8Array): Promise<void> {
    return this.primary.put(key, data);
  }

  putMany(objects: ReadonlyArray<{ key: string; data: Uint8Array }>): Promise<void> {
    return this.primary.putMany(objects);
  }

  get(key: string): Promise<Uint8Array | null> {
    return firstAnswer((s) => s.get(key), this.primary, this.secondary);
  }

  readInto(key: string, target: Uint8Array): Promise<boolean> {
    return firstAnswer(
      async (s) => {
        if (s.readInto) return s.readInto(key, target);
        const data = await s.get(key);
        if (data?.length !== target.length) return false;
        target.set(data);
        return true;
      },
      this.primary,
      this.secondary,
    );
  }

  readRange(key: string, offset: number, target: Uint8Array): Promise<boolean> {
    return firstAnswer((s) => s.readRange(key, offset, target), this.primary, this.secondary);
  }

  readRanges(key: string, ranges: ReadonlyArray<{ offset: number; target: Uint8Array }>): Promise<boolean> {
    return firstAnswer(
      async (s) => {
        if (s.readRanges) return s.readRanges(key, ranges);
        for (const range of ranges) if (!(await s.readRange(key, range.offset, range.target))) return false;
        return true;
      },
      this.primary,
      this.secondary,
    );
  }

  stream(key: string): Promise<ReadableStream<Uint8Array> | null> {
    return firstAnswer((s) => s.stream(key), this.primary, this.secondary);
  }

  has(key: string): Promise<boolean> {
    return firstAnswer((s) => s.has(key), this.primary, this.secondary);
  }

  delete(keys: string[]): Promise<void> {
    return this.primary.delete(keys);
  }

  deletePrefix(prefix: string): Promise<number> {
    return this.primary.deletePrefix(prefix);
  }

  list(prefix: string): AsyncIterable<BlobInfo> {
    return this.primary.list(prefix);
  }
}
