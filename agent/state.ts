import { createHmac, randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const STATE_DIR_NAME = '.recovery-services-agent';
export const STATE_FILE_NAME = 'state.json';

const PASSPHRASE_CHECK_LABEL = 'recovery-services-agent passphrase check';
const SALT_BYTES = 16;
const KEY_BYTES = 32;
// N=2^15, r=8 needs 128*N*r = 32 MiB, exactly Node's default maxmem, which scrypt refuses as too much.
const SCRYPT_OPTIONS = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

/**
 * What the agent keeps on the machine after registration: the machine's own key, a one-way check of the passphrase,
 * and the vault key that encrypts its backups (so backups run unattended), with that key wrapped by the passphrase as
 * the portal holds it. Never the passphrase, and nothing from the vault credentials file. The file is mode 0600.
 */
export type AgentState = {
  portalUrl: string;
  vaultId: string;
  vaultName: string;
  subscriptionId: string;
  serverId: string;
  machineName: string;
  registeredAt: string;
  /** PKCS#8 PEM of the Ed25519 key that signs every call the machine makes after registration. */
  machinePrivateKeyPem: string;
  /** base64 */
  passphraseSalt: string;
  /** base64 HMAC-SHA256(derivePassphraseKey(passphrase, salt), label): verifies a typed passphrase, reveals nothing. */
  passphraseCheck: string;
  /** base64 of the 32-byte vault key; absent for machines registered before backups existed, until their first backup. */
  vaultKey?: string;
  /** JSON of the vault key wrapped with the passphrase, as sent to the portal. */
  wrappedKey?: string;
  /** The portal's id of the wrapped key, once it has it. */
  keyId?: string;
  /** The upload throttle (`throttle`, agent/throttle.ts); none when uploads are not limited. */
  throttle?: ThrottleSettings;
};

/**
 * The upload throttle (`throttle`, agent/throttle.ts): one rate within the work hours, another outside them, in the
 * machine's local time; kept as the user's text, normalized (`Mon-Fri 08:00-18:00`, `512KB/s`, `unlimited`).
 */
export type ThrottleSettings = { workHours: string; workRate: string; otherRate: string };

export type PassphraseCheck = Pick<AgentState, 'passphraseSalt' | 'passphraseCheck'>;

const STATE_FIELDS = [
  'portalUrl',
  'vaultId',
  'vaultName',
  'subscriptionId',
  'serverId',
  'machineName',
  'registeredAt',
  'machinePrivateKeyPem',
  'passphraseSalt',
  'passphraseCheck',
] as const satisfies ReadonlyArray<keyof AgentState>;
const OPTIONAL_FIELDS = ['vaultKey', 'wrappedKey', 'keyId'] as const satisfies ReadonlyArray<keyof AgentState>;

/** ~/.recovery-services-agent, with the home directory taken from the given environment so tests can steer it. */
export function defaultStateDir(env: Record<string, string | undefined>): string {
  const home = (process.platform === 'win32' ? env.USERPROFILE : env.HOME) || os.homedir();
  return path.join(home, STATE_DIR_NAME);
}

/** Creates the state directory readable by its owner only, and tightens one that already exists. */
export async function prepareStateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // mkdir leaves an existing directory's mode alone, and its mode is subject to the umask.
  await chmod(dir, 0o700);
}

/** Replaces state.json atomically, so a crash leaves the old state or the new one, never half of either. */
export async function writeState(dir: string, state: AgentState): Promise<void> {
  await prepareStateDir(dir);
  const file = path.join(dir, STATE_FILE_NAME);
  const temporary = path.join(dir, `.${STATE_FILE_NAME}.${randomUUID()}.tmp`);
  const contents = `${JSON.stringify(pickStateFields(state), null, 2)}\n`;
  try {
    // The mode applies at creation, so the key is never readable by others, not even for a moment.
    await writeFile(temporary, contents, { mode: 0o600, flag: 'wx', flush: true });
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** The saved state, or null when this machine was never registered from this state directory. */
export async function readState(dir: string): Promise<AgentState | null> {
  const file = path.join(dir, STATE_FILE_NAME);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`The agent state file ${file} is not valid JSON.`);
  }
  const missing = STATE_FIELDS.filter((field) => !hasText(parsed, field));
  if (missing.length > 0) throw new Error(`The agent state file ${file} is missing ${missing.join(', ')}.`);
  return pickStateFields(parsed as AgentState);
}

/**
 * The 32-byte key a passphrase stands for: scrypt keeps guessing expensive. NFC normalization makes the same typed
 * characters give the same key whichever system composed them, since a restore may happen on another machine.
 */
export function derivePassphraseKey(passphrase: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(passphrase.normalize('NFC'), salt, KEY_BYTES, SCRYPT_OPTIONS, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** A fresh salt and the check for the passphrase, to store in place of the passphrase itself. */
export async function createPassphraseCheck(passphrase: string): Promise<PassphraseCheck> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derivePassphraseKey(passphrase, salt);
  return { passphraseSalt: salt.toString('base64'), passphraseCheck: checkOf(key).toString('base64') };
}

/** Whether a typed passphrase is the one chosen at registration. */
export async function checkPassphrase(state: PassphraseCheck, passphrase: string): Promise<boolean> {
  const expected = Buffer.from(state.passphraseCheck, 'base64');
  const actual = checkOf(await derivePassphraseKey(passphrase, Buffer.from(state.passphraseSalt, 'base64')));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function checkOf(key: Buffer): Buffer {
  return createHmac('sha256', key).update(PASSPHRASE_CHECK_LABEL).digest();
}

// Copies only the known fields, so nothing else that happens to be on the object is ever written to disk.
function pickStateFields(state: AgentState): AgentState {
  const optional = OPTIONAL_FIELDS.filter((field) => typeof state[field] === 'string' && state[field] !== '');
  const fields = Object.fromEntries([...STATE_FIELDS, ...optional].map((field) => [field, state[field]]));
  const picked = fields as unknown as AgentState;
  const throttle = state.throttle;
  if (throttle && hasText(throttle, 'workHours') && hasText(throttle, 'workRate') && hasText(throttle, 'otherRate')) {
    picked.throttle = { workHours: throttle.workHours, workRate: throttle.workRate, otherRate: throttle.otherRate };
  }
  return picked;
}

function hasText(value: unknown, field: string): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>)[field] === 'string' &&
    (value as Record<string, string>)[field] !== ''
  );
}
