import { Worker } from 'node:worker_threads';

/**
 * A restore's small files are created on a thread of their own. Each is a few system calls (create a temporary file,
 * write, set its mode and times, close, rename it into place) of a fraction of a millisecond, but thousands of them on
 * the main thread held up everything else it does (reading, decrypting and writing the large files), and creating
 * files gets several times slower right after many were deleted (ext4 then checks each candidate inode's deletion
 * time): 3,000 files took the main thread 2 s, during which the large files barely moved. On a thread of their own
 * the calls stay synchronous (a thread-pool round trip per call cost more than the call) and overlap with the rest.
 *
 * The files go over in batches: their bytes copied into one buffer that is transferred, not cloned.
 */

/** The writer thread's code, plain CommonJS for `eval`: it needs nothing but node:fs. */
const WORKER_SOURCE = `
const fs = require('node:fs');
const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ id, files, bytes }) => {
  const data = new Uint8Array(bytes);
  const failures = [];
  files.forEach((file, index) => {
    let fd;
    let created = false;
    try {
      fd = fs.openSync(file.temp, 'wx', 0o600);
      created = true;
      for (let done = 0; done < file.length; ) done += fs.writeSync(fd, data, file.offset + done, file.length - done);
      fs.fchmodSync(fd, file.mode);
      fs.futimesSync(fd, file.mtime, file.mtime);
      fs.closeSync(fd);
      fd = undefined;
      fs.renameSync(file.temp, file.dest);
    } catch (error) {
      if (fd !== undefined) {
        try { fs.closeSync(fd); } catch {}
      }
      // Only a temporary file this created: an existing file of that name (it is created exclusively) stays.
      if (created) {
        try { fs.rmSync(file.temp, { force: true }); } catch {}
      }
      failures.push({ index, message: error.message });
    }
  });
  parentPort.postMessage({ id, failures });
});
`;

/** One file to create: its bytes, and where (written under `temp`, renamed to `dest` when whole). */
export type SmallFile = { temp: string; dest: string; data: Uint8Array; mode: number; mtimeSeconds: number };

// A batch goes over when it holds this many files or bytes, or at the end of the tick it was started in. At most
// this many bytes are on their way at once: asking for more waits (the restore's read-ahead bounds them too).
const BATCH_FILES = 64;
const BATCH_BYTES = 1024 * 1024;
const OUTSTANDING_BYTES = 4 * 1024 * 1024;

export class SmallFileWriter {
  private worker: Worker | undefined;
  private batch: SmallFile[] = [];
  private batchBytes = 0;
  private scheduled = false;
  private nextId = 0;
  private readonly sent = new Map<number, SmallFile[]>();
  private outstanding = 0;
  private readonly waiters: Array<() => void> = [];
  /** The first failure: a file that could not be created, or the thread itself. */
  private failure: Error | undefined;

  /** `created`: called for each file once it is in place. */
  constructor(private readonly created: (file: SmallFile) => void) {}

  /**
   * Queues a file: resolves once it is on its way (at once, unless too many bytes are); rejects with the first
   * failure of a file before it, as `Cannot restore 'dest': why`, so a failing restore stops taking files.
   */
  async write(file: SmallFile): Promise<void> {
    while (this.outstanding > 0 && this.outstanding + file.data.length > OUTSTANDING_BYTES && !this.failure) {
      await this.settled();
    }
    if (this.failure) throw this.failure;
    this.outstanding += file.data.length;
    this.batch.push(file);
    this.batchBytes += file.data.length;
    if (this.batch.length >= BATCH_FILES || this.batchBytes >= BATCH_BYTES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  /** Waits for every file queued, ends the thread, and throws the first failure, if any. */
  async close(): Promise<void> {
    this.flush();
    while (this.sent.size > 0) await this.settled();
    await this.worker?.terminate();
    this.worker = undefined;
    if (this.failure) throw this.failure;
  }

  private settled(): Promise<void> {
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private flush(): void {
    if (this.batch.length === 0) return;
    const batch = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    const bytes = new Uint8Array(batch.reduce((sum, file) => sum + file.data.length, 0));
    let offset = 0;
    const files = batch.map((file) => {
      bytes.set(file.data, offset);
      const { temp, dest, mode, mtimeSeconds: mtime } = file;
      const meta = { temp, dest, offset, length: file.data.length, mode, mtime };
      offset += file.data.length;
      return meta;
    });
    const id = this.nextId++;
    this.sent.set(id, batch);
    this.thread().postMessage({ id, files, bytes: bytes.buffer }, [bytes.buffer]);
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.on('message', ({ id, failures }: { id: number; failures: Array<{ index: number; message: string }> }) => {
      const batch = this.sent.get(id);
      if (!batch) return;
      this.sent.delete(id);
      const failed = new Map(failures.map((f) => [f.index, f.message]));
      batch.forEach((file, index) => {
        this.outstanding -= file.data.length;
        const message = failed.get(index);
        if (message === undefined) this.created(file);
        else this.failure ??= new Error(`Cannot restore '${file.dest}': ${message}`);
      });
      this.wake();
    });
    // The thread itself failed (it could not start, or ran out of memory): the files on their way are not known
    // to be in place.
    worker.on('error', (error) => this.fail(new Error(`The restore's file writer failed: ${error.message}`)));
    worker.on('exit', (code) => {
      if (this.worker === worker && this.sent.size > 0)
        this.fail(new Error(`The restore's file writer stopped (${code}).`));
    });
    this.worker = worker;
    return worker;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.sent.clear();
    this.outstanding = 0;
    this.wake();
  }

  private wake(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}
