/**
 * Writing and reading large files past the page cache (O_DIRECT), where the system allows it: the portal's packs
 * (written, and read back for restores) and the agent's restored files.
 *
 * A buffered write copies every byte into the page cache. On a virtual machine whose memory the host has not backed
 * yet, or has taken back (a balloon takes freed memory back within seconds), that copy faults in a fresh page every
 * 4 KiB: measured here, 2.3 s of kernel CPU per GiB, about half the portal's CPU in a first backup and half the
 * agent's in a restore. A direct write hands the device the caller's memory instead (0.05 s per GiB), and leaves
 * the page cache to what the machine reads.
 *
 * Direct I/O wants memory, file offsets and lengths on block boundaries: write whole 4 KiB blocks from a
 * pageAlignedBuffer at aligned offsets, and NewFile writes the last partial block through an ordinary descriptor.
 * Where the file system refuses O_DIRECT (tmpfs, some network file systems) or the memory is not aligned (EINVAL),
 * the same bytes are written the ordinary way: the result and its durability are the same.
 */
import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';

/** Offsets and lengths of direct writes are multiples of this (a page; any disk's logical block divides it). */
export const BLOCK = 4096;
const WASM_PAGE = 64 * 1024;

let allowed = constants.O_DIRECT !== undefined;

/** Bytes written and read past the page cache by this process: for tests and benches, to see that it happens. */
export const directBytes = { written: 0, read: 0 };

/** For tests: whether direct I/O is tried (on Linux, by default); returns the previous setting. */
export function allowDirectIo(allow: boolean): boolean {
  const was = allowed;
  allowed = allow && constants.O_DIRECT !== undefined;
  return was;
}

/**
 * A buffer of `size` bytes whose memory starts on a page boundary, as direct writes need: WebAssembly memory, which
 * V8 maps page-aligned (an ordinary Buffer's memory comes from malloc, 16 bytes past a page). An ordinary buffer where
 * WebAssembly is missing or its memory cannot be had; writes from it simply are not direct.
 */
export function pageAlignedBuffer(size: number): Buffer<ArrayBuffer> {
  const pages = Math.max(1, Math.ceil(size / WASM_PAGE));
  try {
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    return Buffer.from(memory.buffer as ArrayBuffer, 0, size);
  } catch {
    return Buffer.allocUnsafeSlow(size);
  }
}

/** A file this process creates and writes, whole blocks past the page cache where it can. */
export class NewFile {
  private direct: FileHandle | undefined;
  /** False once a direct write was refused: the rest of the file is written the ordinary way. */
  private directUsable = allowed;

  private constructor(
    private readonly file: string,
    /** The ordinary descriptor: partial blocks, and everything when direct writes cannot be had; sync and metadata. */
    readonly handle: FileHandle,
  ) {}

  /** Creates the file (it must not exist yet) with `mode`. */
  static async create(file: string, mode: number): Promise<NewFile> {
    return new NewFile(file, await open(file, 'wx', mode));
  }

  /** Writes all of `data` at `position`: its whole blocks directly when `position` is on a block boundary. */
  async write(data: Uint8Array, position: number): Promise<void> {
    let done = 0;
    const whole = data.length - (data.length % BLOCK);
    if (whole > 0 && position % BLOCK === 0 && (await this.directHandle())) {
      try {
        while (done < whole) {
          const { bytesWritten } = await this.direct!.write(data, done, whole - done, position + done);
          done += bytesWritten;
          directBytes.written += bytesWritten;
        }
      } catch (err) {
        // Memory not on a page boundary, or a file system that opened with O_DIRECT but writes without it.
        if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
        await this.dropDirect();
      }
    }
    while (done < data.length) {
      const { bytesWritten } = await this.handle.write(data, done, data.length - done, position + done);
      done += bytesWritten;
    }
  }

  /** Closes both descriptors (the direct one first: its writes are done when they return). */
  async close(): Promise<void> {
    try {
      await this.dropDirect();
    } finally {
      await this.handle.close();
    }
  }

  private async directHandle(): Promise<FileHandle | undefined> {
    if (this.direct || !this.directUsable) return this.direct;
    try {
      this.direct = await open(this.file, constants.O_WRONLY | constants.O_DIRECT);
    } catch (err) {
      // The file system takes no direct I/O (tmpfs answers EINVAL): ordinary writes.
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
      this.directUsable = false;
    }
    return this.direct;
  }

  private async dropDirect(): Promise<void> {
    this.directUsable = false;
    const direct = this.direct;
    this.direct = undefined;
    await direct?.close();
  }
}

/**
 * Writes a new file from start to end as its bytes come, in pieces of any size: they are gathered in `staging` (a
 * pageAlignedBuffer, lent by the caller) and written a full staging buffer at a time, so every write but the last is
 * whole blocks at a block boundary.
 */
export class SequentialWriter {
  private filled = 0;
  private position = 0;

  constructor(
    readonly file: NewFile,
    private readonly staging: Uint8Array,
  ) {}

  async append(data: Uint8Array): Promise<void> {
    for (let at = 0; at < data.length; ) {
      const take = Math.min(this.staging.length - this.filled, data.length - at);
      this.staging.set(data.subarray(at, at + take), this.filled);
      this.filled += take;
      at += take;
      if (this.filled === this.staging.length) await this.flush();
    }
  }

  /** Writes what is gathered; the caller then sets times and closes the file. */
  async finish(): Promise<void> {
    await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.filled === 0) return;
    await this.file.write(this.staging.subarray(0, this.filled), this.position);
    this.position += this.filled;
    this.filled = 0;
  }
}

/**
 * Opens a file for direct reads; undefined where direct I/O cannot be had (not Linux, a file system without it, or
 * turned off). Fails as open does otherwise (ENOENT for a missing file).
 */
export async function openForDirectReads(file: string): Promise<FileHandle | undefined> {
  if (!allowed) return undefined;
  try {
    return await open(file, constants.O_RDONLY | constants.O_DIRECT);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EINVAL') return undefined;
    throw err;
  }
}

/** Ranges closer than this are read together, with the bytes between them. */
const GAP = 64 * 1024;

/**
 * Fills each target from its offset of a file open for direct reads (openForDirectReads): the file is read a span of
 * whole blocks at a time into `scratch` (a pageAlignedBuffer of a multiple of BLOCK bytes), each span reaching over
 * the next ranges as far as they lie close together and fit, and the ranges' bytes are copied out of it. False when
 * the file ends before a range does. A direct read the file system refuses after all rejects with EINVAL.
 */
export async function readRangesDirect(
  handle: FileHandle,
  ranges: ReadonlyArray<{ offset: number; target: Uint8Array }>,
  scratch: Uint8Array,
): Promise<boolean> {
  const sorted = [...ranges].sort((a, b) => a.offset - b.offset);
  let spanStart = 0;
  let spanLength = 0;
  for (let i = 0; i < sorted.length; i++) {
    const { offset, target } = sorted[i]!;
    for (let done = 0; done < target.length; ) {
      const at = offset + done;
      if (at < spanStart || at >= spanStart + spanLength) {
        spanStart = at - (at % BLOCK);
        let end = offset + target.length;
        for (let j = i + 1; j < sorted.length; j++) {
          const next = sorted[j]!;
          const nextEnd = next.offset + next.target.length;
          if (next.offset - end > GAP || nextEnd - spanStart > scratch.length) break;
          end = Math.max(end, nextEnd);
        }
        const want = Math.min(scratch.length, Math.ceil((end - spanStart) / BLOCK) * BLOCK);
        spanLength = 0;
        while (spanLength < want) {
          const { bytesRead } = await handle.read(scratch, spanLength, want - spanLength, spanStart + spanLength);
          spanLength += bytesRead;
          directBytes.read += bytesRead;
          // The end of the file: a direct read stops there, short of a whole block.
          if (bytesRead === 0 || bytesRead % BLOCK !== 0) break;
        }
        if (at >= spanStart + spanLength) return false;
      }
      const count = Math.min(target.length - done, spanStart + spanLength - at);
      target.set(scratch.subarray(at - spanStart, at - spanStart + count), done);
      done += count;
    }
  }
  return true;
}
