import 'server-only';
import { sessionUserId } from '@/lib/auth/session';
import { HTTP_STATUS, PortalError } from '@/lib/errors';
import { getServices, type Services } from '@/lib/services';
import { createSubscription, listFaults, moveClock, realClock, resetEmulator, setFaults } from './control';
import { processJournal, type RecordedRequest } from './journal';
import { seedEmulator } from './seed';

/**
 * Set by the HTTP server (server/http/emulator.ts) on a loopback client's `/_emulator/...` request as it hands it to
 * this route, and removed from every request that arrives: without it the route is not found.
 */
export const EMULATOR_CONTROL_HEADER = 'x-portal-emulator-control';

function json(status: number, body: unknown): Response {
  return Response.json(body, { status, headers: { 'Cache-Control': 'no-store' } });
}

async function body(request: Request): Promise<unknown> {
  const text = await request.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new PortalError('invalid', 'The request body is not JSON.');
  }
}

/** The admin the contract's fresh state has, and its subscription: seeds without a subscriptionId go there. */
async function adminOf(svc: Services): Promise<{ id: string; subscriptionId: string }> {
  const email = (svc.env.PORTAL_ADMIN_EMAIL ?? 'admin@localhost').toLowerCase();
  const { rows } = await svc.pool.query<{ id: string; subscription_id: string }>(
    `select u.id, m.subscription_id from users u join memberships m on m.user_id = u.id and m.role = 'Owner'
      join subscriptions s on s.id = m.subscription_id
      where lower(u.email) = $1 order by s.created_at limit 1`,
    [email],
  );
  if (!rows[0]) throw new PortalError('conflict', 'The emulator has no admin: POST /_emulator/reset first.');
  return { id: rows[0].id, subscriptionId: rows[0].subscription_id };
}

/** The journal as the contract lists it: who asked is the signed-in person's email (null for machines and visitors). */
async function journalSince(svc: Services, since: string | null) {
  const from = since === null ? undefined : Date.parse(since);
  if (from !== undefined && Number.isNaN(from))
    throw new PortalError('invalid', 'since must be a date and time (ISO 8601).');
  const emails = new Map<string, string | null>();
  const who = async (entry: RecordedRequest): Promise<string | null> => {
    const secret = svc.env.AUTH_SECRET;
    if (!entry.cookie || !secret) return null;
    if (emails.has(entry.cookie)) return emails.get(entry.cookie)!;
    const cookies = new Map<string, string>();
    for (const part of entry.cookie.split(';')) {
      const at = part.indexOf('=');
      if (at > 0) cookies.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
    }
    const reader = { get: (name: string) => (cookies.has(name) ? { value: cookies.get(name)! } : undefined) };
    const id = await sessionUserId(reader, secret).catch(() => null);
    const email = id
      ? ((await svc.pool.query<{ email: string }>('select email from users where id = $1', [id])).rows[0]?.email ??
        null)
      : null;
    emails.set(entry.cookie, email);
    return email;
  };
  const entries = processJournal().since(from);
  const requests = [];
  for (const entry of entries) {
    requests.push({
      method: entry.method,
      path: entry.path,
      status: entry.status,
      at: entry.at,
      user: await who(entry),
    });
  }
  return { requests };
}

/**
 * The emulator's control API (the contract's "Emulator mode"): `/_emulator/ROUTE`, handed here by the HTTP server
 * for loopback clients in emulator mode only; anything else is not found. JSON in and out, no session.
 */
export async function emulatorControl(request: Request, route: string[]): Promise<Response> {
  const svc = await getServices();
  if (!svc.env.emulator || request.headers.get(EMULATOR_CONTROL_HEADER) !== '1') {
    return json(404, { error: { code: 'not_found', message: 'Not found.' } });
  }
  const name = `${request.method} /${route.join('/')}`;
  try {
    switch (name) {
      case 'POST /reset':
        return json(200, await resetEmulator(svc, await body(request)));
      case 'POST /seed':
        return json(200, await seedEmulator(svc, await adminOf(svc), await body(request)));
      case 'PUT /faults':
        return json(200, setFaults(svc, await body(request)));
      case 'GET /faults':
        return json(200, listFaults(svc));
      case 'DELETE /faults':
        svc.faults.clear();
        return json(200, listFaults(svc));
      case 'GET /clock':
        return json(200, { now: svc.clock.now().toISOString() });
      case 'POST /clock':
        return json(200, await moveClock(svc, await body(request)));
      case 'DELETE /clock':
        return json(200, await realClock(svc));
      case 'GET /requests':
        return json(200, await journalSince(svc, new URL(request.url).searchParams.get('since')));
      case 'POST /subscriptions':
        return json(201, await createSubscription(svc, await body(request)));
      default:
        return json(404, { error: { code: 'not_found', message: `No such control: ${name}.` } });
    }
  } catch (err) {
    if (err instanceof PortalError)
      return json(HTTP_STATUS[err.code], { error: { code: err.code, message: err.message } });
    console.error('emulator control failed:', name, err);
    return json(500, { error: { code: 'internal', message: (err as Error).message } });
  }
}
