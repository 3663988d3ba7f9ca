import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import forge from 'node-forge';
import { runAgent } from '@/agent/cli';
import type { AgentIO, TextOutput } from '@/agent/io';
import { createVaultCredentialsFile, type VaultCredentialsDownload } from '@/lib/credentials/vault-credentials-file';
import type { RegisterResponse } from '@/wire/protocol';

export const SUBSCRIPTION_ID = '3f2504e0-4f89-11d3-9a0c-0305e82c3301';
export const VAULT_ID = '6b1e1a52-0c3e-4f4c-9a57-2f1b7c9d0e11';
export const VAULT_NAME = 'testvault';
export const PORTAL_URL = 'https://backup.example.com';
/** Credential files in tests are issued at this instant, valid from 10 minutes before it for 48 hours after it. */
export const ISSUED_AT = new Date('2016-04-10T03:04:05Z');
export const WITHIN_VALIDITY = new Date('2016-04-10T04:00:00Z');
export const PASSPHRASE = 'correct horse battery staple';

export function issueCredentials(): Promise<VaultCredentialsDownload> {
  return createVaultCredentialsFile({
    vaultName: VAULT_NAME,
    vaultId: VAULT_ID,
    subscriptionId: SUBSCRIPTION_ID,
    portalUrl: `${PORTAL_URL}/`,
    now: ISSUED_AT,
  });
}

/** The same file with its PKCS#12 holding the certificate next to some other RSA key, as a tampered file would. */
export function withMismatchedKey(contents: string): string {
  const match = /<ManagementCert>([^<]*)<\/ManagementCert>/.exec(contents);
  if (!match?.[1]) throw new Error('ManagementCert not found');
  const pfx = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(Buffer.from(match[1], 'base64').toString('binary')));
  const cert = pfx.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!]![0]!.cert!;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const otherKey = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString());
  const mismatched = forge.pkcs12.toPkcs12Asn1(otherKey, [cert], null, { algorithm: '3des' });
  const base64 = Buffer.from(forge.asn1.toDer(mismatched).getBytes(), 'binary').toString('base64');
  return contents.replace(match[0], `<ManagementCert>${base64}</ManagementCert>`);
}

/** A temporary directory per test, removed afterwards. */
export async function tempDir(): Promise<{
  dir: string;
  file: (name: string, contents: string) => Promise<string>;
  remove: () => Promise<void>;
}> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'agent-test-'));
  return {
    dir,
    file: async (name, contents) => {
      const file = path.join(dir, name);
      await writeFile(file, contents);
      return file;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

export type Collected = TextOutput & { text: () => string };

export function collector(): Collected {
  const chunks: string[] = [];
  return { write: (text: string) => chunks.push(text), text: () => chunks.join('') };
}

export type RecordedRequest = { url: string; method: string; headers: Headers; body: string | undefined };

/** A fetch that records each request and answers with `respond`, so tests see exactly what left the agent. */
export function fakeFetch(respond: (request: RecordedRequest) => Response | Promise<Response>) {
  const requests: RecordedRequest[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const request: RecordedRequest = {
      url: String(input),
      method: init?.method ?? 'GET',
      headers: new Headers(init?.headers),
      body: typeof init?.body === 'string' ? init.body : undefined,
    };
    requests.push(request);
    return respond(request);
  };
  return { fetch, requests };
}

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

export const REGISTERED: RegisterResponse = {
  serverId: '0d8c2b8e-7d0e-4a57-b0a4-1f0c7b5a9e21',
  vaultId: VAULT_ID,
  vaultName: VAULT_NAME,
  machineName: 'fileserver01',
  registeredAt: '2016-04-10T04:00:01.000Z',
};

export type RunResult = { code: number; stdout: string; stderr: string };

export async function run(argv: string[], io: Omit<AgentIO, 'stdout' | 'stderr'>): Promise<RunResult> {
  const stdout = collector();
  const stderr = collector();
  const code = await runAgent(argv, { now: () => WITHIN_VALIDITY, env: {}, ...io, stdout, stderr });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}
