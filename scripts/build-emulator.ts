/**
 * Part of `npm run build`: saves an empty in-memory PGlite cluster's files (dist/emulator/pglite-cluster.tar.gz), so
 * `npm run emulator` loads them instead of running initdb (db/embedded.ts).
 */
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { saveSnapshot } from '@/db/embedded';

const snapshot = path.resolve(import.meta.dirname, '..', 'dist', 'emulator', 'pglite-cluster.tar.gz');
const db = await PGlite.create('memory://');
await saveSnapshot(db, snapshot);
await db.close();
