import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { EMULATOR_CONTROL_HEADER } from '@/lib/emulator/http';
import { admitEmulatorControl, CONTROL_HEADER } from './emulator';

function request(url: string, address: string, headers: Record<string, string> = {}) {
  return { url, headers: { ...headers }, socket: { remoteAddress: address } } as unknown as IncomingMessage;
}
function response() {
  const sent: { status?: number; body?: string } = {};
  const res = {
    writeHead: (status: number) => {
      sent.status = status;
    },
    end: (body: string) => {
      sent.body = body;
    },
  } as unknown as ServerResponse;
  return { res, sent };
}

describe("emulator mode's door to the control API", () => {
  it('names the header as the route does', () => {
    expect(CONTROL_HEADER).toBe(EMULATOR_CONTROL_HEADER);
  });

  it('hands a loopback client’s /_emulator/ request to the route with the header that lets it in', () => {
    for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      const req = request('/_emulator/clock?x=1', address);
      const { res, sent } = response();
      expect(admitEmulatorControl(req, res, true)).toBe(true);
      expect(req.url).toBe('/api/emulator/clock?x=1');
      expect(req.headers[CONTROL_HEADER]).toBe('1');
      expect(sent.status).toBeUndefined();
    }
  });

  it('refuses other clients, and strips a header a request brought itself', () => {
    const req = request('/_emulator/reset', '192.168.1.20', { [CONTROL_HEADER]: '1' });
    const { res, sent } = response();
    expect(admitEmulatorControl(req, res, true)).toBe(false);
    expect(sent.status).toBe(403);
    expect(req.headers[CONTROL_HEADER]).toBeUndefined();

    const forged = request('/api/emulator/reset', '127.0.0.1', { [CONTROL_HEADER]: '1' });
    expect(admitEmulatorControl(forged, response().res, true)).toBe(true);
    expect(forged.headers[CONTROL_HEADER]).toBeUndefined();
  });

  it('outside emulator mode /_emulator/ is not found, and the header is stripped from any request', () => {
    const req = request('/_emulator/reset', '127.0.0.1', { [CONTROL_HEADER]: '1' });
    const { res, sent } = response();
    expect(admitEmulatorControl(req, res, false)).toBe(false);
    expect(sent.status).toBe(404);
    const other = request('/recovery-services', '127.0.0.1', { [CONTROL_HEADER]: '1' });
    expect(admitEmulatorControl(other, response().res, false)).toBe(true);
    expect(other.headers[CONTROL_HEADER]).toBeUndefined();
  });
});
