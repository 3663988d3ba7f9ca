/**
 * Downloads from the recovery-point browser, decrypted here and streamed as they are decrypted.
 *
 * Where the browser has the File System Access API (Chromium-based browsers on https or localhost), the user picks
 * where to save and each chunk is written to disk as it is opened: nothing sits in memory whole. Elsewhere the
 * stream is gathered into a Blob (which browsers keep on disk when it grows large) and saved through a link. No
 * service worker is involved, so the page needs none installed and nothing outlives it.
 */
import { makeZip } from 'client-zip';
import type { TreeEntry } from '@/lib/backup-format/tree';
import type { PointReader } from './point-reader';

type SaveFilePicker = (options: { suggestedName: string }) => Promise<{
  createWritable(): Promise<WritableStream<Uint8Array>>;
}>;

/** Where a download goes: chosen at once, inside the click, since a save dialog needs the user's gesture. */
export type Sink = { write(stream: ReadableStream<Uint8Array>): Promise<void> };

/** The sink for a file of this name, or null when the user cancelled the save dialog. */
export async function chooseSink(name: string): Promise<Sink | null> {
  const picker = (globalThis as { showSaveFilePicker?: SaveFilePicker }).showSaveFilePicker;
  if (picker) {
    try {
      const handle = await picker({ suggestedName: name });
      return { write: async (stream) => stream.pipeTo(await handle.createWritable()) };
    } catch (error) {
      if ((error as Error).name === 'AbortError') return null;
      throw error;
    }
  }
  return {
    async write(stream) {
      const blob = await new Response(stream).blob();
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = name;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    },
  };
}

type ZipInput =
  | { name: string; lastModified: Date }
  | { name: string; lastModified: Date; input: ReadableStream<Uint8Array> | Uint8Array; size: number; mode: number };

/** The Unix file type of a symbolic link, in a ZIP entry's external attributes (S_IFLNK). */
const SYMLINK_TYPE = 0o120000;

/**
 * A folder's files, links and subfolders (empty ones too), read listing by listing as the ZIP is written. A link is
 * stored as Info-ZIP's `zip --symlinks` stores one: its target as the entry's content and the link type in its Unix
 * mode, so `unzip`, macOS's Archive Utility and other Unix tools make it a link again; where links are unknown
 * (Windows Explorer) it becomes a small file holding the target's path.
 */
async function* zipEntries(reader: PointReader, entries: TreeEntry[], prefix: string): AsyncGenerator<ZipInput> {
  for (const entry of entries) {
    const name = `${prefix}${entry.name}`;
    const lastModified = new Date(entry.mtimeMs);
    if (entry.type === 'dir') {
      yield { name: `${name}/`, lastModified };
      yield* zipEntries(reader, await reader.entries(entry.tree!), `${name}/`);
    } else if (entry.type === 'file') {
      yield { name, lastModified, input: reader.fileStream(entry), size: entry.size, mode: entry.mode & 0o777 };
    } else if (entry.type === 'symlink') {
      const target = new TextEncoder().encode(entry.target ?? '');
      yield { name, lastModified, input: target, size: target.length, mode: SYMLINK_TYPE | 0o777 };
    }
  }
}

/** A file's decrypted bytes, or a folder's as `FOLDER.zip` of everything beneath it. */
export function downloadStream(reader: PointReader, entry: TreeEntry): ReadableStream<Uint8Array> {
  if (entry.type !== 'dir') return reader.fileStream(entry);
  return makeZip(
    (async function* () {
      yield { name: `${entry.name}/`, lastModified: new Date(entry.mtimeMs) };
      yield* zipEntries(reader, await reader.entries(entry.tree!), `${entry.name}/`);
    })(),
  );
}

export function downloadName(entry: TreeEntry): string {
  return entry.type === 'dir' ? `${entry.name}.zip` : entry.name;
}
