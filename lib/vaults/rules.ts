/**
 * The vault rules and messages the browser needs, without zod: client components import this module, the server's zod
 * schemas (validation.ts) are built on it, so both say the same thing and the browser's bundle stays small.
 */

/** The contract's messages; the browser shows them as you type and the server returns them again. */
export const messages = {
  name: 'Type a name that contains between 2 and 50 characters. It must start with a letter, and can contain only letters, numbers, and hyphens.',
  duplicate: (name: string) => `A backup vault named '${name}' already exists in this subscription.`,
  limit: 'This subscription already has 25 backup vaults, the most it can hold.',
  region: 'Choose a region.',
  subscription: 'Choose a subscription.',
} as const;

/** A vault's name (after trimming): 2 to 50 letters, digits and hyphens, starting with a letter. */
export const VAULT_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9-]{1,49}$/;

/** The most vaults one subscription holds (the database enforces it too). */
export const MAX_VAULTS_PER_SUBSCRIPTION = 25;

export const DELETE_REASONS = [
  'I no longer need this vault',
  'I created it by mistake',
  'I am moving my backups to another vault',
  'Other',
] as const;

/**
 * What the browser can tell before asking the server (which decides): the name's form, then a duplicate among the
 * subscription's names when they are known (compared case-insensitively, as the server does).
 */
export function checkVaultName(name: string, takenNames?: readonly string[]): string | undefined {
  const trimmed = name.trim();
  if (!VAULT_NAME_PATTERN.test(trimmed)) return messages.name;
  const lower = trimmed.toLowerCase();
  if (takenNames?.some((n) => n.toLowerCase() === lower)) return messages.duplicate(trimmed);
  return undefined;
}
