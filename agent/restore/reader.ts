import { openObject, type VaultKeys } from '@/lib/backup-format';
import { ReusedBuffers } from '@/lib/buffers';
import { readFrame } from '@/wire/frame';
import { isAgentErrorResponse, PortalRefusal, unreachable } from '../portal';
import { PortalFailure, PortalUnavailable, type Retry, transientStatus, withRetries } from '../retry';
import { postForBytes } from '../upload';
import { zstdDecompress } from '../zstd';

/**
 * Fetches a batch of sealed objects by id; the portal answers with frames of as many as fit one response. `release`,
 * when given, takes back an answer whose bytes are no longer needed, for the next one to reuse.
 */
export type FetchObjects = ((ids: string[]) => Promise<Uint8Array>) & { release?: (body: Uint8Array) => void };

// One request asks for objects of about this many bytes in all (by what the asker expects; a response holds at most
// 32 MiB), and at most this many ids: eight average chunks, or a few dozen small files. Requests on their way at
// once: enough to keep the network and the disk busy together, little enough to bound memory. (Batches of 16 or 32
// chunks, and 3 to 12 requests, measured no faster, with more memory; 8 ids for small files as well cost the portal
// a request per 8 files.)
const BATCH_BYTES = 8 * 1024 * 1024;
const BATCH_IDS = 64;
const IN_FLIGHT = 6;
/** What an object is expected to weigh when the asker does not say: an average chunk. */
const EXPECTED_BYTES = 1024 * 1024;

type Waiter = { id: string; expected: number; resolve: (plain: Uint8Array) => void; reject: (error: unknown) => void };

/**
 * Reads a recovery point's objects: asks are gathered into batches, several batches travel at once, and each object
 * is opened (decrypted, decompressed, checked against its id) as it arrives.
 */
export class ObjectReader {
  /** Sealed bytes received. */
  transferred = 0;
  private queue: Waiter[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly keys: VaultKeys,
    private readonly fetchObjects: FetchObjects,
  ) {}

  /** The plaintext of one object of the point; `expected`: about how many bytes it holds, when the asker knows. */
  get(id: string, expected = EXPECTED_BYTES): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      this.queue.push({ id, expected, resolve, reject });
      this.schedule();
    });
  }

  // Waits a tick so the asks made together (a file's first chunks, a folder's pages) share a request.
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < IN_FLIGHT && this.queue.length > 0) {
      let count = 0;
      for (let bytes = 0; count < this.queue.length && count < BATCH_IDS && bytes < BATCH_BYTES; count++) {
        bytes += this.queue[count]!.expected;
      }
      const batch = this.queue.splice(0, count);
      this.inFlight += 1;
      void this.send(batch).finally(() => {
        this.inFlight -= 1;
        this.pump();
      });
    }
  }

  private async send(batch: Waiter[]): Promise<void> {
    const waiting = new Map<string, Waiter[]>();
    for (const waiter of batch) waiting.set(waiter.id, [...(waiting.get(waiter.id) ?? []), waiter]);
    try {
      const body = await this.fetchObjects([...waiting.keys()]);
      this.transferred += body.length;
      const opened: Promise<unknown>[] = [];
      for (let offset = 0; offset < body.length; ) {
        const frame = readFrame(body, offset);
        // A header cut short fails the batch, with the RangeError its read through a DataView gave.
        if (!frame) throw new RangeError('Offset is outside the bounds of the DataView');
        const { id, data: sealed } = frame;
        offset = frame.next;
        const waiters = waiting.get(id);
        if (!waiters) continue;
        waiting.delete(id);
        const plain = openObject(this.keys, id, sealed, zstdDecompress);
        for (const waiter of waiters) plain.then(waiter.resolve, waiter.reject);
        opened.push(plain);
      }
      // Every object was opened into buffers of its own: the answer's buffer can serve the next one.
      void Promise.allSettled(opened).then(() => this.fetchObjects.release?.(body));
      // What did not fit this response goes first in the next one.
      if (waiting.size > 0) {
        this.queue.unshift(...[...waiting.values()].flat());
        this.schedule();
      }
    } catch (error) {
      for (const waiter of batch) waiter.reject(error);
    }
  }
}

/**
 * FetchObjects over the portal's restore session. Reads are safe to repeat: `retry` waits for a portal that is away;
 * `signal` ends every read at once (the restore stopped).
 */
export function sessionFetcher(
  portalUrl: string,
  restoreId: string,
  token: string,
  fetch: typeof globalThis.fetch,
  { signal, retry }: { signal?: AbortSignal; retry?: Retry } = {},
): FetchObjects {
  // One buffer per request on its way, and one more for the answer being opened.
  const buffers = new ReusedBuffers(IN_FLIGHT + 1);
  const once = async (ids: string[]): Promise<Uint8Array> => {
    if (signal?.aborted) throw signal.reason;
    const url = `${portalUrl}/api/agent/restores/${restoreId}/objects`;
    // Sealed objects do not compress: asking for them as they are spares both sides a pointless gzip.
    const headers = { authorization: `Bearer ${token}`, 'accept-encoding': 'identity' };
    let status: number;
    let body: Uint8Array;
    try {
      if (fetch === globalThis.fetch) {
        ({ status, body } = await postForBytes(
          url,
          headers,
          JSON.stringify({ ids }),
          READ_TIMEOUT_MS,
          buffers,
          signal,
        ));
      } else {
        const timeout = AbortSignal.timeout(READ_TIMEOUT_MS);
        const response = await fetch(url, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({ ids }),
          signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
        });
        status = response.status;
        body = new Uint8Array(await response.arrayBuffer());
      }
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw unreachable(portalUrl, error);
    }
    if (status < 200 || status >= 300) {
      let answer: unknown;
      try {
        answer = JSON.parse(Buffer.from(body).toString('utf8'));
      } catch {}
      buffers.give(body);
      const message = isAgentErrorResponse(answer)
        ? answer.error.message
        : `The portal at ${portalUrl} answered HTTP ${status} to a read of backup data.`;
      const transient = transientStatus(status);
      if (transient) throw new PortalUnavailable(message, transient);
      if (isAgentErrorResponse(answer)) throw new PortalRefusal(answer.error.code, answer.error.message);
      throw new PortalFailure(message);
    }
    return body;
  };
  const fetchObjects: FetchObjects = (ids) => (retry ? withRetries(() => once(ids), retry) : once(ids));
  fetchObjects.release = (body) => buffers.give(body);
  return fetchObjects;
}

const READ_TIMEOUT_MS = 120_000;
