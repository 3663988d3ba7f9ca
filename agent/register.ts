import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { type ParsedVaultCredentials, parseVaultCredentialsFile } from '@/lib/credentials/vault-credentials-file';
import {
  AGENT_MESSAGES,
  AGENT_PATHS,
  PROOF_LIFETIME_SECONDS,
  REGISTRATION_AUDIENCE,
  type RegisterRequest,
  type RegistrationClaims,
} from '@/wire/protocol';
import { createVaultKey, ensureVaultKey } from './backup/key';
import { followPortalClock } from './clock';
import type { AgentContext } from './io';
import { obtainPassphrase, type PassphraseSource } from './passphrase';
import { callPortal, isRegisterResponse } from './portal';
import { epochSeconds, generateMachineKeyPair, newNonce, signRegistrationProof } from './proof';
import { type AgentState, createPassphraseCheck, prepareStateDir, writeState } from './state';

export type RegisterOptions = {
  vaultCredentialsPath: string;
  passphrase: PassphraseSource;
  /** Defaults to the host name. */
  machineName?: string;
  stateDir: string;
};

/**
 * Registers this machine to the vault the credentials file names. Everything that can be refused locally (passphrase,
 * file, expiry, state directory) is refused before the portal hears of the machine, so a failed attempt never leaves
 * a half-registered server behind.
 */
export async function register(options: RegisterOptions, ctx: AgentContext): Promise<void> {
  const passphrase = await obtainPassphrase(options.passphrase);
  const credentials = await loadVaultCredentials(options.vaultCredentialsPath);
  // An agent that follows the portal's clock judges the file's expiry and signs its proof by the portal's time.
  await followPortalClock(ctx, credentials.portalUrl);
  const now = ctx.now();
  if (now.getTime() > credentials.notAfter.getTime()) throw new Error(AGENT_MESSAGES.expired);
  await prepareStateDir(options.stateDir);

  const passphraseCheck = await createPassphraseCheck(passphrase);
  // The vault key encrypts this machine's backups; the portal gets it only wrapped with the passphrase.
  const vaultKey = await createVaultKey(passphrase);
  const machineKey = generateMachineKeyPair();
  const iat = epochSeconds(now);
  const claims: RegistrationClaims = {
    aud: REGISTRATION_AUDIENCE,
    vaultId: credentials.vaultId,
    subscriptionId: credentials.subscriptionId,
    machineName: options.machineName ?? os.hostname(),
    machinePublicKey: machineKey.publicKeyPem,
    nonce: newNonce(),
    iat,
    exp: iat + PROOF_LIFETIME_SECONDS,
  };
  const request: RegisterRequest = {
    proof: await signRegistrationProof(claims, credentials.privateKeyPem, credentials.thumbprint),
  };
  const registration = await callPortal({
    portalUrl: credentials.portalUrl,
    path: AGENT_PATHS.register,
    method: 'POST',
    body: request,
    fetch: ctx.fetch,
    accept: isRegisterResponse,
  });

  const state: AgentState = {
    portalUrl: credentials.portalUrl,
    vaultId: registration.vaultId,
    vaultName: registration.vaultName,
    subscriptionId: credentials.subscriptionId,
    serverId: registration.serverId,
    machineName: registration.machineName,
    registeredAt: registration.registeredAt,
    machinePrivateKeyPem: machineKey.privateKeyPem,
    ...passphraseCheck,
    ...vaultKey,
  };
  await writeState(options.stateDir, state);
  // Registration stands even if this call fails: the first backup sends the wrapped key then.
  await ensureVaultKey(state, { stateDir: options.stateDir }, ctx).catch((error: Error) =>
    ctx.stderr.write(`The wrapped vault key will be sent with the first backup: ${error.message}\n`),
  );
  ctx.stdout.write(`${AGENT_MESSAGES.registered}\n`);
  // Shown only once registration succeeded: a passphrase for a registration that failed would be useless.
  if (options.passphrase.kind === 'generate') {
    ctx.stdout.write(
      `Passphrase: ${passphrase}\n` +
        'Keep this passphrase safe: it is needed to restore your data, it is never sent to the portal, and it will not be shown again.\n',
    );
  }
}

// Whatever stops the file from being read or understood is the same answer to the user: the file is not usable.
async function loadVaultCredentials(file: string): Promise<ParsedVaultCredentials> {
  try {
    return parseVaultCredentialsFile(await readFile(file, 'utf8'));
  } catch {
    throw new Error(AGENT_MESSAGES.invalid);
  }
}
