import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeBlobStore } from './contract';
import { openBlobStore } from './index';
import { S3BlobStore } from './s3';

/**
 * s3rver signs its ListObjectsV2 continuation tokens with single DES, which OpenSSL 3 keeps in its legacy provider, so
 * every truncated listing fails with InternalError inside this process. It runs in a child with that provider instead;
 * the child exits when its stdin closes, so it cannot outlive the test worker.
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

let directory = '';
let server: ChildProcess | undefined;
let endpoint = '';
const stores: S3BlobStore[] = [];

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'blob-store-s3-'));
  server = spawn(process.execPath, ['--openssl-legacy-provider', '-e', SERVER], {
    cwd: process.cwd(),
    env: { ...process.env, S3RVER_DIRECTORY: directory },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const [line] = (await Promise.race([
    once(createInterface({ input: server.stdout! }), 'line'),
    once(server, 'exit').then(([code]) => Promise.reject(new Error(`s3rver exited with ${code}`))),
  ])) as [string];
  endpoint = `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`;
});

afterAll(async () => {
  for (const store of stores) store.destroy();
  if (server && server.exitCode === null) {
    const exited = once(server, 'exit');
    server.stdin?.end();
    await exited;
  }
  await rm(directory, { recursive: true, force: true });
});

function open(store = 's3://backups/some/prefix'): S3BlobStore {
  const opened = openBlobStore({
    BACKUP_STORE: store,
    BACKUP_STORE_S3_ENDPOINT: endpoint,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    dataDir: directory,
  });
  if (!(opened instanceof S3BlobStore)) throw new Error('expected an S3 store');
  stores.push(opened);
  return opened;
}

describeBlobStore('S3BlobStore on s3rver', () => open());

describe('S3BlobStore', () => {
  it('keeps its objects under its prefix and says where without the credentials', async () => {
    const inner = open('s3://backups/some/prefix');
    const outer = open('s3://backups');
    expect(inner.description).toBe('s3://backups/some/prefix');
    expect(outer.description).toBe('s3://backups');
    await inner.put('objects/x/aa/aa11', new Uint8Array([5]));
    expect(Array.from((await outer.get('some/prefix/objects/x/aa/aa11'))!)).toEqual([5]);
    const listed = [];
    for await (const info of inner.list('objects/x/')) listed.push(info.key);
    expect(listed).toEqual(['objects/x/aa/aa11']);
    expect(await inner.deletePrefix('objects/x/')).toBe(1);
    expect(await outer.has('some/prefix/objects/x/aa/aa11')).toBe(false);
  });

  it('reports a missing bucket as an error, not as absence', async () => {
    const store = open('s3://no-such-bucket/p');
    await expect(store.put('objects/a', new Uint8Array([1]))).rejects.toThrow();
  });
});
