import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowDirectIo, directBytes, openForDirectReads, pageAlignedBuffer } from '@/lib/direct-io';
import { describeBlobStore } from '@/testing/blob-store-contract';
import { FileBlobStore } from './file';

let root = '';

/** Whether the folder's file system takes direct I/O (ext4 does, tmpfs does not). */
async function supportsDirectIo(dir: string): Promise<boolean> {
  const file = path.join(dir, 'direct-probe');
  await writeFile(file, 'x');
  const handle = await openForDirectReads(file);
  await handle?.close();
  return handle !== undefined;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'blob-store-file-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describeBlobStore('FileBlobStore', () => new FileBlobStore(path.join(root, 'store')));

// The same contract with every write and read through the page cache, as on a file system without direct I/O.
describe('without direct I/O', () => {
  let was = true;
  beforeAll(() => {
    was = allowDirectIo(false);
  });
  afterAll(() => {
    allowDirectIo(was);
  });
  describeBlobStore('FileBlobStore', () => new FileBlobStore(path.join(root, 'store-buffered')));
});

describe('FileBlobStore', () => {
  const key = 'objects/6a1f0a52-0d5c-4a43-9d55-4fd1b0d2a7b1/ab/ab01';

  it('creates files 0600 in folders 0700 and describes itself without surprises', async () => {
    const store = new FileBlobStore(path.join(root, 'modes'));
    expect(store.description).toBe(`file://${path.join(root, 'modes')}`);
    await store.put(key, new Uint8Array([1, 2, 3]));
    expect((await stat(path.join(root, 'modes', ...key.split('/')))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(root, 'modes', 'objects'))).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(root, 'modes', 'objects', key.split('/')[1]!, 'ab'))).mode & 0o777).toBe(0o700);
  });

  it('writes a pack from page-aligned memory and reads its ranges past the page cache where the disk allows', async () => {
    const store = new FileBlobStore(path.join(root, 'direct'));
    const pack = pageAlignedBuffer(5 * 1024 * 1024 + 77);
    pack.set(randomBytes(pack.length));
    const before = { ...directBytes };
    await store.put(key, pack);
    expect(Buffer.from((await store.get(key))!).equals(pack)).toBe(true);
    const ranges = [
      { offset: 3, target: new Uint8Array(1000) },
      { offset: 4 * 1024 * 1024, target: new Uint8Array(1024 * 1024 + 77) },
      { offset: 2_000_000, target: new Uint8Array(5) },
    ];
    expect(await store.readRanges(key, ranges)).toBe(true);
    for (const { offset, target } of ranges) {
      expect(Buffer.from(target).equals(pack.subarray(offset, offset + target.length))).toBe(true);
    }
    expect(await store.readRanges(key, [{ offset: pack.length - 1, target: new Uint8Array(2) }])).toBe(false);
    expect(await store.readRange('objects/6a1f0a52-0d5c-4a43-9d55-4fd1b0d2a7b1/ab/none', 0, new Uint8Array(1))).toBe(
      false,
    );
    // On a file system with direct I/O, the whole blocks went past the page cache both ways.
    const direct = await supportsDirectIo(root);
    expect(directBytes.written - before.written).toBe(direct ? 5 * 1024 * 1024 : 0);
    expect(directBytes.read > before.read).toBe(direct);
  });

  it('reads an object straight into a buffer of its size, and refuses one absent or of another size', async () => {
    const store = new FileBlobStore(path.join(root, 'read-into'));
    const data = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7) % 251);
    await store.put(key, data);
    const frame = new Uint8Array(data.length + 10).fill(0xee);
    expect(await store.readInto(key, frame.subarray(5, 5 + data.length))).toBe(true);
    expect(frame.subarray(5, 5 + data.length)).toEqual(data);
    // The bytes around the target are left alone.
    expect([...frame.subarray(0, 5), ...frame.subarray(5 + data.length)]).toEqual(new Array(10).fill(0xee));
    expect(await store.readInto(key, new Uint8Array(data.length - 1))).toBe(false);
    expect(await store.readInto(key, new Uint8Array(data.length + 1))).toBe(false);
    expect(await store.readInto(`${key}ff`, new Uint8Array(data.length))).toBe(false);
  });

  it('never shows what a killed write left behind, and sweeps it later', async () => {
    const store = new FileBlobStore(path.join(root, 'killed'));
    await store.put(key, new Uint8Array([1, 2, 3]));
    // What a put killed between write and rename leaves: a partial temporary file beside the target.
    const folder = path.dirname(path.join(root, 'killed', ...key.split('/')));
    const leftover = path.join(folder, '.tmp-0123456789abcdef01234567');
    await writeFile(leftover, new Uint8Array([9, 9]), { mode: 0o600 });
    const fresh = path.join(folder, '.tmp-fedcba9876543210fedcba98');
    await writeFile(fresh, new Uint8Array([8]), { mode: 0o600 });
    const hourAgo = new Date(Date.now() - 3600_000);
    await utimes(leftover, hourAgo, hourAgo);

    const listed = [];
    for await (const info of store.list('')) listed.push(info.key);
    expect(listed).toEqual([key]);
    expect(Array.from((await store.get(key))!)).toEqual([1, 2, 3]);

    // A write still in progress (fresh) is left alone.
    expect(await store.sweepTemporaryFiles(10 * 60_000)).toBe(1);
    expect((await readdir(folder)).sort()).toEqual(['.tmp-fedcba9876543210fedcba98', 'ab01']);
    expect(await store.sweepTemporaryFiles(0)).toBe(1);
    expect(await readdir(folder)).toEqual(['ab01']);
  });

  it('leaves no temporary file after a failed write', async () => {
    const store = new FileBlobStore(path.join(root, 'failed'));
    // A folder where the object should go makes the rename fail.
    const target = path.join(root, 'failed', ...key.split('/'));
    await mkdir(path.join(target, 'inside'), { recursive: true });
    await expect(store.put(key, new Uint8Array([1]))).rejects.toThrow();
    expect(await readdir(path.dirname(target))).toEqual(['ab01']);
    expect(await store.get(key)).toBeNull();
    expect(await store.has(key)).toBe(false);
  });

  it('removes the emptied folders with deletePrefix and writes into them again afterwards', async () => {
    const store = new FileBlobStore(path.join(root, 'prefix'));
    await store.put(key, new Uint8Array([1]));
    await store.put(`${key}2`, new Uint8Array([2]));
    expect(await store.deletePrefix('objects/6a1f0a52-0d5c-4a43-9d55-4fd1b0d2a7b1/')).toBe(2);
    expect(await readdir(path.join(root, 'prefix', 'objects'))).toEqual([]);
    await store.put(key, new Uint8Array([3]));
    expect(Array.from((await store.get(key))!)).toEqual([3]);
  });

  it('lists in key order like S3, folders sorted as if their name ended with a slash', async () => {
    const store = new FileBlobStore(path.join(root, 'order'));
    const keys = ['x/a/b', 'x/a-c', 'x/a.d', 'x/a_e', 'x/B', 'x/a0/z'];
    for (const key of keys) await store.put(key, new Uint8Array([1]));
    const listed = [];
    for await (const info of store.list('x/')) listed.push(info.key);
    expect(listed).toEqual(['x/B', 'x/a-c', 'x/a.d', 'x/a/b', 'x/a0/z', 'x/a_e']);
  });

  it('acknowledges a putMany only when all of it is stored, and a kill -9 mid-write leaves no partial object', async () => {
    const storeRoot = path.join(root, 'killed-batches');
    // Each object's bytes follow from its key, so any object found can be checked whole.
    const script = path.join(root, 'put-forever.mts');
    await writeFile(
      script,
      `import { createHash, randomBytes } from 'node:crypto';
import { FileBlobStore } from ${JSON.stringify(path.resolve(import.meta.dirname, 'file.ts'))};
const store = new FileBlobStore(${JSON.stringify(storeRoot)});
const bytes = (key: string) => Buffer.alloc(3 * 1024 * 1024 + 7, createHash('sha256').update(key).digest());
for (let batch = 0; ; batch++) {
  const keys = Array.from({ length: 8 }, (_, i) => \`objects/v/\${String(i).padStart(2, '0')}/b\${batch}-\${i}\`);
  await store.putMany(keys.map((key) => ({ key, data: bytes(key) })));
  process.stdout.write(\`acked \${keys.join(' ')}\\n\`);
}
`,
    );
    // node itself, not the tsx wrapper: a kill -9 of the wrapper would leave its node child writing.
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const acked: string[] = [];
    await new Promise<void>((resolve, reject) => {
      let text = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const lines = text.split('\n');
        text = lines.pop()!;
        for (const line of lines) acked.push(...line.replace(/^acked /, '').split(' '));
        // Killed while a later batch is being written: some of its files are temporary, some renamed, none acked.
        if (acked.length >= 16) setTimeout(() => child.kill('SIGKILL'), 15);
      });
      child.once('exit', () => resolve());
      child.once('error', reject);
    });
    const expected = (key: string) => Buffer.alloc(3 * 1024 * 1024 + 7, createHash('sha256').update(key).digest());
    const store = new FileBlobStore(storeRoot);
    const listed: string[] = [];
    for await (const info of store.list('')) {
      listed.push(info.key);
      // Whatever a reader can see is whole: no object is ever half written.
      expect(Buffer.from((await store.get(info.key))!).equals(expected(info.key))).toBe(true);
    }
    // Everything acknowledged is there.
    expect(acked.length).toBeGreaterThanOrEqual(16);
    for (const key of acked) expect(listed).toContain(key);
    // What the killed batch left behind is temporary files nothing lists, which the sweep removes.
    await store.sweepTemporaryFiles(0);
    let temporary = 0;
    for (const folder of await readdir(path.join(storeRoot, 'objects', 'v'))) {
      for (const name of await readdir(path.join(storeRoot, 'objects', 'v', folder))) {
        if (name.startsWith('.tmp-')) temporary += 1;
      }
    }
    expect(temporary).toBe(0);
  }, 60_000);

  it('putMany stores every object of a batch, syncing each folder once, and refuses a bad key before writing any', async () => {
    const store = new FileBlobStore(path.join(root, 'many'));
    const objects = Array.from({ length: 300 }, (_, i) => ({
      key: `objects/k/${(i % 7).toString(16).padStart(2, '0')}/o${i}`,
      data: new Uint8Array([i % 256, 1, 2]),
    }));
    await store.putMany(objects);
    for (const { key, data } of objects) expect(Array.from((await store.get(key))!)).toEqual(Array.from(data));
    await expect(
      store.putMany([
        { key: 'objects/k/aa/fine', data: new Uint8Array([1]) },
        { key: 'objects/../escape', data: new Uint8Array([1]) },
      ]),
    ).rejects.toThrow(/Invalid blob key/);
    expect(await store.has('objects/k/aa/fine')).toBe(false);
  });

  it('lists an absent folder as empty and refuses a relative root', async () => {
    const store = new FileBlobStore(path.join(root, 'never-created'));
    for await (const info of store.list('')) throw new Error(`unexpected ${info.key}`);
    expect(await store.deletePrefix('objects/')).toBe(0);
    expect(() => new FileBlobStore('relative/backups')).toThrow(/absolute path/);
  });
});
