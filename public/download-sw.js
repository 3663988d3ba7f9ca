/**
 * The recovery-point browser's downloads (components/recovery/download.ts), as ordinary browser downloads that stream.
 *
 * Registered with the scope /downloads/stream/, so it sees only navigations to that path (the page's own requests and
 * every other URL never reach it). The page decrypts a file or writes a folder's ZIP and hands this worker a
 * MessagePort for it; the page then opens /downloads/stream/ID/NAME in a hidden frame, and this worker answers that
 * request with a stream whose chunks the page sends through the port, one batch each time the stream asks for more
 * (so neither side ever holds more than a few chunks). The answer says `attachment`, so the browser saves it as a
 * download like any other. Nothing here fetches the network or caches anything: the plaintext goes from the page to
 * this worker to the browser's download, inside the browser.
 *
 * Messages, page → worker: {type: 'download', id, headers} with the port (answered {type: 'registered'} on the port),
 * and {type: 'ping'}, which keeps the worker running through a long download. On the port, worker → page: 'start'
 * (the browser asked for the download), 'pull' (send the next chunk), 'cancel' (the user cancelled it); page → worker:
 * {type: 'chunk', chunk}, {type: 'end'}, {type: 'error', message}.
 */

const PREFIX = new URL('/downloads/stream/', self.location.origin).pathname;

/** Downloads announced by a page and not asked for yet, by id: each answers one request only. */
const pending = new Map();

// A new version takes over at once (the page waits for it); no page is ever under this scope, so none is claimed.
self.addEventListener('install', () => self.skipWaiting());

self.addEventListener('message', (event) => {
  const data = event.data;
  if (data?.type !== 'download' || typeof data.id !== 'string' || !event.ports[0]) return;
  const port = event.ports[0];
  pending.set(data.id, { port, headers: data.headers });
  // A download never asked for (the frame was blocked, the page went away) is forgotten after a while.
  setTimeout(() => {
    if (pending.get(data.id)?.port === port) pending.delete(data.id);
  }, 60_000);
  port.postMessage({ type: 'registered' });
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  // Anything else goes on to the network as if this worker were not here.
  if (url.origin !== self.location.origin || !url.pathname.startsWith(PREFIX)) return;
  const id = url.pathname.slice(PREFIX.length).split('/')[0];
  const download = event.request.method === 'GET' ? pending.get(id) : undefined;
  if (!download) {
    event.respondWith(
      new Response('This download is no longer available: start it again from the recovery-point browser.', {
        status: 404,
        headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' },
      }),
    );
    return;
  }
  pending.delete(id);
  event.respondWith(new Response(streamFrom(download.port), { headers: download.headers }));
});

/** A stream of what the page sends through the port, asked for chunk by chunk. */
function streamFrom(port) {
  let waiting = null;
  let done = false;
  const finish = () => {
    done = true;
    port.close();
  };
  return new ReadableStream(
    {
      start(controller) {
        port.onmessage = ({ data }) => {
          if (done) return;
          if (data?.type === 'chunk') controller.enqueue(data.chunk);
          else if (data?.type === 'end') {
            controller.close();
            finish();
          } else if (data?.type === 'error') {
            // The browser marks the download failed.
            controller.error(new Error(data.message || 'The download failed.'));
            finish();
          } else return;
          waiting?.();
          waiting = null;
        };
        port.postMessage({ type: 'start' });
      },
      pull() {
        if (done) return;
        return new Promise((resolve) => {
          waiting = resolve;
          port.postMessage({ type: 'pull' });
        });
      },
      cancel() {
        if (done) return;
        port.postMessage({ type: 'cancel' });
        finish();
      },
    },
    // One batch queued while the next is on its way: the page sends a batch only when asked.
    { highWaterMark: 1 },
  );
}
