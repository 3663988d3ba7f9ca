import { fromBase64, parseWrappedVaultKey, unwrapVaultKey, wrapVaultKey } from '@/lib/backup-format';
import { AGENT_MESSAGES, AGENT_PATHS, type KeyRequest, type KeyResponse } from '@/wire/protocol';
import { ensureVaultKey } from './backup/key';
import type { AgentContext } from './io';
import { callAsMachine, isObject, registeredState } from './machine';
import { readPassphraseFile, requireLongEnough } from './passphrase';
import { type AgentState, checkPassphrase, createPassphraseCheck, writeState } from './state';

export type ChangePassphraseOptions = { stateDir: string; passphraseFile: string; newPassphraseFile: string };

export const PASSPHRASE_CHANGED =
  'The passphrase was changed: from now on the new passphrase opens this server\u2019s backups, and the old one does not.';

/**
 * Wraps the vault key again with a new passphrase. The old passphrase must open the current wrapping; the new one
 * must meet registration's rules. The portal replaces the wrapping of this machine's key only while the old one is
 * still current (lib/backups/keys.ts), and keeps only the new one; no backup data changes, nothing is uploaded again.
 * The state keeps the new wrapping and a check of the new passphrase.
 */
export async function changePassphrase(options: ChangePassphraseOptions, ctx: AgentContext): Promise<void> {
  const state = await registeredState(options.stateDir);
  const oldPassphrase = await readPassphraseFile(options.passphraseFile);
  const newPassphrase = requireLongEnough(await readPassphraseFile(options.newPassphraseFile));
  if (!(await checkPassphrase(state, oldPassphrase))) throw new Error(AGENT_MESSAGES.wrongPassphrase);
  if (newPassphrase.normalize('NFC') === oldPassphrase.normalize('NFC')) {
    throw new Error('The new passphrase is the same as the current one.');
  }
  const check = await createPassphraseCheck(newPassphrase);
  if (!state.vaultKey || !state.wrappedKey) {
    // A machine registered before backups existed has no vault key yet: only its passphrase check changes.
    await writeState(options.stateDir, { ...state, ...check });
    ctx.stdout.write(`${PASSPHRASE_CHANGED}\n`);
    return;
  }
  const oldWrapping = parseWrappedVaultKey(JSON.parse(state.wrappedKey));
  let vaultKey: Uint8Array;
  try {
    vaultKey = await unwrapVaultKey(oldWrapping, oldPassphrase);
  } catch {
    throw new Error(AGENT_MESSAGES.wrongPassphrase);
  }
  if (Buffer.compare(Buffer.from(vaultKey), Buffer.from(fromBase64(state.vaultKey))) !== 0) {
    throw new Error('The wrapped vault key in the agent state does not hold this machine\u2019s vault key.');
  }
  const newWrapping = await wrapVaultKey(vaultKey, newPassphrase);
  const next: AgentState = { ...state, ...check, wrappedKey: JSON.stringify(newWrapping) };
  if (state.keyId) {
    const body: KeyRequest = {
      wrappedKey: newWrapping,
      replaces: { keyId: state.keyId, wrappedKey: oldWrapping },
    };
    const { keyId } = await callAsMachine(state, ctx, {
      path: AGENT_PATHS.keys,
      method: 'POST',
      body,
      accept: isObject<KeyResponse>,
    });
    if (keyId !== state.keyId) throw new Error('The portal did not replace the wrapped vault key: update the portal.');
    await writeState(options.stateDir, next);
  } else {
    // The portal never received the key: it gets the new wrapping now (or with the first backup).
    await writeState(options.stateDir, next);
    await ensureVaultKey(next, { stateDir: options.stateDir }, ctx).catch((error: Error) =>
      ctx.stderr.write(`The wrapped vault key will be sent with the first backup: ${error.message}\n`),
    );
  }
  ctx.stdout.write(`${PASSPHRASE_CHANGED}\n`);
}
