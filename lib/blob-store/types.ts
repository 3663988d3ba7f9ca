export type BlobInfo = { key: string; size: number; modifiedAt: Date };

/**
 * Where the portal keeps backup data: sealed objects of up to a few MiB, addressed by keys such as
 * `objects/<uuid>/<2 hex>/<64 hex>` (see keys.ts for what a key may contain; anything else throws).
 */
export interface BlobStore {
  /** Where the data lives, for logs and the operator: no secrets. */
  readonly description: string;
  /** Atomic: readers see the whole object or nothing, also if the process dies mid-write. */
  put(key: string, data: Uint8Array): Promise<void>;
  /**
   * Several objects, each atomic as put's, all durable when it resolves (the folder store syncs each folder once per
   * call instead of once per object). When it rejects, some may be stored and others not.
   */
  putMany(objects: ReadonlyArray<{ key: string; data: Uint8Array }>): Promise<void>;
  /** null when absent. */
  get(key: string): Promise<Uint8Array | null>;
  /**
   * Reads an object of known size straight into `target` (exactly target.length bytes): false when it is absent or
   * of another size. Optional: a store without it is read with get and copied.
   */
  readInto?(key: string, target: Uint8Array): Promise<boolean>;
  /**
   * Reads `target.length` bytes from `offset` of an object (a range of a pack) straight into `target`: false when the
   * object is absent or ends before the range does.
   */
  readRange(key: string, offset: number, target: Uint8Array): Promise<boolean>;
  /**
   * Several ranges of one object, as readRange each (false when any is missing). Optional: the folder store opens
   * the file once for all of them; without it each range is read on its own.
   */
  readRanges?(key: string, ranges: ReadonlyArray<{ offset: number; target: Uint8Array }>): Promise<boolean>;
  /** null when absent. The caller must read the stream to its end or cancel it, which releases the file or socket. */
  stream(key: string): Promise<ReadableStream<Uint8Array> | null>;
  has(key: string): Promise<boolean>;
  /** Missing keys are fine. */
  delete(keys: string[]): Promise<void>;
  /** Removes every object whose key starts with the prefix and returns how many there were. */
  deletePrefix(prefix: string): Promise<number>;
  /**
   * Every object whose key starts with the prefix ('' for all). AWS S3 and the folder store return them in key order;
   * do not rely on it, some S3-compatible servers (s3rver) order keys across folder levels differently.
   */
  list(prefix: string): AsyncIterable<BlobInfo>;
  /**
   * Removes what writes killed before they finished left under the prefix (the folder store's temporary files) when
   * older than `olderThanMs`; returns how many. Optional: a store whose writes leave nothing behind (S3) has none.
   */
  sweepTemporaryFiles?(olderThanMs: number, prefix?: string): Promise<number>;
}
