import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

/**
 * s3rver signs its ListObjectsV2 continuation tokens with single DES, which OpenSSL 3 keeps in its legacy provider, so
 * every truncated listing fails with InternalError inside a test process. It runs in a child with that provider
 * instead; the child exits when its stdin closes, so it cannot outlive the test worker.
 */
const SERVER = `
const S3rver = require('s3rver');
process.stdin.on('end', () => process.exit(0)).resume();
new S3rver({
  port: 0,
  address: '127.0.0.1',
  silent: process.env.S3RVER_LOG !== '1',
  directory: process.env.S3RVER_DIRECTORY,
  configureBuckets: [{ name: 'backups' }],
}).run().then((address) => console.log(JSON.stringify(address)));
`;

export type S3rver = {
  /** http://127.0.0.1:PORT, with a bucket named `backups`; any access key works. */
  endpoint: string;
  /** Where it keeps the bucket's files. */
  directory: string;
  stop(): Promise<void>;
};

/** A real S3-protocol server on loopback, for tests. */
export async function startS3rver(): Promise<S3rver> {
  const directory = await mkdtemp(path.join(tmpdir(), 'blob-store-s3-'));
  const server: ChildProcess = spawn(process.execPath, ['--openssl-legacy-provider', '-e', SERVER], {
    cwd: process.cwd(),
    env: { ...process.env, S3RVER_DIRECTORY: directory },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const [line] = (await Promise.race([
    once(createInterface({ input: server.stdout! }), 'line'),
    once(server, 'exit').then(([code]) => Promise.reject(new Error(`s3rver exited with ${code}`))),
  ])) as [string];
  return {
    endpoint: `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`,
    directory,
    async stop() {
      if (server.exitCode === null) {
        const exited = once(server, 'exit');
        server.stdin?.end();
        await exited;
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
}
