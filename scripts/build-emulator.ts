/**
 * Part of `npm run build`: saves an in-memory PGlite cluster with the migrations applied, so `npm run emulator` loads it
 * instead of running initdb and the migrations (db/embedded.ts). Its name carries a digest of the migrations' journal
 * (emulatorSnapshot), so a snapshot of other migrations is never loaded.
 */
import { startEmbeddedPostgres } from '@/db/embedded';
import { migrateDatabase } from '@/db/migrate';
import { emulatorSnapshot } from '@/db/snapshot';

const snapshot = emulatorSnapshot();
const embedded = await startEmbeddedPostgres();
await migrateDatabase(embedded.url);
await embedded.save(snapshot);
await embedded.stop();
console.log(`Emulator database snapshot: ${snapshot}`);
