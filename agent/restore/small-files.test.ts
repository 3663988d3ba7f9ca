import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SmallFile, SmallFileWriter } from './small-files';

let root = '';

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'small-files-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function file(dir: string, name: string, data: Uint8Array, mode = 0o640, mtimeSeconds = 1_600_000_000.5): SmallFile {
  return { temp: path.join(dir, `.${name}.restoring`), dest: path.join(dir, name), data, mode, mtimeSeconds };
}

describe('SmallFileWriter', () => {
  it('creates every file with its bytes, mode and time, in batches, and reports each once it is in place', async () => {
    const dir = path.join(root, 'many');
    await mkdir(dir);
    const files = Array.from({ length: 300 }, (_, i) =>
      file(dir, `f${i}.txt`, new Uint8Array(randomBytes(i * 97)), i % 2 ? 0o600 : 0o644, 1_600_000_000 + i + 0.25),
    );
    // The last one larger than a batch's bytes, and one whose bytes are a view into a larger buffer.
    files.push(file(dir, 'large.bin', new Uint8Array(randomBytes(3 * 1024 * 1024))));
    const shared = new Uint8Array(randomBytes(10_000));
    files.push(file(dir, 'view.bin', shared.subarray(100, 200)));
    const created: string[] = [];
    const writer = new SmallFileWriter((f) => created.push(f.dest));
    for (const f of files) await writer.write(f);
    await writer.close();
    expect(created.sort()).toEqual(files.map((f) => f.dest).sort());
    for (const f of files) {
      expect(Buffer.from(await readFile(f.dest)).equals(f.data)).toBe(true);
      const info = await stat(f.dest);
      expect(info.mode & 0o7777).toBe(f.mode);
      expect(Math.floor(info.mtimeMs)).toBe(Math.floor(f.mtimeSeconds * 1000));
    }
    // No temporary file is left.
    expect((await readdir(dir)).filter((name) => name.endsWith('.restoring'))).toEqual([]);
  });

  it('reports a file it cannot create by its name, creates the others of its batch, and takes no file after', async () => {
    const dir = path.join(root, 'failing');
    await mkdir(dir);
    const good = file(dir, 'good.txt', new Uint8Array([1, 2, 3]));
    // Its folder does not exist: the temporary file cannot be created.
    const bad = file(path.join(dir, 'missing'), 'bad.txt', new Uint8Array([4]));
    const after = file(dir, 'after.txt', new Uint8Array([5]));
    const created: string[] = [];
    const writer = new SmallFileWriter((f) => created.push(f.dest));
    await writer.write(bad);
    await writer.write(good);
    await expect(writer.close()).rejects.toThrow(`Cannot restore '${bad.dest}': ENOENT`);
    expect(created).toEqual([good.dest]);
    expect(Buffer.from(await readFile(good.dest))).toEqual(Buffer.from([1, 2, 3]));
    await expect(writer.write(after)).rejects.toThrow(`Cannot restore '${bad.dest}'`);
    await expect(stat(after.dest)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await readdir(dir)).sort()).toEqual(['good.txt']);
  });

  it('does not replace an existing temporary name, and leaves the file it would have replaced alone', async () => {
    const dir = path.join(root, 'taken');
    await mkdir(dir);
    const first = file(dir, 'x.txt', new Uint8Array([1]));
    const writer = new SmallFileWriter(() => {});
    await writer.write(first);
    await writer.close();
    // The same temporary name already taken (created exclusively): refused, the existing file untouched.
    const clash = { ...file(dir, 'y.txt', new Uint8Array([2])), temp: first.dest };
    const second = new SmallFileWriter(() => {});
    await second.write(clash);
    await expect(second.close()).rejects.toThrow(`Cannot restore '${clash.dest}': EEXIST`);
    expect(Buffer.from(await readFile(first.dest))).toEqual(Buffer.from([1]));
  });
});
