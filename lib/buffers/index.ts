import { pageAlignedBuffer } from '@/lib/direct-io';

/**
 * Large buffers handed back when done with and reused. A fresh buffer of many MiB is a fresh mapping, whose every page
 * the kernel faults in and zeroes on first touch: for the restore's 32 MiB batches of objects this cost the agent and
 * the portal each about as much CPU as decrypting the data. Used by the agent for the answers it reads
 * (agent/upload.ts) and by the portal for the batches it sends (lib/restore/object-reads.ts).
 */
export class ReusedBuffers {
  private free: Buffer<ArrayBuffer>[] = [];
  // Buffers taken and not given back yet; weak, so one never given back (a failed request) is simply collected.
  private readonly out = new WeakSet<ArrayBufferLike>();
  private idle: ReturnType<typeof setTimeout> | undefined;

  /**
   * `keep`: at most this many buffers kept for reuse; `idleMs`: when set, kept buffers are dropped after this long
   * without a take, so a process that restored once does not hold the memory; `aligned`: buffers start on a page
   * boundary, for direct writes (lib/direct-io).
   */
  constructor(
    private readonly keep: number,
    private readonly idleMs?: number,
    private readonly aligned = false,
  ) {}

  /** A buffer of exactly `size` bytes (a view of a kept one, or a new one, rounded up so later ones fit it too). */
  take(size: number): Buffer<ArrayBuffer> {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const length = this.free[i]!.length;
      if (length >= size && (best < 0 || length < this.free[best]!.length)) best = i;
    }
    const buffer = best >= 0 ? this.free.splice(best, 1)[0]! : this.allocate(roundUp(size, STEP));
    this.out.add(buffer.buffer);
    if (this.idleMs !== undefined) {
      clearTimeout(this.idle);
      this.idle = setTimeout(() => {
        this.free = [];
      }, this.idleMs);
      this.idle.unref?.();
    }
    return buffer.subarray(0, size);
  }

  private allocate(size: number): Buffer<ArrayBuffer> {
    return this.aligned ? pageAlignedBuffer(size) : Buffer.allocUnsafeSlow(size);
  }

  /** Gives back a buffer `take` returned, once nothing reads or writes its bytes any more; anything else is ignored. */
  give(bytes: Uint8Array): void {
    if (!this.out.delete(bytes.buffer)) return;
    if (this.free.length < this.keep)
      this.free.push(Buffer.from(bytes.buffer as ArrayBuffer, 0, bytes.buffer.byteLength));
  }
}

const STEP = 4 * 1024 * 1024;
const roundUp = (n: number, step: number) => Math.max(step, Math.ceil(n / step) * step);
