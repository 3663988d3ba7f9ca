import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { runAgent } from '@/agent/cli';
import * as commitRoute from '@/app/api/agent/backups/[sessionId]/commit/route';
import * as failRoute from '@/app/api/agent/backups/[sessionId]/fail/route';
import * as missingRoute from '@/app/api/agent/backups/[sessionId]/missing/route';
import * as objectsRoute from '@/app/api/agent/backups/[sessionId]/objects/route';
import * as progressRoute from '@/app/api/agent/backups/[sessionId]/progress/route';
import * as backupsRoute from '@/app/api/agent/backups/route';
import * as clockRoute from '@/app/api/agent/clock/route';
import * as itemsRoute from '@/app/api/agent/items/route';
import * as keysRoute from '@/app/api/agent/keys/route';
import * as pointsRoute from '@/app/api/agent/points/route';
import * as registerRoute from '@/app/api/agent/register/route';
import * as statusRoute from '@/app/api/agent/status/route';
import type { PortalUser } from '@/lib/auth/users';
import { issueVaultCredentials } from '@/lib/credentials/issue';
import type { Services } from '@/lib/services';
import { createVault } from '@/lib/vaults/create';
import { collector, type RunResult } from './agent';
import { createTestUser, type TestServices } from './services';

export const PORTAL = 'http://portal.test';
export const PASSPHRASE = 'a long and secret passphrase';

type Handler = (request: Request, context: { params: Promise<{ sessionId: string }> }) => Promise<Response>;

const SESSION_ROUTES: Record<string, Handler> = {
  objects: objectsRoute.POST,
  missing: missingRoute.POST,
  progress: progressRoute.POST,
  commit: commitRoute.POST,
  fail: failRoute.POST,
};

/** The portal's route handlers answer these tests' services, as the server's do its own. */
export function serveRoutesFrom(svc: Services): void {
  (globalThis as { __portalServices?: Promise<Services> }).__portalServices = Promise.resolve(svc);
}

/**
 * A fetch that hands each request to the portal's own route handler for its path, in this process: the agent talks
 * to the real server code and database without a web server. `intercept` may answer or fail a request first.
 */
export function routeFetch(intercept?: (request: Request) => Response | undefined | Promise<Response | undefined>) {
  const requests: Request[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const request = new Request(input, init);
    requests.push(request.clone());
    const early = await intercept?.(request);
    if (early) return early;
    const { pathname } = new URL(request.url);
    const session = /^\/api\/agent\/backups\/([^/]+)\/([a-z]+)$/.exec(pathname);
    if (session && request.method === 'POST' && SESSION_ROUTES[session[2]!]) {
      return SESSION_ROUTES[session[2]!]!(request, { params: Promise.resolve({ sessionId: session[1]! }) });
    }
    type Methods = { GET?: (request: Request) => Promise<Response>; POST?: (request: Request) => Promise<Response> };
    const routes: Record<string, Methods> = {
      '/api/agent/register': registerRoute,
      '/api/agent/status': statusRoute,
      '/api/agent/keys': keysRoute,
      '/api/agent/items': itemsRoute,
      '/api/agent/points': pointsRoute,
      '/api/agent/backups': backupsRoute,
      '/api/agent/clock': clockRoute,
    };
    const handler = routes[pathname]?.[request.method as keyof Methods];
    if (!handler) return new Response('not found', { status: 404 });
    return handler(request);
  };
  return { fetch, requests };
}

/**
 * Runs a session's bulk calls (uploads or reads) one at a time, each after the session's heartbeat was set alternately
 * overdue (30 s old) and fresh (1 s old), and records whether the call wrote it: `seen[i].written` should equal
 * `seen[i].due`.
 */
export function heartbeatProbe(
  pool: pg.Pool,
  table: 'backup_sessions' | 'restores',
  handle: (request: Request, sessionId: string) => Promise<Response>,
) {
  const seen: Array<{ due: boolean; written: boolean }> = [];
  let turn = Promise.resolve();
  const call = (request: Request, sessionId: string): Promise<Response> => {
    const mine = turn.then(async () => {
      const due = seen.length % 2 === 0;
      const heartbeat = async (set: string) =>
        (
          await pool.query<{ at: Date }>(
            `update ${table} set heartbeat_at = ${set} where id = $1 returning heartbeat_at as at`,
            [sessionId],
          )
        ).rows[0]!.at.getTime();
      const before = await heartbeat(`portal_now() - interval '${due ? 30 : 1} seconds'`);
      const response = await handle(request, sessionId);
      seen.push({ due, written: (await heartbeat('heartbeat_at')) !== before });
      return response;
    });
    turn = mine.then(
      () => {},
      () => {},
    );
    return mine;
  };
  return { seen, call };
}

export type Machine = {
  user: PortalUser;
  vaultId: string;
  stateDir: string;
  passphraseFile: string;
  work: string;
  agent: (...argv: string[]) => Promise<RunResult>;
  remove: () => Promise<void>;
};

/** A user, an Active vault and a machine registered to it by the agent, with its own state directory. */
export async function registeredMachine(
  svc: TestServices,
  options: {
    user?: PortalUser;
    vaultId?: string;
    name?: string;
    fetch?: typeof globalThis.fetch;
    /** The agent's environment (empty by default). */
    env?: Record<string, string>;
  } = {},
): Promise<Machine> {
  serveRoutesFrom(svc);
  const user = options.user ?? (await createTestUser(svc));
  let vaultId = options.vaultId;
  if (!vaultId) {
    const created = await createVault(svc, user, {
      name: `b-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`,
      region: 'westus',
    });
    if (!created.ok) throw new Error(`create failed: ${created.message}`);
    vaultId = created.data.vaultId;
    await svc.pool.query(`update vaults set status = 'Active' where id = $1`, [vaultId]);
  }
  const work = await mkdtemp(path.join(os.tmpdir(), 'backup-test-'));
  const credentials = await issueVaultCredentials(svc, user, vaultId, PORTAL);
  const credentialsFile = path.join(work, 'vault.VaultCredentials');
  await writeFile(credentialsFile, credentials.contents);
  const passphraseFile = path.join(work, 'passphrase.txt');
  await writeFile(passphraseFile, `${PASSPHRASE}\n`);
  const stateDir = path.join(work, 'state');
  const fetch = options.fetch ?? routeFetch().fetch;
  const agent = async (...argv: string[]): Promise<RunResult> => {
    const stdout = collector();
    const stderr = collector();
    const code = await runAgent([...argv, '--state-dir', stateDir], { stdout, stderr, env: options.env ?? {}, fetch });
    return { code, stdout: stdout.text(), stderr: stderr.text() };
  };
  const registered = await agent(
    'register',
    '--vault-credentials',
    credentialsFile,
    '--passphrase-file',
    passphraseFile,
    '--machine-name',
    options.name ?? 'FILESERVER01',
  );
  if (registered.code !== 0) throw new Error(`registration failed: ${registered.stderr}`);
  return {
    user,
    vaultId,
    stateDir,
    passphraseFile,
    work,
    agent,
    remove: () => rm(work, { recursive: true, force: true }),
  };
}
