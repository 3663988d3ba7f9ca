import type { IncomingMessage, ServerResponse } from 'node:http';
import { sessionUserId } from '@/lib/auth/session';
import {
  createSubscription,
  listFaults,
  moveClock,
  type RequestJournal,
  realClock,
  resetEmulator,
  setFaults,
} from '@/lib/emulator/control';
import { seedEmulator } from '@/lib/emulator/seed';
import { HTTP_STATUS, PortalError } from '@/lib/errors';
import type { Services } from '@/lib/services';

export const EMULATOR_PREFIX = '/_emulator/';
const BODY_LIMIT = 32 * 1024 * 1024;

/** Whether the request came from this machine: the control API answers no one else. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.replace(/^::ffff:/, '');
  return a === '::1' || a.startsWith('127.');
}

function answer(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(status === 204 ? undefined : JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT) throw new PortalError('invalid', 'The request body is too large (32 MiB at most).');
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new PortalError('invalid', 'The request body is not JSON.');
  }
}

/** Who made a request, for the journal: the signed-in person's email, or null. Emails are looked up once per id. */
export function journalUser(secret: string | undefined, svc: () => Services) {
  const emails = new Map<string, string | null>();
  return async (cookieHeader: string | undefined): Promise<string | null> => {
    if (!secret || !cookieHeader) return null;
    const cookies = new Map<string, string>();
    for (const part of cookieHeader.split(';')) {
      const at = part.indexOf('=');
      if (at > 0) cookies.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
    }
    const reader = { get: (name: string) => (cookies.has(name) ? { value: cookies.get(name)! } : undefined) };
    const id = await sessionUserId(reader, secret).catch(() => null);
    if (!id) return null;
    if (!emails.has(id)) {
      const { rows } = await svc().pool.query<{ email: string }>('select email from users where id = $1', [id]);
      emails.set(id, rows[0]?.email ?? null);
    }
    return emails.get(id) ?? null;
  };
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

/**
 * The emulator's control API (the contract's "Emulator mode"): only in emulator mode, only to loopback clients, JSON
 * in and out, no session. Answers false for a request that is not its own (the caller goes on with it).
 */
export function serveEmulatorControl(
  req: IncomingMessage,
  res: ServerResponse,
  svc: () => Services,
  journal: RequestJournal,
): boolean {
  const url = req.url ?? '';
  if (!url.startsWith(EMULATOR_PREFIX)) return false;
  const { pathname, searchParams } = new URL(url, 'http://emulator');
  const route = `${req.method} ${pathname.slice(EMULATOR_PREFIX.length - 1)}`;
  if (!isLoopback(req.socket.remoteAddress)) {
    answer(res, 403, { error: { code: 'forbidden', message: 'The emulator control API answers this machine only.' } });
    return true;
  }
  const run = async () => {
    const services = svc();
    switch (route) {
      case 'POST /reset':
        return answer(res, 200, await resetEmulator(services, journal, await readJson(req)));
      case 'POST /seed':
        return answer(res, 200, await seedEmulator(services, await adminOf(services), await readJson(req)));
      case 'PUT /faults':
        return answer(res, 200, setFaults(services, await readJson(req)));
      case 'GET /faults':
        return answer(res, 200, listFaults(services));
      case 'DELETE /faults':
        services.faults.clear();
        return answer(res, 200, listFaults(services));
      case 'GET /clock':
        return answer(res, 200, { now: services.clock.now().toISOString() });
      case 'POST /clock':
        return answer(res, 200, await moveClock(services, await readJson(req)));
      case 'DELETE /clock':
        return answer(res, 200, await realClock(services));
      case 'GET /requests':
        return answer(res, 200, { requests: journal.since(searchParams.get('since') ?? undefined) });
      case 'POST /subscriptions':
        return answer(res, 201, await createSubscription(services, await readJson(req)));
      default:
        return answer(res, 404, { error: { code: 'not_found', message: `No such control: ${route}.` } });
    }
  };
  run().catch((err: unknown) => {
    if (res.headersSent) return res.end();
    if (err instanceof PortalError) {
      answer(res, HTTP_STATUS[err.code], { error: { code: err.code, message: err.message } });
    } else {
      console.error('emulator control failed:', route, err);
      answer(res, 500, { error: { code: 'internal', message: (err as Error).message } });
    }
  });
  return true;
}
