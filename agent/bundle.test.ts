import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { compactVerify, decodeJwt, importX509 } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVaultCredentialsFile } from '@/lib/credentials/vault-credentials-file';
import {
  issueCredentials,
  PASSPHRASE,
  REGISTERED,
  SUBSCRIPTION_ID,
  tempDir,
  VAULT_ID,
  VAULT_NAME,
} from '@/testing/agent';
import { AGENT_MESSAGES, AGENT_PATHS, FOLLOWS_PORTAL_CLOCK_LINE, type StatusResponse } from '@/wire/protocol';
import { USAGE } from './cli';

const REPO_ROOT = path.resolve(import.meta.dirname, '..');

type Exit = { code: number | null; stdout: string; stderr: string };

function node(args: string[]): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let temp: Awaited<ReturnType<typeof tempDir>>;
let agent: string;

beforeAll(async () => {
  temp = await tempDir();
  agent = path.join(temp.dir, 'dist', 'recovery-services-agent.mjs');
  const build = await node(['scripts/build-agent.mjs', '--outfile', agent]);
  expect(build.stderr).toBe('');
  expect(build.code).toBe(0);
  expect(build.stdout).toContain(agent);
});

afterAll(() => temp?.remove());

describe('the bundled agent', () => {
  it('exits 2 with the usage text when given no command', async () => {
    expect(await node([agent])).toEqual({ code: 2, stdout: '', stderr: `No command given.\n\n${USAGE}` });
  });

  it('refuses a short passphrase file with the exact message', async () => {
    const credentials = await temp.file('vault.VaultCredentials', (await issueCredentials()).contents);
    const short = await temp.file('short.txt', 'fifteen chars!!\n');
    const result = await node([
      agent,
      'register',
      '--vault-credentials',
      credentials,
      '--passphrase-file',
      short,
      '--state-dir',
      path.join(temp.dir, 'state-short'),
    ]);
    expect(result).toEqual({ code: 1, stdout: '', stderr: `${AGENT_MESSAGES.shortPassphrase}\n` });
  });

  it('parses the credentials file and refuses an expired one', async () => {
    // Issued in 2016, so long expired by the real clock.
    const credentials = await temp.file('expired.VaultCredentials', (await issueCredentials()).contents);
    const passphrase = await temp.file('passphrase.txt', PASSPHRASE);
    const result = await node([
      agent,
      'register',
      '--vault-credentials',
      credentials,
      '--passphrase-file',
      passphrase,
      '--state-dir',
      path.join(temp.dir, 'state-expired'),
    ]);
    expect(result).toEqual({ code: 1, stdout: '', stderr: `${AGENT_MESSAGES.expired}\n` });
  });

  describe('against a stand-in portal', () => {
    let server: Server;
    let portalUrl: string;
    let certificatePem: string;
    let credentialsPath: string;
    let passphrasePath: string;
    /** How far the stand-in portal's clock is ahead, and the times its signed requests claimed. */
    const portalOffsetMs = 24 * 3600_000;
    const signedAt: Record<string, number> = {};

    beforeAll(async () => {
      server = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', async () => {
          const reply = (status: number, body: unknown) => {
            response.writeHead(status, { 'content-type': 'application/json' });
            response.end(JSON.stringify(body));
          };
          if (request.method === 'POST' && request.url === AGENT_PATHS.register) {
            const { proof } = JSON.parse(Buffer.concat(chunks).toString()) as { proof: string };
            const verified = await compactVerify(proof, await importX509(certificatePem, 'RS256')).catch(() => null);
            signedAt.register = decodeJwt(proof).iat!;
            return verified ? reply(201, REGISTERED) : reply(400, { error: { code: 'invalid', message: 'bad proof' } });
          }
          if (request.method === 'POST' && request.url === AGENT_PATHS.keys) {
            return reply(200, { keyId: '5e0c3a8e-2f6b-4d4e-9b1f-7a2c4d6e8f10' });
          }
          if (request.method === 'GET' && request.url === AGENT_PATHS.clock) {
            return reply(200, { now: new Date(Date.now() + portalOffsetMs).toISOString() });
          }
          if (request.method === 'GET' && request.url === AGENT_PATHS.status) {
            const token = request.headers.authorization?.slice('Bearer '.length);
            if (token) signedAt.status = decodeJwt(token).iat!;
            const status: StatusResponse = { ...REGISTERED, status: 'Registered' };
            return request.headers.authorization?.startsWith('Bearer ')
              ? reply(200, status)
              : reply(401, { error: { code: 'revoked', message: AGENT_MESSAGES.revoked } });
          }
          reply(404, { error: { code: 'bad_request', message: 'not found' } });
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      portalUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const download = await createVaultCredentialsFile({
        vaultName: VAULT_NAME,
        vaultId: VAULT_ID,
        subscriptionId: SUBSCRIPTION_ID,
        portalUrl,
      });
      certificatePem = download.certificate.certificatePem;
      credentialsPath = await temp.file('current.VaultCredentials', download.contents);
      passphrasePath = await temp.file('passphrase.txt', PASSPHRASE);
    });

    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('registers, then reports its status', async () => {
      const stateDir = path.join(temp.dir, 'state-portal');
      const registered = await node([
        agent,
        'register',
        '--vault-credentials',
        credentialsPath,
        '--passphrase-file',
        passphrasePath,
        '--state-dir',
        stateDir,
      ]);
      expect(registered).toEqual({ code: 0, stdout: `${AGENT_MESSAGES.registered}\n`, stderr: '' });

      const status = await node([agent, 'status', '--state-dir', stateDir]);
      expect(status.code).toBe(0);
      expect(status.stdout).toContain(`Portal: ${portalUrl}\nVault: ${VAULT_NAME} (${VAULT_ID})\n`);
    });

    it("follows the portal's clock when downloaded from an emulator (its first statement says so)", async () => {
      // The download route of a portal in emulator mode puts the line right after the #! line.
      const [shebang, ...rest] = (await readFile(agent, 'utf8')).split('\n');
      expect(shebang).toMatch(/^#!/);
      const following = path.join(temp.dir, 'dist', 'following-agent.mjs');
      await writeFile(following, [shebang, FOLLOWS_PORTAL_CLOCK_LINE, ...rest].join('\n'));
      const stateDir = path.join(temp.dir, 'state-following');
      const registered = await node([
        following,
        'register',
        '--vault-credentials',
        credentialsPath,
        '--passphrase-file',
        passphrasePath,
        '--state-dir',
        stateDir,
      ]);
      expect(registered).toEqual({ code: 0, stdout: `${AGENT_MESSAGES.registered}\n`, stderr: '' });
      const status = await node([following, 'status', '--state-dir', stateDir]);
      expect(status.code).toBe(0);
      const portalNow = (Date.now() + portalOffsetMs) / 1000;
      for (const call of ['register', 'status']) {
        expect(signedAt[call]).toBeGreaterThan(portalNow - 60);
        expect(signedAt[call]).toBeLessThanOrEqual(portalNow);
      }

      // The bundle as built keeps its machine's time.
      expect((await node([agent, 'status', '--state-dir', stateDir])).code).toBe(0);
      expect(signedAt.status).toBeLessThanOrEqual(Date.now() / 1000);
    });

    it('says which portal it could not reach and why', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const unreachable = await createVaultCredentialsFile({
        vaultName: VAULT_NAME,
        vaultId: VAULT_ID,
        subscriptionId: SUBSCRIPTION_ID,
        portalUrl: `http://127.0.0.1:${port}`,
      });
      const file = await temp.file('unreachable.VaultCredentials', unreachable.contents);
      const result = await node([
        agent,
        'register',
        '--vault-credentials',
        file,
        '--passphrase-file',
        passphrasePath,
        '--state-dir',
        path.join(temp.dir, 'state-unreachable'),
      ]);
      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr: `Could not reach the portal at http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}\n`,
      });
    });
  });
});
