import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { migrationsFolder } from './migrate';

const root = path.resolve(path.dirname(migrationsFolder), '..');

/**
 * Where emulator mode's database snapshot (an in-memory cluster with every migration applied) is kept: in the build
 * output, named for a digest of the migrations' journal, so that a snapshot made before a new migration is not used.
 */
export function emulatorSnapshot(): string {
  const journal = readFileSync(path.join(migrationsFolder, 'meta', '_journal.json'));
  const digest = createHash('sha256').update(journal).digest('hex').slice(0, 16);
  return path.join(root, 'dist', 'emulator', `pglite-${digest}.tar.gz`);
}
