import net from 'node:net';
import type { ReusedBuffers } from '@/lib/buffers';
import { type UploadPace, writePaced } from './pace';
import { connectRequest, ProxyRefused, type ProxyServer, proxyFor, tunnelFailure } from './proxy';

/**
 * The agent's POSTs to a portal on plain http (backup uploads, restore reads, and its other calls), on kept-alive TCP
 * connections of its own: the request written straight from its buffers, and an answer of declared length read by
 * the kernel straight into one buffer of that length (net's `onread`), with no stream or HTTP parser object in
 * between. Node's http client turned every 64 KiB the socket delivered into a stream chunk and an event, then copied
 * it into place: about 1 s of the agent's CPU per GiB restored, against 0.1 s for this (512 answers of 2 MiB).
 *
 * The answers are read as HTTP/1.1 frames them: by Content-Length (the portal's bulk answers), chunked (what Next.js
 * sends), or up to the end of the connection; interim 1xx answers are skipped. The agent asks for no content coding,
 * so an answer in one is refused rather than misread.
 */
export type Answer = { status: number; statusText: string; body: Buffer<ArrayBuffer> };

export type Exchange = {
  /** The path and query, as the request line carries them. */
  path: string;
  headers: Record<string, string>;
  /** The body, written as it is, one part after another. */
  parts: Uint8Array[];
  timeoutMs: number;
  /** Where an answer of declared length goes (a kept buffer of its length); a new buffer when not given. */
  scratch?: ReusedBuffers;
  /** Ends the exchange (and its connection) at once: the exchange fails with the signal's reason. */
  signal?: AbortSignal;
  /** The upload throttle: the body is written no faster than it allows (agent/throttle.ts). */
  pace?: UploadPace;
};

/** Status line and headers together may not be larger than this. */
const HEAD_LIMIT = 64 * 1024;
/** An answer not of declared length (chunked, or up to the end) may not be larger than this. */
const UNDECLARED_LIMIT = 64 * 1024 * 1024;
const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * An idle connection is closed after this long: before a Node.js server's own keep-alive timeout (5 s) closes it,
 * so a request is not sent on a connection the portal is closing just then.
 */
const IDLE_MS = 4000;

/** Idle connections by `host:port`. */
const idle = new Map<string, Connection[]>();

/** One exchange with the portal at `target` (an http URL: its host and port) on a kept-alive connection. */
export async function exchange(target: URL, request: Exchange): Promise<Answer> {
  if (request.signal?.aborted) throw request.signal.reason;
  // Through a proxy (agent/proxy.ts), a connection is a CONNECT tunnel to the portal, kept apart from direct ones.
  const proxy = proxyFor(target);
  const key = proxy ? `${target.host} via ${proxy.url}` : target.host;
  const kept = idle.get(key)?.pop();
  if (kept) {
    try {
      return await kept.exchange(request);
    } catch (error) {
      // The portal may close a connection it kept just as the agent reuses it (IDLE_MS makes that rare): the request
      // fails before any answer, and goes again, once, on a new connection.
      if (!(error instanceof ConnectionLost) || error.answered) throw error;
    }
  }
  // The URL writes an IPv6 address in brackets; the connection wants it without.
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(target.port || 80);
  const through = proxy ? { proxy, authority: `${target.hostname}:${port}` } : undefined;
  return new Connection(host, port, key, target.host, through).exchange(request);
}

/**
 * The connection ended or failed during an exchange; `answered` when part of an answer had arrived. `code` says how,
 * as the system's errors do (ECONNREFUSED, ECONNRESET, ETIMEDOUT...), for the agent's retries (agent/retry.ts); none
 * for an answer that is not HTTP as the agent reads it.
 */
export class ConnectionLost extends Error {
  constructor(
    message: string,
    readonly answered: boolean,
    readonly code?: string,
  ) {
    super(message);
  }
}

type Pending = {
  resolve: (answer: Answer) => void;
  reject: (error: unknown) => void;
  scratch?: ReusedBuffers;
  timeoutMs: number;
  /** Stops listening to the exchange's signal. */
  release: () => void;
};

/** How the body of the answer being read ends. */
type Framing = 'length' | 'chunked' | 'close';

class Connection {
  private readonly socket: net.Socket;
  /** The head so far; then, for an answer not of declared length, its raw body so far. */
  private raw = Buffer.allocUnsafe(HEAD_LIMIT);
  private rawLength = 0;
  private readonly reads = Buffer.allocUnsafe(64 * 1024);
  private pending: Pending | undefined;
  private status = 0;
  private statusText = '';
  private framing: Framing | undefined;
  /** An answer of declared length: its body, and how much of it has arrived. */
  private body: Buffer<ArrayBuffer> | undefined;
  private received = 0;
  private closeAfter = false;
  private ended = false;
  /** A throttled body is being written. */
  private writing = false;
  /** Waiting for the proxy's answer to CONNECT; then the request waiting for the tunnel. */
  private opening = false;
  private deferred: (() => void) | undefined;

  constructor(
    host: string,
    port: number,
    private readonly key: string,
    private readonly authority: string,
    through?: { proxy: ProxyServer; authority: string },
  ) {
    this.socket = net.connect({
      host: through ? through.proxy.hostname : host,
      port: through ? through.proxy.port : port,
      noDelay: true,
      onread: {
        // A body of declared length straight into its place, at most up to its end; anything else into `reads`.
        buffer: () => (this.body ? this.body.subarray(this.received) : this.reads),
        callback: (count, buffer) => {
          this.onRead(count, buffer);
          return true;
        },
      },
    });
    this.socket.on('timeout', () =>
      this.fail(
        Object.assign(new Error(`no answer within ${(this.pending?.timeoutMs ?? 0) / 1000} s`), { code: 'ETIMEDOUT' }),
        true,
      ),
    );
    this.socket.on('error', (error) => this.fail(error, false));
    // An answer that runs to the end of the connection is whole when it ends.
    this.socket.on('end', () => {
      if (this.pending && this.framing === 'close') this.finish(Buffer.from(this.raw.subarray(0, this.rawLength)));
    });
    this.socket.on('close', () =>
      this.fail(Object.assign(new Error('the portal closed the connection'), { code: 'ECONNRESET' }), false),
    );
    if (through) {
      this.opening = true;
      this.socket.write(connectRequest(through.proxy, through.authority), 'latin1');
    }
  }

  exchange(request: Exchange): Promise<Answer> {
    if (request.signal?.aborted) {
      this.close();
      return Promise.reject(request.signal.reason);
    }
    if (this.ended) return Promise.reject(new ConnectionLost('the connection is closed', false));
    const length = request.parts.reduce((sum, part) => sum + part.length, 0);
    const lines = [`POST ${request.path} HTTP/1.1`, `Host: ${this.authority}`, `Content-Length: ${length}`];
    for (const [name, value] of Object.entries(request.headers)) lines.push(`${name}: ${value}`);
    return new Promise((resolve, reject) => {
      const { signal } = request;
      const onAbort = () => this.fail(signal!.reason, true, true);
      signal?.addEventListener('abort', onAbort, { once: true });
      const release = () => signal?.removeEventListener('abort', onAbort);
      this.pending = { resolve, reject, scratch: request.scratch, timeoutMs: request.timeoutMs, release };
      this.socket.ref();
      this.socket.setTimeout(request.timeoutMs);
      const send = () => {
        this.socket.cork();
        this.socket.write(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
        if (request.pace) {
          // Throttled: the body follows as the bucket allows, while this exchange lasts.
          this.socket.uncork();
          const pending = this.pending;
          this.writing = true;
          void writePaced(this.socket, request.parts, request.pace, () => this.pending === pending, signal)
            .catch(() => {})
            .finally(() => (this.writing = false));
          return;
        }
        for (const part of request.parts) this.socket.write(part);
        this.socket.uncork();
      };
      if (this.opening) this.deferred = send;
      else send();
    });
  }

  private onRead(count: number, buffer: Uint8Array): void {
    if (!this.pending) {
      // Nothing was asked: a portal that speaks out of turn is not one to keep talking to.
      this.socket.destroy();
      return;
    }
    try {
      if (this.body) {
        this.received += count;
        if (this.received === this.body.length) this.finish(this.body);
        return;
      }
      const limit = this.framing ? UNDECLARED_LIMIT : HEAD_LIMIT;
      if (this.rawLength + count > limit) {
        throw new Error(this.framing ? 'the answer is too large' : 'the answer’s headers are too large');
      }
      if (this.rawLength + count > this.raw.length) {
        const grown = Buffer.allocUnsafe(Math.min(limit, Math.max(this.raw.length * 2, this.rawLength + count)));
        this.raw.copy(grown, 0, 0, this.rawLength);
        this.raw = grown;
      }
      this.raw.set(buffer.subarray(0, count), this.rawLength);
      this.rawLength += count;
      if (this.opening) this.readTunnel();
      else if (!this.framing) this.readHeads();
      if (this.framing === 'chunked') this.readChunks();
    } catch (error) {
      // The proxy's refusal of the credentials is said as it is.
      this.fail(error, !this.opening, error instanceof ProxyRefused);
    }
  }

  /** The proxy's answer to CONNECT, once whole: the tunnel is open, and the request waiting for it goes. */
  private readTunnel(): void {
    const end = this.raw.subarray(0, this.rawLength).indexOf(HEAD_END);
    if (end < 0) return;
    const failure = tunnelFailure(this.raw.toString('latin1', 0, end));
    this.rawLength = 0;
    if (failure) throw failure;
    this.opening = false;
    const send = this.deferred;
    this.deferred = undefined;
    send?.();
  }

  /** Reads the answer's head once it is whole (skipping interim 1xx heads), and how its body is framed. */
  private readHeads(): void {
    for (;;) {
      const end = this.raw.subarray(0, this.rawLength).indexOf(HEAD_END);
      if (end < 0) return;
      const [statusLine = '', ...fields] = this.raw.toString('latin1', 0, end).split('\r\n');
      const status = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(statusLine);
      if (!status) throw new Error(`the portal answered '${statusLine.slice(0, 40)}', not HTTP/1.1`);
      this.consume(end + HEAD_END.length);
      this.status = Number(status[2]);
      if (this.status < 200) continue;
      this.statusText = status[3] ?? '';
      let length: number | undefined;
      let chunked = false;
      let keepAlive = status[1] === '1';
      for (const field of fields) {
        const colon = field.indexOf(':');
        const name = field.slice(0, colon).trim().toLowerCase();
        const value = field
          .slice(colon + 1)
          .trim()
          .toLowerCase();
        if (name === 'content-length') length = /^\d+$/.test(value) ? Number(value) : Number.NaN;
        else if (name === 'transfer-encoding') chunked = value.split(',').at(-1)?.trim() === 'chunked';
        else if (name === 'connection') keepAlive = value !== 'close';
        else if (name === 'content-encoding' && value !== 'identity') {
          throw new Error(`the portal answered in ${value}, which the agent did not ask for`);
        }
      }
      this.closeAfter = !keepAlive;
      if (chunked) this.framing = 'chunked';
      else if (length === undefined) {
        this.framing = 'close';
        this.closeAfter = true;
      } else {
        if (!Number.isSafeInteger(length)) throw new Error('the answer’s length is malformed');
        if (this.rawLength > length) throw new Error('the portal sent more than it announced');
        this.framing = 'length';
        this.body = this.pending!.scratch ? this.pending!.scratch.take(length) : Buffer.allocUnsafe(length);
        this.raw.copy(this.body, 0, 0, this.rawLength);
        this.received = this.rawLength;
        this.rawLength = 0;
        if (this.received === length) this.finish(this.body);
      }
      return;
    }
  }

  /** A chunked body, once its last chunk and trailer have arrived. */
  private readChunks(): void {
    const parts: Buffer[] = [];
    for (let at = 0; ; ) {
      const lineEnd = this.raw.subarray(at, this.rawLength).indexOf(CRLF);
      if (lineEnd < 0) return;
      const sizeText = this.raw
        .toString('latin1', at, at + lineEnd)
        .split(';')[0]!
        .trim();
      if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) throw new Error('the answer’s chunks are malformed');
      const size = Number.parseInt(sizeText, 16);
      at += lineEnd + CRLF.length;
      if (size === 0) {
        // The trailer: fields (ignored) up to an empty line.
        const trailerEnd = this.raw.subarray(at - CRLF.length, this.rawLength).indexOf(HEAD_END);
        if (trailerEnd < 0) return;
        this.finish(Buffer.concat(parts));
        return;
      }
      if (this.rawLength < at + size + CRLF.length) return;
      parts.push(this.raw.subarray(at, at + size));
      at += size + CRLF.length;
    }
  }

  /** Drops the first `count` raw bytes (a head read), keeping what followed. */
  private consume(count: number): void {
    this.raw.copy(this.raw, 0, count, this.rawLength);
    this.rawLength -= count;
  }

  private finish(body: Buffer<ArrayBuffer>): void {
    const pending = this.pending!;
    const answer = { status: this.status, statusText: this.statusText, body };
    this.reset();
    pending.release();
    // Answered before its throttled body was all written: the rest must not reach the next exchange.
    if (this.closeAfter || this.writing) this.close();
    else {
      // Kept for the next call; an idle connection does not keep the agent's process alive, and is closed (by the
      // timeout, with no exchange to fail) when none comes soon.
      this.socket.setTimeout(IDLE_MS);
      this.socket.unref();
      const list = idle.get(this.key) ?? [];
      list.push(this);
      idle.set(this.key, list);
    }
    pending.resolve(answer);
  }

  private reset(): void {
    this.pending = undefined;
    this.framing = undefined;
    this.body = undefined;
    this.received = 0;
    this.rawLength = 0;
    if (this.raw.length > HEAD_LIMIT) this.raw = Buffer.allocUnsafe(HEAD_LIMIT);
  }

  /**
   * Ends the connection; an exchange under way fails (`answered`: some of its answer had arrived, or it timed out),
   * with `error` itself when `asIs` (the exchange's signal aborted with it as its reason).
   */
  private fail(error: unknown, answered: boolean, asIs = false): void {
    const pending = this.pending;
    const partly = answered || this.rawLength > 0 || this.framing !== undefined;
    if (this.body) pending?.scratch?.give(this.body);
    this.reset();
    this.close();
    if (!pending) return;
    pending.release();
    if (asIs) {
      pending.reject(error);
      return;
    }
    // A connection tried on several addresses fails with all their errors and no message of its own.
    const failure = error instanceof AggregateError && !error.message ? error.errors[0] : error;
    const { message, code } = failure as { message?: string; code?: unknown };
    pending.reject(new ConnectionLost(`${message}`, partly, typeof code === 'string' ? code : undefined));
  }

  private close(): void {
    if (this.ended) return;
    this.ended = true;
    const list = idle.get(this.key);
    const at = list?.indexOf(this) ?? -1;
    if (at >= 0) list!.splice(at, 1);
    this.socket.destroy();
  }
}
