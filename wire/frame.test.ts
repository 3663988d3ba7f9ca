import { describe, expect, it } from 'vitest';
import {
  encodeFrameHeader,
  FRAME_ID_BYTES,
  type Frame,
  frameId,
  frameLength,
  readFrame,
  writeFrameHeader,
} from './frame';
import { OBJECT_FRAME_HEADER } from './protocol';

const idOf = (seed: number) =>
  Array.from({ length: 32 }, (_, i) => ((seed * 31 + i * 7) & 255).toString(16).padStart(2, '0')).join('');
const bytesOf = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (seed + i) & 255);

function encode(objects: Array<{ id: string; data: Uint8Array }>): Uint8Array {
  const out = new Uint8Array(objects.reduce((n, o) => n + OBJECT_FRAME_HEADER + o.data.length, 0));
  let at = 0;
  for (const { id, data } of objects) {
    at = writeFrameHeader(out, at, id, data.length);
    out.set(data, at);
    at += data.length;
  }
  return out;
}

function decodeAll(bytes: Uint8Array): Frame[] {
  const frames: Frame[] = [];
  for (let frame = readFrame(bytes, 0); frame; frame = readFrame(bytes, frame.next)) frames.push(frame);
  return frames;
}

describe('object frames', () => {
  it('lays a header out as the 32 id bytes then the big-endian length', () => {
    const id = `00ff10ab${'c'.repeat(56)}`;
    const header = encodeFrameHeader(id, 0x01020304);
    expect(header.length).toBe(OBJECT_FRAME_HEADER);
    expect(Buffer.from(header.subarray(0, FRAME_ID_BYTES)).toString('hex')).toBe(id);
    expect([...header.subarray(32)]).toEqual([1, 2, 3, 4]);
    expect(Buffer.from(header).readUInt32BE(32)).toBe(0x01020304);
    expect(encodeFrameHeader(id, 0xffffffff).subarray(32)).toEqual(Uint8Array.from([255, 255, 255, 255]));
  });

  it('round-trips several frames, ids preserved and data as views of the bytes', () => {
    const objects = [
      { id: idOf(1), data: bytesOf(100, 1) },
      { id: idOf(2), data: bytesOf(1, 2) },
      { id: idOf(3), data: bytesOf(70_000, 3) },
      { id: 'f'.repeat(64), data: bytesOf(5, 4) },
    ];
    const bytes = encode(objects);
    const frames = decodeAll(bytes);
    expect(frames.map((f) => f.id)).toEqual(objects.map((o) => o.id));
    expect(frames.map((f) => f.length)).toEqual(objects.map((o) => o.data.length));
    let at = 0;
    for (const [i, frame] of frames.entries()) {
      expect(frame.data).toEqual(objects[i]!.data);
      expect(frame.data.buffer).toBe(bytes.buffer);
      expect(frame.data.byteOffset).toBe(at + OBJECT_FRAME_HEADER);
      expect(frameId(bytes, at)).toBe(frame.id);
      expect(frameLength(bytes, at)).toBe(frame.length);
      at = frame.next;
    }
    expect(at).toBe(bytes.length);
  });

  it('reads the same ids as Buffer hex, in lowercase, and takes uppercase ids', () => {
    const id = idOf(9);
    const bytes = encode([{ id: id.toUpperCase(), data: bytesOf(3, 0) }]);
    expect(readFrame(bytes, 0)!.id).toBe(id);
    expect(readFrame(bytes, 0)!.id).toBe(Buffer.from(bytes.subarray(0, 32)).toString('hex'));
  });

  it('reads a header of length 0 as a frame with no data', () => {
    const bytes = encode([
      { id: idOf(4), data: new Uint8Array(0) },
      { id: idOf(5), data: bytesOf(2, 5) },
    ]);
    const [empty, next] = decodeAll(bytes);
    expect(empty).toMatchObject({ id: idOf(4), length: 0, next: OBJECT_FRAME_HEADER });
    expect(empty!.data.length).toBe(0);
    expect(next).toMatchObject({ id: idOf(5), length: 2, next: bytes.length });
  });

  it('has no frame where fewer than a header of bytes are left', () => {
    const bytes = encode([{ id: idOf(6), data: bytesOf(10, 6) }]);
    expect(readFrame(bytes, bytes.length)).toBeUndefined();
    expect(readFrame(new Uint8Array(0), 0)).toBeUndefined();
    for (const cut of [1, 32, OBJECT_FRAME_HEADER - 1]) expect(readFrame(bytes.subarray(0, cut), 0)).toBeUndefined();
    const twoCut = encode([
      { id: idOf(7), data: bytesOf(4, 7) },
      { id: idOf(8), data: bytesOf(4, 8) },
    ]).subarray(0, OBJECT_FRAME_HEADER + 4 + 20); // the second header cut after 20 bytes;
    expect(readFrame(twoCut, 0)!.id).toBe(idOf(7));
    expect(readFrame(twoCut, readFrame(twoCut, 0)!.next)).toBeUndefined();
  });

  it('gives a length that runs past the end as data shorter than it', () => {
    const header = encodeFrameHeader(idOf(10), 500);
    const bytes = new Uint8Array(OBJECT_FRAME_HEADER + 100);
    bytes.set(header);
    const frame = readFrame(bytes, 0)!;
    expect(frame).toMatchObject({ id: idOf(10), length: 500, next: OBJECT_FRAME_HEADER + 500 });
    expect(frame.data.length).toBe(100);
    expect(frame.data.length < frame.length).toBe(true);
    expect(readFrame(bytes, frame.next)).toBeUndefined();
  });

  it('writes into an offset of a larger buffer and leaves the rest alone', () => {
    const target = new Uint8Array(200).fill(0xaa);
    const id = idOf(11);
    expect(writeFrameHeader(target, 50, id, 77)).toBe(50 + OBJECT_FRAME_HEADER);
    expect(target.subarray(0, 50).every((b) => b === 0xaa)).toBe(true);
    expect(target.subarray(50 + OBJECT_FRAME_HEADER).every((b) => b === 0xaa)).toBe(true);
    expect(target.subarray(50, 50 + OBJECT_FRAME_HEADER)).toEqual(encodeFrameHeader(id, 77));
    const frame = readFrame(target, 50)!;
    expect(frame).toMatchObject({ id, length: 77, next: 50 + OBJECT_FRAME_HEADER + 77 });
    expect(frame.data.byteOffset).toBe(50 + OBJECT_FRAME_HEADER);
    // A view into a larger buffer: offsets are the view's own.
    const view = new Uint8Array(target.buffer, 40, 100);
    expect(readFrame(view, 10)!.id).toBe(id);
  });

  it('refuses headers it cannot write', () => {
    const target = new Uint8Array(OBJECT_FRAME_HEADER + 1);
    expect(() => writeFrameHeader(target, 2, idOf(1), 1)).toThrow(RangeError);
    expect(() => writeFrameHeader(target, -1, idOf(1), 1)).toThrow(RangeError);
    expect(() => writeFrameHeader(target, 0, idOf(1).slice(2), 1)).toThrow(RangeError);
    expect(() => writeFrameHeader(target, 0, `zz${idOf(1).slice(2)}`, 1)).toThrow(RangeError);
    expect(() => writeFrameHeader(target, 0, idOf(1), -1)).toThrow(RangeError);
    expect(() => writeFrameHeader(target, 0, idOf(1), 2 ** 32)).toThrow(RangeError);
  });
});
