import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PASSPHRASE, tempDir } from '@/testing/agent';
import {
  type AgentState,
  checkPassphrase,
  createPassphraseCheck,
  defaultStateDir,
  derivePassphraseKey,
  readState,
  STATE_FILE_NAME,
  writeState,
} from './state';

let temp: Awaited<ReturnType<typeof tempDir>>;

beforeEach(async () => {
  temp = await tempDir();
});

afterEach(() => temp.remove());

async function sampleState(): Promise<AgentState> {
  return {
    portalUrl: 'https://backup.example.com',
    vaultId: 'vault-id',
    vaultName: 'testvault',
    subscriptionId: 'subscription-id',
    serverId: 'server-id',
    machineName: 'fileserver01',
    registeredAt: '2016-04-10T04:00:01.000Z',
    machinePrivateKeyPem: '-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n',
    ...(await createPassphraseCheck(PASSPHRASE)),
  };
}

describe('passphrase check', () => {
  it('derives a 32-byte key that depends on the passphrase and the salt', async () => {
    const salt = Buffer.alloc(16, 1);
    const key = await derivePassphraseKey(PASSPHRASE, salt);
    expect(key).toHaveLength(32);
    expect(await derivePassphraseKey(PASSPHRASE, salt)).toEqual(key);
    expect(await derivePassphraseKey(PASSPHRASE, Buffer.alloc(16, 2))).not.toEqual(key);
    expect(await derivePassphraseKey(`${PASSPHRASE}.`, salt)).not.toEqual(key);
  });

  it('treats composed and decomposed forms of the same characters as the same passphrase', async () => {
    const salt = Buffer.alloc(16, 1);
    const composed = 'Crème brûlée, s’il vous plaît';
    expect(await derivePassphraseKey(composed.normalize('NFD'), salt)).toEqual(
      await derivePassphraseKey(composed.normalize('NFC'), salt),
    );
  });

  it('recognises the passphrase it was made from and no other, storing neither it nor its key', async () => {
    const check = await createPassphraseCheck(PASSPHRASE);
    expect(await checkPassphrase(check, PASSPHRASE)).toBe(true);
    expect(await checkPassphrase(check, PASSPHRASE.toUpperCase())).toBe(false);
    const key = await derivePassphraseKey(PASSPHRASE, Buffer.from(check.passphraseSalt, 'base64'));
    expect(check.passphraseCheck).not.toBe(key.toString('base64'));
    expect((await createPassphraseCheck(PASSPHRASE)).passphraseSalt).not.toBe(check.passphraseSalt);
  });
});

describe('state file', () => {
  it('round-trips, writing only the known fields, 0600, and leaving no temporary file', async () => {
    const dir = path.join(temp.dir, 'state');
    const state = await sampleState();
    await writeState(dir, { ...state, passphrase: PASSPHRASE } as AgentState);
    expect(await readState(dir)).toEqual(state);
    expect(await readFile(path.join(dir, STATE_FILE_NAME), 'utf8')).not.toContain(PASSPHRASE);
    expect((await stat(path.join(dir, STATE_FILE_NAME))).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);

    await writeState(dir, { ...state, serverId: 'another-server' });
    expect((await readState(dir))?.serverId).toBe('another-server');
    expect(await readdir(dir)).toEqual([STATE_FILE_NAME]);
  });

  it('is null when there is none, and an error when it is damaged', async () => {
    expect(await readState(temp.dir)).toBeNull();
    await writeFile(path.join(temp.dir, STATE_FILE_NAME), '{');
    await expect(readState(temp.dir)).rejects.toThrow(/state\.json is not valid JSON\.$/);
  });

  it('lives in .recovery-services-agent under the home directory', () => {
    expect(defaultStateDir({ HOME: '/home/alice', USERPROFILE: '/home/alice' })).toBe(
      path.join('/home/alice', '.recovery-services-agent'),
    );
  });
});
