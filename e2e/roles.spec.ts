import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { APIRequestContext, APIResponse, Browser, BrowserContext, Locator } from '@playwright/test';
import { messages } from '../lib/auth/access';
import { messages as peopleMessages } from '../lib/people/validation';
import { type DownloadedAgent, downloadAndRegister } from './agent-files';
import { addMember, addStranger, databaseDigest, type Person, subscriptionOf, withDatabase } from './database';
import { e2eAdmin, expect, signIn, test } from './fixtures';
import { createActiveVault, openQuickCreate } from './pages';

// Roles on every action, against the built portal with real sessions: one row per server action (from the build's
// server-reference manifest) and per route handler method (from app/**/route.ts), each run as an Owner, a Contributor,
// a Reader of the admin's subscription and as a stranger (the Owner of another). Allowed roles are not refused;
// refused roles get the refusal (the read-only message or 403; the stranger "not found" or 404, never data) and the
// database does not change. A new action or route without a row fails the first test.

const PORT = Number(process.env.E2E_PORT);
const ORIGIN = `http://localhost:${PORT}`;
const VAULT = 'roles-vault';

/** What a row needs of the caller. read/write/manage: of the vault's subscription (manage: its Owners); own: one's own things (any signed-in
 * person, never reaching another's); signed-in: anyone signed in; public: anyone; credential: only with its own
 * credential (an invitation link), which a session is not; machine: agents only (a person's
 * session gets nothing); not-served: the method answers 405 to everyone; emulator: emulator mode's control API, not
 * found (404) for everyone outside emulator mode, as this server runs. */
type Level =
  | 'read'
  | 'write'
  | 'manage'
  | 'own'
  | 'signed-in'
  | 'public'
  | 'credential'
  | 'machine'
  | 'not-served'
  | 'emulator';
type Who = 'Owner' | 'Contributor' | 'Reader' | 'stranger';
const WHO: Who[] = ['stranger', 'Reader', 'Contributor', 'Owner'];

/** The rule under test, written out once: whom a row's level refuses. */
function refuses(level: Level, who: Who): boolean {
  if (who === 'stranger') return level === 'read' || level === 'write' || level === 'manage';
  if (level === 'write') return who === 'Reader';
  if (level === 'manage') return who !== 'Owner';
  return false;
}

/** The calls that must change nothing: checked first, while nothing runs in the background (an allowed change's
 * background work finishing would show in their database checks). */
const changesNothing = (level: Level, who: Who) =>
  refuses(level, who) ||
  level === 'credential' ||
  level === 'machine' ||
  level === 'not-served' ||
  level === 'emulator';

type Ids = {
  subscriptionId: string;
  vaultId: string;
  itemId: string;
  pointId: string;
  objectId: string;
  serverId: string;
  keyId: string;
  jobId: string;
  policyId: string;
  adminOperationId: string;
  adminTokenId: string;
  invitationId: string;
  changedUserId: string;
  removedUserId: string;
};
type Actor = { who: Who; request: APIRequestContext; token: string };
type Outcome = { status: number; result?: { ok?: boolean; message?: string; fieldErrors?: Record<string, string> } };

type ActionRow = {
  level: Level;
  /** The page the action is posted to (one whose client uses it). */
  page: (ids: Ids) => string;
  /** The arguments, as the client sends them; `form` is a last FormData argument, after `before` (default: useActionState's prev). */
  args: (ids: Ids, who: Who) => unknown[] | { form: Record<string, string>; before?: unknown[] };
  /** For own rows: a view of the admin's things, which no one else's call may change. */
  untouched?: (ids: Ids) => Promise<unknown>;
};
type RouteRow = {
  level: Level;
  send: (actor: Actor, ids: Ids) => Promise<APIResponse>;
  untouched?: (ids: Ids) => Promise<unknown>;
};

const vaultPage = (tab: string) => (ids: Ids) => `/recovery-services/vaults/${ids.vaultId}/${tab}`;
const SETTINGS = {
  frequency: 'Daily',
  days: [],
  times: [120],
  dailyDays: 30,
  weeklyWeeks: null,
  monthlyMonths: null,
  yearlyYears: null,
};
const unique = (who: Who) => `${who.toLowerCase()}-${randomBytes(3).toString('hex')}`;
const adminOperation = (ids: Ids) =>
  withDatabase(async (c) => (await c.query('select * from operations where id = $1', [ids.adminOperationId])).rows);
const adminTokens = () =>
  withDatabase(
    async (c) =>
      (
        await c.query(
          `select t.id, t.revoked_at from personal_access_tokens t join users u on u.id = t.user_id
           where lower(u.email) = lower($1) order by t.id`,
          [e2eAdmin.email],
        )
      ).rows,
  );

const adminTwoStep = () =>
  withDatabase(
    async (c) =>
      (
        await c.query(
          'select totp_secret, totp_pending_secret, totp_enabled_at from users where lower(email) = lower($1)',
          [e2eAdmin.email],
        )
      ).rows,
  );

/** Every server action, by `file#export`. */
const ACTIONS: Record<string, ActionRow> = {
  'lib/vaults/actions.ts#createVaultAction': {
    level: 'write',
    page: () => '/recovery-services',
    args: (ids, who) => ({
      form: { name: `roles-${unique(who)}`, region: 'westus', subscriptionId: ids.subscriptionId },
    }),
  },
  'lib/vaults/actions.ts#deleteVaultAction': {
    level: 'write',
    page: vaultPage('dashboard'),
    // The vault has a registered server: allowed roles get that refusal, not the role's, and nothing is lost.
    args: (ids) => ({ form: { vaultId: ids.vaultId, reason: 'Other' } }),
  },
  'lib/vaults/actions.ts#saveStorageReplicationAction': {
    level: 'write',
    page: vaultPage('configure'),
    args: (ids) => [ids.vaultId, 'LocallyRedundant'],
  },
  'lib/alerts/actions.ts#saveAlertSettingsAction': {
    level: 'write',
    page: vaultPage('configure'),
    args: (ids) => [
      {
        vaultId: ids.vaultId,
        emailRecipients: 'roles@example.com',
        notify: 'PerAlert',
        severities: ['Critical'],
        webhookUrl: '',
        staleHours: '48',
      },
    ],
  },
  'lib/alerts/actions.ts#resolveAlertsAction': {
    level: 'write',
    page: vaultPage('alerts'),
    // No such alert: allowed roles are told it is already resolved, the others are refused for their role.
    args: (ids) => [ids.vaultId, [randomUUID()]],
  },
  'lib/operations/actions.ts#dismissOperationAction': {
    level: 'own',
    page: () => '/recovery-services',
    args: (ids) => [ids.adminOperationId],
    untouched: adminOperation,
  },
  'lib/operations/actions.ts#dismissAllOperationsAction': {
    level: 'own',
    page: () => '/recovery-services',
    args: () => [],
    untouched: adminOperation,
  },
  'lib/jobs/actions.ts#cancelJobAction': {
    level: 'write',
    page: vaultPage('jobs'),
    args: (ids) => [ids.vaultId, ids.jobId],
  },
  'lib/policies/actions.ts#createPolicyAction': {
    level: 'write',
    page: vaultPage('policies/new'),
    args: (ids, who) => [{ vaultId: ids.vaultId, name: `policy-${unique(who)}`, ...SETTINGS }],
  },
  'lib/policies/actions.ts#updatePolicyAction': {
    level: 'write',
    page: vaultPage('policies/new'),
    args: (ids) => [{ vaultId: ids.vaultId, policyId: ids.policyId, ...SETTINGS, dailyDays: 45 }],
  },
  'lib/policies/actions.ts#previewPolicyAction': {
    level: 'read',
    page: vaultPage('policies/new'),
    args: (ids) => [{ vaultId: ids.vaultId, ...SETTINGS }],
  },
  'lib/policies/actions.ts#assignPolicyAction': {
    level: 'write',
    page: vaultPage('protected-items'),
    args: (ids) => [ids.itemId, ids.policyId],
  },
  'lib/backups/actions.ts#backupNowAction': {
    level: 'write',
    page: vaultPage('protected-items'),
    args: (ids) => [ids.itemId],
  },
  'lib/replication/actions.ts#verifyStorageAction': {
    level: 'write',
    page: vaultPage('protected-items'),
    args: (ids) => [ids.itemId],
  },
  'lib/restore/actions.ts#pointsOfMonthAction': {
    level: 'read',
    page: (ids) => `/recovery-services/vaults/${ids.vaultId}/protected-items/${ids.itemId}/recover`,
    args: (ids) => [
      ids.vaultId,
      ids.itemId,
      { from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date(Date.now() + 86_400_000).toISOString() },
    ],
  },
  'lib/restore/actions.ts#requestRestoreAction': {
    level: 'write',
    page: (ids) => `/recovery-services/vaults/${ids.vaultId}/protected-items/${ids.itemId}/recover`,
    args: (ids) => [
      {
        vaultId: ids.vaultId,
        itemId: ids.itemId,
        pointId: ids.pointId,
        serverId: ids.serverId,
        keyId: ids.keyId,
        requestId: randomBytes(32).toString('hex'),
        request: randomBytes(64).toString('base64'),
      },
    ],
  },
  'lib/servers/actions.ts#allowReregistrationAction': {
    level: 'write',
    page: vaultPage('registered-items'),
    args: (ids) => [ids.serverId],
  },
  'lib/tokens/actions.ts#createTokenAction': { level: 'own', page: () => '/settings/tokens', args: () => [] },
  'lib/tokens/actions.ts#revokeTokenAction': {
    level: 'own',
    page: () => '/settings/tokens',
    args: (ids) => [ids.adminTokenId],
    untouched: adminTokens,
  },
  'lib/people/actions.ts#inviteAction': {
    level: 'manage',
    page: () => '/settings/users',
    args: (ids, who) => ({
      form: { subscriptionId: ids.subscriptionId, email: `invited-${unique(who)}@example.com`, role: 'Reader' },
    }),
  },
  'lib/people/actions.ts#revokeInvitationAction': {
    level: 'manage',
    page: () => '/settings/users',
    args: (ids) => [ids.subscriptionId, ids.invitationId],
  },
  'lib/people/actions.ts#changeRoleAction': {
    level: 'manage',
    page: () => '/settings/users',
    args: (ids) => [ids.subscriptionId, ids.changedUserId, 'Contributor'],
  },
  'lib/people/actions.ts#removeMemberAction': {
    level: 'manage',
    page: () => '/settings/users',
    args: (ids) => [ids.subscriptionId, ids.removedUserId],
  },
  'lib/people/actions.ts#acceptInvitationAction': {
    level: 'credential',
    page: () => '/invitations/not-a-token',
    args: () => ({
      before: ['not-a-token'],
      form: { password: 'a long new password', confirmPassword: 'a long new password' },
    }),
  },
  'lib/auth/two-step-actions.ts#beginSetupAction': {
    level: 'own',
    page: () => '/settings/security',
    args: () => [],
    untouched: adminTwoStep,
  },
  'lib/auth/two-step-actions.ts#cancelSetupAction': {
    level: 'own',
    page: () => '/settings/security',
    args: () => [],
    untouched: adminTwoStep,
  },
  'lib/auth/two-step-actions.ts#confirmSetupAction': {
    level: 'own',
    page: () => '/settings/security',
    args: () => ({ form: { code: '000000' } }),
    untouched: adminTwoStep,
  },
  'lib/auth/two-step-actions.ts#turnOffAction': {
    level: 'own',
    page: () => '/settings/security',
    args: () => ({ form: { code: '000000' } }),
    untouched: adminTwoStep,
  },
  // Last: these two end the item's protection and the server's registration for whoever is allowed first.
  'lib/policies/actions.ts#deletePolicyAction': {
    level: 'write',
    page: vaultPage('policies'),
    args: (ids) => [ids.vaultId, ids.policyId],
  },
  'lib/backups/actions.ts#stopProtectionAction': {
    level: 'write',
    page: vaultPage('protected-items'),
    args: (ids) => [ids.itemId, false],
  },
  'lib/servers/actions.ts#unregisterServerAction': {
    level: 'write',
    page: vaultPage('registered-items'),
    args: (ids) => [ids.serverId],
  },
};

const arm = (actor: Actor, method: string, pathname: string, data?: unknown) =>
  actor.request.fetch(`/subscriptions/${pathname}?api-version=2024-04-01`, {
    method,
    headers: { Authorization: `Bearer ${actor.token}`, 'Content-Type': 'application/json' },
    data: data === undefined ? undefined : JSON.stringify(data),
    maxRedirects: 0,
  });
const armVault = (ids: Ids, name = VAULT) =>
  `${ids.subscriptionId}/resourceGroups/Default-RecoveryServices-ResourceGroup/providers/Microsoft.RecoveryServices/vaults/${name}`;
const agentRoute = (pathname: string, method: string) => ({
  level: 'machine' as const,
  send: (actor: Actor) =>
    actor.request.fetch(pathname, { method, data: '{}', headers: { 'Content-Type': 'application/json' } }),
});
const SESSION = '00000000-0000-4000-8000-000000000000';

/** Every route handler's method, by `file METHOD`. next-auth's own route is its sign-in (signin and hardening specs). */
const ROUTES: Record<string, RouteRow | 'next-auth'> = {
  'app/api/auth/[...nextauth]/route.ts GET': 'next-auth',
  'app/api/auth/[...nextauth]/route.ts POST': 'next-auth',
  'app/api/health/route.ts GET': { level: 'public', send: (a) => a.request.get('/api/health') },
  'app/api/vault-names/route.ts GET': { level: 'signed-in', send: (a) => a.request.get('/api/vault-names') },
  // Everyone's own subscriptions' jobs: a stranger's jobs.csv is its header alone (runRow checks no name leaks).
  'app/api/backup-center/jobs/route.ts GET': {
    level: 'signed-in',
    send: (a) => a.request.get('/api/backup-center/jobs?window=90'),
  },
  'app/api/operations/route.ts GET': {
    level: 'own',
    send: (a) => a.request.get('/api/operations'),
    untouched: adminOperation,
  },
  'app/downloads/recovery-services-agent.mjs/route.ts GET': {
    level: 'signed-in',
    send: (a) => a.request.get('/downloads/recovery-services-agent.mjs'),
  },
  'app/api/vaults/[vaultId]/credentials/route.ts POST': {
    level: 'write',
    send: (a, ids) => a.request.post(`/api/vaults/${ids.vaultId}/credentials`, { headers: { Origin: ORIGIN } }),
  },
  'app/api/vaults/[vaultId]/credentials/route.ts GET': {
    level: 'not-served',
    send: (a, ids) => a.request.get(`/api/vaults/${ids.vaultId}/credentials`),
  },
  'app/api/vaults/[vaultId]/replication/route.ts GET': {
    level: 'read',
    send: (a, ids) => a.request.get(`/api/vaults/${ids.vaultId}/replication`),
  },
  'app/api/vaults/[vaultId]/items/[itemId]/points/[pointId]/route.ts GET': {
    level: 'read',
    send: (a, ids) => a.request.get(`/api/vaults/${ids.vaultId}/items/${ids.itemId}/points/${ids.pointId}`),
  },
  'app/api/vaults/[vaultId]/items/[itemId]/points/[pointId]/objects/[objectId]/route.ts GET': {
    level: 'read',
    send: (a, ids) =>
      a.request.get(`/api/vaults/${ids.vaultId}/items/${ids.itemId}/points/${ids.pointId}/objects/${ids.objectId}`),
  },
  // The ARM API, with each person's own access token.
  'app/api/arm/[...path]/route.ts GET': { level: 'read', send: (a, ids) => arm(a, 'GET', armVault(ids)) },
  'app/api/arm/[...path]/route.ts POST': {
    level: 'read',
    send: (a, ids) =>
      arm(
        a,
        'POST',
        `${ids.subscriptionId}/resourceGroups/Default-RecoveryServices-ResourceGroup/providers/Microsoft.RecoveryServices/locations/westus/checkNameAvailability`,
        { type: 'Microsoft.RecoveryServices/Vaults', name: 'some-new-vault' },
      ),
  },
  'app/api/arm/[...path]/route.ts PUT': {
    level: 'write',
    send: (a, ids) => arm(a, 'PUT', armVault(ids), { location: 'westus', tags: { by: a.who } }),
  },
  'app/api/arm/[...path]/route.ts PATCH': {
    level: 'write',
    send: (a, ids) => arm(a, 'PATCH', armVault(ids), { tags: { patched: a.who } }),
  },
  // A vault that does not exist: allowed roles get 204 (deleting nothing), nothing is lost.
  'app/api/arm/[...path]/route.ts DELETE': {
    level: 'write',
    send: (a, ids) => arm(a, 'DELETE', armVault(ids, 'no-such-vault')),
  },
  // Agents authenticate as machines (signed proofs), never with a person's session.
  'app/api/agent/register/route.ts POST': agentRoute('/api/agent/register', 'POST'),
  'app/api/agent/status/route.ts GET': agentRoute('/api/agent/status', 'GET'),
  // The portal's time, for agents that follow it (emulator mode's downloads): no secret in it.
  'app/api/agent/clock/route.ts GET': { level: 'public', send: (a) => a.request.get('/api/agent/clock') },
  // Emulator mode's control API: outside it, not found for anyone, even with the header the HTTP server sets.
  'app/api/emulator/[...route]/route.ts GET': {
    level: 'emulator',
    send: (a) => a.request.get('/api/emulator/clock', { headers: { 'x-portal-emulator-control': '1' } }),
  },
  'app/api/emulator/[...route]/route.ts POST': {
    level: 'emulator',
    send: (a) => a.request.post('/api/emulator/reset', { headers: { 'x-portal-emulator-control': '1' } }),
  },
  'app/api/emulator/[...route]/route.ts PUT': {
    level: 'emulator',
    send: (a) => a.request.put('/api/emulator/faults', { data: [], headers: { 'x-portal-emulator-control': '1' } }),
  },
  'app/api/emulator/[...route]/route.ts DELETE': {
    level: 'emulator',
    send: (a) => a.request.delete('/api/emulator/clock', { headers: { 'x-portal-emulator-control': '1' } }),
  },
  'app/api/agent/keys/route.ts POST': agentRoute('/api/agent/keys', 'POST'),
  'app/api/agent/items/route.ts GET': agentRoute('/api/agent/items', 'GET'),
  'app/api/agent/items/route.ts POST': agentRoute('/api/agent/items', 'POST'),
  'app/api/agent/points/route.ts GET': agentRoute('/api/agent/points', 'GET'),
  'app/api/agent/backups/route.ts POST': agentRoute('/api/agent/backups', 'POST'),
  'app/api/agent/backups/[sessionId]/objects/route.ts POST': agentRoute(
    `/api/agent/backups/${SESSION}/objects`,
    'POST',
  ),
  'app/api/agent/backups/[sessionId]/missing/route.ts POST': agentRoute(
    `/api/agent/backups/${SESSION}/missing`,
    'POST',
  ),
  'app/api/agent/backups/[sessionId]/progress/route.ts POST': agentRoute(
    `/api/agent/backups/${SESSION}/progress`,
    'POST',
  ),
  'app/api/agent/backups/[sessionId]/commit/route.ts POST': agentRoute(`/api/agent/backups/${SESSION}/commit`, 'POST'),
  'app/api/agent/backups/[sessionId]/fail/route.ts POST': agentRoute(`/api/agent/backups/${SESSION}/fail`, 'POST'),
  'app/api/agent/restores/route.ts POST': agentRoute('/api/agent/restores', 'POST'),
  'app/api/agent/restores/[restoreId]/objects/route.ts POST': agentRoute(
    `/api/agent/restores/${SESSION}/objects`,
    'POST',
  ),
  'app/api/agent/restores/[restoreId]/progress/route.ts POST': agentRoute(
    `/api/agent/restores/${SESSION}/progress`,
    'POST',
  ),
  'app/api/agent/restores/[restoreId]/complete/route.ts POST': agentRoute(
    `/api/agent/restores/${SESSION}/complete`,
    'POST',
  ),
  'app/api/agent/restores/[restoreId]/fail/route.ts POST': agentRoute(`/api/agent/restores/${SESSION}/fail`, 'POST'),
};

/** The server actions the build holds: `file#export` → action id. */
function builtActions(): Map<string, string> {
  const manifest = JSON.parse(readFileSync('.next/server/server-reference-manifest.json', 'utf8')) as {
    node: Record<string, { filename: string; exportedName: string }>;
  };
  return new Map(Object.entries(manifest.node).map(([id, a]) => [`${a.filename}#${a.exportedName}`, id]));
}

/** The route handlers' methods: every app/**\/route.ts and the HTTP methods it exports. */
function routeMethods(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/^route\.(ts|tsx|js)$/.test(entry.name)) {
        const source = readFileSync(full, 'utf8');
        const methods = new Set<string>();
        for (const m of source.matchAll(
          /export\s+(?:async\s+)?(?:function|const)\s+(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)\b/g,
        )) {
          methods.add(m[1]!);
        }
        for (const list of source.matchAll(/export\s*{([^}]*)}/g)) {
          for (const m of list[1]!.matchAll(/(?:\bas\s+)?\b(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)\b/g))
            methods.add(m[1]!);
        }
        for (const method of methods) found.push(`${full.split(path.sep).join('/')} ${method}`);
      }
    }
  };
  walk('app');
  return found.sort();
}

test('every server action and every route handler method has a row in the roles table', () => {
  const actions = [...builtActions().keys()].sort();
  expect(actions.length).toBeGreaterThan(10);
  expect(actions, 'server actions without a row (add one to ACTIONS)').toEqual(Object.keys(ACTIONS).sort());
  const routes = routeMethods();
  expect(routes.length).toBeGreaterThan(20);
  expect(routes, 'route handler methods without a row (add one to ROUTES)').toEqual(Object.keys(ROUTES).sort());
});

/**
 * useActionState's (prev, formData) as React 19.2 encodes them: the FormData's fields as part 1 (`_1_name`...), then the
 * arguments as part 0, last, since the server resolves the `$K1` reference with the fields it has read by then.
 */
function formArguments(form: Record<string, string>, before: unknown[] = [null]): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(form)) data.append(`_1_${name}`, value);
  data.append('0', JSON.stringify([...before, '$K1']));
  return data;
}

/** A server action called as the browser calls it: a POST to a page with its id, the arguments encoded as React does. */
async function callAction(request: APIRequestContext, id: string, page: string, args: ReturnType<ActionRow['args']>) {
  const headers = { 'Next-Action': id, Origin: ORIGIN, Accept: 'text/x-component' };
  const response = Array.isArray(args)
    ? await request.post(page, {
        headers: { ...headers, 'Content-Type': 'text/plain;charset=UTF-8' },
        data: JSON.stringify(args),
        maxRedirects: 0,
      })
    : await request.post(page, { headers, multipart: formArguments(args.form, args.before), maxRedirects: 0 });
  const text = await response.text();
  const rows = new Map<string, string>();
  for (const line of text.split('\n')) {
    const at = line.indexOf(':');
    if (at > 0) rows.set(line.slice(0, at), line.slice(at + 1));
  }
  let result: Outcome['result'];
  try {
    const head = JSON.parse(rows.get('0') ?? 'null') as { a?: unknown } | null;
    const a = head?.a;
    result = (typeof a === 'string' && a.startsWith('$@') ? JSON.parse(rows.get(a.slice(2)) ?? 'null') : a) as
      | Outcome['result']
      | undefined;
  } catch {
    result = undefined;
  }
  return { status: response.status(), result, text };
}

const REFUSED_STRANGER = /not found|Choose a subscription/i;

test.describe('roles on every action', () => {
  test.describe.configure({ mode: 'serial', timeout: 300_000 });
  test.skip(
    !process.env.DATABASE_URL,
    'People of each role are written into the database (e2e/database.ts), which the embedded PGlite run does not expose; the CI runs e2e on PostgreSQL (DATABASE_URL) first.',
  );

  const ids = {} as Ids;
  const actors = new Map<Who, Actor>();
  const contexts: BrowserContext[] = [];
  let machine: DownloadedAgent | undefined;
  let adminRequest: APIRequestContext;
  let actionIds: Map<string, string>;

  const browsers = new Map<Who, BrowserContext>();

  async function session(browser: Browser, who: Who, person: Person): Promise<APIRequestContext> {
    const context = await browser.newContext({ baseURL: ORIGIN });
    contexts.push(context);
    browsers.set(who, context);
    const page = await context.newPage();
    await signIn(page, person.email, person.password);
    await page.close();
    return context.request;
  }

  test.beforeAll(async ({ browser }) => {
    test.setTimeout(240_000);
    actionIds = builtActions();
    // The admin's vault with a registered server, a protected folder and a recovery point, made as a user would.
    const context = await browser.newContext({ baseURL: ORIGIN, acceptDownloads: true });
    contexts.push(context);
    const page = await context.newPage();
    await signIn(page);
    await page.goto('/recovery-services');
    await createActiveVault(page, VAULT);
    await page.getByRole('link', { name: VAULT, exact: true }).click();
    await expect(page.getByRole('heading', { name: VAULT })).toBeVisible();
    ids.vaultId = /vaults\/([0-9a-f-]{36})/.exec(page.url())![1]!;
    machine = await downloadAndRegister(page, 'ROLESSERVER');
    const folder = path.join(machine.workDir, 'Documents');
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, 'notes.txt'), 'roles\n'.repeat(100));
    expect((await machine.run('protect', '--path', folder)).code).toBe(0);
    expect((await machine.run('backup')).stdout.trim()).toBe('Backup completed.');
    adminRequest = context.request;

    ids.subscriptionId = await subscriptionOf(e2eAdmin.email);
    await withDatabase(async (c) => {
      const one = async (sql: string, params: unknown[]) =>
        (await c.query(sql, params)).rows[0] as Record<string, string>;
      const item = await one(
        `select i.id as item, s.id as server, p.id as point, p.key_id as key from protected_items i
         join registered_servers s on s.id = i.server_id join recovery_points p on p.item_id = i.id
         where i.vault_id = $1`,
        [ids.vaultId],
      );
      Object.assign(ids, { itemId: item.item, serverId: item.server, pointId: item.point, keyId: item.key });
      ids.jobId = (await one(`select id from operations where vault_id = $1 and kind = 'CreateVault'`, [ids.vaultId]))
        .id!;
      ids.adminOperationId = ids.jobId;
    });

    // Everyone: the Owner, Contributor and Reader of the admin's subscription, and the stranger; each with a token.
    const people: [Who, Person][] = [
      ['Owner', await addMember(ids.subscriptionId, 'Owner')],
      ['Contributor', await addMember(ids.subscriptionId, 'Contributor')],
      ['Reader', await addMember(ids.subscriptionId, 'Reader')],
      ['stranger', await addStranger()],
    ];
    const tokenAction = actionIds.get('lib/tokens/actions.ts#createTokenAction')!;
    for (const [who, person] of people) {
      const request = await session(browser, who, person);
      const created = await callAction(request, tokenAction, '/settings/tokens', []);
      expect(created.result?.ok, `${who}'s token`).toBe(true);
      actors.set(who, { who, request, token: (created.result as unknown as { data: { token: string } }).data.token });
    }
    const adminToken = await callAction(adminRequest, tokenAction, '/settings/tokens', []);
    expect(adminToken.result?.ok).toBe(true);
    ids.adminTokenId = (await adminTokens()).at(-1)!.id as string;

    const policy = await callAction(
      adminRequest,
      actionIds.get('lib/policies/actions.ts#createPolicyAction')!,
      `/recovery-services/vaults/${ids.vaultId}/policies/new`,
      [{ vaultId: ids.vaultId, name: 'roles-policy', ...SETTINGS }],
    );
    expect(policy.result?.ok).toBe(true);
    ids.policyId = (policy.result as unknown as { data: { policyId?: string; id?: string } }).data?.policyId ?? '';
    if (!ids.policyId) {
      ids.policyId = await withDatabase(
        async (c) =>
          (await c.query(`select id from backup_policies where vault_id = $1 and name = 'roles-policy'`, [ids.vaultId]))
            .rows[0].id,
      );
    }
    // People for the Owner's changes: an invitation to revoke, a member whose role changes, one to remove.
    const invited = await callAction(
      adminRequest,
      actionIds.get('lib/people/actions.ts#inviteAction')!,
      '/settings/users',
      { form: { subscriptionId: ids.subscriptionId, email: 'to-revoke@example.com', role: 'Reader' } },
    );
    expect(invited.result?.ok, invited.text).toBe(true);
    const changed = await addMember(ids.subscriptionId, 'Reader');
    const removed = await addMember(ids.subscriptionId, 'Reader');
    await withDatabase(async (c) => {
      const idOf = async (email: string) =>
        (await c.query('select id from users where lower(email) = lower($1)', [email])).rows[0].id as string;
      ids.changedUserId = await idOf(changed.email);
      ids.removedUserId = await idOf(removed.email);
      ids.invitationId = (await c.query(`select id from invitations where lower(email) = 'to-revoke@example.com'`))
        .rows[0].id as string;
    });
    const point = await adminRequest.get(`/api/vaults/${ids.vaultId}/items/${ids.itemId}/points/${ids.pointId}`);
    expect(point.status()).toBe(200);
    ids.objectId = ((await point.json()) as { rootId: string }).rootId;
  });

  test.afterAll(async () => {
    for (const context of contexts) await context.close();
  });

  /** Whether the outcome is a refusal: the role's (read-only, 403) or the stranger's (not found, 404). */
  function expectRefused(level: Level, who: Who, outcome: Outcome, text: string) {
    if (who === 'stranger') {
      if (outcome.result) {
        expect(outcome.result.ok, text).toBe(false);
        const said = outcome.result.message ?? Object.values(outcome.result.fieldErrors ?? {})[0] ?? '';
        expect(said, text).toMatch(REFUSED_STRANGER);
      } else expect(outcome.status, text).toBe(404);
    } else if (outcome.result) {
      if (level === 'manage') {
        expect(outcome.result.ok, text).toBe(false);
        expect([messages.ownersOnly, peopleMessages.notOwner], text).toContain(outcome.result.message);
      } else expect(outcome.result, text).toEqual({ ok: false, message: messages.readOnly });
    } else expect(outcome.status, text).toBe(403);
  }

  function expectAllowed(level: Level, outcome: Outcome, text: string) {
    if (outcome.result) {
      expect(outcome.result.message ?? '', text).not.toBe(messages.readOnly);
      expect(outcome.result.message ?? '', text).not.toBe(messages.ownersOnly);
      expect(outcome.result.message ?? '', text).not.toMatch(/backup vault was not found/);
      // Reads succeed outright; a change may meet the vault's own rules (a registered server, a stopped item).
      if (level === 'read') expect(outcome.result.ok, text).toBe(true);
    } else {
      expect(outcome.status, text).toBeLessThan(300);
    }
  }

  async function runRow(
    key: string,
    level: Level,
    call: (actor: Actor) => Promise<Outcome & { text: string }>,
    untouched: ((ids: Ids) => Promise<unknown>) | undefined,
    still: boolean,
  ) {
    const before = untouched ? JSON.stringify(await untouched(ids)) : undefined;
    for (const who of WHO.filter((w) => changesNothing(level, w) === still)) {
      const actor = actors.get(who)!;
      const digest = await databaseDigest();
      const outcome = await call(actor);
      const text = `${key} as ${who}: ${outcome.status} ${outcome.text.slice(0, 300)}`;
      expect(outcome.status, text).toBeLessThan(500);
      if (refuses(level, who)) {
        expectRefused(level, who, outcome, text);
        expect(await databaseDigest(), `${text}: the database changed`).toBe(digest);
      } else if (level === 'credential') {
        expect(outcome.result?.ok, text).toBe(false);
        expect(await databaseDigest(), `${text}: the database changed`).toBe(digest);
      } else if (level === 'machine') {
        // Without a machine's proof: unauthenticated, or a registration without its vault credentials.
        expect([400, 401], text).toContain(outcome.status);
        expect(await databaseDigest(), `${text}: the database changed`).toBe(digest);
      } else if (level === 'not-served') {
        expect(outcome.status, text).toBe(405);
        expect(await databaseDigest(), `${text}: the database changed`).toBe(digest);
      } else if (level === 'emulator') {
        expect(outcome.status, text).toBe(404);
        expect(await databaseDigest(), `${text}: the database changed`).toBe(digest);
      } else {
        expectAllowed(level, outcome, text);
      }
      // Nothing of the admin's vault leaks to the stranger, whatever the answer.
      if (who === 'stranger') {
        expect(outcome.text, text).not.toContain(ids.itemId);
        expect(outcome.text, text).not.toContain(VAULT);
      }
    }
    if (untouched) expect(JSON.stringify(await untouched(ids)), `${key}: the admin's things changed`).toBe(before);
  }

  /** Waits until no vault operation or background job is under way, so the database holds still. */
  async function settle() {
    await expect
      .poll(
        () =>
          withDatabase(async (c) => {
            const busy = await c.query(
              `select (select count(*) from operations where status = 'InProgress' and kind in ('CreateVault', 'DeleteVault'))
                + (select count(*) from pgboss.job where state in ('created', 'retry', 'active') and start_after <= now()) as n`,
            );
            return Number(busy.rows[0].n);
          }),
        { timeout: 60_000 },
      )
      .toBe(0);
  }

  // Routes first: the actions' last rows end the item's protection and the server's registration.
  test('each route handler method as Owner, Contributor, Reader and stranger', async () => {
    for (const still of [true, false]) {
      await settle();
      for (const [key, row] of Object.entries(ROUTES)) {
        if (row === 'next-auth') continue;
        await runRow(
          key,
          row.level,
          async (actor) => {
            const response = await row.send(actor, ids);
            return { status: response.status(), text: await response.text() };
          },
          row.untouched,
          still,
        );
      }
    }
  });

  test('a Reader finds every button that changes something disabled; a Contributor finds them enabled', async () => {
    for (const who of ['Reader', 'Contributor'] as const) {
      const page = await browsers.get(who)!.newPage();
      const bar = page.getByRole('toolbar', { name: 'Command bar' });
      const changes = async (locator: Locator) => {
        if (who === 'Reader') await expect(locator, who).toBeDisabled();
        else await expect(locator, who).toBeEnabled();
      };
      const base = `/recovery-services/vaults/${ids.vaultId}`;

      await page.goto(`${base}/quick-start`);
      await changes(page.getByRole('link', { name: 'Download vault credentials' }));
      await page.goto(`${base}/registered-items`);
      await page.getByRole('radio', { name: 'Select ROLESSERVER' }).check();
      await changes(bar.getByRole('button', { name: 'ALLOW RE-REGISTRATION' }));
      await changes(bar.getByRole('button', { name: 'DELETE' }));
      await page.goto(`${base}/protected-items`);
      await page.getByRole('radio').first().check();
      for (const name of ['BACKUP NOW', 'VERIFY', 'CHANGE POLICY', 'STOP PROTECTION']) {
        await changes(bar.getByRole('button', { name }));
      }
      await expect(bar.getByRole('button', { name: 'RESTORE' })).toBeEnabled();
      await page.goto(`${base}/policies`);
      await changes(bar.getByRole('button', { name: 'ADD' }));
      await page.goto(`${base}/jobs`);
      await page.getByRole('radio').first().check();
      await changes(bar.getByRole('button', { name: 'CANCEL' }));
      await expect(bar.getByRole('button', { name: 'VIEW DETAILS' })).toBeEnabled();
      await page.goto(`${base}/policies/${ids.policyId}`);
      await changes(page.getByRole('button', { name: 'Save', exact: true }));
      const dialog = await openQuickCreate(page);
      await changes(dialog.getByRole('button', { name: 'CREATE VAULT' }));
      if (who === 'Reader') {
        await expect(dialog.getByText(messages.readOnly)).toBeVisible();
        // Disabled whatever the vault's state: DELETE (a server is registered anyway) and Configure's choice.
        await page.goto(`${base}/dashboard`);
        await expect(bar.getByRole('button', { name: 'DELETE' })).toBeDisabled();
        await page.goto(`${base}/configure`);
        await expect(page.getByRole('radio').first()).toBeDisabled();
        await expect(bar.getByRole('button', { name: 'SAVE' })).toBeDisabled();
      }
      await page.close();
    }
  });

  test('each server action as Owner, Contributor, Reader and stranger', async () => {
    for (const still of [true, false]) {
      await settle();
      for (const [key, row] of Object.entries(ACTIONS)) {
        const id = actionIds.get(key);
        expect(id, `${key} is not in the build`).toBeDefined();
        await runRow(
          key,
          row.level,
          (actor) => callAction(actor.request, id!, row.page(ids), row.args(ids, actor.who)),
          row.untouched,
          still,
        );
      }
    }
  });
});
