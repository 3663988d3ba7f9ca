/**
 * The agent's bulk data calls (uploads, the question asked before each of which objects are missing, and restore
 * reads), answered by the portal's HTTP server itself (scripts/serve.ts) instead of by Next.js: a batch of sealed
 * objects is read from the socket into one buffer of its declared length and stored, without Next's web-stream body
 * (which cost about as much CPU as the whole agent's hashing and encryption), and the questions no longer wait behind
 * Next's request handling. Same authentication, same checks, same answers as the route handlers
 * (app/api/agent/backups/[sessionId]/objects and .../missing, app/api/agent/restores/[restoreId]/objects), which stay
 * for tests and for `next dev`. Nothing here may import 'server-only': serve.ts runs without the react-server condition.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type pg from 'pg';
import {
  authenticateSessionToken,
  findMissingObjects,
  malformedUpload,
  storeObjectBatch,
} from '@/lib/backups/object-batches';
import { type BlobStore, readingWithFallback } from '@/lib/blob-store';
import { ReusedBuffers } from '@/lib/buffers';
import { PortalError } from '@/lib/errors';
import { agentRefusal } from '@/lib/registration/refusal';
import { authenticateRestoreToken, readObjectFrames } from '@/lib/restore/object-reads';
import { MAX_BATCH_BYTES } from '@/wire/protocol';

/** The process's database and stores; restores read from the secondary store when the primary lacks a pack. */
export type AgentDataServices = { pool: pg.Pool; store: BlobStore; secondaryStore?: BlobStore | null };

const UPLOAD_PATH = /^\/api\/agent\/backups\/([^/?#]+)\/objects\/?(?:\?.*)?$/;
const MISSING_PATH = /^\/api\/agent\/backups\/([^/?#]+)\/missing\/?(?:\?.*)?$/;
const READ_PATH = /^\/api\/agent\/restores\/([^/?#]+)\/objects\/?(?:\?.*)?$/;
/**
 * The restore's answers of up to 32 MiB, reused once sent: a few at a time are on their way (an agent keeps about six
 * reads going), dropped after a minute without reads.
 */
const readBuffers = new ReusedBuffers(8, 60_000);
/**
 * The bodies of uploads (batches of up to 32 MiB), reused once stored: a fresh buffer per batch is external memory
 * that made V8 run a full collection of the whole server's heap every few batches (3 s of the helper threads' CPU
 * per GiB backed up) and whose pages the kernel faulted in and zeroed on first touch. Page-aligned: a batch stored
 * whole is its pack, written past the page cache from this memory (lib/direct-io).
 */
const uploadBuffers = new ReusedBuffers(8, 60_000, true);
/** A read, or a question of which objects are missing, names at most MAX_IDS_PER_CALL ids of 64 hex digits, as JSON. */
const IDS_BODY_LIMIT = 1024 * 1024;

/** Answers the request and returns true when it is one of the calls served here; false leaves it to Next.js. */
export function serveAgentData(req: IncomingMessage, res: ServerResponse, services: () => AgentDataServices): boolean {
  if (req.method !== 'POST' || !req.url) return false;
  const upload = UPLOAD_PATH.exec(req.url);
  if (upload) {
    void answer(res, async () => {
      const { pool, store } = services();
      // The token is checked while the body arrives; a refusal still waits for the body, so the connection stays usable.
      const [session, body] = await Promise.allSettled([
        authenticateSessionToken(pool, upload[1]!, req.headers.authorization),
        readBody(req, MAX_BATCH_BYTES, undefined, uploadBuffers),
      ]);
      try {
        if (session.status === 'rejected') throw session.reason;
        if (body.status === 'rejected') throw body.reason;
        return await storeObjectBatch(pool, store, session.value, body.value);
      } finally {
        // Stored (written and synced) or refused: nothing reads the body any more.
        if (body.status === 'fulfilled') uploadBuffers.give(body.value);
      }
    });
    return true;
  }
  // Which of a batch's objects the vault lacks: asked before every batch, so it does not wait behind Next.js.
  const missing = MISSING_PATH.exec(req.url);
  if (missing) {
    void answer(res, async () => {
      const { pool } = services();
      const [session, ids] = await jsonWithAuth(
        req,
        authenticateSessionToken(pool, missing[1]!, req.headers.authorization),
      );
      return findMissingObjects(pool, session, ids);
    });
    return true;
  }
  const read = READ_PATH.exec(req.url);
  if (read) {
    void answer(res, async () => {
      const { pool, store, secondaryStore } = services();
      const [restore, ids] = await jsonWithAuth(
        req,
        authenticateRestoreToken(pool, read[1]!, req.headers.authorization),
      );
      const reading = readingWithFallback(store, secondaryStore ?? null);
      return new Binary(await readObjectFrames(pool, reading, restore, ids, readBuffers), (bytes) =>
        readBuffers.give(bytes),
      );
    });
    return true;
  }
  return false;
}

/** The authenticated caller and the request's JSON body (read while the token is checked), or the refusal. */
async function jsonWithAuth<T>(req: IncomingMessage, authenticated: Promise<T>): Promise<[T, unknown]> {
  const [caller, body] = await Promise.allSettled([
    authenticated,
    readBody(req, IDS_BODY_LIMIT, () => new PortalError('invalid', 'The request body is too large.')),
  ]);
  if (caller.status === 'rejected') throw caller.reason;
  if (body.status === 'rejected') throw body.reason;
  try {
    return [caller.value, JSON.parse(Buffer.from(body.value).toString('utf8'))];
  } catch {
    throw new PortalError('invalid', 'The request body must be JSON.');
  }
}

/** An answer sent as bytes, as the route handler sends sealed objects. */
class Binary {
  constructor(
    readonly bytes: Uint8Array,
    /** Called once the bytes are handed to the socket, or the answer failed: nothing reads them any more. */
    readonly sent?: (bytes: Uint8Array) => void,
  ) {}
}

async function answer(res: ServerResponse, work: () => Promise<unknown>): Promise<void> {
  let status = 200;
  let payload: unknown;
  try {
    payload = await work();
  } catch (err) {
    const refusal = agentRefusal(err);
    if (refusal) {
      status = refusal.status;
      payload = refusal.body;
    } else {
      console.error('agent data call failed:', err);
      status = 500;
      payload = { error: { code: 'bad_request', message: 'The portal could not handle the request; see its log.' } };
    }
  }
  if (res.headersSent || res.destroyed) return;
  const binary = payload instanceof Binary;
  const bytes = payload instanceof Binary ? payload.bytes : Buffer.from(JSON.stringify(payload));
  const headers: Record<string, string> = {
    'Content-Type': binary ? 'application/octet-stream' : 'application/json',
    'Content-Length': String(bytes.byteLength),
    // Sealed objects do not compress: no-transform keeps a proxy from gzipping them for nothing.
    'Cache-Control': binary ? 'no-store, no-transform' : 'no-store',
  };
  // A body not read to its end (refused as too large) would be taken for the next request: close instead.
  if (!res.req.complete) headers.Connection = 'close';
  res.writeHead(status, headers);
  if (payload instanceof Binary && payload.sent) {
    const sent = payload.sent;
    // 'close' comes after 'finish' (all bytes handed to the kernel) and also when the socket fails mid-answer.
    res.once('close', () => sent(bytes));
  }
  res.end(bytes);
}

/**
 * The body, in one buffer of its declared length (read straight into it), refused before it is read when it declares
 * more than the limit, and refused when it ends short of its declared length or grows past the limit.
 */
function readBody(
  req: IncomingMessage,
  limit: number,
  tooLarge: (limit: number) => Error = (max) => malformedUpload(`send at most ${max} bytes per request`),
  scratch?: ReusedBuffers,
): Promise<Uint8Array> {
  const header = req.headers['content-length'];
  const declared = header === undefined ? undefined : Number(header);
  if (declared !== undefined && (!Number.isSafeInteger(declared) || declared > limit)) {
    req.resume();
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    let buffer =
      declared !== undefined && scratch ? scratch.take(declared) : Buffer.allocUnsafe(declared ?? 1024 * 1024);
    let size = 0;
    let failed = false;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      req.resume();
      reject(err);
    };
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      if (size + chunk.length > limit || (declared !== undefined && size + chunk.length > declared)) {
        fail(tooLarge(declared ?? limit));
        return;
      }
      if (size + chunk.length > buffer.length) {
        const grown = Buffer.allocUnsafe(Math.min(limit, Math.max(buffer.length * 2, size + chunk.length)));
        buffer.copy(grown, 0, 0, size);
        buffer = grown;
      }
      chunk.copy(buffer, size);
      size += chunk.length;
    });
    req.on('end', () => {
      if (failed) return;
      if (declared !== undefined && size !== declared) {
        fail(malformedUpload(`it was cut short (${size} of ${declared} bytes arrived)`));
        return;
      }
      resolve(buffer.subarray(0, size));
    });
    // The agent's connection broke mid-body: nothing will read the answer; a refusal keeps it out of the fault log.
    req.on('error', (err) => fail(malformedUpload(`it was cut short (${err.message})`)));
    req.on('aborted', () => fail(malformedUpload(`it was cut short (${size} of ${declared ?? '?'} bytes arrived)`)));
  });
}
