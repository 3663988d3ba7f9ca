/**
 * The frame of a sealed object (OBJECT_FRAME_HEADER in protocol.ts): the 32-byte object id, the sealed bytes' length as
 * a 4-byte big-endian unsigned integer, then the sealed bytes. Uploads (agent → portal), the portal's packs and the
 * answers to restore reads (portal → agent) are all sequences of frames, and this is their one codec.
 *
 * A backup moves GiBs through here: headers are written in place into the caller's buffer, sealed bytes are read as
 * views of the bytes they came in (never copied), and nothing but plain Uint8Array code is used (no Buffer, no
 * DataView), so that the agent's bundle and the server share it as they share protocol.ts.
 */
import { OBJECT_FRAME_HEADER } from './protocol';

/** The object id's bytes at the start of a header (its hex form, the id everywhere else, has twice as many digits). */
export const FRAME_ID_BYTES = 32;

/** One frame read from a sequence of them. */
export type Frame = {
  /** The object id, 64 lowercase hex digits. */
  id: string;
  /** The sealed bytes' length as the header states it. */
  length: number;
  /**
   * The sealed bytes: a view of the bytes read (no copy). Shorter than `length` when they end first: the frame is cut
   * short, and the caller decides what that means.
   */
  data: Uint8Array;
  /** Where the next frame starts (past the end of the bytes when this one is cut short). */
  next: number;
};

const DIGITS = '0123456789abcdef';
const DIGIT_CODES = Array.from(DIGITS, (digit) => digit.charCodeAt(0));
/** The value of each hex digit by its character code (either case, as Buffer's 'hex' reads them); -1 for the rest. */
const DIGIT_VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  DIGIT_VALUES[DIGITS.charCodeAt(i)] = i;
  DIGIT_VALUES[DIGITS.toUpperCase().charCodeAt(i)] = i;
}
// The character codes of an id being read: one String.fromCharCode over them is as fast as Buffer's 'hex' decoding
// (per-byte string concatenation is more than twice as slow). Reading is synchronous, so one array serves every call.
const idCodes: number[] = new Array(FRAME_ID_BYTES * 2).fill(0);

/**
 * Writes the header of a frame at `offset` of `target` (which must hold all 36 bytes there): `id` (64 hex digits) as
 * its 32 bytes, then `length`. Returns where the sealed bytes go (`offset` + OBJECT_FRAME_HEADER).
 */
export function writeFrameHeader(target: Uint8Array, offset: number, id: string, length: number): number {
  if (!(offset >= 0 && offset + OBJECT_FRAME_HEADER <= target.length)) {
    throw new RangeError(`A frame header at ${offset} does not fit ${target.length} bytes.`);
  }
  if (length >>> 0 !== length) throw new RangeError(`A frame cannot state a length of ${length} bytes.`);
  if (id.length !== FRAME_ID_BYTES * 2) throw new RangeError(`An object id is 64 hex digits, not '${id}'.`);
  for (let i = 0; i < FRAME_ID_BYTES; i++) {
    const high = DIGIT_VALUES[id.charCodeAt(2 * i)] ?? -1;
    const low = DIGIT_VALUES[id.charCodeAt(2 * i + 1)] ?? -1;
    if ((high | low) < 0) throw new RangeError(`An object id is 64 hex digits, not '${id}'.`);
    target[offset + i] = (high << 4) | low;
  }
  const at = offset + FRAME_ID_BYTES;
  target[at] = length >>> 24;
  target[at + 1] = length >>> 16;
  target[at + 2] = length >>> 8;
  target[at + 3] = length;
  return offset + OBJECT_FRAME_HEADER;
}

/** A frame header of its own (writeFrameHeader into a new 36-byte array). */
export function encodeFrameHeader(id: string, length: number): Uint8Array {
  const header = new Uint8Array(OBJECT_FRAME_HEADER);
  writeFrameHeader(header, 0, id, length);
  return header;
}

/** The object id of the header at `offset` (its 32 bytes must be there), as 64 lowercase hex digits. */
export function frameId(bytes: Uint8Array, offset: number): string {
  for (let i = 0; i < FRAME_ID_BYTES; i++) {
    const byte = bytes[offset + i]!;
    idCodes[2 * i] = DIGIT_CODES[byte >>> 4]!;
    idCodes[2 * i + 1] = DIGIT_CODES[byte & 15]!;
  }
  return String.fromCharCode.apply(null, idCodes);
}

/** The sealed bytes' length the header at `offset` states (its 36 bytes must be there). */
export function frameLength(bytes: Uint8Array, offset: number): number {
  const at = offset + FRAME_ID_BYTES;
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

/**
 * The frame at `offset` of `bytes`, or undefined when fewer than OBJECT_FRAME_HEADER bytes are left there (the end of
 * the sequence when offset = bytes.length, else a header cut short). Its `data` is a view of `bytes`, shorter than its
 * `length` when the bytes end first.
 */
export function readFrame(bytes: Uint8Array, offset: number): Frame | undefined {
  if (!(offset >= 0 && bytes.length - offset >= OBJECT_FRAME_HEADER)) return undefined;
  const length = frameLength(bytes, offset);
  const start = offset + OBJECT_FRAME_HEADER;
  return { id: frameId(bytes, offset), length, data: bytes.subarray(start, start + length), next: start + length };
}
