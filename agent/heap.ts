import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * Runs a backup or a restore with a heap V8 lets grow to several times what survives a full collection (by
 * `growingPercent`: 400 is five times) instead of about twice.
 *
 * Both turn each GiB into thousands of buffers (chunks read, sealed or opened) that live milliseconds. V8 counts
 * external memory allocated since its last full collection against the old generation's limit, which for the agent's
 * 13 MB heap leaves some 25 MB: it started a full collection every ten-odd MiB, about a hundred per GiB, a third of
 * the agent's CPU in a restore and a sixth in a backup. With the roomier limit the cheap young collections, which free
 * those buffers anyway, do the work (measured per GiB: 100 full collections down to 15; 1.4 s less CPU in a restore at
 * 400 %, 0.5 s in a backup at 250 %, whose peak memory has a 300 MiB goal: more garbage waits between collections,
 * and its read buffers were halved to make room). The factor is read at each collection, so setting it now takes
 * effect; it is put back after, so an idle service stays small.
 */
export async function withRoomyHeap<T>(growingPercent: number, work: () => Promise<T>): Promise<T> {
  v8.setFlagsFromString(`--heap-growing-percent=${growingPercent}`);
  try {
    return await work();
  } finally {
    v8.setFlagsFromString('--heap-growing-percent=0');
  }
}

type Collect = (options: { type: 'major'; execution: 'async' }) => void;
let collect: Collect | undefined;

/**
 * Starts a full collection when buffers (ArrayBuffers, Buffers) hold more than `maxBytes`; true if it did. A backup
 * turns every MiB it reads into buffers that are garbage a few ms or a few hundred ms later (reads, compressed and
 * encrypted copies), and V8 left them to its own full collections: 8 in a first backup of node_modules, between which
 * the buffers went from about 50 to 110-146 MiB, and the process never gave the memory back. A collection costs
 * 10-40 ms at the agent's heap size. `gc` is V8's, exposed for this.
 */
export function limitGarbage(maxBytes: number): boolean {
  if (process.memoryUsage().arrayBuffers <= maxBytes) return false;
  if (!collect) {
    v8.setFlagsFromString('--expose-gc');
    collect = vm.runInNewContext('gc') as Collect;
  }
  collect({ type: 'major', execution: 'async' });
  return true;
}
