import 'server-only';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '@/db/client';
import { subscriptions, vaults, vaultTabVisits } from '@/db/schema';
import type { PortalUser } from '@/lib/auth/users';
import { decodeCursor, encodeCursor, isUuid } from '@/lib/http/input';

import { VAULT_TABS, type VaultTab } from './tabs';

export type { VaultTab };

export type VaultRow = {
  id: string;
  name: string;
  region: string;
  status: 'Creating' | 'Active' | 'Failed' | 'Deleting';
  storageReplication: 'GeoRedundant' | 'LocallyRedundant';
  replicationLocked: boolean;
  subscriptionId: string;
  subscriptionName: string;
  resourceGroup: string;
  tags: Record<string, string>;
  createdAt: Date;
};

const columns = {
  id: vaults.id,
  name: vaults.name,
  region: vaults.region,
  status: vaults.status,
  storageReplication: vaults.storageReplication,
  replicationLocked: vaults.replicationLocked,
  subscriptionId: vaults.subscriptionId,
  subscriptionName: subscriptions.displayName,
  resourceGroup: vaults.resourceGroup,
  tags: vaults.tags,
  createdAt: vaults.createdAt,
};

export const PAGE_SIZE = 50;

/** Cursor of keyset pagination: the last row's sort key, opaque to the browser. */
export function vaultCursor(row: { name: string; id: string }): string {
  return encodeCursor([row.name.toLowerCase(), row.id]);
}

const vaultCursorValues = (values: string[]): [string, string] | undefined =>
  values.length === 2 && isUuid(values[1]) ? [values[0]!, values[1]] : undefined;

/**
 * One page of the user's vaults ordered by name, using vaults_list_idx: constant cost per page however many exist.
 * The ARM API narrows it to one subscription, and optionally one resource group (compared case-insensitively).
 */
export async function listVaults(
  db: Database,
  user: PortalUser,
  options: { after?: string; limit?: number; subscriptionId?: string; resourceGroup?: string } = {},
): Promise<{ rows: VaultRow[]; next?: string }> {
  const ids = user.subscriptions
    .map((s) => s.id)
    .filter((id) => !options.subscriptionId || id === options.subscriptionId);
  if (ids.length === 0) return { rows: [] };
  const limit = options.limit ?? PAGE_SIZE;
  const after = decodeCursor(options.after, vaultCursorValues);
  // Plain SQL on the pool: every list page runs it, and drizzle's building and mapping of it cost about as much CPU
  // as the rest of the query (issue 13). The same statement as columns/vaults_list_idx describe.
  const params: unknown[] = [ids, limit + 1];
  let where = 'v.subscription_id = any($1::uuid[])';
  if (options.resourceGroup !== undefined) {
    params.push(options.resourceGroup.toLowerCase());
    where += ` and lower(v.resource_group) = $${params.length}`;
  }
  if (after) {
    params.push(after[0], after[1]);
    where += ` and (lower(v.name), v.id) > ($${params.length - 1}, $${params.length}::uuid)`;
  }
  const { rows } = await db.$client.query<VaultRow>(
    `select ${LIST_COLUMNS} from vaults v join subscriptions s on s.id = v.subscription_id
     where ${where} order by lower(v.name), v.id limit $2`,
    params,
  );
  const page = rows.slice(0, limit);
  return { rows: page, next: rows.length > limit ? vaultCursor(page[page.length - 1]!) : undefined };
}

/** `columns` in SQL, for listVaults. */
const LIST_COLUMNS = `v.id, v.name, v.region, v.status, v.storage_replication as "storageReplication",
  v.replication_locked as "replicationLocked", v.subscription_id as "subscriptionId",
  s.display_name as "subscriptionName", v.resource_group as "resourceGroup", v.tags, v.created_at as "createdAt"`;

/** A vault of the user's subscriptions, or null: another subscription's vault is simply not found. */
export async function getVault(db: Database, user: PortalUser, vaultId: string): Promise<VaultRow | null> {
  const ids = user.subscriptions.map((s) => s.id);
  if (ids.length === 0 || !isUuid(vaultId)) return null;
  const [row] = await db
    .select(columns)
    .from(vaults)
    .innerJoin(subscriptions, eq(subscriptions.id, vaults.subscriptionId))
    .where(and(eq(vaults.id, vaultId), inArray(vaults.subscriptionId, ids)));
  return row ?? null;
}

/** A vault of one of the user's subscriptions by its name, which is unique there whatever the case. */
export async function findVaultByName(
  db: Database,
  user: PortalUser,
  subscriptionId: string,
  name: string,
): Promise<VaultRow | null> {
  if (!user.subscriptions.some((s) => s.id === subscriptionId)) return null;
  const [row] = await db
    .select(columns)
    .from(vaults)
    .innerJoin(subscriptions, eq(subscriptions.id, vaults.subscriptionId))
    .where(and(eq(vaults.subscriptionId, subscriptionId), eq(sql`lower(${vaults.name})`, name.toLowerCase())));
  return row ?? null;
}

/** Vault names per subscription (at most 25 each), fetched by the New dialog when it opens (app/api/vault-names). */
export async function vaultNamesBySubscription(db: Database, user: PortalUser): Promise<Record<string, string[]>> {
  const ids = user.subscriptions.map((s) => s.id);
  const result: Record<string, string[]> = Object.fromEntries(ids.map((id) => [id, []]));
  if (ids.length === 0) return result;
  const rows = await db
    .select({ subscriptionId: vaults.subscriptionId, name: vaults.name })
    .from(vaults)
    .where(inArray(vaults.subscriptionId, ids));
  for (const row of rows) result[row.subscriptionId]!.push(row.name);
  return result;
}

export async function lastVisitedTab(db: Database, userId: string, vaultId: string): Promise<VaultTab | undefined> {
  const [row] = await db
    .select({ tab: vaultTabVisits.tab })
    .from(vaultTabVisits)
    .where(and(eq(vaultTabVisits.userId, userId), eq(vaultTabVisits.vaultId, vaultId)));
  return VAULT_TABS.find((t) => t.slug === row?.tab)?.slug;
}

export async function rememberTab(db: Database, userId: string, vaultId: string, tab: VaultTab): Promise<void> {
  await db
    .insert(vaultTabVisits)
    .values({ userId, vaultId, tab })
    .onConflictDoUpdate({
      target: [vaultTabVisits.userId, vaultTabVisits.vaultId],
      set: { tab, visitedAt: sql`portal_now()` },
    })
    .catch((err) => {
      // The vault may have been deleted meanwhile; remembering a tab is not worth failing a page for.
      console.warn('could not remember the vault tab:', (err as Error).message);
    });
}
