/**
 * `npm start`: validates the settings, starts the embedded PostgreSQL when DATABASE_URL is unset, migrates, creates the
 * first admin, builds the app when there is no build, and serves it on $PORT. Ctrl-C stops everything.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDatabase } from '@/db/client';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '@/db/embedded';
import { migrateDatabase } from '@/db/migrate';
import { emulatorSnapshot } from '@/db/snapshot';
import { resolveAuthSecret, securePrivateFiles } from '@/lib/secrets';
import { childEnv, type Env, EnvError, getEnv, redactUrl } from '@/lib/services/settings';
import { ensureFirstAdmin } from '@/server/seed';

const dev = process.argv.includes('--dev');
const root = path.resolve(import.meta.dirname, '..');
const tsxCli = path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
// The production server is scripts/serve.ts bundled by `npm run build` (scripts/build-server.mjs) and run by plain node:
// under tsx every request paid for its module hooks and source-mapped stack traces. Development runs the source.
const servedBundle = path.join(root, 'dist', 'server', 'serve.mjs');

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

/** Connection failures name the setting to fix; the URL is shown without its password. */
function databaseFailure(err: unknown, url: string | undefined): string {
  const e = err as NodeJS.ErrnoException & { code?: string };
  const unreachable = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET'];
  const refused = ['28P01', '28000', '3D000'];
  if (url && (unreachable.includes(e?.code ?? '') || refused.includes(e?.code ?? ''))) {
    return `Could not connect to the database of DATABASE_URL (${redactUrl(url)}): ${e.message}.`;
  }
  return `Could not prepare the database: ${(err as Error).message}`;
}

async function main() {
  let env: Env;
  try {
    env = getEnv();
  } catch (err) {
    if (err instanceof EnvError) fail(err.message);
    throw err;
  }

  // Emulator mode: an in-memory database, always (its reset empties every table: never a database DATABASE_URL names),
  // and a temporary data folder, removed at exit.
  let scratch: string | undefined;
  if (env.emulator) {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'portal-emulator-'));
    env = { ...env, dataDir: scratch };
    if (env.DATABASE_URL) console.log('Emulator mode: DATABASE_URL is ignored; the emulator keeps its data in memory.');
  }
  // Files an older version (or a careless copy) left readable by others are made private again.
  securePrivateFiles(env);
  const authSecret = resolveAuthSecret(env);
  let embedded: EmbeddedPostgres | undefined;
  let url = env.emulator ? undefined : env.DATABASE_URL;
  if (!url) {
    embedded = env.emulator
      ? await startEmbeddedPostgres(undefined, { snapshot: emulatorSnapshot() })
      : await startEmbeddedPostgres(path.join(env.dataDir, 'pglite'));
    url = embedded.url;
    console.log(
      env.emulator
        ? `Emulator mode: in-memory PostgreSQL (PGlite) at ${url}`
        : `Embedded PostgreSQL (PGlite) at ${url}, data in ${path.join(env.dataDir, 'pglite')}`,
    );
  }

  let child: ChildProcess | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child!.once('exit', resolve));
    }
    await embedded?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  try {
    await migrateDatabase(url);
    const { pool, db } = createDatabase(url, 1);
    const admin = await ensureFirstAdmin(db, env).finally(() => pool.end());
    if (admin?.generatedPassword) {
      console.log(`\nFirst admin created: ${admin.email}\n  password: ${admin.generatedPassword}`);
      console.log(`  (saved to ${admin.credentialsFile}, readable only by you)\n`);
    } else if (admin) {
      console.log(`First admin created: ${admin.email} (password from PORTAL_ADMIN_PASSWORD)`);
    }
  } catch (err) {
    console.error(databaseFailure(err, env.DATABASE_URL));
    await stop(1);
    return;
  }

  const serverEnv = childEnv({
    DATABASE_URL: url,
    AUTH_SECRET: authSecret,
    // next-auth's origin: PORTAL_URL; else behind a trusted proxy the X-Forwarded-Host that server/http/edge.ts validated;
    // else http://localhost:$PORT. Never a header from a client.
    NEXTAUTH_URL: env.PORTAL_URL || !env.trustProxy ? env.portalOrigin : '',
    AUTH_TRUST_HOST: env.trustProxy ? 'true' : '',
    NEXT_TELEMETRY_DISABLED: '1',
    PORTAL_DATA_DIR: env.dataDir,
    ...(env.emulator ? { PORTAL_EMULATOR: '1' } : {}),
  });

  const built =
    existsSync(path.join(root, '.next', 'BUILD_ID')) &&
    existsSync(path.join(root, 'dist', 'agent', 'recovery-services-agent.mjs')) &&
    existsSync(servedBundle);
  if (!dev && !built) {
    console.log('No build found: building the portal (once)...');
    const build = spawn('npm', ['run', 'build'], {
      cwd: root,
      env: { ...serverEnv, NODE_ENV: 'production' },
      stdio: 'inherit',
    });
    const code = await new Promise<number>((resolve) => build.once('exit', (c) => resolve(c ?? 1)));
    if (code !== 0) {
      console.error('The build failed.');
      await stop(code);
      return;
    }
  }

  // A larger young generation for the production server: a page render allocates a few MB that die young, and with the
  // default 16 MB semi-space, 50 concurrent renders got scavenged (and promoted) so often that the list page did about a
  // fifth fewer requests/s (issue 13, measured side by side under autocannon). It costs up to ~150 MB more memory.
  //
  // And a heap allowed to grow to five times what survives a full collection: a backup's upload arrives in 64 KiB
  // socket reads, each external memory to V8, which counts what was allocated since its last full collection against
  // the old generation's limit and so collected the whole heap every few tens of MiB received. With this, a 1 GiB
  // first backup cost the portal 2.4 s of CPU instead of 3-4.7 s, at the same peak memory (measured with
  // `npm run bench:backup`; the agent does the same, agent/heap.ts).
  const serverArgs = dev
    ? [tsxCli, path.join(root, 'scripts', 'serve.ts'), '--dev']
    : ['--max-semi-space-size=64', '--heap-growing-percent=400', servedBundle];
  // PORTAL_CPU_PROF=DIR (for benches): the server's CPU profile is written there when it stops.
  const profile = env.PORTAL_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(env.PORTAL_CPU_PROF)}`] : [];
  child = spawn(process.execPath, [...profile, ...serverArgs], {
    cwd: root,
    env: { ...serverEnv, NODE_ENV: dev ? 'development' : 'production' },
    stdio: 'inherit',
  });
  child.once('exit', (code) => void stop(code ?? 0));
}

main().catch((err) => fail(`Start-up failed: ${(err as Error).stack ?? err}`));
