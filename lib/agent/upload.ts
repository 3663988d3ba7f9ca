import http from 'node:http';
import https from 'node:https';
import type { ReusedBuffers } from './buffers';
import { type Answer, type Exchange, exchange, UnframedAnswer } from './connections';

// One pool of kept-alive connections per process: batches of objects follow each other to the same portal.
const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 8 }),
  https: new https.Agent({ keepAlive: true }),
};

/**
 * POSTs a body made of several buffers straight from them: fetch would first copy them into one body and then copy
 * that again, which for a backup's gigabytes costs more than hashing them.
 */
export async function postParts(
  url: string,
  headers: Record<string, string>,
  parts: Uint8Array[],
  timeoutMs: number,
): Promise<Response> {
  const answer = await post(new URL(url), {
    headers: { ...headers, 'content-type': 'application/octet-stream' },
    parts,
    timeoutMs,
  });
  return new Response(answer.body, { status: answer.status, statusText: answer.statusText });
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
): Promise<{ status: number; body: Buffer }> {
  const answer = await post(new URL(url), {
    headers: { ...headers, 'content-type': 'application/json' },
    parts: [Buffer.from(json)],
    timeoutMs,
    scratch,
  });
  return { status: answer.status, body: answer.body };
}

/** Set once a plain-http portal sent an answer the agent's own connections do not read (lib/agent/connections.ts). */
let unframed = false;

type Request = Omit<Exchange, 'path'>;

/** A POST on the agent's own connections to a plain-http portal, otherwise through node's http(s) client. */
async function post(target: URL, request: Request): Promise<Answer> {
  if (target.protocol === 'http:' && !unframed) {
    try {
      return await exchange(target, { ...request, path: `${target.pathname}${target.search}` });
    } catch (error) {
      if (!(error instanceof UnframedAnswer)) throw error;
      // A proxy between the agent and the portal answers in its own way: this call and the next go through node's
      // http client. The calls sent this way are reads, or uploads the portal stores once whatever their repeats.
      unframed = true;
    }
  }
  return postWithNode(target, request);
}

function postWithNode(target: URL, { headers, parts, timeoutMs, scratch }: Request): Promise<Answer> {
  const secure = target.protocol === 'https:';
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  return new Promise((resolve, reject) => {
    const request = (secure ? https : http).request(
      target,
      {
        method: 'POST',
        agent: secure ? agents.https : agents.http,
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
            reject(new Error(`the answer was cut short (${size} of ${declared} bytes)`));
            return;
          }
          resolve({
            status: response.statusCode ?? 500,
            statusText: response.statusMessage ?? '',
            body: buffer ?? Buffer.concat(chunks),
          });
        });
        response.on('error', reject);
        response.on('aborted', () => reject(new Error('the portal closed the connection mid-answer')));
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    request.on('error', reject);
    request.cork();
    for (const part of parts) request.write(part);
    request.uncork();
    request.end();
  });
}
