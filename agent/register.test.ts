import { createPublicKey } from 'node:crypto';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { compactVerify, importX509 } from 'jose';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseVaultCredentialsFile, type VaultCredentialsDownload } from '@/lib/credentials/vault-credentials-file';
import {
  fakeFetch,
  issueCredentials,
  json,
  PASSPHRASE,
  PORTAL_URL,
  REGISTERED,
  type RecordedRequest,
  run,
  SUBSCRIPTION_ID,
  tempDir,
  VAULT_ID,
  WITHIN_VALIDITY,
  withMismatchedKey,
} from '@/testing/agent';
import {
  AGENT_MESSAGES,
  AGENT_PATHS,
  PROOF_LIFETIME_SECONDS,
  REGISTRATION_AUDIENCE,
  type RegistrationClaims,
} from '@/wire/protocol';
import { type AgentState, checkPassphrase, STATE_DIR_NAME, STATE_FILE_NAME } from './state';

let credentials: VaultCredentialsDownload;
let temp: Awaited<ReturnType<typeof tempDir>>;
let credentialsPath: string;
let passphrasePath: string;
let stateDir: string;

beforeAll(async () => {
  credentials = await issueCredentials();
});

beforeEach(async () => {
  temp = await tempDir();
  credentialsPath = await temp.file('vault.VaultCredentials', credentials.contents);
  passphrasePath = await temp.file('passphrase.txt', `${PASSPHRASE}\n`);
  stateDir = path.join(temp.dir, 'state');
});

afterEach(() => temp.remove());

// The stand-in portal registers the machine, then takes its wrapped vault key.
const portal = () =>
  fakeFetch((request) =>
    request.url.endsWith(AGENT_PATHS.keys) ? json(200, { keyId: KEY_ID }) : json(201, REGISTERED),
  );
const KEY_ID = '5e0c3a8e-2f6b-4d4e-9b1f-7a2c4d6e8f10';
const registrations = (requests: RecordedRequest[]) =>
  requests.filter((request) => request.url.endsWith(AGENT_PATHS.register));

function registerArgs(...extra: string[]): string[] {
  return ['register', '--vault-credentials', credentialsPath, '--state-dir', stateDir, ...extra];
}

async function readStateFile(): Promise<{ text: string; state: AgentState }> {
  const text = await readFile(path.join(stateDir, STATE_FILE_NAME), 'utf8');
  return { text, state: JSON.parse(text) as AgentState };
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

describe('register: what is refused before anything is sent', () => {
  it('refuses a passphrase shorter than 16 characters, trimming only one trailing newline', async () => {
    const { fetch, requests } = portal();
    const short = await temp.file('short.txt', `${'x'.repeat(15)}\n`);
    const result = await run(registerArgs('--passphrase-file', short), { fetch });
    expect(result).toEqual({ code: 1, stdout: '', stderr: `${AGENT_MESSAGES.shortPassphrase}\n` });
    expect(requests).toHaveLength(0);
    expect(await exists(stateDir)).toBe(false);

    // Spaces are part of the passphrase; only the newline an editor adds is not.
    const spaced = await temp.file('spaced.txt', ` ${'x'.repeat(15)}\r\n`);
    expect((await run(registerArgs('--passphrase-file', spaced), { fetch })).code).toBe(0);
    expect(registrations(requests)).toHaveLength(1);
  });

  it('checks the passphrase before the credentials file', async () => {
    const { fetch, requests } = portal();
    const short = await temp.file('short.txt', 'too short');
    const missing = path.join(temp.dir, 'missing.VaultCredentials');
    const result = await run(
      ['register', '--vault-credentials', missing, '--passphrase-file', short, '--state-dir', stateDir],
      { fetch },
    );
    expect(result.stderr).toBe(`${AGENT_MESSAGES.shortPassphrase}\n`);
    expect(requests).toHaveLength(0);
  });

  it('reports a passphrase file it cannot read', async () => {
    const { fetch, requests } = portal();
    const missing = path.join(temp.dir, 'no-such-passphrase.txt');
    const result = await run(registerArgs('--passphrase-file', missing), { fetch });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Could not read the passphrase file .*no-such-passphrase\.txt: ENOENT.*\n$/);
    expect(requests).toHaveLength(0);
  });

  it.each([
    ['a file that does not exist', async () => path.join(temp.dir, 'missing.VaultCredentials')],
    ['a file that is not XML', () => temp.file('bad.VaultCredentials', 'not a vault credentials file')],
    [
      'a file whose key does not match its certificate',
      () => temp.file('tampered.VaultCredentials', withMismatchedKey(credentials.contents)),
    ],
  ])('refuses %s as invalid vault credentials', async (_, makeFile) => {
    const { fetch, requests } = portal();
    const file = await makeFile();
    const result = await run(
      ['register', '--vault-credentials', file, '--passphrase-file', passphrasePath, '--state-dir', stateDir],
      { fetch },
    );
    expect(result).toEqual({ code: 1, stdout: '', stderr: `${AGENT_MESSAGES.invalid}\n` });
    expect(requests).toHaveLength(0);
  });

  it('refuses a credentials file after its certificate expired, and accepts it up to the last second', async () => {
    const { fetch, requests } = portal();
    const notAfter = credentials.certificate.notAfter;
    const late = await run(registerArgs('--passphrase-file', passphrasePath), {
      fetch,
      now: () => new Date(notAfter.getTime() + 1000),
    });
    expect(late).toEqual({ code: 1, stdout: '', stderr: `${AGENT_MESSAGES.expired}\n` });
    expect(requests).toHaveLength(0);

    const justInTime = await run(registerArgs('--passphrase-file', passphrasePath), { fetch, now: () => notAfter });
    expect(justInTime.code).toBe(0);
    expect(registrations(requests)).toHaveLength(1);
  });
});

describe('register: the proof', () => {
  it('sends only a proof, signed RS256 by the vault credential, with the registration claims', async () => {
    const { fetch, requests } = portal();
    const result = await run(registerArgs('--passphrase-file', passphrasePath, '--machine-name', 'fileserver01'), {
      fetch,
    });
    expect(result).toEqual({ code: 0, stdout: `${AGENT_MESSAGES.registered}\n`, stderr: '' });

    expect(requests.map((r) => r.url)).toEqual([
      `${PORTAL_URL}${AGENT_PATHS.register}`,
      `${PORTAL_URL}${AGENT_PATHS.keys}`,
    ]);
    const [request, keyRequest] = requests;
    expect(request?.url).toBe(`${PORTAL_URL}${AGENT_PATHS.register}`);
    expect(request?.method).toBe('POST');
    expect(request?.headers.get('content-type')).toBe('application/json');
    const body = JSON.parse(request?.body ?? '') as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['proof']);

    const certificateKey = await importX509(credentials.certificate.certificatePem, 'RS256');
    const { payload, protectedHeader } = await compactVerify(String(body.proof), certificateKey);
    expect(protectedHeader).toEqual({ alg: 'RS256', kid: credentials.certificate.thumbprint });
    const claims = JSON.parse(new TextDecoder().decode(payload)) as RegistrationClaims;
    const iat = Math.floor(WITHIN_VALIDITY.getTime() / 1000);
    expect(claims).toEqual({
      aud: REGISTRATION_AUDIENCE,
      vaultId: VAULT_ID,
      subscriptionId: SUBSCRIPTION_ID,
      machineName: 'fileserver01',
      machinePublicKey: expect.stringMatching(/^-----BEGIN PUBLIC KEY-----\n/),
      nonce: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
      iat,
      exp: iat + PROOF_LIFETIME_SECONDS,
    });
    expect(createPublicKey(claims.machinePublicKey).asymmetricKeyType).toBe('ed25519');

    // Neither the passphrase nor the credentials file's key travels.
    const privateKeyBody = privateKeyBase64(credentialPrivateKeyPem());
    expect(request?.body).not.toContain(PASSPHRASE);
    expect(request?.body).not.toContain(privateKeyBody.slice(0, 64));
    // Then the vault key, wrapped with a key derived from the passphrase: never the passphrase or the key itself.
    const { wrappedKey } = JSON.parse(keyRequest?.body ?? '') as { wrappedKey: Record<string, unknown> };
    expect(Object.keys(wrappedKey).sort()).toEqual(['ciphertext', 'kdf', 'nonce', 'version']);
    expect(keyRequest?.body).not.toContain(PASSPHRASE);
    const { state } = await readStateFile();
    expect(keyRequest?.body).not.toContain(state.vaultKey);
    expect(state.keyId).toBe(KEY_ID);
  });

  it('names the machine after its host name by default and uses a fresh nonce and machine key each time', async () => {
    const { fetch, requests } = portal();
    await run(registerArgs('--passphrase-file', passphrasePath), { fetch });
    await run(registerArgs('--passphrase-file', passphrasePath), { fetch });
    const [first, second] = await Promise.all(registrations(requests).map((request) => claimsOf(request.body)));
    expect(first?.machineName).toBe(os.hostname());
    expect(first?.nonce).not.toBe(second?.nonce);
    expect(first?.machinePublicKey).not.toBe(second?.machinePublicKey);
  });
});

describe('register: the state it keeps', () => {
  it('writes state.json 0600 in a 0700 directory, with no passphrase and nothing of the credentials file', async () => {
    const { fetch, requests } = portal();
    stateDir = path.join(temp.dir, 'nested', 'state');
    await run(registerArgs('--passphrase-file', passphrasePath), { fetch });

    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(stateDir, STATE_FILE_NAME))).mode & 0o777).toBe(0o600);
    expect(await readdir(stateDir)).toEqual([STATE_FILE_NAME]);

    const { text, state } = await readStateFile();
    expect(Object.keys(state).sort()).toEqual(
      [
        'keyId',
        'machineName',
        'machinePrivateKeyPem',
        'vaultKey',
        'wrappedKey',
        'passphraseCheck',
        'passphraseSalt',
        'portalUrl',
        'registeredAt',
        'serverId',
        'subscriptionId',
        'vaultId',
        'vaultName',
      ].sort(),
    );
    expect(state).toMatchObject({
      portalUrl: PORTAL_URL,
      vaultId: REGISTERED.vaultId,
      vaultName: REGISTERED.vaultName,
      subscriptionId: SUBSCRIPTION_ID,
      serverId: REGISTERED.serverId,
      machineName: REGISTERED.machineName,
      registeredAt: REGISTERED.registeredAt,
    });
    expect(text).not.toContain(PASSPHRASE);
    expect(text).not.toContain(privateKeyBase64(credentialPrivateKeyPem()).slice(0, 64));
    expect(text).not.toContain(credentials.certificate.certificatePem.split('\n')[1]);

    // The stored key is the one whose public half the portal received.
    const sent = await claimsOf(requests[0]?.body);
    expect(createPublicKey(state.machinePrivateKeyPem).export({ type: 'spki', format: 'pem' })).toBe(
      sent.machinePublicKey,
    );
    expect(await checkPassphrase(state, PASSPHRASE)).toBe(true);
    expect(await checkPassphrase(state, `${PASSPHRASE}!`)).toBe(false);
  });

  it('tightens an existing state directory to 0700', async () => {
    await mkdir(stateDir, { mode: 0o755 });
    const { fetch } = portal();
    await run(registerArgs('--passphrase-file', passphrasePath), { fetch });
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
  });

  it('keeps its state in ~/.recovery-services-agent by default', async () => {
    const { fetch } = portal();
    const result = await run(
      ['register', '--vault-credentials', credentialsPath, '--passphrase-file', passphrasePath],
      { fetch, env: { HOME: temp.dir, USERPROFILE: temp.dir } },
    );
    expect(result.code).toBe(0);
    expect(await exists(path.join(temp.dir, STATE_DIR_NAME, STATE_FILE_NAME))).toBe(true);
  });
});

describe('register: what the portal answers', () => {
  it("prints the portal's error message exactly and keeps no state", async () => {
    const message = AGENT_MESSAGES.duplicate('fileserver01');
    const { fetch } = fakeFetch(() => json(409, { error: { code: 'duplicate', message } }));
    const result = await run(registerArgs('--passphrase-file', passphrasePath), { fetch });
    expect(result).toEqual({ code: 1, stdout: '', stderr: `${message}\n` });
    expect(await exists(path.join(stateDir, STATE_FILE_NAME))).toBe(false);
  });

  it('says which portal it could not reach and why', async () => {
    const { fetch } = fakeFetch(() => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:443') });
    });
    const result = await run(registerArgs('--passphrase-file', passphrasePath), { fetch });
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `Could not reach the portal at ${PORTAL_URL}: connect ECONNREFUSED 127.0.0.1:443\n`,
    });
  });

  it('reports an answer that is not the protocol by its HTTP status', async () => {
    const gateway = fakeFetch(() => new Response('<html>', { status: 502, statusText: 'Bad Gateway' }));
    expect((await run(registerArgs('--passphrase-file', passphrasePath), { fetch: gateway.fetch })).stderr).toBe(
      `The portal at ${PORTAL_URL} answered HTTP 502 Bad Gateway\n`,
    );
    const odd = fakeFetch(() => json(200, { hello: 'world' }));
    expect((await run(registerArgs('--passphrase-file', passphrasePath), { fetch: odd.fetch })).stderr).toBe(
      `The portal at ${PORTAL_URL} sent a response the agent does not understand (HTTP 200).\n`,
    );
    expect(await exists(path.join(stateDir, STATE_FILE_NAME))).toBe(false);
  });
});

describe('register --generate-passphrase', () => {
  it('prints the generated passphrase once after registering, and never sends it', async () => {
    const { fetch, requests } = portal();
    const result = await run(registerArgs('--generate-passphrase'), { fetch });
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(AGENT_MESSAGES.registered);
    expect(lines[1]).toMatch(/^Passphrase: [A-Za-z0-9_-]{32}$/);
    expect(lines[2]).toMatch(/^Keep this passphrase safe: it is needed to restore/);
    expect(lines).toHaveLength(3);

    const generated = lines[1]!.slice('Passphrase: '.length);
    expect(result.stdout.split(generated)).toHaveLength(2);
    expect(requests[0]?.body).not.toContain(generated);
    const { text, state } = await readStateFile();
    expect(text).not.toContain(generated);
    expect(await checkPassphrase(state, generated)).toBe(true);
  });
});

describe('register: typing the passphrase in a terminal', () => {
  function terminal(...chunks: string[]) {
    const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: vi.fn() });
    for (const chunk of chunks) stdin.write(chunk);
    return stdin;
  }

  it('asks twice without echoing, in raw mode, and restores the terminal', async () => {
    const { fetch } = portal();
    // A backspace corrects a typo; arrow keys add nothing.
    const stdin = terminal(`${PASSPHRASE}x\u007f\r`, `\u001b[D${PASSPHRASE}\r`);
    const result = await run(registerArgs(), { fetch, stdin });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('Passphrase: \nConfirm passphrase: \n');
    expect(result.stdout).toBe(`${AGENT_MESSAGES.registered}\n`);
    expect(stdin.setRawMode.mock.calls).toEqual([[true], [false], [true], [false]]);
    expect(await checkPassphrase((await readStateFile()).state, PASSPHRASE)).toBe(true);
  });

  it('accepts both answers pasted at once', async () => {
    const { fetch } = portal();
    const result = await run(registerArgs(), { fetch, stdin: terminal(`${PASSPHRASE}\r\n${PASSPHRASE}\r\n`) });
    expect(result.code).toBe(0);
    expect(await checkPassphrase((await readStateFile()).state, PASSPHRASE)).toBe(true);
  });

  it('refuses a confirmation that differs, before anything is sent', async () => {
    const { fetch, requests } = portal();
    const result = await run(registerArgs(), { fetch, stdin: terminal(`${PASSPHRASE}\r`, `${PASSPHRASE}.\r`) });
    expect(result).toMatchObject({
      code: 1,
      stderr: 'Passphrase: \nConfirm passphrase: \nThe passphrases do not match.\n',
    });
    expect(requests).toHaveLength(0);
  });

  it('refuses a short passphrase without asking for the confirmation', async () => {
    const { fetch, requests } = portal();
    const result = await run(registerArgs(), { fetch, stdin: terminal('short\r') });
    expect(result).toMatchObject({ code: 1, stderr: `Passphrase: \n${AGENT_MESSAGES.shortPassphrase}\n` });
    expect(requests).toHaveLength(0);
  });

  it('stops on Ctrl+C', async () => {
    const { fetch, requests } = portal();
    const stdin = terminal('secret\u0003');
    const result = await run(registerArgs(), { fetch, stdin });
    expect(result).toMatchObject({ code: 1, stderr: 'Passphrase: \nCancelled.\n' });
    expect(stdin.setRawMode.mock.calls).toEqual([[true], [false]]);
    expect(requests).toHaveLength(0);
  });
});

async function claimsOf(body: string | undefined): Promise<RegistrationClaims> {
  const { proof } = JSON.parse(body ?? '') as { proof: string };
  const certificateKey = await importX509(credentials.certificate.certificatePem, 'RS256');
  const { payload } = await compactVerify(proof, certificateKey);
  return JSON.parse(new TextDecoder().decode(payload)) as RegistrationClaims;
}

function credentialPrivateKeyPem(): string {
  return parseVaultCredentialsFile(credentials.contents).privateKeyPem;
}

function privateKeyBase64(pem: string): string {
  return pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
}
