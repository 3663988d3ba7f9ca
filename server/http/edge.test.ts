import { describe, expect, it } from 'vitest';
import { isPageFormPost, isValidHost, isValidPath, isWellFormedForm, screenRequest } from './edge';

describe('isValidHost', () => {
  it('accepts what a URL can hold and refuses the rest', () => {
    for (const ok of ['localhost', 'localhost:3000', 'backup.example.com', '127.0.0.1:65535', '[::1]', '[::1]:3000']) {
      expect(isValidHost(ok), ok).toBe(true);
    }
    for (const bad of ['', 'a b', '[::1', 'localhost:99999', 'localhost:0', 'evil.example/x', 'a@b', '[zz]', 'x:']) {
      expect(isValidHost(bad), bad).toBe(false);
    }
  });
});

describe('isValidPath', () => {
  it('refuses a % escape that does not decode and a NUL', () => {
    expect(isValidPath('/recovery-services/vaults/abc/dashboard?x=%zz')).toBe(true);
    expect(isValidPath('/subscriptions/a%20b')).toBe(true);
    expect(isValidPath('/recovery-services/vaults/%E0%A4%A/dashboard')).toBe(false);
    expect(isValidPath('/recovery-services/vaults/%/dashboard')).toBe(false);
    expect(isValidPath('/a%00b')).toBe(false);
    expect(isValidPath('*')).toBe(false);
  });
});

describe('screenRequest', () => {
  const request = (headers: Record<string, string>) => ({
    url: '/',
    headers: { host: 'localhost:3000', ...headers } as Record<string, string | undefined>,
    socketAddress: '192.0.2.10',
  });

  it('without a trusted proxy drops forwarded headers and names the socket as the client', () => {
    const r = request({
      'x-forwarded-host': 'evil.example',
      'x-forwarded-proto': 'https',
      'x-forwarded-for': '1.2.3.4',
    });
    expect(screenRequest(r, false)).toEqual({ ok: true });
    expect(r.headers['x-forwarded-host']).toBeUndefined();
    expect(r.headers['x-forwarded-proto']).toBeUndefined();
    expect(r.headers['x-forwarded-for']).toBe('192.0.2.10');
  });

  it('behind a trusted proxy keeps valid forwarded headers, the last address as the client, and refuses bad ones', () => {
    const r = request({
      'x-forwarded-host': 'backup.example.com',
      'x-forwarded-proto': 'https',
      'x-forwarded-for': '1.2.3.4, 198.51.100.7',
    });
    expect(screenRequest(r, true)).toEqual({ ok: true });
    expect(r.headers).toMatchObject({
      'x-forwarded-host': 'backup.example.com',
      'x-forwarded-proto': 'https',
      'x-forwarded-for': '198.51.100.7',
    });
    for (const bad of <Record<string, string>[]>[
      { 'x-forwarded-host': 'a b' },
      { 'x-forwarded-host': 'localhost:99999' },
      { 'x-forwarded-proto': 'gopher' },
      { 'x-forwarded-for': 'not-an-address' },
    ]) {
      expect(screenRequest(request(bad), true).ok, JSON.stringify(bad)).toBe(false);
    }
  });

  it('refuses a malformed Host and path whoever is trusted', () => {
    for (const host of ['a b', '', '[::1', 'localhost:99999']) {
      expect(screenRequest(request({ host }), false)).toEqual({
        ok: false,
        status: 400,
        message: 'The Host header is malformed.',
      });
    }
    expect(screenRequest({ ...request({}), url: '/api/vaults/%zz/credentials' }, false)).toEqual({
      ok: false,
      status: 400,
      message: 'The request path is malformed.',
    });
    expect(screenRequest({ ...request({}), method: 'PUT', url: '/favicon.ico' }, false)).toMatchObject({ status: 405 });
    expect(screenRequest({ ...request({}), method: 'GET', url: '/icons/icon.svg' }, false)).toEqual({ ok: true });
  });
});

describe('page form posts', () => {
  it('are the multipart POSTs to pages, checked before Next.js parses them', async () => {
    const post = (url: string, type = 'multipart/form-data; boundary=x') => ({
      method: 'POST',
      url,
      headers: { 'content-type': type },
    });
    expect(isPageFormPost(post('/signin'))).toBe(true);
    expect(isPageFormPost(post('/recovery-services/vaults/x/dashboard'))).toBe(true);
    expect(isPageFormPost(post('/api/agent/backups'))).toBe(false);
    expect(isPageFormPost(post('/Subscriptions/x'))).toBe(false);
    expect(isPageFormPost(post('/signin', 'application/x-www-form-urlencoded'))).toBe(false);
    const form = new TextEncoder().encode('--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n');
    expect(await isWellFormedForm('multipart/form-data; boundary=x', form)).toBe(true);
    expect(await isWellFormedForm('multipart/form-data; boundary=x', new TextEncoder().encode('garbage'))).toBe(false);
    expect(await isWellFormedForm('multipart/form-data', form)).toBe(false);
  });
});

describe('isCrossSiteAction', () => {
  const post = (url: string, headers: Record<string, string>) => ({
    method: 'POST',
    url,
    headers: { host: 'localhost:3000', ...headers } as Record<string, string | undefined>,
    socketAddress: '127.0.0.1',
  });

  it("refuses a server action from another site with a 403, as Next's own rule would (which answers 500)", () => {
    const action = { 'next-action': 'abc123', origin: 'https://evil.example', 'content-type': 'text/plain' };
    expect(screenRequest(post('/recovery-services', action), false)).toEqual({
      ok: false,
      status: 403,
      message: 'The request came from another site: the portal refuses it.',
    });
    for (const origin of ['null', 'not a url']) {
      expect(screenRequest(post('/settings/tokens', { ...action, origin }), false)).toMatchObject({ status: 403 });
    }
    const form = { origin: 'https://evil.example', 'content-type': 'multipart/form-data; boundary=x' };
    expect(screenRequest(post('/settings/users', form), false)).toMatchObject({ status: 403 });
  });

  it('lets the portal’s own actions, requests without Origin, the APIs and a trusted proxy’s host through', () => {
    const own = { 'next-action': 'abc123', origin: 'http://localhost:3000', 'content-type': 'text/plain' };
    expect(screenRequest(post('/recovery-services', own), false)).toEqual({ ok: true });
    expect(screenRequest(post('/recovery-services', { 'next-action': 'abc123' }), false)).toEqual({ ok: true });
    const api = { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' };
    expect(screenRequest(post('/api/auth/signout', api), false)).toEqual({ ok: true });
    const proxied = { ...own, origin: 'https://backup.example.com', 'x-forwarded-host': 'backup.example.com' };
    expect(screenRequest(post('/recovery-services', proxied), true)).toEqual({ ok: true });
    // An untrusted X-Forwarded-Host is dropped first, so it cannot make another site's Origin match.
    const spoofed = { ...own, origin: 'https://evil.example', 'x-forwarded-host': 'evil.example' };
    expect(screenRequest(post('/recovery-services', spoofed), false)).toMatchObject({ status: 403 });
  });
});
