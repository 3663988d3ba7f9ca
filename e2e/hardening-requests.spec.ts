import net from 'node:net';
import { databaseDigest } from './database';
import { expect, test } from './fixtures';
import { createActiveVault } from './pages';

// A careless client and an attacker, against the built portal: several hundred malformed requests (ids, cursors,
// headers, bodies, methods, next-auth's own routes, bad `%` escapes, garbage forms) to every route. None may answer
// 5xx, and none may change anything.

const PORT = Number(process.env.E2E_PORT);
const VAULT = 'hardening-vault';

type Raw = { method?: string; path: string; host?: string | null; headers?: Record<string, string>; body?: string };

/** One request exactly as written (no client library fixing up the path or the headers), on its own connection. */
function send({ method = 'GET', path, host = `localhost:${PORT}`, headers = {}, body = '' }: Raw) {
  return new Promise<{ status: number; head: string }>((resolve, reject) => {
    const socket = net.connect(PORT, '127.0.0.1');
    const payload = Buffer.from(body);
    const lines = [`${method} ${path} HTTP/1.1`];
    if (host !== null) lines.push(`Host: ${host}`);
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    lines.push(`Content-Length: ${payload.length}`, 'Connection: close', '', '');
    socket.write(Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), payload]));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0), head: text.split('\r\n\r\n')[0]! });
    });
    socket.on('error', reject);
    socket.setTimeout(30_000, () => socket.destroy(new Error(`timeout: ${method} ${path}`)));
  });
}

const BAD_IDS = [
  'aaaa',
  '-'.repeat(36),
  'a'.repeat(36),
  '%00',
  '%zz',
  '%E0%A4%A',
  '%',
  "'%20or%201=1--",
  'x'.repeat(2000),
  '%E2%82%AC',
  '00000000-0000-0000-0000-000000000000',
  'a%2Fb',
];
const BAD_CURSORS = [
  'garbage',
  '%00',
  '%zz',
  Buffer.from(JSON.stringify(['x', '-'.repeat(36)])).toString('base64url'),
  Buffer.from(JSON.stringify(['x', 'a'.repeat(36)])).toString('base64url'),
  Buffer.from('[1,2,3]').toString('base64url'),
  Buffer.from(JSON.stringify(['not a date', '6b1e1a52-0c3e-4f4c-9a57-2f1b7c9d0e11'])).toString('base64url'),
  // Well-formed but for a NUL, which PostgreSQL refuses in text: the lists answered these 500.
  Buffer.from(JSON.stringify(['\u0000', '6b1e1a52-0c3e-4f4c-9a57-2f1b7c9d0e11'])).toString('base64url'),
  Buffer.from(JSON.stringify(['x\u0000y', '6b1e1a52-0c3e-4f4c-9a57-2f1b7c9d0e11'])).toString('base64url'),
  Buffer.from(JSON.stringify(['2026-01-01T00:00:00.000Z\u0000', '6b1e1a52-0c3e-4f4c-9a57-2f1b7c9d0e11'])).toString(
    'base64url',
  ),
  'A'.repeat(5000),
];
const BAD_HOSTS = ['a b', '', '[::1', 'localhost:99999', 'localhost:0', 'evil.example/x'];
/** Compact JWS headers the agent's endpoints parse: kids that are not UUIDs, or hold a NUL. */
const jws = (header: object) => `${Buffer.from(JSON.stringify(header)).toString('base64url')}.e30.AAAA`;
const BAD_AUTH = [
  'Bearer x',
  `Bearer ${jws({ alg: 'EdDSA', kid: '-'.repeat(36) })}`,
  `Bearer ${jws({ alg: 'EdDSA', kid: 'a\u0000b' })}`,
  `Bearer ${jws({ alg: 'EdDSA', kid: 'a'.repeat(36) })}`,
  `Bearer ${jws({ alg: 'RS256', kid: 'zz' })}`,
  `Bearer ${'-'.repeat(36)}.${'a'.repeat(43)}`,
  `Bearer ${'a'.repeat(9000)}`,
  'Basic Zm9vOmJhcg==',
];
const BAD_JSON = [
  '{',
  '[',
  'null',
  '5',
  '"x"',
  '[]',
  '{"proof": 5, "wrappedKey": [], "paths": "x", "ids": {}}',
  '\u0000',
];

test('several hundred malformed requests to every route: no 5xx, nothing changed', async ({ portal: page }) => {
  test.setTimeout(300_000);
  await page.goto('/recovery-services');
  await createActiveVault(page, VAULT);
  await page.goto('/settings/tokens');
  await page.getByRole('button', { name: 'CREATE TOKEN' }).click();
  const token = await page.getByRole('textbox', { name: 'Token' }).inputValue();
  const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  const subscriptionId = (await page
    .getByRole('row')
    .filter({ hasText: 'Free Trial' })
    .getByRole('cell')
    .nth(1)
    .textContent())!.trim();
  const origin = `http://localhost:${PORT}`;
  const session = { Cookie: cookie };
  const sameOrigin = { Cookie: cookie, Origin: origin, 'Sec-Fetch-Site': 'same-origin' };
  const arm = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };

  const cases: Raw[] = [];
  const pages = [
    '/',
    '/all-items',
    '/recovery-services',
    '/settings',
    '/settings/users',
    '/settings/security',
    '/settings/tokens',
    '/operation-logs',
    '/api/vault-names',
    '/signin',
  ];
  const tabs = [
    '',
    '/quick-start',
    '/dashboard',
    '/registered-items',
    '/protected-items',
    '/policies',
    '/jobs',
    '/configure',
  ];

  // Ids in every id slot of the pages and the portal's APIs, signed in.
  for (const id of BAD_IDS) {
    for (const tab of tabs) cases.push({ path: `/recovery-services/vaults/${id}${tab}`, headers: session });
    cases.push({ path: `/recovery-services/vaults/${id}/protected-items/${id}/recover`, headers: session });
    cases.push({ method: 'POST', path: `/api/vaults/${id}/credentials`, headers: sameOrigin });
    cases.push({ path: `/api/vaults/${id}/credentials`, headers: session });
    cases.push({ path: `/invitations/${id}` });
    cases.push({ path: `/invitations/${id}`, headers: session });
    for (const list of ['/recovery-services', '/all-items', '/operation-logs'])
      cases.push({ path: `${list}?subscription=${id}`, headers: session });
    for (const step of ['objects', 'missing', 'progress', 'commit', 'fail']) {
      cases.push({
        method: 'POST',
        path: `/api/agent/backups/${id}/${step}`,
        headers: { Authorization: `Bearer ${id}.${'a'.repeat(43)}`, 'Content-Type': 'application/json' },
        body: '{}',
      });
    }
  }
  // Cursors and filters.
  for (const cursor of BAD_CURSORS) {
    for (const list of ['/recovery-services', '/all-items'])
      cases.push({ path: `${list}?after=${cursor}`, headers: session });
    for (const param of ['after', 'before', 'category', 'status', 'q'])
      cases.push({ path: `/operation-logs?${param}=${cursor}&${param}=${cursor}`, headers: session });
    cases.push({
      path: `/subscriptions/${subscriptionId}/providers/Microsoft.RecoveryServices/vaults?api-version=2024-04-01&$skipToken=${cursor}`,
      headers: arm,
    });
    cases.push({
      path: `/subscriptions/${subscriptionId}/resourceGroups/Default-RecoveryServices-ResourceGroup/providers/Microsoft.RecoveryServices/vaults/${VAULT}/backupJobs?$skipToken=${cursor}&$filter=${cursor}`,
      headers: arm,
    });
  }
  // Headers: Host, forwarded headers and cookies next-auth reads on every session lookup.
  for (const host of BAD_HOSTS) {
    for (const path of [
      ...pages,
      '/api/auth/session',
      '/api/operations',
      '/api/health',
      `/subscriptions/${subscriptionId}`,
    ]) {
      cases.push({ path, host, headers: { ...session, ...arm } });
    }
    cases.push({
      path: '/recovery-services',
      headers: { ...session, 'X-Forwarded-Host': host, 'X-Forwarded-Proto': 'gopher' },
    });
    cases.push({
      path: '/api/auth/session',
      headers: { ...session, 'X-Forwarded-Host': host, 'X-Forwarded-For': host },
    });
  }
  cases.push({ path: '/recovery-services', host: null, headers: session });
  for (const junk of [
    'next-auth.session-token=garbage',
    'next-auth.session-token=%zz',
    '__Secure-next-auth.session-token=a.b.c',
  ]) {
    for (const path of ['/recovery-services', '/api/operations', '/api/auth/session', '/settings/tokens']) {
      cases.push({ path, headers: { Cookie: junk } });
    }
  }
  // next-auth's own routes.
  for (const action of [
    'session',
    'csrf',
    'providers',
    'signin',
    'signout',
    'callback/credentials',
    'signin/credentials',
    'error',
    '_log',
    'nope',
    'callback/nope',
  ]) {
    for (const method of ['GET', 'POST', 'PUT', 'DELETE']) {
      cases.push({
        method,
        path: `/api/auth/${action}`,
        headers: { 'Content-Type': 'application/json' },
        body: method === 'GET' ? '' : '{',
      });
    }
    cases.push({
      method: 'POST',
      path: `/api/auth/${action}`,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: '%%%=&&csrfToken=%zz',
    });
  }
  for (const error of ['%E2%9C%93%F0%9F%98%80', encodeURIComponent('\u0100\u4e2d'), '%zz', 'x'.repeat(5000)]) {
    cases.push({ path: `/api/auth/error?error=${error}` });
    cases.push({ path: `/api/auth/signin?error=${error}&callbackUrl=${error}` });
  }
  // The agent's endpoints: tokens and proofs that are not, bodies that are not JSON or not the right JSON.
  const agentRoutes = [
    '/api/agent/register',
    '/api/agent/status',
    '/api/agent/keys',
    '/api/agent/items',
    '/api/agent/points?path=%00',
    '/api/agent/backups',
  ];
  for (const path of agentRoutes) {
    for (const authorization of BAD_AUTH) {
      for (const method of ['GET', 'POST']) {
        cases.push({
          method,
          path,
          headers: { Authorization: authorization, 'Content-Type': 'application/json' },
          body: method === 'POST' ? '{"wrappedKey": 5' : '',
        });
      }
    }
    for (const body of BAD_JSON)
      cases.push({ method: 'POST', path, headers: { 'Content-Type': 'application/json' }, body });
  }
  for (const body of BAD_JSON) {
    cases.push({
      method: 'POST',
      path: '/api/agent/register',
      headers: { 'Content-Type': 'application/json' },
      body: `{"proof": ${JSON.stringify(`${jws({ alg: 'RS256', kid: body })}`)}}`,
    });
  }
  // The ARM API: its rewrite from /subscriptions, ids and names, bodies, methods. DELETE only of what does not exist.
  const vaultPath = `/subscriptions/${subscriptionId}/resourceGroups/Default-RecoveryServices-ResourceGroup/providers/Microsoft.RecoveryServices/vaults/${VAULT}`;
  for (const suffix of [
    '',
    '/usages',
    '/backupstorageconfig/vaultstorageconfig',
    '/certificates/c1',
    '/backupPolicies/DefaultPolicy',
    '/backupJobs',
    '/backupProtectedItems',
  ]) {
    for (const method of ['PUT', 'PATCH', 'POST']) {
      for (const body of BAD_JSON)
        cases.push({ method, path: `${vaultPath}${suffix}?api-version=2024-04-01`, headers: arm, body });
    }
  }
  for (const body of [
    '{"properties": {"storageType": "Bogus"}}',
    '{"tags": 5}',
    '{"location": "moon"}',
    '{"properties": {"certificate": "%%%"}}',
  ]) {
    for (const suffix of ['', '/backupstorageconfig/vaultstorageconfig', '/certificates/c1']) {
      cases.push({ method: 'PUT', path: `${vaultPath}${suffix}`, headers: arm, body });
      cases.push({ method: 'PATCH', path: `${vaultPath}${suffix}`, headers: arm, body });
    }
  }
  for (const id of BAD_IDS) {
    for (const method of ['GET', 'DELETE']) {
      cases.push({
        method,
        path: `/subscriptions/${id}/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/${id}`,
        headers: arm,
      });
      cases.push({ method, path: `${vaultPath}/backupJobs/${id}`, headers: arm });
      cases.push({ method, path: `${vaultPath}/operationStatus/${id}`, headers: arm });
      cases.push({
        method,
        path: `${vaultPath}/backupFabrics/Azure/protectionContainers/${id}/protectedItems/${id}/recoveryPoints/${id}`,
        headers: arm,
      });
      cases.push({
        method,
        path: `/Subscriptions/${subscriptionId}/resourceGroups/${id}/providers/Microsoft.RecoveryServices/vaults/${id}`,
        headers: arm,
      });
    }
    cases.push({ path: `/api/arm/subscriptions/${id}`, headers: { Authorization: `Bearer ${id}` } });
  }
  // Forms and server actions posted to pages: garbage multipart, unknown actions, bodies of the wrong kind.
  for (const path of [...pages, `/recovery-services/vaults/${'-'.repeat(36)}/dashboard`]) {
    for (const [type, body] of [
      ['multipart/form-data; boundary=xyz', 'garbage'],
      ['multipart/form-data', 'garbage'],
      [
        'multipart/form-data; boundary=xyz',
        '--xyz\r\nContent-Disposition: form-data; name="$ACTION_ID_abc"\r\n\r\n\r\n--xyz--\r\n',
      ],
      ['application/x-www-form-urlencoded', '%%%'],
      ['text/plain', '['],
    ] as const) {
      cases.push({ method: 'POST', path, headers: { ...session, 'Content-Type': type }, body });
      cases.push({
        method: 'POST',
        path,
        headers: { ...session, 'Content-Type': type, 'Next-Action': 'a'.repeat(42) },
        body,
      });
      // Replayed from another site: refused before Next.js (which answers such a request 500).
      cases.push({
        method: 'POST',
        path,
        headers: { ...session, 'Content-Type': type, 'Next-Action': 'a'.repeat(42), Origin: 'https://evil.example' },
        body,
      });
    }
  }
  // Every route with methods it does not serve.
  for (const path of [
    '/api/health',
    '/api/operations',
    '/downloads/recovery-services-agent.mjs',
    '/favicon.ico',
    '/icons/icon.svg',
    ...pages,
  ]) {
    for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS']) cases.push({ method, path, headers: session });
  }

  expect(cases.length).toBeGreaterThan(500);
  const before = await databaseDigest();
  const armBefore = await page.request.get(`${vaultPath}?api-version=2024-04-01`, { headers: arm });
  const failures: string[] = [];
  for (const request of cases) {
    const { status, head } = await send(request);
    if (status >= 500 || status === 0) {
      failures.push(
        `${status} ${request.method ?? 'GET'} ${request.path.slice(0, 120)} host=${JSON.stringify(request.host)} ${head.slice(0, 200)}`,
      );
    }
  }
  expect(failures).toEqual([]);

  expect(await databaseDigest()).toBe(before);
  const armAfter = await page.request.get(`${vaultPath}?api-version=2024-04-01`, { headers: arm });
  expect(await armAfter.json()).toEqual(await armBefore.json());
  await page.goto('/recovery-services');
  await expect(page.getByRole('link', { name: VAULT, exact: true })).toBeVisible();
});
