/** The benches' portal: `npm start` on a database of their own, in its own process group, stopped with it. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export type Portal = { url: string; child: ChildProcess; log: string[] };

export async function startPortal(
  databaseUrl: string,
  dataDir: string,
  admin: { email: string; password: string },
  /** More settings for the portal (such as BACKUP_STORE_SECONDARY). */
  settings: Record<string, string> = {},
): Promise<Portal> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    PORTAL_DATA_DIR: dataDir,
    PORTAL_ADMIN_EMAIL: admin.email,
    PORTAL_ADMIN_PASSWORD: admin.password,
    VAULT_PROVISIONING_SECONDS: '0',
    DATABASE_URL: databaseUrl,
    NEXT_TELEMETRY_DISABLED: '1',
  };
  for (const name of ['BACKUP_STORE', 'BACKUP_STORE_SECONDARY', 'AUTH_SECRET', 'NODE_ENV']) delete env[name];
  Object.assign(env, settings);
  if (
    !existsSync(path.join(root, '.next', 'BUILD_ID')) ||
    !existsSync(path.join(root, 'dist', 'agent', 'recovery-services-agent.mjs')) ||
    !existsSync(path.join(root, 'dist', 'server', 'serve.mjs'))
  ) {
    console.log('No production build: `npm start` builds it first (about two minutes).');
  }
  // Its own process group, so stopping it ends npm, the start script and the Next.js server together.
  const child = spawn('npm', ['start'], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  const keep = (b: Buffer) => log.push(...b.toString().split('\n').filter(Boolean));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 600_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    const ok = await fetch(`${url}/api/health`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return { url, child, log };
    await new Promise((r) => setTimeout(r, 500));
  }
  await stopPortal({ url, child, log });
  throw new Error(`The portal did not start:\n  ${log.slice(-20).join('\n  ')}`);
}

export async function stopPortal(portal: Portal) {
  const { child } = portal;
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
  const exited = new Promise((r) => child.once('exit', r));
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {}
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}
