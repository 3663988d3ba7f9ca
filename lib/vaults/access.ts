import 'server-only';
import { z } from 'zod';
import type { Database } from '@/db/client';
import { messages, subscriptionOf } from '@/lib/auth/access';
import type { PortalUser, SubscriptionAccess } from '@/lib/auth/users';
import { PortalError } from '@/lib/errors';
import { getVault, type VaultRow } from './queries';

/**
 * The roles' rule, in one place: read is any member of the subscription (a Reader sees everything of it); write is
 * an Owner or a Contributor (every change but people); manage is an Owner (people).
 */
export type VaultAccessLevel = 'read' | 'write' | 'manage';

export type VaultStatus = VaultRow['status'];

export type VaultAccessOptions = {
  /** The states the vault must be in for this change, e.g. ['Active']; refused with `notReady` otherwise. */
  states?: readonly VaultStatus[];
  /** The refusal's message when the vault is in another state; the default names its state. */
  notReady?: (vault: VaultRow) => string;
  /** The refusal's message when the vault is not found (or not the user's), e.g. that of the item the id came from. */
  notFound?: string;
};

export type VaultAccess = { vault: VaultRow; access: SubscriptionAccess };

const vaultId = z.uuid();

const STATE_TEXT: Record<VaultStatus, string> = {
  Creating: 'is still being created',
  Active: 'is active',
  Failed: 'could not be created',
  Deleting: 'is being deleted',
};

export const vaultNotReady = (vault: Pick<VaultRow, 'name' | 'status'>) =>
  `The backup vault '${vault.name}' ${STATE_TEXT[vault.status]}: it cannot be changed now.`;

const LEVELS: Record<SubscriptionAccess['role'], readonly VaultAccessLevel[]> = {
  Owner: ['read', 'write', 'manage'],
  Contributor: ['read', 'write'],
  Reader: ['read'],
};

/** Whether a member with this access may act at `level` (false for no access): pages use it for disabled buttons. */
export function allows(access: SubscriptionAccess | undefined, level: VaultAccessLevel): boolean {
  return access !== undefined && LEVELS[access.role].includes(level);
}

/** The refusal of a member whose role is below `level`. */
function refusal(level: VaultAccessLevel): PortalError {
  return new PortalError('forbidden', level === 'manage' ? messages.ownersOnly : messages.readOnly);
}

/**
 * The guard for what belongs to a subscription rather than a vault (quick create, the ARM API's subscription paths):
 * a subscription the user is not a member of, or an id that is not one, is not found; a role below `level` refused.
 */
export function checkSubscriptionAccess(
  user: PortalUser,
  subscriptionId: unknown,
  level: VaultAccessLevel,
): SubscriptionAccess | PortalError {
  const access = typeof subscriptionId === 'string' ? subscriptionOf(user, subscriptionId) : undefined;
  if (!access) return new PortalError('not_found', messages.subscriptionNotFound);
  if (!allows(access, level)) return refusal(level);
  return access;
}

/** checkSubscriptionAccess for code that answers refusals by throwing, with the caller's own refusals if it has some. */
export function subscriptionAccessOrThrow(
  user: PortalUser,
  subscriptionId: unknown,
  level: VaultAccessLevel,
  refusals: { notFound?: PortalError; forbidden?: PortalError } = {},
): SubscriptionAccess {
  const checked = checkSubscriptionAccess(user, subscriptionId, level);
  if ('role' in checked) return checked;
  throw (checked.code === 'not_found' ? refusals.notFound : refusals.forbidden) ?? checked;
}

/**
 * The one vault guard: every page, action, route handler and API call resolves a vault through it. A vault outside
 * the user's subscriptions, or an id that is not one, is not found (never "forbidden", which would confirm it
 * exists); a role below `level` is refused; so is a vault not in one of `options.states`. Rules that must hold under
 * concurrency are re-checked by the domain's conditional updates: this read only decides what the user is told.
 */
export async function checkVaultAccess(
  db: Database,
  user: PortalUser,
  id: unknown,
  level: VaultAccessLevel,
  options: VaultAccessOptions = {},
): Promise<VaultAccess | PortalError> {
  const parsed = vaultId.safeParse(id);
  const vault = parsed.success ? await getVault(db, user, parsed.data) : null;
  const access = vault ? subscriptionOf(user, vault.subscriptionId) : undefined;
  if (!vault || !access) return new PortalError('not_found', options.notFound ?? messages.vaultNotFound);
  if (!allows(access, level)) return refusal(level);
  if (options.states && !options.states.includes(vault.status)) {
    return new PortalError('conflict', (options.notReady ?? vaultNotReady)(vault));
  }
  return { vault, access };
}

/** checkVaultAccess for code that answers refusals by throwing (domain functions, route handlers, the ARM API). */
export async function vaultAccessOrThrow(
  db: Database,
  user: PortalUser,
  id: unknown,
  level: VaultAccessLevel,
  options?: VaultAccessOptions,
): Promise<VaultAccess> {
  const checked = await checkVaultAccess(db, user, id, level, options);
  if ('vault' in checked) return checked;
  throw checked;
}
