import type { IncomingMessage, ServerResponse } from 'node:http';

/** The control API's public path; its handler is the route app/api/emulator (lib/emulator/http.ts). */
export const EMULATOR_PREFIX = '/_emulator/';
const HANDLER_PREFIX = '/api/emulator/';
/** The same name as lib/emulator/http.ts's EMULATOR_CONTROL_HEADER (this file may not import it: 'server-only'). */
export const CONTROL_HEADER = 'x-portal-emulator-control';

/** Whether the request came from this machine: the control API answers no one else. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.replace(/^::ffff:/, '');
  return a === '::1' || a.startsWith('127.');
}

/**
 * Emulator mode's door to its control API: a `/_emulator/...` request from a loopback client goes on to the route
 * with the header that lets it in; from anywhere else it is refused here, and outside emulator mode it is not found. Every request loses a header of that name it
 * brought, so only this server can set it. Answers false when it has answered the request itself.
 */
export function admitEmulatorControl(req: IncomingMessage, res: ServerResponse, emulator: boolean): boolean {
  delete req.headers[CONTROL_HEADER];
  if (!req.url?.startsWith(EMULATOR_PREFIX)) return true;
  const refuse = (status: number, code: string, message: string) => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify({ error: { code, message } }));
    return false;
  };
  if (!emulator) return refuse(404, 'not_found', 'Not found: this portal is not in emulator mode.');
  if (!isLoopback(req.socket.remoteAddress)) {
    return refuse(403, 'forbidden', 'The emulator control API answers this machine only.');
  }
  req.url = HANDLER_PREFIX + req.url.slice(EMULATOR_PREFIX.length);
  req.headers[CONTROL_HEADER] = '1';
  return true;
}
