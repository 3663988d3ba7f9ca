import http from 'node:http';
import https from 'node:https';
import type { ReusedBuffers } from './buffers';

// One pool of kept-alive connections per process: batches of objects follow each other to the same portal.
const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 8 }),
  https: new https.Agent({ keepAlive: true }),
};

/**
 * POSTs a body made of several buffers straight from them, with writev: fetch would first copy them into one body
 * and then copy that again, which for a backup's gigabytes costs more than hashing them.
 */
export function postParts(
  url: string,
  headers: Record<string, string>,
  parts: Uint8Array[],
  timeoutMs: number,
): Promise<Response> {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  return new Promise((resolve, reject) => {
    const request = (secure ? https : http).request(
      target,
      {
        method: 'POST',
        agent: secure ? agents.https : agents.http,
        headers: { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(length) },
        timeout: timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve(
            new Response(Buffer.concat(chunks), {
              status: response.statusCode ?? 500,
              statusText: response.statusMessage ?? '',
            }),
          ),
        );
        response.on('error', reject);
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

/**
 * POSTs a small JSON body and reads the (large, binary) answer into one buffer of its declared length: undici's fetch
 * would pass it through web streams in small pieces and copy it again, which for a restore's gigabytes costs more CPU
 * than decrypting them.
 */
export function postForBytes(
  url: string,
  headers: Record<string, string>,
  json: string,
  timeoutMs: number,
  scratch?: ReusedBuffers,
): Promise<{ status: number; body: Buffer }> {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  const body = Buffer.from(json);
  return new Promise((resolve, reject) => {
    const request = (secure ? https : http).request(
      target,
      {
        method: 'POST',
        agent: secure ? agents.https : agents.http,
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(body.length) },
        timeout: timeoutMs,
      },
      (response) => {
        const declared = Number(response.headers['content-length']);
        const known = Number.isSafeInteger(declared) && declared >= 0;
        let buffer = known ? (scratch ? scratch.take(declared) : Buffer.allocUnsafeSlow(declared)) : undefined;
        const parts: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          if (buffer && size + chunk.length <= buffer.length) chunk.copy(buffer, size);
          else {
            if (buffer) parts.push(buffer.subarray(0, size));
            buffer = undefined;
            parts.push(chunk);
          }
          size += chunk.length;
        });
        response.on('end', () => {
          if (known && size !== declared) {
            reject(new Error(`the answer was cut short (${size} of ${declared} bytes)`));
            return;
          }
          resolve({ status: response.statusCode ?? 500, body: buffer ?? Buffer.concat(parts) });
        });
        response.on('error', reject);
        response.on('aborted', () => reject(new Error('the portal closed the connection mid-answer')));
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    request.on('error', reject);
    request.end(body);
  });
}
