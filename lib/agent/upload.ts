import http from 'node:http';
import https from 'node:https';

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
