import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { compactVerify, importSPKI } from 'jose';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { VaultCredentialsDownload } from '@/lib/credentials/vault-credentials-file';
import {
  fakeFetch,
  issueCredentials,
  json,
  PASSPHRASE,
  PORTAL_URL,
  REGISTERED,
  run,
  tempDir,
  WITHIN_VALIDITY,
} from '@/testing/agent';
import {
  AGENT_MESSAGES,
  AGENT_PATHS,
  MACHINE_AUDIENCE,
  type MachineClaims,
  type RegistrationClaims,
  type StatusResponse,
} from '@/wire/protocol';
import { MACHINE_TOKEN_LIFETIME_SECONDS } from './proof';
import { STATE_FILE_NAME } from './state';

const STATUS: StatusResponse = { ...REGISTERED, status: 'Registered' };

let credentials: VaultCredentialsDownload;
let temp: Awaited<ReturnType<typeof tempDir>>;
let stateDir: string;
/** The public key the machine gave the portal when it registered. */
let machinePublicKey: string;

beforeAll(async () => {
  credentials = await issueCredentials();
});

beforeEach(async () => {
  temp = await tempDir();
  stateDir = path.join(temp.dir, 'state');
  const registration = fakeFetch(() => json(201, REGISTERED));
  const credentialsPath = await temp.file('vault.VaultCredentials', credentials.contents);
  const passphrasePath = await temp.file('passphrase.txt', PASSPHRASE);
  const registered = await run(
    ['register', '--vault-credentials', credentialsPath, '--passphrase-file', passphrasePath, '--state-dir', stateDir],
    { fetch: registration.fetch },
  );
  expect(registered.code).toBe(0);
  const { proof } = JSON.parse(registration.requests[0]?.body ?? '') as { proof: string };
  machinePublicKey = (JSON.parse(Buffer.from(proof.split('.')[1] ?? '', 'base64url').toString()) as RegistrationClaims)
    .machinePublicKey;
});

afterEach(() => temp.remove());

describe('status', () => {
  it('says the machine is not registered when it has no state, without calling the portal', async () => {
    const { fetch, requests } = fakeFetch(() => json(200, STATUS));
    const result = await run(['status', '--state-dir', path.join(temp.dir, 'elsewhere')], { fetch });
    expect(result).toEqual({ code: 1, stdout: '', stderr: `${AGENT_MESSAGES.notRegistered}\n` });
    expect(requests).toHaveLength(0);
  });

  it('asks the portal with a token signed by the machine key and prints what it answers', async () => {
    const { fetch, requests } = fakeFetch(() => json(200, STATUS));
    const result = await run(['status', '--state-dir', stateDir], { fetch });
    expect(result).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        `Portal: ${PORTAL_URL}`,
        `Vault: ${STATUS.vaultName} (${STATUS.vaultId})`,
        `Machine: ${STATUS.machineName}`,
        `Server ID: ${STATUS.serverId}`,
        `Registered: ${STATUS.registeredAt}`,
        'Status: Registered',
        '',
      ].join('\n'),
    });

    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request?.url).toBe(`${PORTAL_URL}${AGENT_PATHS.status}`);
    expect(request?.method).toBe('GET');
    expect(request?.body).toBeUndefined();
    const token = /^Bearer (.+)$/.exec(request?.headers.get('authorization') ?? '')?.[1] ?? '';
    const { payload, protectedHeader } = await compactVerify(token, await importSPKI(machinePublicKey, 'EdDSA'));
    expect(protectedHeader).toEqual({ alg: 'EdDSA', kid: REGISTERED.serverId });
    const iat = Math.floor(WITHIN_VALIDITY.getTime() / 1000);
    expect(JSON.parse(new TextDecoder().decode(payload)) as MachineClaims).toEqual({
      aud: MACHINE_AUDIENCE,
      nonce: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
      iat,
      exp: iat + MACHINE_TOKEN_LIFETIME_SECONDS,
    });
  });

  it("prints the portal's error message exactly", async () => {
    const { fetch } = fakeFetch(() => json(401, { error: { code: 'revoked', message: AGENT_MESSAGES.revoked } }));
    const result = await run(['status', '--state-dir', stateDir], { fetch });
    expect(result).toEqual({ code: 1, stdout: '', stderr: `${AGENT_MESSAGES.revoked}\n` });
  });

  it('reports a damaged state file on one line', async () => {
    await writeFile(path.join(stateDir, STATE_FILE_NAME), '{"portalUrl": "https://x"}');
    const { fetch, requests } = fakeFetch(() => json(200, STATUS));
    const result = await run(['status', '--state-dir', stateDir], { fetch });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^The agent state file .*state\.json is missing vaultId, vaultName, .*\n$/);
    expect(result.stderr.split('\n')).toHaveLength(2);
    expect(requests).toHaveLength(0);
  });
});
