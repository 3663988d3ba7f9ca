import { sealObjectPieces, type VaultKeys } from '@/lib/backup-format';
import { writeFrameHeader } from '@/wire/frame';
import {
  MAX_BATCH_BYTES,
  MAX_IDS_PER_CALL,
  type MissingResponse,
  OBJECT_FRAME_HEADER,
  type ObjectsResponse,
} from '@/wire/protocol';
import { limitGarbage } from '../heap';
import { zstdCompress } from '../zstd';

/** A sealed object as the pieces sealing made (lib/backup-format's sealObjectPieces), sent as they are. */
type Frame = { id: string; pieces: Uint8Array[]; length: number };

const EMPTY = new Uint8Array(0);

/** The calls a running backup makes with its session token. */
export type SessionCalls = {
  missing(ids: string[]): Promise<MissingResponse>;
  /** The frames of a batch, as consecutive parts of one body. */
  objects(parts: Uint8Array[]): Promise<ObjectsResponse>;
};

// How much plaintext waits for one "which are missing?" question, and how many batches may be on their way at once
// while reading and hashing go on: together they bound the agent's memory to a few tens of MiB. (4 batches took a
// first backup's peak to 270-300 MiB once the portal stored packs past the page cache and answered sooner; 3 measured
// about 20 MiB less and no slower. Batches of 6 MiB saved 20 MiB more, but the requests they added cost the first
// backup about 5 % of its throughput.)
export const BATCH_BYTES = 8 * 1024 * 1024;
const BATCH_OBJECTS = 2000;
const IN_FLIGHT = 3;
const JOIN_BELOW = 64 * 1024;
/**
 * Objects up to this size are copied into their batch's arena, one buffer reused batch after batch, so the buffer
 * each was read into is garbage at once instead of living until its batch is sealed. A first backup of node_modules
 * (42,000 files) took the agent a tenth less CPU (8.1-9.2 s against 8.8-9.5 s over seven runs each); its peak memory
 * stayed as it was.
 */
const ARENA_OBJECT = 1024 * 1024;
const ARENA_BYTES = BATCH_BYTES + ARENA_OBJECT;

/**
 * Buffers past which a full collection is started once a batch is sent (agent/heap.ts, limitGarbage), at most once
 * per COLLECT_EVERY bytes sent: about what the arenas, read buffers and batches on their way hold at most, and a
 * batch's garbage. On node_modules' first backup the agent's peak went from 300-320 MiB to 273-284 MiB, for about 13
 * more full collections of some 30 ms each; the bound keeps a backup of large files (whose buffers alive alone are
 * near the limit) from collecting after every batch.
 */
const GARBAGE_BYTES = 80 * 1024 * 1024;
const COLLECT_EVERY = 16 * 1024 * 1024;

const copyOf = (bytes: Uint8Array): Uint8Array => Uint8Array.prototype.slice.call(bytes);

/**
 * Collects the objects of a backup and sends only those the vault lacks, in batches, several in flight while the
 * caller goes on reading. Every object the backup refers to is remembered, for the commit.
 */
export class Uploader {
  readonly referenced = new Set<string>();
  /** Sealed bytes actually sent. */
  transferred = 0;
  private pending = new Map<string, Uint8Array>();
  private pendingBytes = 0;
  /** The pending batch's arena (see ARENA_OBJECT), and how much of it is used. */
  private arena: Buffer | undefined;
  private arenaUsed = 0;
  /** Arenas of batches sent, for the next batches (at most one per batch in flight, and one filling). */
  private readonly freeArenas: Buffer[] = [];
  private inFlight = new Set<Promise<void>>();
  private failure: unknown;
  /** Sealed bytes sent since the last full collection this started (COLLECT_EVERY). */
  private sentSinceCollection = 0;

  constructor(
    private readonly keys: VaultKeys,
    private readonly calls: SessionCalls,
    /** The most one upload carries (smaller under a throttle, agent/throttle.ts); one object always goes. */
    private readonly maxPostBytes = MAX_BATCH_BYTES,
  ) {}

  /** An object of this backup: its bytes are kept only until the vault says whether it has them. */
  async add(id: string, plaintext: Uint8Array, { borrowed = false }: { borrowed?: boolean } = {}): Promise<void> {
    this.throwIfFailed();
    if (this.referenced.has(id)) return;
    this.referenced.add(id);
    // A borrowed chunk lies in a buffer its caller reuses once this returns (a large file's read buffer, engine.ts);
    // a chunk that is a small part of a larger buffer would keep all of it alive until its batch is sealed. Both are
    // kept as copies of their own bytes; a small object, in the batch's arena.
    let own = plaintext.length <= ARENA_OBJECT ? this.intoArena(plaintext) : undefined;
    // (Uint8Array's slice: a Buffer's own slice is a view, not a copy.)
    if (!own) own = borrowed || plaintext.byteLength * 2 < plaintext.buffer.byteLength ? copyOf(plaintext) : plaintext;
    this.pending.set(id, own);
    this.pendingBytes += plaintext.length;
    if (this.pendingBytes >= BATCH_BYTES || this.pending.size >= BATCH_OBJECTS) await this.flush();
  }

  /** An object the last backup stored (an unchanged file): referenced without being read again. */
  reference(ids: string[]): void {
    for (const id of ids) this.referenced.add(id);
  }

  /** Sends what is pending and waits for everything in flight. */
  async finish(): Promise<void> {
    await this.flush();
    while (this.inFlight.size > 0) await Promise.allSettled(this.inFlight);
    this.throwIfFailed();
  }

  /** Waits for the batches on their way to end, sent or failed: a backup that stops leaves none behind it. */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled(this.inFlight);
  }

  private async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    while (this.inFlight.size >= IN_FLIGHT) await Promise.race(this.inFlight);
    this.throwIfFailed();
    const batch = this.pending;
    const arena = this.arena;
    this.pending = new Map();
    this.pendingBytes = 0;
    this.arena = undefined;
    this.arenaUsed = 0;
    const sending = this.send(batch)
      .catch((error) => {
        this.failure ??= error;
      })
      // Sealed or failed, nothing refers to the batch's plaintext any longer: its arena serves another batch.
      .finally(() => arena && this.freeArenas.push(arena));
    this.inFlight.add(sending);
    void sending.finally(() => this.inFlight.delete(sending));
  }

  /**
   * A copy of a small object in the pending batch's arena, which holds a batch and one more object; undefined past
   * that (files added while the batch waits for room to be sent).
   */
  private intoArena(plaintext: Uint8Array): Uint8Array | undefined {
    this.arena ??= this.freeArenas.pop() ?? Buffer.allocUnsafeSlow(ARENA_BYTES);
    if (this.arenaUsed + plaintext.length > this.arena.length) return undefined;
    const copy = this.arena.subarray(this.arenaUsed, this.arenaUsed + plaintext.length);
    copy.set(plaintext);
    this.arenaUsed += plaintext.length;
    return copy;
  }

  private async send(batch: Map<string, Uint8Array>): Promise<void> {
    const ids = [...batch.keys()];
    const missing: string[] = [];
    for (let i = 0; i < ids.length; i += MAX_IDS_PER_CALL) {
      missing.push(...(await this.calls.missing(ids.slice(i, i + MAX_IDS_PER_CALL))).missing);
    }
    // Chunks are views of the (large) buffers their files were read into: every one let go of as soon as possible
    // lets a read buffer be freed, which bounds the agent's memory far more than the sealed copies do.
    const wanted = missing.flatMap((id) => {
      const plaintext = batch.get(id);
      return plaintext ? [{ id, plaintext }] : [];
    });
    batch.clear();
    let frames: Frame[] = [];
    let size = 0;
    for (let i = 0; i < wanted.length; i++) {
      const { id, plaintext } = wanted[i]!;
      let pieces = await sealObjectPieces(this.keys, id, plaintext, zstdCompress);
      const length = pieces.reduce((sum, piece) => sum + piece.length, 0);
      // A large object's pieces are sent as they are (no copy of its ciphertext); a small one's joined, which costs
      // less than the socket's handling of each tiny piece.
      if (length < JOIN_BELOW && pieces.length > 1) pieces = [Buffer.concat(pieces)];
      wanted[i] = { id, plaintext: EMPTY };
      if (size + OBJECT_FRAME_HEADER + length > this.maxPostBytes && frames.length > 0) {
        await this.post(frames, size);
        frames = [];
        size = 0;
      }
      frames.push({ id, pieces, length });
      size += OBJECT_FRAME_HEADER + length;
    }
    if (frames.length > 0) await this.post(frames, size);
  }

  private async post(frames: Frame[], size: number): Promise<void> {
    const parts: Uint8Array[] = [];
    for (const { id, pieces, length } of frames) {
      const header = Buffer.allocUnsafe(OBJECT_FRAME_HEADER);
      writeFrameHeader(header, 0, id, length);
      parts.push(header, ...pieces);
    }
    await this.calls.objects(parts);
    this.transferred += size;
    // The batch's sealed pieces are garbage now, as are many buffers before them.
    this.sentSinceCollection += size;
    if (this.sentSinceCollection >= COLLECT_EVERY && limitGarbage(GARBAGE_BYTES)) this.sentSinceCollection = 0;
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}
