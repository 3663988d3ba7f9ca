/**
 * Downloads from the recovery-point browser, decrypted here and streamed as they are decrypted, as ordinary browser
 * downloads (the contract: a link, a form or a service worker's answer, never an API only some browsers have).
 *
 * Where the page can have a service worker (a secure context: https, or http on localhost), public/download-sw.js,
 * registered for /downloads/stream/ when the recovery-point browser opens, answers a hidden frame's request for
 * /downloads/stream/ID/NAME with a stream of the chunks this page sends it through a MessagePort, each batch only
 * when the worker's stream asks for one: the browser saves it as a download like any other while nothing sits in
 * memory whole, and the plaintext goes from this page to the worker to the download, never to the network. Cancelling
 * the download stops the reading here; an error here (a chunk that does not open) fails the download.
 *
 * Where there is no service worker (plain http on another name than localhost, or a browser that refuses one, as some
 * private windows do), the stream is gathered into a Blob (which browsers keep on disk when it grows large) and saved
 * through a link.
 */
import { makeZip } from 'client-zip';
import type { TreeEntry } from '@/lib/backup-format/tree';
import type { PointReader } from './point-reader';

/** The worker's script (in public/) and the path it answers under, which is its scope. */
const WORKER_SCRIPT = '/download-sw.js';
export const STREAM_PATH = '/downloads/stream/';

/** How long the worker may take to become active, and to acknowledge a download, before the Blob is used instead. */
const WORKER_WAIT_MS = 10_000;
/** How long the browser may take to ask for the download once its frame is opened. */
const START_WAIT_MS = 30_000;
/** How often a running download wakes the worker, which a browser stops after a while without events. */
const KEEP_ALIVE_MS = 10_000;
/** The least a batch sent to the worker holds (unless the stream ends first): fewer, larger messages. */
const BATCH_BYTES = 64 * 1024;

/** Where a download goes: chosen when DOWNLOAD is clicked, before its stream is opened. */
export type Sink = { write(stream: ReadableStream<Uint8Array>): Promise<void> };

/** The `filename*` form of RFC 6266/8187 allows only these characters unescaped (attr-char). */
const ATTR_CHAR = /[A-Za-z0-9!#$&+\-.^_`|~]/;

/**
 * A Content-Disposition that saves as `name`: `filename*` in UTF-8 for browsers (all current ones read it) and a plain
 * `filename` with every character outside printable ASCII, and the quote and backslash, made `_` for any that do not.
 */
export function contentDisposition(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\]/gu, '_');
  let encoded = '';
  for (const byte of new TextEncoder().encode(name)) {
    const char = String.fromCharCode(byte);
    encoded += byte < 0x80 && ATTR_CHAR.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/** The headers of the worker's answer for a download saved as `name`. */
export function downloadHeaders(name: string): Record<string, string> {
  return {
    'Content-Type': name.endsWith('.zip') ? 'application/zip' : 'application/octet-stream',
    'Content-Disposition': contentDisposition(name),
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  };
}

/** What the hidden frame opens: under the worker's scope, the name last for any browser that takes it from there. */
export function streamUrl(id: string, name: string): string {
  return `${STREAM_PATH}${encodeURIComponent(id)}/${encodeURIComponent(name)}`;
}

/**
 * The next batch of a stream's bytes in a buffer of its own (safe to transfer: the stream's chunks may be views of
 * buffers still in use), at least `min` bytes unless the stream ends first; null once it has ended.
 */
export async function readBatch(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  min = BATCH_BYTES,
): Promise<Uint8Array<ArrayBuffer> | null> {
  const parts: Uint8Array[] = [];
  let size = 0;
  while (size < min) {
    const { done, value } = await reader.read();
    if (done) break;
    if (value.byteLength === 0) continue;
    parts.push(value);
    size += value.byteLength;
  }
  if (size === 0) return null;
  const batch = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    batch.set(part, at);
    at += part.byteLength;
  }
  return batch;
}

let registering: Promise<ServiceWorkerRegistration | null> | undefined;

/**
 * Registers the download worker, once a page: called when the recovery-point browser opens, so that it is active by
 * the first DOWNLOAD. Null where the page can have no service worker.
 */
export function prepareDownloads(): Promise<ServiceWorkerRegistration | null> {
  registering ??= (async () => {
    if (!globalThis.isSecureContext || !('serviceWorker' in navigator)) return null;
    try {
      return await navigator.serviceWorker.register(WORKER_SCRIPT, { scope: STREAM_PATH });
    } catch {
      registering = undefined;
      return null;
    }
  })();
  return registering;
}

/** Resolves when `promise` does, or to null after `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(null), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * The registration's active worker, once there is one. The page is not under the worker's scope, so the worker never
 * controls it (and `navigator.serviceWorker.ready` never resolves for it): it is reached through the registration.
 */
function activeWorker(registration: ServiceWorkerRegistration): Promise<ServiceWorker> {
  return new Promise((resolve, reject) => {
    // A newer worker on its way replaces the active one as soon as it is installed (it skips waiting): wait for it.
    const check = () => {
      const next = registration.installing ?? registration.waiting;
      if (next) next.addEventListener('statechange', check, { once: true });
      else if (registration.active) resolve(registration.active);
      else reject(new Error('The download worker did not install.'));
    };
    check();
  });
}

/** Tells the worker of a download to come and waits for its acknowledgment: the port it will ask for chunks on. */
function announce(worker: ServiceWorker, id: string, name: string): Promise<MessagePort> {
  const channel = new MessageChannel();
  return new Promise((resolve) => {
    channel.port1.onmessage = ({ data }) => {
      if (data?.type === 'registered') resolve(channel.port1);
    };
    worker.postMessage({ type: 'download', id, headers: downloadHeaders(name) }, [channel.port2]);
  });
}

/** The sink for a download saved as `name`: through the worker where there is one, else through a Blob. */
export async function chooseSink(name: string): Promise<Sink> {
  try {
    const registration = await prepareDownloads();
    const worker = registration && (await within(activeWorker(registration), WORKER_WAIT_MS));
    if (worker) {
      const id = crypto.randomUUID();
      const port = await within(announce(worker, id, name), WORKER_WAIT_MS);
      if (port) return streamedSink(worker, port, streamUrl(id, name));
    }
  } catch {
    // No worker to be had: the Blob below.
  }
  return blobSink(name);
}

/** The cancellation a user's cancelling of the download in the browser makes the write end with. */
export function isCancelled(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

function streamedSink(worker: ServiceWorker, port: MessagePort, url: string): Sink {
  return {
    async write(stream) {
      const reader = stream.getReader();
      const frame = document.createElement('iframe');
      frame.hidden = true;
      frame.src = url;
      let startTimer: ReturnType<typeof setTimeout> | undefined;
      const keepAlive = setInterval(() => worker.postMessage({ type: 'ping' }), KEEP_ALIVE_MS);
      try {
        await new Promise<void>((resolve, reject) => {
          startTimer = setTimeout(() => reject(new Error('The browser did not start the download.')), START_WAIT_MS);
          port.onmessage = ({ data }) => {
            if (data?.type === 'start') clearTimeout(startTimer);
            else if (data?.type === 'cancel') reject(new DOMException('The download was cancelled.', 'AbortError'));
            else if (data?.type === 'pull') {
              readBatch(reader).then(
                (batch) => {
                  if (batch) port.postMessage({ type: 'chunk', chunk: batch }, [batch.buffer]);
                  else {
                    port.postMessage({ type: 'end' });
                    resolve();
                  }
                },
                (error: Error) => reject(error),
              );
            }
          };
          document.body.append(frame);
        });
      } catch (error) {
        // The worker fails the download (the browser shows it failed), and the reading here stops.
        if (!isCancelled(error)) port.postMessage({ type: 'error', message: (error as Error).message });
        reader.cancel(error).catch(() => {});
        throw error;
      } finally {
        clearTimeout(startTimer);
        clearInterval(keepAlive);
        port.onmessage = null;
        // The download outlives its frame's navigation, but the frame is left a while for browsers that differ.
        setTimeout(() => frame.remove(), 60_000);
      }
    },
  };
}

function blobSink(name: string): Sink {
  return {
    async write(stream) {
      const blob = await new Response(stream).blob();
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = name;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    },
  };
}

type ZipInput =
  | { name: string; lastModified: Date }
  | { name: string; lastModified: Date; input: ReadableStream<Uint8Array> | Uint8Array; size: number; mode: number };

/** The Unix file type of a symbolic link, in a ZIP entry's external attributes (S_IFLNK). */
const SYMLINK_TYPE = 0o120000;

/**
 * A folder's files, links and subfolders (empty ones too), read listing by listing as the ZIP is written. A link is
 * stored as Info-ZIP's `zip --symlinks` stores one: its target as the entry's content and the link type in its Unix
 * mode, so `unzip`, macOS's Archive Utility and other Unix tools make it a link again; where links are unknown
 * (Windows Explorer) it becomes a small file holding the target's path.
 */
async function* zipEntries(reader: PointReader, entries: TreeEntry[], prefix: string): AsyncGenerator<ZipInput> {
  for (const entry of entries) {
    const name = `${prefix}${entry.name}`;
    const lastModified = new Date(entry.mtimeMs);
    if (entry.type === 'dir') {
      yield { name: `${name}/`, lastModified };
      yield* zipEntries(reader, await reader.entries(entry.tree!), `${name}/`);
    } else if (entry.type === 'file') {
      yield { name, lastModified, input: reader.fileStream(entry), size: entry.size, mode: entry.mode & 0o777 };
    } else if (entry.type === 'symlink') {
      const target = new TextEncoder().encode(entry.target ?? '');
      yield { name, lastModified, input: target, size: target.length, mode: SYMLINK_TYPE | 0o777 };
    }
  }
}

/** A file's decrypted bytes, or a folder's as `FOLDER.zip` of everything beneath it. */
export function downloadStream(reader: PointReader, entry: TreeEntry): ReadableStream<Uint8Array> {
  if (entry.type !== 'dir') return reader.fileStream(entry);
  return makeZip(
    (async function* () {
      yield { name: `${entry.name}/`, lastModified: new Date(entry.mtimeMs) };
      yield* zipEntries(reader, await reader.entries(entry.tree!), `${entry.name}/`);
    })(),
  );
}

export function downloadName(entry: TreeEntry): string {
  return entry.type === 'dir' ? `${entry.name}.zip` : entry.name;
}
