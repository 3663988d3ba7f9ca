import { newVaultKey, toBase64, wrapVaultKey } from '@/lib/backup-format';
import { AGENT_MESSAGES, AGENT_PATHS, type KeyRequest, type KeyResponse } from '@/wire/protocol';
import type { AgentContext } from '../io';
import { callAsMachine, isObject } from '../machine';
import { obtainPassphrase, type PassphraseSource } from '../passphrase';
import type { Retry } from '../retry';
import { type AgentState, checkPassphrase, writeState } from '../state';

export type KeyOptions = { stateDir: string; passphrase?: PassphraseSource };

/** A new vault key and its passphrase-wrapped form, ready to keep in the state (the passphrase is not kept). */
export async function createVaultKey(passphrase: string): Promise<Pick<AgentState, 'vaultKey' | 'wrappedKey'>> {
  const key = newVaultKey();
  const wrapped = await wrapVaultKey(key, passphrase);
  return { vaultKey: toBase64(key), wrappedKey: JSON.stringify(wrapped) };
}

/**
 * Makes sure the machine has a vault key and the portal has its wrapped form. Machines registered before backups
 * existed have none: their first backup asks for the passphrase once, checks it against the registration's, and
 * makes one. A key the portal never received (the call failed at registration) is sent now.
 */
export async function ensureVaultKey(
  state: AgentState,
  options: KeyOptions,
  ctx: AgentContext,
  retry?: Retry,
): Promise<AgentState> {
  let current = state;
  if (!current.vaultKey || !current.wrappedKey) {
    if (!options.passphrase) {
      throw new Error(
        'This machine has no vault key yet: run the backup once with --passphrase-file PATH, or in a terminal, to create it.',
      );
    }
    const passphrase = await obtainPassphrase(options.passphrase);
    if (!(await checkPassphrase(current, passphrase))) throw new Error(AGENT_MESSAGES.wrongPassphrase);
    current = { ...current, ...(await createVaultKey(passphrase)), keyId: undefined };
    await writeState(options.stateDir, current);
  }
  if (!current.keyId) {
    const body: KeyRequest = { wrappedKey: JSON.parse(current.wrappedKey!) };
    const { keyId } = await callAsMachine(current, ctx, {
      path: AGENT_PATHS.keys,
      method: 'POST',
      body,
      accept: isObject<KeyResponse>,
      // The same wrapped key sent again gets the same id (lib/backups/keys.ts): safe to repeat.
      signal: retry?.signal,
      retry,
    });
    current = { ...current, keyId };
    await writeState(options.stateDir, current);
  }
  return current;
}
