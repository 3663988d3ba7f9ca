/**
 * `npm run bench:backup` (issues 8 and 26, "Speed"): restic and the agent back up a data set, then again after 1 % of it
 * changed, then once more with nothing changed; then both restore the latest point into an empty folder (issue 9).
 * Both are printed side by side against issue 26's goals, for two data sets: a generated 1 GiB one (large random files,
 * a duplicate, thousands of small text files) and a real tree of tens of thousands of small files, a copy (`cp -a`) of
 * the project's own node_modules (the same for everyone with the same lockfile) or of BENCH_TREE. The agent's restore is
 * compared with its source. The agent runs as built (dist/agent/recovery-services-agent.mjs) against a local portal
 * started with `npm start` on a fresh database of BENCH_DATABASE_URL's server (default: the local PostgreSQL); each data
 * set is a protected item of the same registered machine and has a restic repository of its own. Installs restic (and
 * GNU time) with apt-get when missing. A measurement: exits 0 whether or not the goals hold, 1 only when the bench
 * itself cannot run.
 *
 * Settings: BENCH_DATABASE_URL, BENCH_SEED (the generated set and both 1 % changes), BENCH_SETS=generated|tree|both
 * (default both), BENCH_TREE=PATH (the tree set's folder instead of node_modules; copied, never changed), BENCH_RUNS=N
 * (N independent runs, each on a fresh database and portal, then a table of their key ratios), BENCH_AGENT_CPU_PROF=DIR
 * (profile the agent's backups and its restore), PORTAL_CPU_PROF=DIR (profile the portal's server over each run,
 * written when it stops), BENCH_QUICK=1 (stop after the first backups; the generated set alone unless BENCH_SETS says
 * otherwise), BENCH_CPU_DETAIL=1 (print the portal's CPU per thread at each step), BENCH_PERF=DIR (Linux perf profiles
 * of the agent and the portal's server at each step, with V8's symbol maps: read them with `perf report -i
 * DIR/agent-first.data`, the tree's as agent-tree-first.data, later runs' with -run-N; the timings then include perf's
 * own cost), BENCH_KEEP=1 (keep the last run's portal and the agent's state once the tables are printed, until the
 * bench is stopped).
 *
 * Issue 28: the portal runs with a secondary store (BACKUP_STORE_SECONDARY, a second folder) and the bench vault is
 * Geo-Redundant: the replication's lag after the first backup (from the backup's end until no pack is left to copy) and
 * the portal's verification of the vault's packs in both stores (scaled to 1 GiB) are printed with their goals.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import {
  closeSync,
  createWriteStream,
  existsSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  statSync,
} from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, open, readdir, rm, stat, writeFile } from 'node:fs/promises';
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
import { type Portal, startPortal, stopPortal } from './bench-portal';

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
  /** The part of cpuSeconds spent in the kernel. */
  systemSeconds: number;
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
    systemSeconds: field('System time \\(seconds\\)'),
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
const fmtCpu = (m: { cpuSeconds: number; systemSeconds: number }) =>
  `${fmtSeconds(m.cpuSeconds)} (sys ${m.systemSeconds.toFixed(2)})`;
const fmtRatio = (r: number) => `${r.toFixed(2)}×`;
const fmtPercent = (part: number, whole: number) => `${((part / whole) * 100).toFixed(2)} %`;

/** A table in Markdown's pipe form, each column as wide as its widest cell. */
function printTable(header: string[], rows: string[][]) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of rows) console.log(line(row));
}

// ---------------------------------------------------------------------------------------------------------------
// The second data set (issue 26): a copy of a real folder, the project's own node_modules unless BENCH_TREE names one.

type Tree = { dir: string; bytes: number; files: string[]; sizes: number[]; folders: number; symlinks: number };

/** The tree's regular files sorted by relative path (code-unit order) with their sizes; folders and links counted. */
function listTree(dir: string): Tree {
  const found: Array<[string, number]> = [];
  let folders = 0;
  let symlinks = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const full = path.join(entry.parentPath, entry.name);
    if (entry.isFile()) found.push([path.relative(dir, full), lstatSync(full).size]);
    else if (entry.isDirectory()) folders++;
    else if (entry.isSymbolicLink()) symlinks++;
  }
  found.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    dir,
    bytes: found.reduce((sum, [, size]) => sum + size, 0),
    files: found.map(([file]) => file),
    sizes: found.map(([, size]) => size),
    folders,
    symlinks,
  };
}

/**
 * The tree's 1 % change: its files in an order shuffled by the seed, each one's whole content rewritten in place with
 * new bytes of the same size (seeded), until at least 1 % of the tree's bytes changed. Returns the files (relative).
 */
async function changeTree(tree: Tree): Promise<{ bytes: number; files: string[] }> {
  const pick = new Stream('tree-change');
  const content = new Stream('tree-change-bytes');
  const order = tree.files.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = pick.below(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const target = tree.bytes * 0.01;
  const files: string[] = [];
  let bytes = 0;
  for (const i of order) {
    if (bytes >= target) break;
    const size = tree.sizes[i]!;
    if (size === 0) continue;
    const file = path.join(tree.dir, tree.files[i]!);
    // A read-only file is made writable for the rewrite and given its mode back.
    const { mode } = await stat(file);
    const writable = (mode & 0o200) !== 0 || process.getuid?.() === 0;
    if (!writable) await chmod(file, (mode | 0o200) & 0o7777);
    const handle = await open(file, 'r+');
    try {
      for (let offset = 0; offset < size; offset += 8 * MiB) {
        const chunk = content.bytes(Math.min(8 * MiB, size - offset));
        await handle.write(chunk, 0, chunk.length, offset);
      }
    } finally {
      await handle.close();
      if (!writable) await chmod(file, mode & 0o7777);
    }
    bytes += size;
    files.push(tree.files[i]!);
  }
  return { bytes, files };
}

/** The changed files copied back from the source (`cp -a`, in place), so the next run starts from the same tree. */
function putBack(source: string, dir: string, files: string[]) {
  for (let i = 0; i < files.length; i += 500) {
    execFileSync('cp', ['-af', '--parents', '--', ...files.slice(i, i + 500), dir], { cwd: source });
  }
}

type Entry = { type: string; mode: number; size: number; mtimeMs: number; target?: string };

function entriesOf(dir: string): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const full = path.join(entry.parentPath, entry.name);
    const s = lstatSync(full);
    const type = s.isFile() ? 'file' : s.isDirectory() ? 'folder' : s.isSymbolicLink() ? 'symlink' : 'other';
    entries.set(path.relative(dir, full), {
      type,
      mode: s.mode & 0o7777,
      size: s.size,
      mtimeMs: s.mtimeMs,
      target: type === 'symlink' ? readlinkSync(full) : undefined,
    });
  }
  return entries;
}

function sameContent(a: string, b: string, size: number): boolean {
  if (size <= 8 * MiB) return readFileSync(a).equals(readFileSync(b));
  const [fa, fb] = [openSync(a, 'r'), openSync(b, 'r')];
  const [ba, bb] = [Buffer.allocUnsafe(8 * MiB), Buffer.allocUnsafe(8 * MiB)];
  try {
    for (let position = 0; ; ) {
      const n = readSync(fa, ba, 0, ba.length, position);
      const m = readSync(fb, bb, 0, bb.length, position);
      if (n !== m || !ba.subarray(0, n).equals(bb.subarray(0, m))) return false;
      if (n === 0) return true;
      position += n;
    }
  } finally {
    closeSync(fa);
    closeSync(fb);
  }
}

/**
 * A restored tree against its source, below their roots: the same relative paths and types, files' sizes and
 * contents, modes, symlinks' targets. Modification times are counted apart (to the millisecond, the precision a
 * backup keeps), not part of `identical`.
 */
function compareTrees(source: string, restored: string) {
  const [want, got] = [entriesOf(source), entriesOf(restored)];
  const differences: string[] = [];
  let mtimes = 0;
  for (const [rel, a] of want) {
    const b = got.get(rel);
    const full = (root: string) => path.join(root, rel);
    if (!b) differences.push(`${rel}: missing`);
    else if (a.type !== b.type) differences.push(`${rel}: ${a.type} restored as ${b.type}`);
    else if (a.type === 'symlink' && a.target !== b.target) differences.push(`${rel}: link to ${b.target}`);
    else if (a.type !== 'symlink' && a.mode !== b.mode) {
      differences.push(`${rel}: mode ${b.mode.toString(8)}, not ${a.mode.toString(8)}`);
    } else if (a.type === 'file' && a.size !== b.size) differences.push(`${rel}: ${b.size} bytes, not ${a.size}`);
    else if (a.type === 'file' && !sameContent(full(source), full(restored), a.size)) {
      differences.push(`${rel}: other content`);
    }
    if (b && Math.floor(a.mtimeMs) !== Math.floor(b.mtimeMs)) mtimes++;
  }
  for (const rel of got.keys()) if (!want.has(rel)) differences.push(`${rel}: not in the source`);
  return { identical: differences.length === 0, entries: want.size, differences, mtimes };
}

// ---------------------------------------------------------------------------------------------------------------
// A run: a fresh database and portal, a machine registered on it, each data set measured with a fresh restic repository
// and its own protected item.

type Run = {
  seconds: number;
  cpuSeconds: number;
  systemSeconds: number;
  sent: number;
  peakBytes: number;
  portalCpuSeconds?: number;
};
type Restored = Measured & { bytes: number; portalCpuSeconds: number };

type RunContext = {
  run: number;
  dir: string;
  portal: Portal;
  databaseUrl: string;
  portalData: string;
  secondaryData: string;
  stateDir: string;
  agentEnv: NodeJS.ProcessEnv;
  agentCli: (...args: string[]) => string;
};

type SetSpec = {
  key: 'generated' | 'tree';
  /** As the tables name it. */
  title: string;
  dir: string;
  bytes: number;
  change: () => Promise<{ bytes: number; what: string }>;
};

type Measurements = {
  r1: Run;
  a1: Run;
  r2: Run;
  a2: Run;
  r3: Run;
  a3: Run;
  rr: Restored;
  ar: Restored;
  agentTarget: string;
  change: { bytes: number; what: string };
  lag: { bytesAtEnd: number; seconds: number };
};

/** One data set's key figures in one run, for the summary of the runs. */
type SetResult = {
  run: number;
  key: SetSpec['key'];
  title: string;
  first: number;
  unchanged: number;
  restore: number;
  sentPercent: number;
  peakBytes: number;
  identical: boolean;
  held: number;
  goals: number;
  /** The generated set's issue 27 and 28 goals. */
  others?: { held: number; goals: number };
};

const RUNS = Number(process.env.BENCH_RUNS || '1');
const QUICK = Boolean(process.env.BENCH_QUICK);

/** The run's portal on a fresh database, and the agent registered with it; all of it goes when the run's cleanups run. */
async function startRun(run: number, dir: string, cleanups: Array<() => Promise<unknown>>): Promise<RunContext> {
  await mkdir(dir, { recursive: true });
  const portalData = path.join(dir, 'portal-data');
  const secondaryData = path.join(dir, 'portal-secondary');
  // The bulky folders of few files go with the run; its restores stay until the bench ends (see `restored`).
  cleanups.push(async () => {
    for (const name of await readdir(dir)) {
      if (/^(restic-|portal-)/.test(name)) await rm(path.join(dir, name), { recursive: true, force: true });
    }
  });
  console.log(`Creating a database on ${new URL(SERVER_URL).host} and starting the portal ...`);
  const databaseUrl = execFileSync(tsx, [path.join(root, 'scripts', 'fresh-db.ts'), SERVER_URL, 'bench_backup'], {
    cwd: root,
  })
    .toString()
    .trim();
  cleanups.push(async () =>
    execFileSync(tsx, [path.join(root, 'scripts', 'fresh-db.ts'), '--drop', databaseUrl], { cwd: root }),
  );
  const t = performance.now();
  const portal = await startPortal(databaseUrl, portalData, ADMIN, {
    BACKUP_STORE_SECONDARY: `file://${secondaryData}`,
  });
  cleanups.push(() => stopPortal(portal));
  console.log(`  ${portal.url} up in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  // The agent, as a machine would run it: registered with a downloaded credentials file.
  const stateDir = path.join(dir, 'agent-state');
  const credentialsFile = path.join(dir, 'bench.VaultCredentials');
  const passphraseFile = path.join(dir, 'passphrase.txt');
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
  return { run, dir, portal, databaseUrl, portalData, secondaryData, stateDir, agentEnv, agentCli };
}

/**
 * A data set measured: restic (a repository of its own) and the agent (the folder protected as an item of the run's
 * machine) back it up, again after its 1 % change, and with nothing changed; then both restore the latest point.
 * Undefined with BENCH_QUICK, which stops after the first backups.
 */
async function measureSet(spec: SetSpec, ctx: RunContext): Promise<Measurements | undefined> {
  // BENCH_PERF's files: agent-first.data for the generated set's first run, agent-tree-first-run-2.data and so on.
  const perfLabel = (label: string) =>
    `${spec.key === 'tree' ? 'tree ' : ''}${label}${RUNS > 1 ? ` run ${ctx.run}` : ''}`;
  const timeFile = path.join(ctx.dir, 'time.txt');
  const pgid = ctx.portal.child.pid!;

  // restic: a local repository, format 2 for compression.
  const resticEnv = {
    ...process.env,
    RESTIC_PASSWORD,
    RESTIC_REPOSITORY: path.join(ctx.dir, `restic-repo-${spec.key}`),
    RESTIC_CACHE_DIR: path.join(ctx.dir, 'restic-cache'),
  };
  execFileSync('restic', ['init', '--repository-version', '2'], { env: resticEnv, stdio: 'ignore' });
  const restic = async (label: string): Promise<Run> => {
    const before = await dirBytes(resticEnv.RESTIC_REPOSITORY);
    const args = ['backup', '--compression', 'auto', '--json', '--host', 'bench', spec.dir];
    const m = await measure('restic', args, resticEnv, timeFile);
    const summary = m.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { message_type?: string; data_added?: number })
      .find((line) => line.message_type === 'summary');
    // Bytes written to the repository (packs, index, snapshot): what restic "sends" to local storage.
    const sent = (await dirBytes(resticEnv.RESTIC_REPOSITORY)) - before;
    console.log(
      `  restic ${label}: ${fmtSeconds(m.seconds)}, ${fmtBytes(sent)} written (data_added ${fmtBytes(summary?.data_added ?? 0)}), peak ${fmtBytes(m.peakBytes)}, ` +
        `CPU ${fmtCpu(m)}`,
    );
    return {
      seconds: m.seconds,
      cpuSeconds: m.cpuSeconds,
      systemSeconds: m.systemSeconds,
      sent,
      peakBytes: m.peakBytes,
    };
  };

  ctx.agentCli('protect', '--path', spec.dir);
  const profile = CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(CPU_PROF)}`] : [];
  const agent = async (label: string): Promise<Run> => {
    const args = [...profile, agentFile, 'backup', '--path', spec.dir, '--json', '--state-dir', ctx.stateDir];
    const portalCpu = await groupCpuSeconds(pgid);
    const stopPerf = await perfPortal(pgid, perfLabel(label));
    const m = await measure(...perfAgent(perfLabel(label), args), ctx.agentEnv, timeFile);
    await stopPerf();
    const portalCpuSeconds = (await groupCpuSeconds(pgid)) - portalCpu;
    const last = m.stdout.trim().split('\n').at(-1)!;
    const completed = JSON.parse(last) as { event: string; items: Array<{ dataTransferred: number }> };
    if (completed.event !== 'completed') throw new Error(`The agent's backup did not complete: ${last}`);
    const sent = completed.items.reduce((sum, item) => sum + item.dataTransferred, 0);
    console.log(
      `  agent  ${label}: ${fmtSeconds(m.seconds)}, ${fmtBytes(sent)} sent, peak ${fmtBytes(m.peakBytes)}, ` +
        `CPU ${fmtCpu(m)} (portal ${fmtSeconds(portalCpuSeconds)})`,
    );
    return {
      seconds: m.seconds,
      cpuSeconds: m.cpuSeconds,
      systemSeconds: m.systemSeconds,
      sent,
      peakBytes: m.peakBytes,
      portalCpuSeconds,
    };
  };

  console.log('First backup ...');
  const r1 = await restic('first');
  const a1 = await agent('first');
  // Issue 28: how long after the first backup's end its packs are all in the secondary store (also so that the copying
  // is over before the next measurement).
  const lag = await replicationLag(ctx.databaseUrl);
  console.log(
    `  replication: ${fmtBytes(lag.bytesAtEnd)} left to copy when the backup ended, none ${fmtSeconds(lag.seconds)} later`,
  );
  // BENCH_QUICK: the first backups alone, to try a change to the backup path quickly.
  if (QUICK) return undefined;
  const change = await spec.change();
  console.log(`Changed ${fmtBytes(change.bytes)} (${fmtPercent(change.bytes, spec.bytes)}): ${change.what}`);
  const r2 = await restic('1 % changed');
  const a2 = await agent('1 % changed');
  console.log('Nothing changed ...');
  const r3 = await restic('unchanged');
  const a3 = await agent('unchanged');

  // Issue 9: the latest point restored into an empty folder, by restic and by the agent's recover.
  console.log('Restore ...');
  const restored = async (who: string, command: [string, string[]], env: NodeJS.ProcessEnv, dir: string) => {
    const portalCpu = await groupCpuSeconds(pgid);
    const stopPerf = who === 'agent ' ? await perfPortal(pgid, perfLabel('restore')) : async () => {};
    const m = await measure(...command, env, timeFile);
    await stopPerf();
    const portalCpuSeconds = (await groupCpuSeconds(pgid)) - portalCpu;
    const bytes = await dirBytes(dir);
    console.log(
      `  ${who}: ${fmtSeconds(m.seconds)}, ${fmtBytes(bytes)} written, peak ${fmtBytes(m.peakBytes)}, ` +
        `CPU ${fmtCpu(m)} (portal ${fmtSeconds(portalCpuSeconds)})`,
    );
    // Not removed until the bench ends: ext4 skips inodes freed in the last minutes when it allocates new ones,
    // checking each against its inode table, so removing restic's 3,000 files just before made every file the agent
    // then created cost several times as much kernel time (seen in a perf profile of the agent: recently_deleted and
    // find_inode_bit were a third of its CPU). A tree's restores are tens of thousands of files, and BENCH_RUNS
    // restores again minutes later.
    return { ...m, bytes, portalCpuSeconds };
  };
  const resticTarget = path.join(ctx.dir, `${spec.key}-restic-restore`);
  const agentTarget = path.join(ctx.dir, `${spec.key}-agent-restore`);
  const rr = await restored(
    'restic',
    ['restic', ['restore', 'latest', '--target', resticTarget]],
    resticEnv,
    resticTarget,
  );
  const ar = await restored(
    'agent ',
    perfAgent(perfLabel('restore'), [
      ...profile,
      agentFile,
      'recover',
      '--path',
      spec.dir,
      '--target',
      agentTarget,
      '--json',
      '--state-dir',
      ctx.stateDir,
    ]),
    ctx.agentEnv,
    agentTarget,
  );
  return { r1, a1, r2, a2, r3, a3, rr, ar, agentTarget, change, lag };
}

/** The agent's restore against the data set as it was backed up last, printed and returned. */
function checkRestore(spec: SetSpec, m: Measurements) {
  const t = performance.now();
  const check = compareTrees(spec.dir, m.agentTarget);
  console.log(
    `Restore compared with the source: ${check.entries} entries, ${check.identical ? 'identical' : `${check.differences.length} differences`}` +
      `${check.mtimes > 0 ? `, ${check.mtimes} modification times differ` : ''}, ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
  for (const difference of check.differences.slice(0, 10)) console.log(`  ${difference}`);
  return check;
}

/** Issue 26's table for a data set: the five goals, and the restore's identity (printed beside them). */
function printSetTable(
  spec: SetSpec,
  m: Measurements,
  check: ReturnType<typeof compareTrees>,
  about: string,
): { goals: Record<string, boolean>; result: Omit<SetResult, 'run'> } {
  const { r1, a1, r2, a2, r3, a3, rr, ar } = m;
  const throughput = (run: { seconds: number }) => spec.bytes / MiB / run.seconds;
  const budget = spec.bytes * 0.02;
  const peak = (runs: Array<{ peakBytes: number }>) => Math.max(...runs.map((r) => r.peakBytes));
  // The goal is on the backups' peak, as issue 8's was; the restore's is shown beside it.
  const agentPeak = peak([a1, a2, a3]);
  const mark = (ok: boolean) => (ok ? '✓' : '✗');
  type Timed = { seconds: number; cpuSeconds: number; systemSeconds: number; portalCpuSeconds?: number };
  // The first backup's and the restore's rows, alike: throughput against its goal, and CPU with the portal's.
  const throughputRow = (label: string, restic: Timed, agent: Timed, holds: boolean) => [
    label,
    `${throughput(restic).toFixed(1)} MiB/s`,
    `${throughput(agent).toFixed(1)} MiB/s`,
    fmtRatio(throughput(agent) / throughput(restic)),
    '≥ 1.0× restic',
    mark(holds),
  ];
  const cpuRow = (label: string, restic: Timed, agent: Timed) => [
    label,
    fmtCpu(restic),
    `${fmtCpu(agent)} + portal ${fmtSeconds(agent.portalCpuSeconds ?? 0)}`,
    fmtRatio((agent.cpuSeconds + (agent.portalCpuSeconds ?? 0)) / restic.cpuSeconds),
    '',
    '',
  ];
  // Issue 26's goals, on both data sets.
  const goals = {
    throughput: throughput(a1) >= throughput(r1),
    sent: a2.sent <= budget,
    unchanged: a3.seconds <= r3.seconds,
    memory: agentPeak <= 300 * MiB,
    restore: throughput(ar) >= throughput(rr),
  };
  const rows: string[][] = [
    ['first backup: time', fmtSeconds(r1.seconds), fmtSeconds(a1.seconds), fmtRatio(a1.seconds / r1.seconds), '', ''],
    throughputRow('first backup: throughput', r1, a1, goals.throughput),
    cpuRow('first backup: CPU (user+sys)', r1, a1),
    ['1 % changed: time', fmtSeconds(r2.seconds), fmtSeconds(a2.seconds), fmtRatio(a2.seconds / r2.seconds), '', ''],
    [
      '1 % changed: bytes sent',
      `${fmtBytes(r2.sent)} (${fmtPercent(r2.sent, spec.bytes)})`,
      `${fmtBytes(a2.sent)} (${fmtPercent(a2.sent, spec.bytes)})`,
      fmtRatio(a2.sent / r2.sent),
      `≤ 2 % (${fmtBytes(budget)})`,
      mark(goals.sent),
    ],
    [
      'nothing changed: time',
      fmtSeconds(r3.seconds),
      fmtSeconds(a3.seconds),
      fmtRatio(a3.seconds / r3.seconds),
      '≤ 1.0× restic',
      mark(goals.unchanged),
    ],
    [
      'peak memory (max of 3 backups)',
      fmtBytes(peak([r1, r2, r3])),
      fmtBytes(agentPeak),
      fmtRatio(agentPeak / peak([r1, r2, r3])),
      '≤ 300 MiB',
      mark(goals.memory),
    ],
    [
      'peak memory (restore)',
      fmtBytes(rr.peakBytes),
      fmtBytes(ar.peakBytes),
      fmtRatio(ar.peakBytes / rr.peakBytes),
      '',
      '',
    ],
    [
      'restore (latest point): time',
      fmtSeconds(rr.seconds),
      fmtSeconds(ar.seconds),
      fmtRatio(ar.seconds / rr.seconds),
      '',
      '',
    ],
    cpuRow('restore: CPU (user+sys)', rr, ar),
    throughputRow('restore (latest point): throughput', rr, ar, goals.restore),
    [
      'restore identical',
      '',
      check.identical ? 'yes' : `no (${check.differences.length} differences)`,
      '',
      'paths, sizes, contents, modes, links',
      mark(check.identical),
    ],
  ];
  console.log(`\n${spec.title}: ${about}`);
  console.log(
    `1 % change: ${fmtBytes(m.change.bytes)} (${fmtPercent(m.change.bytes, spec.bytes)}), ${m.change.what}.\n` +
      `${resticVersion()}, ` +
      `--compression auto, local repository; agent ${path.relative(root, agentFile)}, ${os.cpus().length} CPUs.\n`,
  );
  printTable(['', 'restic', 'agent', 'agent/restic', 'goal', 'holds'], rows);
  const held = Object.values(goals).filter(Boolean).length;
  return {
    goals,
    result: {
      key: spec.key,
      title: spec.title,
      first: throughput(a1) / throughput(r1),
      unchanged: a3.seconds / r3.seconds,
      restore: throughput(ar) / throughput(rr),
      sentPercent: (a2.sent / spec.bytes) * 100,
      peakBytes: agentPeak,
      identical: check.identical,
      held,
      goals: Object.keys(goals).length,
    },
  };
}

/** The generated set's rows of issues 27 and 28: verify after the restore, the portal's verification, the scan. */
async function generatedExtras(data: DataSet, m: Measurements, ctx: RunContext) {
  const pgid = ctx.portal.child.pid!;
  // Issue 27: `verify --sample 5` of the same point, right after its restore, with the same state and environment.
  console.log('Verify ...');
  const verifyPortalCpu = await groupCpuSeconds(pgid);
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
      ctx.stateDir,
    ],
    ctx.agentEnv,
    path.join(ctx.dir, 'time.txt'),
    true,
  );
  const verifyPortalCpuSeconds = (await groupCpuSeconds(pgid)) - verifyPortalCpu;
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
  const storage = await verifyStorage(ctx.databaseUrl, ctx.portalData, ctx.secondaryData);
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

  const mark = (ok: boolean) => (ok ? '✓' : '✗');
  const goals = {
    verifyTime: vr.seconds <= 0.2 * m.ar.seconds,
    verifyClean,
    exclusions: scanWith <= 1.05 * scanWithout && sameFiles,
    replicationLag: m.lag.seconds <= 10,
    verifyStorage: verifyOneGiB <= 5 && storage.succeeded,
  };
  return {
    goals,
    /** Issues 27 and 28 in the same style: the agent against its own baseline (its restore; its scan without patterns). */
    print() {
      console.log('');
      printTable(
        ['issue 27 (median of 15 for the scan)', 'baseline', 'agent', 'agent/baseline', 'goal', 'holds'],
        [
          [
            'verify --sample 5 (latest point)',
            `restore ${fmtSeconds(m.ar.seconds)}`,
            `verify ${fmtSeconds(vr.seconds)}`,
            fmtRatio(vr.seconds / m.ar.seconds),
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
        ],
      );
      console.log('');
      printTable(
        ['issue 28', 'measured', 'result', 'goal', 'holds'],
        [
          [
            'replication lag after the first backup',
            `${fmtBytes(m.lag.bytesAtEnd)} behind at its end`,
            `0 after ${fmtSeconds(m.lag.seconds)}`,
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
        ],
      );
    },
  };
}

let resticVersionText = '';
const resticVersion = () => {
  resticVersionText ||= execFileSync('restic', ['version']).toString().trim();
  return resticVersionText;
};

/** BENCH_SETS: generated, tree or both (BENCH_QUICK alone: the generated set). */
function chosenSets(): { generated: boolean; tree: boolean } {
  const sets = process.env.BENCH_SETS || (QUICK ? 'generated' : 'both');
  if (!['generated', 'tree', 'both'].includes(sets)) throw new Error(`BENCH_SETS must be generated, tree or both.`);
  return { generated: sets !== 'tree', tree: sets !== 'generated' };
}

async function main() {
  const sets = chosenSets();
  if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error('BENCH_RUNS must be a whole number of runs, 1 or more.');
  const treeSource = path.resolve(process.env.BENCH_TREE || path.join(root, 'node_modules'));
  if (sets.tree && !statSync(treeSource, { throwIfNoEntry: false })?.isDirectory()) {
    throw new Error(
      `${treeSource} is not a folder${process.env.BENCH_TREE ? '' : ' (run `npm ci` first, or set BENCH_TREE)'}.`,
    );
  }
  if (!has('restic')) aptInstall('restic', 'restic');
  if (!existsSync('/usr/bin/time')) aptInstall('time', 'GNU time (/usr/bin/time)');
  if (PERF_DIR) {
    await mkdir(PERF_DIR, { recursive: true });
    // The portal's server writes /tmp/perf-PID.map, which perf reads to name V8's compiled functions.
    process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --perf-basic-prof`.trim();
  }

  const work = await mkdtemp(path.join(os.tmpdir(), 'bench-backup-'));
  if (sets.tree && !path.relative(treeSource, work).startsWith('..')) {
    await rm(work, { recursive: true, force: true });
    throw new Error(`BENCH_TREE ${treeSource} holds the bench's work folder ${work}: name a folder outside it.`);
  }
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
  const runSteps = async (steps: Array<() => Promise<unknown>>) => {
    for (const step of steps.reverse()) await step().catch((e) => console.error(`cleanup: ${(e as Error).message}`));
  };
  const cleanup = async () => runSteps(cleanups.splice(0));
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  process.once('SIGTERM', () => void cleanup().then(() => process.exit(143)));

  try {
    // The data sets stay for every run: each run starts by giving them back what the previous one's change took.
    const dataDir = path.join(work, 'data');
    const treeDir = path.join(work, 'tree');
    const treeTitle = process.env.BENCH_TREE ? `Tree ${treeSource}` : 'node_modules';
    let treeChanged: string[] = [];
    const results: SetResult[] = [];
    let kept: RunContext | undefined;
    for (let run = 1; run <= RUNS; run++) {
      if (RUNS > 1) console.log(`\n========== Run ${run} of ${RUNS} ==========`);
      let t = performance.now();
      let data: DataSet | undefined;
      if (sets.generated) {
        console.log(`${run === 1 ? 'Generating' : 'Writing again'} the data set (seed '${SEED}') in ${dataDir} ...`);
        data = await generate(dataDir);
        console.log(
          `  ${fmtBytes(data.bytes)} in ${data.files} files, ${((performance.now() - t) / 1000).toFixed(1)} s`,
        );
      }
      let tree: Tree | undefined;
      if (sets.tree) {
        t = performance.now();
        if (run === 1) {
          console.log(`Copying ${treeSource} into ${treeDir} (cp -a) ...`);
          execFileSync('cp', ['-a', treeSource, treeDir]);
        } else {
          console.log(`Copying the ${treeChanged.length} changed files back from ${treeSource} (cp -a) ...`);
          putBack(treeSource, treeDir, treeChanged);
        }
        tree = listTree(treeDir);
        console.log(
          `  ${fmtBytes(tree.bytes)} in ${tree.files.length} files, ${tree.folders} folders, ${tree.symlinks} symlinks, ` +
            `${((performance.now() - t) / 1000).toFixed(1)} s`,
        );
      }

      const mark = cleanups.length;
      const ctx = await startRun(run, path.join(work, `run-${run}`), cleanups);
      if (data) {
        const generated = data;
        const spec: SetSpec = {
          key: 'generated',
          title: `Generated data set (seed '${SEED}')`,
          dir: generated.dir,
          bytes: generated.bytes,
          change: () => changeOnePercent(generated),
        };
        console.log(`\n--- ${spec.title} ---`);
        const m = await measureSet(spec, ctx);
        if (m) {
          const extras = await generatedExtras(data, m, ctx);
          const check = checkRestore(spec, m);
          const { result } = printSetTable(spec, m, check, `${fmtBytes(data.bytes)} in ${data.files} files.`);
          extras.print();
          const others = Object.values(extras.goals);
          results.push({ run, ...result, others: { held: others.filter(Boolean).length, goals: others.length } });
        }
      }
      if (tree) {
        const measured = tree;
        const spec: SetSpec = {
          key: 'tree',
          title: treeTitle,
          dir: measured.dir,
          bytes: measured.bytes,
          change: async () => {
            const changed = await changeTree(measured);
            treeChanged = changed.files;
            return {
              bytes: changed.bytes,
              what: `${changed.files.length} files rewritten whole (chosen in a seeded order, new bytes of the same size)`,
            };
          },
        };
        console.log(`\n--- ${spec.title} (a copy: ${measured.dir}) ---`);
        const m = await measureSet(spec, ctx);
        if (m) {
          const check = checkRestore(spec, m);
          const about =
            `copy of ${treeSource}, ${fmtBytes(measured.bytes)} in ${measured.files.length} files, ` +
            `${measured.folders} folders, ${measured.symlinks} symlinks.`;
          const { result } = printSetTable(spec, m, check, about);
          results.push({ run, ...result });
        }
      }
      // BENCH_KEEP: the last run's portal and agent state stay until the bench is stopped, to try agent changes.
      if (process.env.BENCH_KEEP && run === RUNS && !QUICK) kept = ctx;
      else await runSteps(cleanups.splice(mark));
    }
    if (QUICK) return;

    // The runs' key figures side by side, and how many held all of issue 26's goals.
    console.log(`\n${RUNS} run${RUNS === 1 ? '' : 's'}: issue 26's goals (agent against restic)\n`);
    printTable(
      [
        'run',
        'data set',
        'first backup throughput',
        'nothing changed time',
        'restore throughput',
        '1 % changed: sent',
        'backup peak',
        'restore identical',
        'holds',
      ],
      results.map((r) => [
        String(r.run),
        r.title,
        `${fmtRatio(r.first)} (≥ 1.0×)`,
        `${fmtRatio(r.unchanged)} (≤ 1.0×)`,
        `${fmtRatio(r.restore)} (≥ 1.0×)`,
        `${r.sentPercent.toFixed(2)} % (≤ 2 %)`,
        `${(r.peakBytes / MiB).toFixed(0)} MiB (≤ 300)`,
        r.identical ? 'yes' : 'no',
        `${r.held}/${r.goals}`,
      ]),
    );
    console.log('');
    for (const key of ['generated', 'tree'] as const) {
      const mine = results.filter((r) => r.key === key);
      if (mine.length === 0) continue;
      const identical = mine.every((r) => r.identical) ? 'yes' : `no in ${mine.filter((r) => !r.identical).length}`;
      const others = mine[0]!.others
        ? `; issues 27 and 28: ${mine.map((r) => `${r.others!.held} of ${r.others!.goals}`).join(', ')}`
        : '';
      console.log(
        RUNS === 1
          ? `${mine[0]!.title}: ${mine[0]!.held} of ${mine[0]!.goals} goals hold; restore identical: ${identical}${others}.`
          : `${mine[0]!.title}: all ${mine[0]!.goals} goals held in ${mine.filter((r) => r.held === r.goals).length} ` +
              `of ${RUNS} runs (${mine.map((r) => r.held).join(', ')}); restore identical: ${identical}${others}.`,
      );
    }
    if (RUNS > 1 && sets.generated && sets.tree) {
      const both = Array.from({ length: RUNS }, (_, i) => results.filter((r) => r.run === i + 1)).filter((runs) =>
        runs.every((r) => r.held === r.goals),
      ).length;
      console.log(`Both data sets held all goals in ${both} of ${RUNS} runs.`);
    }
    if (kept) {
      console.log(`\nKept until stopped (SIGTERM cleans up): portal ${kept.portal.url}; rerun a restore with`);
      for (const dir of [sets.generated ? dataDir : '', sets.tree ? treeDir : ''].filter(Boolean)) {
        console.log(`  node ${agentFile} recover --path ${dir} --target DIR --json --state-dir ${kept.stateDir}`);
      }
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
