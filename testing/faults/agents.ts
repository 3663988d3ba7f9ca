import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runAgent } from '@/agent/cli';
import type { AgentIO } from '@/agent/io';
import { RETRY_BUDGET_MS, type RetryPolicy } from '@/agent/retry';
import { readState, writeState } from '@/agent/state';
import { collector, type RunResult } from '../agent';
import type { Machine } from '../backups';

const MiB = 1024 * 1024;

/**
 * The agent's own retry budget (3 minutes), with shorter waits between tries than its defaults (0.5 s doubling up to
 * 30 s), so that a test waits out an outage of a few seconds in about that time. Outages here last a few seconds, far
 * within the 60 s the portal keeps a backup it hears nothing from.
 */
export const FAULT_RETRY: RetryPolicy = { budgetMs: RETRY_BUDGET_MS, firstDelayMs: 200, maxDelayMs: 2_000 };

export type AgentRun = RunResult & { ms: number };

/** One agent command on the machine's state, in this process, with its own output (and `io`'s fetch, retry, …). */
export async function agentRun(machine: Machine, argv: string[], io: Partial<AgentIO> = {}): Promise<AgentRun> {
  const stdout = collector();
  const stderr = collector();
  const started = Date.now();
  const code = await runAgent([...argv, '--state-dir', machine.stateDir], {
    stdout,
    stderr,
    env: {},
    retry: FAULT_RETRY,
    ...io,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text(), ms: Date.now() - started };
}

/** Points the machine's agent at the portal at `portalUrl` (real HTTP: its own connections and the global fetch). */
export async function pointAgentAt(machine: Machine, portalUrl: string): Promise<void> {
  const state = (await readState(machine.stateDir))!;
  await writeState(machine.stateDir, { ...state, portalUrl });
}

export type BackupOutcome = { path: string; pointId: string; takenAt: string; dataTransferred: number };

/** The item a `backup --json` run completed, or undefined when it failed. */
export function completedBackup(run: RunResult): BackupOutcome | undefined {
  if (run.code !== 0) return undefined;
  const last = run.stdout.trim().split('\n').at(-1);
  const event = last ? (JSON.parse(last) as { event?: string; items?: BackupOutcome[] }) : undefined;
  return event?.event === 'completed' ? event.items?.[0] : undefined;
}

/** Random files, generated once and written into several folders: the data a vault's backups share. */
export function sharedFiles(count: number, mib: number): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) files.set(`shared/video-${i}.bin`, randomBytes(mib * MiB + 1000 * i));
  for (let i = 0; i < 30; i++) files.set(`shared/notes/note-${i}.txt`, Buffer.from(`note ${i}\n`.repeat(i * 7 + 1)));
  return files;
}

/** A folder of the shared files, plus one file of its own of `ownMiB` (random) and a small one. */
export async function writeFolder(folder: string, shared: Map<string, Buffer>, ownMiB: number): Promise<number> {
  let bytes = 0;
  const files = new Map(shared);
  files.set('own/unique.bin', randomBytes(ownMiB * MiB + 17));
  files.set('own/readme.txt', Buffer.from(`the folder ${folder}\n`));
  for (const [name, data] of files) {
    await mkdir(path.dirname(path.join(folder, name)), { recursive: true });
    await writeFile(path.join(folder, name), data);
    bytes += data.length;
  }
  return bytes;
}

/** Every file below `root`, by relative path. */
export async function filesBelow(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, rel: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const key = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(path.join(dir, entry.name), key);
      else out.push(key);
    }
  };
  await walk(root, '');
  return out.sort();
}

/** What differs between two folders (missing, extra or different files); empty when they are byte-identical. */
export async function differences(source: string, target: string): Promise<string[]> {
  const [a, b] = await Promise.all([filesBelow(source), filesBelow(target)]);
  const found: string[] = [];
  const inTarget = new Set(b);
  for (const file of a) {
    if (!inTarget.has(file)) found.push(`missing ${file}`);
    else if (!(await readFile(path.join(source, file))).equals(await readFile(path.join(target, file)))) {
      found.push(`different ${file}`);
    }
  }
  const inSource = new Set(a);
  for (const file of b) if (!inSource.has(file)) found.push(`extra ${file}`);
  return found;
}
