import net from 'node:net';
import type { ReusedBuffers } from './buffers';

/**
 * The agent's bulk calls to a portal on plain http (backup uploads, restore reads), on kept-alive TCP connections of
 * its own: the request written straight from its buffers, the answer read by the kernel straight into one buffer of
 * its declared length (net's `onread`), with no stream or HTTP parser object in between. Node's http client turned
 * every 64 KiB the socket delivered into a stream chunk and an event, then copied it into place: about 1 s of the
 * agent's CPU per GiB restored, against 0.1 s for this (measured: 512 answers of 2 MiB).
 *
 * Only what the portal sends is understood: an HTTP/1.x answer framed by Content-Length. Anything else (a proxy that
 * answers chunked, a 1xx) is an UnframedAnswer, and the caller sends the request again through node's http client.
 */
export class UnframedAnswer extends Error {}

export type Answer = { status: number; statusText: string; body: Buffer<ArrayBuffer> };

export type Exchange = {
  /** The path and query, as the request line carries them. */
  path: string;
  headers: Record<string, string>;
  /** The body, written as it is, one part after another. */
  parts: Uint8Array[];
  timeoutMs: number;
  /** Where the answer's body goes (a kept buffer of its length); a new buffer when not given. */
  scratch?: ReusedBuffers;
};

/** Status line and headers together may not be larger than this. */
const HEAD_LIMIT = 64 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n');

/** Idle connections by `host:port`. */
const idle = new Map<string, Connection[]>();

/** One exchange with the portal at `target` (an http URL: its host and port) on a kept-alive connection. */
export async function exchange(target: URL, request: Exchange): Promise<Answer> {
  const key = target.host;
  const kept = idle.get(key)?.pop();
  if (kept) {
    try {
      return await kept.exchange(request);
    } catch (error) {
      // The portal may close a connection it kept just as the agent reuses it: that request goes again, once, on a
      // new one. Nothing of an answer arrived, so the portal did not act on it.
      if (!(error instanceof ConnectionLost) || error.answered) throw error;
    }
  }
  // The URL writes an IPv6 address in brackets; the connection wants it without.
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  return new Connection(host, Number(target.port || 80), key).exchange(request);
}

/** The connection ended or failed during an exchange; `answered` when part of an answer had arrived. */
class ConnectionLost extends Error {
  constructor(
    message: string,
    readonly answered: boolean,
  ) {
    super(message);
  }
}

type Pending = {
  resolve: (answer: Answer) => void;
  reject: (error: Error) => void;
  scratch?: ReusedBuffers;
  timeoutMs: number;
};

class Connection {
  private readonly socket: net.Socket;
  private readonly head = Buffer.allocUnsafe(HEAD_LIMIT);
  private readonly headRead = Buffer.allocUnsafe(64 * 1024);
  private headLength = 0;
  private pending: Pending | undefined;
  /** The answer being read: its status, its body (once the head is read) and how much of it has arrived. */
  private status = 0;
  private statusText = '';
  private body: Buffer<ArrayBuffer> | undefined;
  private received = 0;
  private closeAfter = false;
  private ended = false;

  constructor(
    host: string,
    port: number,
    private readonly key: string,
  ) {
    this.socket = net.connect({
      host,
      port,
      noDelay: true,
      onread: {
        // The head lands in a small buffer; the body straight into its place, at most up to its end.
        buffer: () => (this.body ? this.body.subarray(this.received) : this.headRead),
        callback: (count, buffer) => {
          this.onRead(count, buffer);
          return true;
        },
      },
    });
    this.socket.on('timeout', () =>
      this.fail(new Error(`no answer within ${(this.pending?.timeoutMs ?? 0) / 1000} s`), true),
    );
    this.socket.on('error', (error) => this.fail(error, false));
    this.socket.on('close', () => this.fail(new Error('the portal closed the connection'), false));
  }

  exchange(request: Exchange): Promise<Answer> {
    if (this.ended) return Promise.reject(new ConnectionLost('the connection is closed', false));
    const length = request.parts.reduce((sum, part) => sum + part.length, 0);
    const lines = [`POST ${request.path} HTTP/1.1`, `Host: ${this.key}`, `Content-Length: ${length}`];
    for (const [name, value] of Object.entries(request.headers)) lines.push(`${name}: ${value}`);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject, scratch: request.scratch, timeoutMs: request.timeoutMs };
      this.socket.ref();
      this.socket.setTimeout(request.timeoutMs);
      this.socket.cork();
      this.socket.write(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
      for (const part of request.parts) this.socket.write(part);
      this.socket.uncork();
    });
  }

  private onRead(count: number, buffer: Uint8Array): void {
    if (!this.pending) {
      // Nothing was asked: a portal that speaks out of turn is not one to keep talking to.
      this.socket.destroy();
      return;
    }
    if (this.body) {
      this.received += count;
    } else {
      if (this.headLength + count > HEAD_LIMIT) {
        this.fail(new Error('the answer’s headers are too large'), true);
        return;
      }
      this.head.set(buffer.subarray(0, count), this.headLength);
      this.headLength += count;
      const end = this.head.subarray(0, this.headLength).indexOf(HEAD_END);
      if (end < 0) return;
      try {
        this.readHead(end);
      } catch (error) {
        this.fail(error as Error, true);
        return;
      }
    }
    if (this.received === this.body!.length) this.finish();
  }

  /** Takes the status and the framing from the head ending at `end`, and moves what followed it into the body. */
  private readHead(end: number): void {
    const [statusLine = '', ...fields] = this.head.toString('latin1', 0, end).split('\r\n');
    const status = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(statusLine);
    if (!status) throw new UnframedAnswer(`the portal answered '${statusLine.slice(0, 40)}'`);
    this.status = Number(status[2]);
    this.statusText = status[3] ?? '';
    let length: number | undefined;
    let keepAlive = status[1] === '1';
    for (const field of fields) {
      const colon = field.indexOf(':');
      const name = field.slice(0, colon).trim().toLowerCase();
      const value = field.slice(colon + 1).trim();
      if (name === 'content-length') length = /^\d+$/.test(value) ? Number(value) : Number.NaN;
      else if (name === 'transfer-encoding') throw new UnframedAnswer(`the answer is sent ${value}`);
      else if (name === 'connection') keepAlive = value.toLowerCase() !== 'close';
    }
    if (this.status < 200 || length === undefined || !Number.isSafeInteger(length)) {
      throw new UnframedAnswer('the answer has no length');
    }
    this.closeAfter = !keepAlive;
    const after = this.headLength - end - HEAD_END.length;
    if (after > length) throw new Error('the portal sent more than it announced');
    this.body = this.pending!.scratch ? this.pending!.scratch.take(length) : Buffer.allocUnsafe(length);
    this.head.copy(this.body, 0, end + HEAD_END.length, this.headLength);
    this.received = after;
    this.headLength = 0;
  }

  private finish(): void {
    const pending = this.pending!;
    const answer = { status: this.status, statusText: this.statusText, body: this.body! };
    this.pending = undefined;
    this.body = undefined;
    this.received = 0;
    this.socket.setTimeout(0);
    if (this.closeAfter) this.close();
    else {
      // Kept for the next call; an idle connection does not keep the agent's process alive.
      this.socket.unref();
      const list = idle.get(this.key) ?? [];
      list.push(this);
      idle.set(this.key, list);
    }
    pending.resolve(answer);
  }

  /** Ends the connection; an exchange under way fails (`answered`: some of its answer had arrived, or it timed out). */
  private fail(error: Error, answered: boolean): void {
    const pending = this.pending;
    const partly = answered || this.headLength > 0 || this.body !== undefined;
    this.pending = undefined;
    if (this.body) pending?.scratch?.give(this.body);
    this.body = undefined;
    this.close();
    if (!pending) return;
    pending.reject(error instanceof UnframedAnswer ? error : new ConnectionLost(error.message, partly));
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
