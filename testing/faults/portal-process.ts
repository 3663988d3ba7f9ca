import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const ENTRY = path.join(REPO_ROOT, 'testing/agent-portal.ts');

export type PortalProcess = {
  port: number;
  child: ChildProcess;
  /** Its output so far, stdout and stderr, line by line. */
  lines: string[];
  /** Whether it is still running. */
  alive(): boolean;
  /** SIGKILL, as a crash or an OOM kill would end it; resolves once it has exited. */
  kill(): Promise<void>;
};

const running = new Set<ChildProcess>();

/**
 * Starts testing/agent-portal.ts on `port` with the portal's settings (DATABASE_URL, PORTAL_DATA_DIR, …) and resolves
 * once it answers. Every process started here is killed by `killPortals` (call it in afterAll/afterEach).
 */
export async function startPortalProcess(
  port: number,
  settings: Record<string, string>,
  timeoutMs = 60_000,
): Promise<PortalProcess> {
  const child = spawn(process.execPath, ['--conditions=react-server', '--import', 'tsx', ENTRY], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      VAULT_PROVISIONING_SECONDS: '0',
      ...settings,
      PORT: String(port),
    },
    // stdin is a pipe the child watches: it exits when the pipe closes (this process ended).
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const lines: string[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the portal process did not start in ${timeoutMs} ms:\n${lines.join('\n')}`)),
      timeoutMs,
    );
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        lines.push(line);
        if (line === `agent portal listening on ${port}`) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the portal process exited (${code ?? signal}):\n${lines.join('\n')}`));
    });
  });
  try {
    await ready;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    port,
    child,
    lines,
    alive: () => child.exitCode === null && child.signalCode === null,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Kills every portal process still running (SIGKILL), and waits for them to exit. */
export async function killPortals(): Promise<void> {
  await Promise.all(
    [...running].map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }),
  );
}
