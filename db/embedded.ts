import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketHandler, type PGLiteSocketHandlerOptions } from '@electric-sql/pglite-socket';
import { ProtocolUnitQueue } from './pglite-queue';

export type EmbeddedPostgres = {
  url: string;
  stop(): Promise<void>;
  /** Saves the cluster's files as a snapshot that `startEmbeddedPostgres(undefined, { snapshot })` loads. */
  save(snapshot: string): Promise<void>;
};

/**
 * PGlite behind a PostgreSQL wire-protocol socket on a free loopback port, so the portal talks to it through `pg`
 * exactly as to a real server. Each connection gets a PGLiteSocketHandler; they share one ProtocolUnitQueue, which
 * keeps each connection's statements and transactions whole on PGlite's single session. `dataDir` undefined: in memory.
 */
export async function startEmbeddedPostgres(
  dataDir?: string,
  options: { snapshot?: string } = {},
): Promise<EmbeddedPostgres> {
  if (dataDir) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = dataDir ? await PGlite.create(dataDir) : await inMemory(options.snapshot);
  const queryQueue = new ProtocolUnitQueue(db) as unknown as PGLiteSocketHandlerOptions['queryQueue'];
  const handlers = new Set<PGLiteSocketHandler>();

  const server = createServer((socket: Socket) => {
    const handler = new PGLiteSocketHandler({ queryQueue, closeOnDetach: true });
    handlers.add(handler);
    const forget = () => handlers.delete(handler);
    handler.addEventListener('close', forget);
    handler.addEventListener('error', forget);
    handler.attach(socket).catch(() => {
      forget();
      socket.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    async stop() {
      await Promise.all([...handlers].map((h) => h.detach(true)));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.close();
    },
    save: (snapshot) => saveSnapshot(db, snapshot),
  };
}

/**
 * An in-memory PGlite. Creating one runs initdb (about 2.5 s here); loading the files of a saved one takes a quarter of
 * that. With `snapshot` (a file path) an existing snapshot is loaded (npm run build saves one with the migrations
 * applied: scripts/build-emulator.ts, named for the migrations it holds); without one the first start saves the fresh
 * cluster there (gzipped, about 5 MB).
 */
async function inMemory(snapshot: string | undefined): Promise<PGlite> {
  if (snapshot && existsSync(snapshot)) {
    try {
      return await PGlite.create({ loadDataDir: new Blob([readFileSync(snapshot)]) });
    } catch (err) {
      console.warn(
        `The embedded database's snapshot ${snapshot} could not be loaded (${(err as Error).message}): making a new one.`,
      );
    }
  }
  const db = await PGlite.create('memory://');
  if (snapshot) await saveSnapshot(db, snapshot);
  return db;
}

/** Saves a fresh in-memory PGlite's files for inMemory (npm run build makes it, scripts/build-emulator.ts). */
export async function saveSnapshot(db: PGlite, snapshot: string): Promise<void> {
  const files = await db.dumpDataDir('gzip');
  mkdirSync(path.dirname(snapshot), { recursive: true });
  writeFileSync(snapshot, new Uint8Array(await files.arrayBuffer()));
}
