/**
 * The browser's side of a recovery point: it fetches sealed objects from the portal and opens them here, with the
 * same lib/backup-format code the agent uses (Argon2id in WebAssembly, AES-GCM through WebCrypto or its pure-JS
 * fallback), decompressing with fzstd. Nothing derived from the passphrase leaves this module: requests carry only
 * the point's address and object ids, which the server already knows.
 */
import { decompress } from 'fzstd';
import {
  decodeSkippedList,
  deriveVaultKeys,
  openObject,
  parseWrappedVaultKey,
  type SkippedList,
  unwrapVaultKey,
  type VaultKeys,
} from '@/lib/backup-format';
import { decodeListing, isTreeIndex, readPage, readTree, type TreeEntry } from '@/lib/backup-format/tree';

export type PointAddress = { vaultId: string; itemId: string; pointId: string };

type PointKey = { rootId: string; keyId: string; wrappedKey: unknown };

/** A folder's listing as it loads: its pages in order, each with its entries once they are read. */
export type FolderListing = { pages: Array<{ id: string | null; count: number; entries: TreeEntry[] | null }> };

const base = ({ vaultId, itemId, pointId }: PointAddress) => `/api/vaults/${vaultId}/items/${itemId}/points/${pointId}`;

async function fetchOk(url: string): Promise<Response> {
  const response = await fetch(url, { credentials: 'same-origin' });
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new Error(body?.error?.message ?? `The portal answered HTTP ${response.status}.`);
  }
  return response;
}

export class PointReader {
  readonly rootId: string;
  readonly keyId: string;

  private constructor(
    private readonly address: PointAddress,
    private readonly keys: VaultKeys,
    /** Kept for RECOVER TO SERVER, which seals it for the chosen server; never sent as it is. */
    readonly vaultKey: Uint8Array,
    point: PointKey,
  ) {
    this.rootId = point.rootId;
    this.keyId = point.keyId;
  }

  /** Fetches the point's wrapped vault key and opens it with the passphrase: WrongPassphraseError when it does not. */
  static async open(address: PointAddress, passphrase: string): Promise<PointReader> {
    const point = (await (await fetchOk(base(address))).json()) as PointKey;
    const vaultKey = await unwrapVaultKey(parseWrappedVaultKey(point.wrappedKey), passphrase);
    return new PointReader(address, await deriveVaultKeys(vaultKey), vaultKey, point);
  }

  /** One object's plaintext, checked against its id. */
  async object(id: string): Promise<Uint8Array> {
    const sealed = new Uint8Array(await (await fetchOk(`${base(this.address)}/objects/${id}`)).arrayBuffer());
    return openObject(this.keys, id, sealed, (data) => decompress(data));
  }

  /** The list of what the backup that made the point could not read (its job's skipped files), by the list's id. */
  async skippedFiles(id: string): Promise<SkippedList> {
    return decodeSkippedList(await this.object(id));
  }

  /** A folder's listing: a small folder's entries at once; a large one's pages named, to be read with loadPage. */
  async folder(id: string): Promise<FolderListing> {
    const listing = decodeListing(await this.object(id));
    if (!isTreeIndex(listing))
      return { pages: [{ id: null, count: listing.entries.length, entries: listing.entries }] };
    return { pages: listing.pages.map((page) => ({ id: page.id, count: page.count, entries: null })) };
  }

  async loadPage(page: { id: string; count: number }): Promise<TreeEntry[]> {
    return readPage(page, (id) => this.object(id));
  }

  /** Every entry of a folder, its pages read as well. */
  async entries(id: string): Promise<TreeEntry[]> {
    return readTree(await this.object(id), (page) => this.object(page));
  }

  /** A file's bytes as a stream, chunk by chunk, the next few chunks fetched while one is read. */
  fileStream(entry: TreeEntry, ahead = 4): ReadableStream<Uint8Array> {
    const chunks = entry.chunks ?? [];
    const pending: Array<Promise<Uint8Array>> = [];
    let next = 0;
    const fill = () => {
      while (next < chunks.length && pending.length < ahead) {
        const read = this.object(chunks[next++]!);
        read.catch(() => {});
        pending.push(read);
      }
    };
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        fill();
        const read = pending.shift();
        if (!read) {
          controller.close();
          return;
        }
        controller.enqueue(await read);
      },
    });
  }
}
