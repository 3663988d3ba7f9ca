/**
 * `npm run bench:backup` (issue 8, "Speed"): restic and the agent back up the same generated 1 GiB data set (large
 * random files, a duplicate, thousands of small text files), then again after 1 % of it changed, then once more with
 * nothing changed; then both restore the latest point into an empty folder (issue 9: throughput ≥ restic's). Both are
 * printed side by side against the goals. The agent runs as built
 * (dist/agent/recovery-services-agent.mjs) against a local portal started with `npm start` on a fresh database of
 * BENCH_DATABASE_URL's server (default: the local PostgreSQL). Installs restic (and GNU time) with apt-get when missing.
 * A measurement: exits 0 whether or not the goals hold, 1 only when the bench itself cannot run.
 *
 * Settings: BENCH_DATABASE_URL, BENCH_SEED (the data set), BENCH_AGENT_CPU_PROF=DIR (profile the agent's backups
 * and its restore), PORTAL_CPU_PROF=DIR (profile the portal's server over the whole run, written when it stops),
 * BENCH_QUICK=1 (stop after the first backups), BENCH_CPU_DETAIL=1 (print the portal's CPU per thread at each step),
 * BENCH_PERF=DIR (Linux perf profiles of the agent and the portal's server at each step, with V8's symbol maps: read
 * them with `perf report -i DIR/agent-first.data`; the timings then include perf's own cost), BENCH_KEEP=1 (keep the
 * portal and the agent's state once the table is printed, until the bench is stopped).
 *
 * Issue 28: the portal runs with a secondary store (BACKUP_STORE_SECONDARY, a second folder) and the bench vault is
 * Geo-Redundant: the replication's lag after the first backup (from the backup's end until no pack is left to copy) and
 * the portal's verification of the vault's packs in both stores (scaled to 1 GiB) are printed with their goals.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, open, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { scanFolder } from '@/agent/backup/scan';
import { excludeMatcher } from '@/agent/exclusions';
import { createDatabase } from '@/db/client';
import { loadUser } from '@/lib/auth/users';
import { openBlobStore, openSecondaryBlobStore } from '@/lib/blob-store';
import { issueVaultCredentials } from '@/lib/credentials/issue';
import { runVerifyStorage } from '@/lib/replication/verify';
import type { Services } from '@/lib/services';
import { DatabaseClock } from '@/lib/services/clock';
import { Faults } from '@/lib/services/faults';
import { startPortal, stopPortal } from './bench-portal';

const root = path.resolve(import.meta.dirname, '..');
const agentFile = path.join(root, 'dist', 'agent', 'recovery-services-agent.mjs');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
const SERVER_URL = process.env.BENCH_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';
const SEED = process.env.BENCH_SEED || 'bench-backup-1';
const CPU_PROF = process.env.BENCH_AGENT_CPU_PROF;
const PERF_DIR = process.env.BENCH_PERF ? path.resolve(process.env.BENCH_PERF) : undefined;
const ADMIN = { email: 'bench@example.com', password: 'bench-backup-password' };
const PASSPHRASE = 'the bench passphrase, long enough';
const RESTIC_PASSWORD = 'bench-restic-password';

const KiB = 1024;
const MiB = 1024 * KiB;
// ~893 MiB of distinct large files (50-200 MiB each), one copied once (100 MiB), ~31 MiB of small text: about 1 GiB.
const LARGE_MIB = [200, 170, 150, 125, 100, 85, 63];
const DUPLICATED = 4;
const SMALL_DIRS = 10;
const SMALL_SUBDIRS = 10;
const SMALL_PER_DIR = 30;
// The 1 % change: a few scattered 64 KiB overwrites, edits in some small files, the rest as two rewritten regions.
const SCATTERED_RANGES = 6;
const SCATTERED_BYTES = 64 * KiB;
const EDITED_SMALL_FILES = 40;
const REWRITTEN_REGIONS = 2;

// ---------------------------------------------------------------------------------------------------------------
// Deterministic data: an AES-256-CTR keystream keyed by the seed and a label, so every run writes the same bytes.

class Stream {
  private cipher;
  constructor(label: string) {
    const key = createHash('sha256').update(`${SEED}/${label}`).digest();
    this.cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  }
  bytes(n: number): Buffer {
    return this.cipher.update(Buffer.alloc(n));
  }
  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor((this.bytes(6).readUIntBE(0, 6) / 2 ** 48) * n);
  }
}

const WORDS = (
  'the of and to in is was that for it with as on be at by this had not are but from or have an they which one you ' +
  'were her all she there would their we him been has when who will more no if out so said what up its about into ' +
  'than them can only other new some could time these two may then do first any my now such like our over man me ' +
  'even most made after also did many before must through back years where much your way well down should because ' +
  'each just those people how too little state good very make world still own see men work long get here between ' +
  'both life being under never day same another know while last might us great old year off come since against go'
).split(' ');

/** About `size` bytes of text lines (exactly `size`: the last word is cut). */
function text(stream: Stream, size: number): Buffer {
  const picks = stream.bytes(Math.ceil(size / 3));
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; length < size; i++) {
    const word = WORDS[picks[i % picks.length]! % WORDS.length]!;
    const sep = picks[(i + 1) % picks.length]! % 13 === 0 ? '\n' : ' ';
    parts.push(word, sep);
    length += word.length + 1;
  }
  return Buffer.from(parts.join('')).subarray(0, size);
}

type DataSet = { dir: string; bytes: number; files: number; large: string[]; small: string[] };

async function generate(dir: string): Promise<DataSet> {
  const shape = new Stream('shape');
  const large: string[] = [];
  let bytes = 0;
  await mkdir(path.join(dir, 'media'), { recursive: true });
  for (const [i, mib] of LARGE_MIB.entries()) {
    const file = path.join(dir, 'media', `recording-${i}.bin`);
    const size = mib * MiB + shape.below(64 * KiB);
    const data = new Stream(`large-${i}`);
    const out = createWriteStream(file);
    for (let left = size; left > 0; left -= 8 * MiB) {
      if (!out.write(data.bytes(Math.min(8 * MiB, left)))) await new Promise<void>((r) => out.once('drain', () => r()));
    }
    await new Promise<void>((resolve, reject) =>
      out.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
    large.push(file);
    bytes += size;
  }
  await mkdir(path.join(dir, 'archive'), { recursive: true });
  const copy = path.join(dir, 'archive', `recording-${DUPLICATED}-copy.bin`);
  await copyFile(large[DUPLICATED]!, copy);
  bytes += (await stat(copy)).size;

  const small: string[] = [];
  const words = new Stream('text');
  for (let d = 0; d < SMALL_DIRS; d++) {
    for (let s = 0; s < SMALL_SUBDIRS; s++) {
      const sub = path.join(dir, 'documents', `project-${d}`, `notes-${s}`);
      await mkdir(sub, { recursive: true });
      for (let f = 0; f < SMALL_PER_DIR; f++) {
        const file = path.join(sub, `note-${f}.txt`);
        const content = text(words, KiB + shape.below(19 * KiB + 1));
        await writeFile(file, content);
        small.push(file);
        bytes += content.length;
      }
    }
  }
  return { dir, bytes, files: large.length + 1 + small.length, large, small };
}

/** Overwrites about 1 % of the data set's bytes in place; returns how many bytes changed and a description. */
async function changeOnePercent(data: DataSet): Promise<{ bytes: number; what: string }> {
  const pick = new Stream('change');
  const bytes = new Stream('change-bytes');
  const target = Math.round(data.bytes * 0.01);
  const overwrite = async (file: string, offset: number, content: Buffer) => {
    const handle = await open(file, 'r+');
    try {
      await handle.write(content, 0, content.length, offset);
    } finally {
      await handle.close();
    }
  };
  let changed = 0;
  for (let i = 0; i < SCATTERED_RANGES; i++) {
    const file = data.large[pick.below(data.large.length)]!;
    const { size } = await stat(file);
    await overwrite(file, pick.below(size - SCATTERED_BYTES), bytes.bytes(SCATTERED_BYTES));
    changed += SCATTERED_BYTES;
  }
  const edited = new Set<string>();
  while (edited.size < EDITED_SMALL_FILES) edited.add(data.small[pick.below(data.small.length)]!);
  let smallBytes = 0;
  for (const file of edited) {
    const { size } = await stat(file);
    const length = Math.min(size, 200 + pick.below(1800));
    await overwrite(file, pick.below(size - length + 1), text(bytes, length));
    smallBytes += length;
  }
  changed += smallBytes;
  const region = Math.floor((target - changed) / REWRITTEN_REGIONS);
  for (let i = 0; i < REWRITTEN_REGIONS; i++) {
    // Different files from each other; the duplicated file's original is left alone so its copy still matches.
    const file = data.large[i * 2]!;
    const { size } = await stat(file);
    await overwrite(file, pick.below(size - region), bytes.bytes(region));
    changed += region;
  }
  const what =
    `${SCATTERED_RANGES} scattered 64 KiB ranges in large files, ${EDITED_SMALL_FILES} small files edited ` +
    `(${fmtBytes(smallBytes)}), ${REWRITTEN_REGIONS} rewritten regions of ${fmtBytes(region)}`;
  return { bytes: changed, what };
}

// ---------------------------------------------------------------------------------------------------------------
// Processes.

type Measured = {
  seconds: number;
  cpuSeconds: number;
  peakBytes: number;
  stdout: string;
  code: number;
  stderr: string;
};

/**
 * Runs a command under GNU time for its wall clock and peak resident memory; throws with its stderr on failure, unless
 * `allowFailure` (then the exit code and stderr are returned).
 */
async function measure(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeFile: string,
  allowFailure = false,
): Promise<Measured> {
  const start = performance.now();
  const child = spawn('/usr/bin/time', ['-v', '-o', timeFile, command, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  const code = await new Promise<number>((resolve) => child.once('close', (c) => resolve(c ?? 1)));
  const seconds = (performance.now() - start) / 1000;
  const stdout = Buffer.concat(out).toString();
  const stderr = Buffer.concat(err).toString();
  if (code !== 0 && !allowFailure) {
    throw new Error(`${path.basename(command)} ${args[0]} failed (${code}): ${stderr.trim()}`);
  }
  const report = readFileSync(timeFile, 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}: ([\\d.]+)`).exec(report)?.[1] ?? 0);
  return {
    seconds,
    cpuSeconds: field('User time \\(seconds\\)') + field('System time \\(seconds\\)'),
    peakBytes: field('Maximum resident set size \\(kbytes\\)') * KiB,
    stdout,
    code,
    stderr,
  };
}

function has(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function aptInstall(pkg: string, why: string) {
  console.log(`${why} is missing: apt-get install -y ${pkg}`);
  const asRoot = process.getuid?.() === 0;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args: string[]) =>
    asRoot
      ? execFileSync(args[0]!, args.slice(1), { stdio: 'inherit', env })
      : execFileSync('sudo', ['-E', ...args], { stdio: 'inherit', env });
  try {
    run(['apt-get', 'install', '-y', pkg]);
  } catch {
    run(['apt-get', 'update']);
    run(['apt-get', 'install', '-y', pkg]);
  }
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** CPU seconds (user + system) used so far by the live processes of a process group (the portal's). */
async function groupCpuSeconds(pgid: number): Promise<number> {
  let ticks = 0;
  for (const { pid, fields } of await groupProcesses(pgid)) {
    ticks += Number(fields[11]) + Number(fields[12]);
    // BENCH_CPU_DETAIL: each thread's CPU so far (main, V8's GC helpers, libuv's file pool), to see where it goes.
    if (process.env.BENCH_CPU_DETAIL) {
      try {
        for (const tid of await readdir(`/proc/${pid}/task`)) {
          const taskFields = statFields(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
          const user = Number(taskFields[11]) / CLOCK_TICKS;
          const system = Number(taskFields[12]) / CLOCK_TICKS;
          if (user + system > 0.05) console.log(`    pid ${pid} thread ${tid}: user ${user} s, system ${system} s`);
        }
      } catch {}
    }
  }
  return ticks / CLOCK_TICKS;
}

// The fields of a /proc stat line after the command name, which is in parentheses and may hold spaces: state first.
const statFields = (statLine: string) => statLine.slice(statLine.lastIndexOf(')') + 2).split(' ');

/** The live processes of a process group, each with its stat fields (statFields). */
async function groupProcesses(pgid: number): Promise<Array<{ pid: string; fields: string[] }>> {
  const found: Array<{ pid: string; fields: string[] }> = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const fields = statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      if (Number(fields[2]) === pgid) found.push({ pid, fields });
    } catch {}
  }
  return found;
}

/** The agent's command line: node with `args`, or with BENCH_PERF, node under `perf record`. */
function perfAgent(label: string, args: string[]): [string, string[]] {
  if (!PERF_DIR) return [process.execPath, args];
  const file = path.join(PERF_DIR, `agent-${label.replace(/\W+/g, '-')}.data`);
  return [
    'perf',
    ['record', '-q', '-e', 'cpu-clock', '-g', '-o', file, '--', process.execPath, '--perf-basic-prof', ...args],
  ];
}

/** With BENCH_PERF, records the portal's server process until the returned function is called. */
async function perfPortal(pgid: number, label: string): Promise<() => Promise<void>> {
  if (!PERF_DIR) return async () => {};
  const server = (await groupProcesses(pgid)).find(({ pid }) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('serve.mjs');
    } catch {
      return false;
    }
  })?.pid;
  if (!server) throw new Error("BENCH_PERF: the portal's server process was not found.");
  const file = path.join(PERF_DIR, `portal-${label.replace(/\W+/g, '-')}.data`);
  const perf = spawn('perf', ['record', '-q', '-e', 'cpu-clock', '-g', '-o', file, '-p', server], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  return async () => {
    const exited = new Promise((r) => perf.once('exit', r));
    perf.kill('SIGINT');
    await exited;
  };
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}

// ---------------------------------------------------------------------------------------------------------------
// The portal.

/** The bench admin's Active vault and a vault credentials file pointing at the portal, as a download would give. */
async function vaultCredentials(databaseUrl: string, portalUrl: string): Promise<string> {
  const { pool, db } = createDatabase(databaseUrl, 2);
  try {
    const { rows } = await pool.query<{ id: string }>('select id from users where email = $1', [ADMIN.email]);
    const user = await loadUser(rows[0]!.id, db);
    if (!user) throw new Error('The portal did not create the bench admin.');
    const vault = await pool.query<{ id: string }>(
      `insert into vaults (subscription_id, name, region, status, created_by)
       values ($1, 'bench-vault', 'westus', 'Active', $2) returning id`,
      [user.subscriptions[0]!.id, user.id],
    );
    // Issuing credentials needs the database, the portal's clock and its fault rules (none) only.
    const clock = new DatabaseClock(pool);
    await clock.refresh();
    const svc = { db, pool, clock, faults: new Faults() } as unknown as Services;
    const issued = await issueVaultCredentials(svc, user, vault.rows[0]!.id, portalUrl);
    return issued.contents;
  } finally {
    await pool.end();
  }
}

/**
 * The replication's lag after a backup: what was left to copy when it ended, and the seconds until nothing is (read
 * from the database every 100 ms, as the DASHBOARD's figure is; at most two minutes).
 */
async function replicationLag(databaseUrl: string): Promise<{ bytesAtEnd: number; seconds: number }> {
  const { pool } = createDatabase(databaseUrl, 1);
  try {
    const began = performance.now();
    let bytesAtEnd = -1;
    for (;;) {
      const { rows } = await pool.query<{ bytes: string }>(
        'select coalesce(sum(size), 0)::bigint as bytes from backup_packs where replicate and replicated_at is null',
      );
      const bytes = Number(rows[0]!.bytes);
      if (bytesAtEnd < 0) bytesAtEnd = bytes;
      const seconds = (performance.now() - began) / 1000;
      if (bytes === 0 || seconds > 120)
        return { bytesAtEnd, seconds: bytes === 0 ? seconds : Number.POSITIVE_INFINITY };
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await pool.end();
  }
}

/**
 * The portal's verification of every pack of the bench vault in both stores, run in this process with the portal's
 * own code (a VerifyStorage job of the vault, as the weekly one): its time, the packs' bytes and the job's message.
 */
async function verifyStorage(databaseUrl: string, portalData: string, secondaryData: string) {
  const { pool, db } = createDatabase(databaseUrl, 4);
  try {
    const clock = new DatabaseClock(pool);
    await clock.refresh();
    const svc = {
      db,
      pool,
      clock,
      faults: new Faults(),
      store: openBlobStore({ dataDir: portalData }),
      secondaryStore: openSecondaryBlobStore({
        dataDir: portalData,
        BACKUP_STORE_SECONDARY: `file://${secondaryData}`,
      }),
    } as unknown as Services;
    const { rows } = await pool.query<{ id: string }>(
      `insert into operations (subscription_id, vault_id, vault_name, kind, message)
       select subscription_id, id, name, 'VerifyStorage', 'Verifying (bench)...' from vaults where name = 'bench-vault'
       returning id`,
    );
    const began = performance.now();
    const outcome = await runVerifyStorage(svc, rows[0]!.id);
    const seconds = (performance.now() - began) / 1000;
    const { rows: job } = await pool.query<{ status: string; message: string }>(
      'select status, message from operations where id = $1',
      [rows[0]!.id],
    );
    return {
      seconds,
      bytes: outcome?.bytes ?? 0,
      succeeded: job[0]?.status === 'Succeeded',
      message: job[0]?.message ?? '',
    };
  } finally {
    await pool.end();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Formatting.

function fmtBytes(n: number): string {
  if (n >= MiB) return `${(n / MiB).toFixed(1)} MiB`;
  if (n >= KiB) return `${(n / KiB).toFixed(1)} KiB`;
  return `${n} B`;
}
const fmtSeconds = (s: number) => `${s.toFixed(2)} s`;
const fmtRatio = (r: number) => `${r.toFixed(2)}×`;
const fmtPercent = (part: number, whole: number) => `${((part / whole) * 100).toFixed(2)} %`;

// ---------------------------------------------------------------------------------------------------------------

type Run = { seconds: number; cpuSeconds: number; sent: number; peakBytes: number; portalCpuSeconds?: number };

async function main() {
  if (!has('restic')) aptInstall('restic', 'restic');
  if (!existsSync('/usr/bin/time')) aptInstall('time', 'GNU time (/usr/bin/time)');
  const resticVersion = execFileSync('restic', ['version']).toString().trim();
  if (PERF_DIR) {
    await mkdir(PERF_DIR, { recursive: true });
    // The portal's server writes /tmp/perf-PID.map, which perf reads to name V8's compiled functions.
    process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --perf-basic-prof`.trim();
  }

  const work = await mkdtemp(path.join(os.tmpdir(), 'bench-backup-'));
  const cleanups: Array<() => Promise<unknown>> = [() => rm(work, { recursive: true, force: true })];
  if (PERF_DIR) {
    // With --perf-basic-prof V8 also writes an isolate-*-v8.log per process into the working directory.
    const before = new Set(await readdir(root));
    cleanups.push(async () => {
      for (const name of await readdir(root)) {
        if (/^isolate-.*-v8\.log$/.test(name) && !before.has(name)) await rm(path.join(root, name), { force: true });
      }
    });
  }
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step().catch((e) => console.error(`cleanup: ${(e as Error).message}`));
    cleanups.length = 0;
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  process.once('SIGTERM', () => void cleanup().then(() => process.exit(143)));

  try {
    let t = performance.now();
    console.log(`Generating the data set (seed '${SEED}') in ${work}/data ...`);
    const data = await generate(path.join(work, 'data'));
    console.log(`  ${fmtBytes(data.bytes)} in ${data.files} files, ${((performance.now() - t) / 1000).toFixed(1)} s`);

    // restic: a local repository, format 2 for compression.
    const resticEnv = {
      ...process.env,
      RESTIC_PASSWORD,
      RESTIC_REPOSITORY: path.join(work, 'restic-repo'),
      RESTIC_CACHE_DIR: path.join(work, 'restic-cache'),
    };
    execFileSync('restic', ['init', '--repository-version', '2'], { env: resticEnv, stdio: 'ignore' });
    const restic = async (label: string): Promise<Run> => {
      const before = await dirBytes(resticEnv.RESTIC_REPOSITORY);
      const args = ['backup', '--compression', 'auto', '--json', '--host', 'bench', data.dir];
      const m = await measure('restic', args, resticEnv, path.join(work, 'time.txt'));
      const summary = m.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { message_type?: string; data_added?: number })
        .find((line) => line.message_type === 'summary');
      // Bytes written to the repository (packs, index, snapshot): what restic "sends" to local storage.
      const sent = (await dirBytes(resticEnv.RESTIC_REPOSITORY)) - before;
      console.log(
        `  restic ${label}: ${fmtSeconds(m.seconds)}, ${fmtBytes(sent)} written (data_added ${fmtBytes(summary?.data_added ?? 0)}), peak ${fmtBytes(m.peakBytes)}, ` +
          `CPU ${fmtSeconds(m.cpuSeconds)}`,
      );
      return { seconds: m.seconds, cpuSeconds: m.cpuSeconds, sent, peakBytes: m.peakBytes };
    };

    // The portal, on a fresh database.
    console.log(`Creating a database on ${new URL(SERVER_URL).host} and starting the portal ...`);
    const databaseUrl = execFileSync(tsx, [path.join(root, 'scripts', 'fresh-db.ts'), SERVER_URL, 'bench_backup'], {
      cwd: root,
    })
      .toString()
      .trim();
    cleanups.push(async () =>
      execFileSync(tsx, [path.join(root, 'scripts', 'fresh-db.ts'), '--drop', databaseUrl], { cwd: root }),
    );
    const portalData = path.join(work, 'portal-data');
    t = performance.now();
    const secondaryData = path.join(work, 'portal-secondary');
    const portal = await startPortal(databaseUrl, portalData, ADMIN, {
      BACKUP_STORE_SECONDARY: `file://${secondaryData}`,
    });
    cleanups.push(() => stopPortal(portal));
    console.log(`  ${portal.url} up in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    // The agent, as a machine would run it: registered with a downloaded credentials file.
    const stateDir = path.join(work, 'agent-state');
    const credentialsFile = path.join(work, 'bench.VaultCredentials');
    const passphraseFile = path.join(work, 'passphrase.txt');
    await writeFile(credentialsFile, await vaultCredentials(databaseUrl, portal.url));
    await writeFile(passphraseFile, `${PASSPHRASE}\n`);
    const agentEnv = { ...process.env };
    const agentCli = (...args: string[]) =>
      execFileSync(process.execPath, [agentFile, ...args, '--state-dir', stateDir], { env: agentEnv }).toString();
    agentCli(
      'register',
      '--vault-credentials',
      credentialsFile,
      '--passphrase-file',
      passphraseFile,
      '--machine-name',
      'BENCH01',
    );
    agentCli('protect', '--path', data.dir);
    const agent = async (label: string): Promise<Run> => {
      const profile = CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(CPU_PROF)}`] : [];
      const args = [...profile, agentFile, 'backup', '--path', data.dir, '--json', '--state-dir', stateDir];
      const portalCpu = await groupCpuSeconds(portal.child.pid!);
      const stopPerf = await perfPortal(portal.child.pid!, label);
      const m = await measure(...perfAgent(label, args), agentEnv, path.join(work, 'time.txt'));
      await stopPerf();
      const portalCpuSeconds = (await groupCpuSeconds(portal.child.pid!)) - portalCpu;
      const last = m.stdout.trim().split('\n').at(-1)!;
      const completed = JSON.parse(last) as { event: string; items: Array<{ dataTransferred: number }> };
      if (completed.event !== 'completed') throw new Error(`The agent's backup did not complete: ${last}`);
      const sent = completed.items.reduce((sum, item) => sum + item.dataTransferred, 0);
      console.log(
        `  agent  ${label}: ${fmtSeconds(m.seconds)}, ${fmtBytes(sent)} sent, peak ${fmtBytes(m.peakBytes)}, ` +
          `CPU ${fmtSeconds(m.cpuSeconds)} (portal ${fmtSeconds(portalCpuSeconds)})`,
      );
      return { seconds: m.seconds, cpuSeconds: m.cpuSeconds, sent, peakBytes: m.peakBytes, portalCpuSeconds };
    };

    console.log('First backup ...');
    const r1 = await restic('first');
    const a1 = await agent('first');
    // Issue 28: how long after the first backup's end its packs are all in the secondary store.
    const lag = await replicationLag(databaseUrl);
    console.log(
      `  replication: ${fmtBytes(lag.bytesAtEnd)} left to copy when the backup ended, none ${fmtSeconds(lag.seconds)} later`,
    );
    // BENCH_QUICK: the first backups alone, to try a change to the backup path quickly.
    if (process.env.BENCH_QUICK) return;
    const change = await changeOnePercent(data);
    console.log(`Changed ${fmtBytes(change.bytes)} (${fmtPercent(change.bytes, data.bytes)}): ${change.what}`);
    const r2 = await restic('1 % changed');
    const a2 = await agent('1 % changed');
    console.log('Nothing changed ...');
    const r3 = await restic('unchanged');
    const a3 = await agent('unchanged');

    // Issue 9: the latest point restored into an empty folder, by restic and by the agent's recover.
    console.log('Restore ...');
    const restored = async (who: string, command: [string, string[]], env: NodeJS.ProcessEnv, dir: string) => {
      const portalCpu = await groupCpuSeconds(portal.child.pid!);
      const stopPerf = who === 'agent ' ? await perfPortal(portal.child.pid!, 'restore') : async () => {};
      const m = await measure(...command, env, path.join(work, 'time.txt'));
      await stopPerf();
      const portalCpuSeconds = (await groupCpuSeconds(portal.child.pid!)) - portalCpu;
      const bytes = await dirBytes(dir);
      console.log(
        `  ${who}: ${fmtSeconds(m.seconds)}, ${fmtBytes(bytes)} written, peak ${fmtBytes(m.peakBytes)}, ` +
          `CPU ${fmtSeconds(m.cpuSeconds)} (portal ${fmtSeconds(portalCpuSeconds)})`,
      );
      // Not removed until both restores are done: ext4 skips inodes freed in the last minutes when it allocates new
      // ones, checking each against its inode table, so removing restic's 3,000 files just before made every file
      // the agent then created cost several times as much kernel time (seen in a perf profile of the agent:
      // recently_deleted and find_inode_bit were a third of its CPU).
      return { ...m, bytes };
    };
    const resticTarget = path.join(work, 'restic-restore');
    const agentTarget = path.join(work, 'agent-restore');
    const rr = await restored(
      'restic',
      ['restic', ['restore', 'latest', '--target', resticTarget]],
      resticEnv,
      resticTarget,
    );
    const ar = await restored(
      'agent ',
      perfAgent('restore', [
        ...(CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(CPU_PROF)}`] : []),
        agentFile,
        'recover',
        '--path',
        data.dir,
        '--target',
        agentTarget,
        '--json',
        '--state-dir',
        stateDir,
      ]),
      agentEnv,
      agentTarget,
    );

    // Issue 27: `verify --sample 5` of the same point, right after its restore, with the same state and environment.
    console.log('Verify ...');
    const verifyPortalCpu = await groupCpuSeconds(portal.child.pid!);
    const vr = await measure(
      process.execPath,
      [
        agentFile,
        'verify',
        '--path',
        data.dir,
        '--point',
        'latest',
        '--sample',
        '5',
        '--json',
        '--state-dir',
        stateDir,
      ],
      agentEnv,
      path.join(work, 'time.txt'),
      true,
    );
    const verifyPortalCpuSeconds = (await groupCpuSeconds(portal.child.pid!)) - verifyPortalCpu;
    // With --json the last line of stdout is the result (`completed`, or `damaged`); a failure adds one line on stderr.
    const verifyLine = vr.stdout.trim().split('\n').at(-1) ?? '';
    let verifyEvent: { event?: string; listings?: number; chunks?: number; chunksTotal?: number } = {};
    try {
      verifyEvent = JSON.parse(verifyLine) as typeof verifyEvent;
    } catch {}
    const verifyError = vr.code === 0 ? '' : ` (stderr: ${vr.stderr.trim()})`;
    const verifyClean = vr.code === 0 && verifyEvent.event === 'completed';
    console.log(
      `  agent  verify --sample 5: ${fmtSeconds(vr.seconds)}, peak ${fmtBytes(vr.peakBytes)}, CPU ${fmtSeconds(vr.cpuSeconds)} ` +
        `(portal ${fmtSeconds(verifyPortalCpuSeconds)}); exit ${vr.code}: ${verifyLine}${verifyError}`,
    );

    // Issue 28: the portal's verification of the vault's packs, each read and hashed in both stores.
    console.log('Verify storage ...');
    const storage = await verifyStorage(databaseUrl, portalData, secondaryData);
    const verifyOneGiB = (storage.seconds * 1024 * MiB) / Math.max(1, storage.bytes);
    console.log(
      `  portal verify: ${fmtBytes(storage.bytes)} of packs in each of 2 stores in ${fmtSeconds(storage.seconds)} ` +
        `(${fmtSeconds(verifyOneGiB)} per GiB): ${storage.message}`,
    );

    // Issue 27: exclusions cost nothing measurable. The agent's folder scan of the data set, in this process, without
    // patterns and with 5 that match nothing in it (so the same files are scanned): one unmeasured scan to warm the
    // cache, then 5 runs of each, alternating which goes first.
    console.log('Scan with and without exclusions ...');
    const patterns = ['*.tmp', 'cache/', 'node_modules/', '*.log', '!keep.tmp'];
    const timedScan = async (withPatterns: boolean) => {
      const began = performance.now();
      const scan = await scanFolder(data.dir, withPatterns ? excludeMatcher(patterns) : undefined);
      return { ms: performance.now() - began, files: scan.files, bytes: scan.bytes };
    };
    await timedScan(false);
    const without: Array<{ ms: number; files: number; bytes: number }> = [];
    const withEx: Array<{ ms: number; files: number; bytes: number }> = [];
    // A scan of this set takes ~0.2 s, which a busy machine moves by a third: 15 alternating pairs steady the medians.
    for (let i = 0; i < 15; i++) {
      if (i % 2 === 0) {
        without.push(await timedScan(false));
        withEx.push(await timedScan(true));
      } else {
        withEx.push(await timedScan(true));
        without.push(await timedScan(false));
      }
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const scanWithout = median(without.map((r) => r.ms));
    const scanWith = median(withEx.map((r) => r.ms));
    const sameFiles = [...without, ...withEx].every(
      (r) => r.files === without[0]!.files && r.bytes === without[0]!.bytes,
    );
    const fmtMs = (ms: number) => `${ms.toFixed(1)} ms`;
    console.log(
      `  without: ${without.map((r) => fmtMs(r.ms)).join(', ')}\n  with ${patterns.join(' ')}: ` +
        `${withEx.map((r) => fmtMs(r.ms)).join(', ')}\n  ${without[0]!.files} files, ${fmtBytes(without[0]!.bytes)} scanned` +
        (sameFiles ? ' each time' : '; the runs did NOT all scan the same files'),
    );

    // The table.
    const throughput = (run: { seconds: number }) => data.bytes / MiB / run.seconds;
    const budget = data.bytes * 0.02;
    const peak = (run: Run[]) => Math.max(...run.map((r) => r.peakBytes));
    const mark = (ok: boolean) => (ok ? '✓' : '✗');
    const goals = {
      throughput: throughput(a1) >= throughput(r1),
      sent: a2.sent <= budget,
      unchanged: a3.seconds <= 2 * r3.seconds,
      memory: peak([a1, a2, a3]) <= 300 * MiB,
      restore: throughput(ar) >= throughput(rr),
      verifyTime: vr.seconds <= 0.2 * ar.seconds,
      verifyClean,
      exclusions: scanWith <= 1.05 * scanWithout && sameFiles,
      replicationLag: lag.seconds <= 10,
      verifyStorage: verifyOneGiB <= 5 && storage.succeeded,
    };
    const rows: string[][] = [
      ['first backup: time', fmtSeconds(r1.seconds), fmtSeconds(a1.seconds), fmtRatio(a1.seconds / r1.seconds), '', ''],
      [
        'first backup: throughput',
        `${throughput(r1).toFixed(1)} MiB/s`,
        `${throughput(a1).toFixed(1)} MiB/s`,
        fmtRatio(throughput(a1) / throughput(r1)),
        '≥ restic',
        mark(goals.throughput),
      ],
      [
        'first backup: CPU (user+sys)',
        fmtSeconds(r1.cpuSeconds),
        `${fmtSeconds(a1.cpuSeconds)} + portal ${fmtSeconds(a1.portalCpuSeconds ?? 0)}`,
        fmtRatio((a1.cpuSeconds + (a1.portalCpuSeconds ?? 0)) / r1.cpuSeconds),
        '',
        '',
      ],
      ['1 % changed: time', fmtSeconds(r2.seconds), fmtSeconds(a2.seconds), fmtRatio(a2.seconds / r2.seconds), '', ''],
      [
        '1 % changed: bytes sent',
        `${fmtBytes(r2.sent)} (${fmtPercent(r2.sent, data.bytes)})`,
        `${fmtBytes(a2.sent)} (${fmtPercent(a2.sent, data.bytes)})`,
        fmtRatio(a2.sent / r2.sent),
        `≤ 2 % (${fmtBytes(budget)})`,
        mark(goals.sent),
      ],
      [
        'nothing changed: time',
        fmtSeconds(r3.seconds),
        fmtSeconds(a3.seconds),
        fmtRatio(a3.seconds / r3.seconds),
        '≤ 2× restic',
        mark(goals.unchanged),
      ],
      [
        'peak memory (max of 3 runs)',
        fmtBytes(peak([r1, r2, r3])),
        fmtBytes(peak([a1, a2, a3])),
        fmtRatio(peak([a1, a2, a3]) / peak([r1, r2, r3])),
        '≤ 300 MiB',
        mark(goals.memory),
      ],
    ];
    rows.push([
      'restore (latest point): throughput',
      `${throughput(rr).toFixed(1)} MiB/s`,
      `${throughput(ar).toFixed(1)} MiB/s`,
      fmtRatio(throughput(ar) / throughput(rr)),
      '≥ restic',
      mark(goals.restore),
    ]);
    const header = ['', 'restic', 'agent', 'agent/restic', 'goal', 'holds'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
    console.log(
      `\nData set: ${fmtBytes(data.bytes)} in ${data.files} files (seed '${SEED}'); 1 % change: ${fmtBytes(change.bytes)}.`,
    );
    console.log(
      `${resticVersion}, --compression auto, local repository; agent ${path.relative(root, agentFile)}, ${os.cpus().length} CPUs.\n`,
    );
    console.log(line(header));
    console.log(line(widths.map((w) => '-'.repeat(w))));
    for (const row of rows) console.log(line(row));
    // Issue 27, in the same style: the agent against its own baseline (its restore; its scan without patterns).
    const rows27: string[][] = [
      [
        'verify --sample 5 (latest point)',
        `restore ${fmtSeconds(ar.seconds)}`,
        `verify ${fmtSeconds(vr.seconds)}`,
        fmtRatio(vr.seconds / ar.seconds),
        '≤ 0.20× restore',
        mark(goals.verifyTime),
      ],
      [
        'verify --sample 5: result',
        '',
        `exit ${vr.code}, ${verifyEvent.event ?? 'no result'}` +
          (verifyEvent.event === 'completed'
            ? ` (${verifyEvent.listings} listings, ${verifyEvent.chunks} of ${verifyEvent.chunksTotal} chunks)`
            : ''),
        '',
        'no damage (exit 0)',
        mark(goals.verifyClean),
      ],
      [
        'scan, 5 patterns matching nothing (median of 15)',
        `without ${fmtMs(scanWithout)}`,
        `with ${fmtMs(scanWith)}`,
        fmtRatio(scanWith / scanWithout),
        '≤ 1.05× (nothing measurable)',
        mark(goals.exclusions),
      ],
    ];
    const header27 = ['issue 27 (median of 5 for the scan)', 'baseline', 'agent', 'agent/baseline', 'goal', 'holds'];
    const widths27 = header27.map((h, i) => Math.max(h.length, ...rows27.map((r) => r[i]!.length)));
    const line27 = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths27[i]!)).join(' | ')} |`;
    console.log(`\n${line27(header27)}`);
    console.log(line27(widths27.map((w) => '-'.repeat(w))));
    for (const row of rows27) console.log(line27(row));
    // Issue 28, in the same style.
    const rows28: string[][] = [
      [
        'replication lag after the first backup',
        `${fmtBytes(lag.bytesAtEnd)} behind at its end`,
        `0 after ${fmtSeconds(lag.seconds)}`,
        '≤ 10 s',
        mark(goals.replicationLag),
      ],
      [
        'verify storage (both stores), per GiB of packs',
        `${fmtBytes(storage.bytes)} in ${fmtSeconds(storage.seconds)}`,
        `${fmtSeconds(verifyOneGiB)} per GiB${storage.succeeded ? '' : ' (job failed)'}`,
        '≤ 5 s per GiB',
        mark(goals.verifyStorage),
      ],
    ];
    const header28 = ['issue 28', 'measured', 'result', 'goal', 'holds'];
    const widths28 = header28.map((h, i) => Math.max(h.length, ...rows28.map((r) => r[i]!.length)));
    const line28 = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths28[i]!)).join(' | ')} |`;
    console.log(`\n${line28(header28)}`);
    console.log(line28(widths28.map((w) => '-'.repeat(w))));
    for (const row of rows28) console.log(line28(row));
    const held = Object.values(goals).filter(Boolean).length;
    console.log(`\n${held} of ${Object.keys(goals).length} goals hold.`);
    if (process.env.BENCH_KEEP) {
      // BENCH_KEEP: the portal and the agent's state stay until the bench is stopped, to try agent changes quickly.
      console.log(`\nKept until stopped (SIGTERM cleans up): portal ${portal.url}; rerun the restore with`);
      console.log(`  node ${agentFile} recover --path ${data.dir} --target DIR --json --state-dir ${stateDir}`);
      await new Promise(() => setInterval(() => {}, 60_000));
    }
  } finally {
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`bench:backup failed: ${(error as Error).stack ?? error}`);
    process.exit(1);
  },
);
