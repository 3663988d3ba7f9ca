import https from 'node:https';
import type { ReusedBuffers } from '@/lib/buffers';
import { type Answer, type Exchange, exchange } from './connections';
import { type UploadPace, writePaced } from './pace';
import { tunnelAgentFor } from './proxy';

// Kept-alive connections to a portal on https: batches of objects follow each other to the same portal.
const agent = new https.Agent({ keepAlive: true });

/**
 * POSTs a body made of several buffers straight from them (`headers` give its type): fetch would first copy them into
 * one body and then copy that again, which for a backup's gigabytes costs more than hashing them.
 */
export async function postParts(
  url: string,
  headers: Record<string, string>,
  parts: Uint8Array[],
  timeoutMs: number,
  signal?: AbortSignal,
  /** The upload throttle (agent/pace.ts): the body goes no faster than it allows. */
  pace?: UploadPace,
): Promise<Response> {
  const answer = await post(new URL(url), { headers, parts, timeoutMs, signal, pace });
  // A Response of a status that has no body (204, 304) refuses one, even empty.
  const body = [101, 204, 205, 304].includes(answer.status) ? null : answer.body;
  return new Response(body, { status: answer.status, statusText: answer.statusText });
}

/**
 * POSTs a small JSON body and reads the (large, binary) answer into one buffer of its declared length: undici's fetch
 * would pass it through web streams in small pieces and copy it again, which for a restore's gigabytes costs more CPU
 * than decrypting them.
 */
export async function postForBytes(
  url: string,
  headers: Record<string, string>,
  json: string,
  timeoutMs: number,
  scratch?: ReusedBuffers,
  signal?: AbortSignal,
): Promise<{ status: number; body: Buffer }> {
  const answer = await post(new URL(url), {
    headers: { ...headers, 'content-type': 'application/json' },
    parts: [Buffer.from(json)],
    timeoutMs,
    scratch,
    signal,
  });
  return { status: answer.status, body: answer.body };
}

type Request = Omit<Exchange, 'path'>;

/** A POST on the agent's own connections to a plain-http portal (agent/connections.ts), otherwise by https. */
function post(target: URL, request: Request): Promise<Answer> {
  if (target.protocol === 'http:') return exchange(target, { ...request, path: `${target.pathname}${target.search}` });
  return postWithHttps(target, request);
}

function postWithHttps(target: URL, { headers, parts, timeoutMs, scratch, signal, pace }: Request): Promise<Answer> {
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<Answer>((resolve, reject) => {
    const request = https.request(
      target,
      {
        method: 'POST',
        // Through a proxy (agent/proxy.ts), on tunnels of its own.
        agent: tunnelAgentFor(target) ?? agent,
        headers: { ...headers, 'content-length': String(length) },
        timeout: timeoutMs,
      },
      (response) => {
        const declared = Number(response.headers['content-length']);
        const known = Number.isSafeInteger(declared) && declared >= 0;
        let buffer = known ? (scratch ? scratch.take(declared) : Buffer.allocUnsafeSlow(declared)) : undefined;
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          if (buffer && size + chunk.length <= buffer.length) chunk.copy(buffer, size);
          else {
            if (buffer) chunks.push(buffer.subarray(0, size));
            buffer = undefined;
            chunks.push(chunk);
          }
          size += chunk.length;
        });
        response.on('end', () => {
          if (known && size !== declared) {
            reject(
              Object.assign(new Error(`the answer was cut short (${size} of ${declared} bytes)`), {
                code: 'ECONNRESET',
              }),
            );
            return;
          }
          resolve({
            status: response.statusCode ?? 500,
            statusText: response.statusMessage ?? '',
            body: buffer ?? Buffer.concat(chunks),
          });
        });
        response.on('error', reject);
        response.on('aborted', () =>
          reject(Object.assign(new Error('the portal closed the connection mid-answer'), { code: 'ECONNRESET' })),
        );
      },
    );
    request.on('timeout', () =>
      request.destroy(Object.assign(new Error(`no answer within ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })),
    );
    request.on('error', reject);
    // Stopped: the request ends at once, and fails with the signal's reason.
    const onAbort = () => {
      reject(signal!.reason);
      request.destroy();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    request.on('close', () => signal?.removeEventListener('abort', onAbort));
    if (pace) {
      // Throttled: the body follows as the bucket allows, until the request ends.
      let live = true;
      request.on('close', () => (live = false));
      void writePaced(request, parts, pace, () => live, signal)
        .then(() => live && request.end())
        .catch(() => {});
      return;
    }
    request.cork();
    for (const part of parts) request.write(part);
    request.uncork();
    request.end();
  });
}
