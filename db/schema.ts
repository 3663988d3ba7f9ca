import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

export const roleEnum = pgEnum('role', ['Owner', 'Contributor', 'Reader']);

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    email: text('email').notNull(),
    passwordHash: text('password_hash').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  // Emails compare case-insensitively, as people type them.
  (t) => [uniqueIndex('users_email_lower_key').on(sql`lower(${t.email})`)],
);

export const MAX_VAULTS_PER_SUBSCRIPTION = 25;

export const subscriptions = pgTable(
  'subscriptions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    displayName: text('display_name').notNull(),
    // Kept by triggers on vaults; the check makes the 25-vault limit hold under concurrent creates (the update
    // row-locks the subscription, so racing inserts queue behind each other).
    vaultCount: integer('vault_count').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check('subscriptions_vault_limit', sql`${t.vaultCount} between 0 and 25`)],
);

export const memberships = pgTable(
  'memberships',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    subscriptionId: uuid('subscription_id')
      .notNull()
      .references(() => subscriptions.id, { onDelete: 'cascade' }),
    role: roleEnum('role').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.subscriptionId] }),
    index('memberships_subscription_idx').on(t.subscriptionId),
  ],
);

export const vaultStatusEnum = pgEnum('vault_status', ['Creating', 'Active', 'Failed', 'Deleting']);
export const storageReplicationEnum = pgEnum('storage_replication', ['GeoRedundant', 'LocallyRedundant']);

export const vaults = pgTable(
  'vaults',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    // No cascade: a subscription with vaults cannot vanish under them; a trigger keeps this column unchangeable.
    subscriptionId: uuid('subscription_id')
      .notNull()
      .references(() => subscriptions.id, { onDelete: 'restrict' }),
    name: text('name').notNull(),
    region: text('region').notNull(),
    status: vaultStatusEnum('status').notNull().default('Creating'),
    storageReplication: storageReplicationEnum('storage_replication').notNull().default('GeoRedundant'),
    // Set in the transaction that records the first registered server; a trigger then refuses any replication change.
    replicationLocked: boolean('replication_locked').notNull().default(false),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('vaults_subscription_name_key').on(t.subscriptionId, sql`lower(${t.name})`),
    // Keyset pagination of the lists: ordered by lower(name), id within the caller's subscriptions.
    index('vaults_list_idx').on(t.subscriptionId, sql`lower(${t.name})`, t.id),
  ],
);

/** A machine registered to a vault by the agent; its presence blocks deleting the vault. */
export const registeredServers = pgTable(
  'registered_servers',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    vaultId: uuid('vault_id')
      .notNull()
      .references(() => vaults.id, { onDelete: 'restrict' }),
    name: text('name').notNull(),
    // The machine's own credential (SPKI PEM, Ed25519): the vault credentials are not needed after registration.
    machinePublicKey: text('machine_public_key').notNull().default(''),
    credentialId: uuid('credential_id').references(() => vaultCredentials.id, { onDelete: 'set null' }),
    reregistrationAllowed: boolean('reregistration_allowed').notNull().default(false),
    lastBackupAt: timestamp('last_backup_at', { withTimezone: true }),
    protectedItems: integer('protected_items').notNull().default(0),
    storageUsedBytes: bigint('storage_used_bytes', { mode: 'number' }).notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('registered_servers_vault_name_key').on(t.vaultId, sql`lower(${t.name})`)],
);

/**
 * Vault credentials the portal issued: the certificate's public part only, never its private key. Exactly one per
 * vault is current (superseded_at is null), which the partial unique index guarantees.
 */
export const vaultCredentials = pgTable(
  'vault_credentials',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    vaultId: uuid('vault_id')
      .notNull()
      .references(() => vaults.id, { onDelete: 'cascade' }),
    thumbprint: text('thumbprint').notNull(),
    subject: text('subject').notNull(),
    certificatePem: text('certificate_pem').notNull(),
    notBefore: timestamp('not_before', { withTimezone: true }).notNull(),
    notAfter: timestamp('not_after', { withTimezone: true }).notNull(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    supersededAt: timestamp('superseded_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('vault_credentials_thumbprint_key').on(t.thumbprint),
    uniqueIndex('vault_credentials_current_key').on(t.vaultId).where(sql`${t.supersededAt} is null`),
  ],
);

/** Nonces of accepted agent proofs, kept until the proof would have expired anyway: each is accepted once. */
export const agentNonces = pgTable(
  'agent_nonces',
  {
    nonce: text('nonce').primaryKey(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('agent_nonces_expires_idx').on(t.expiresAt)],
);

export const operationKindEnum = pgEnum('operation_kind', [
  'CreateVault',
  'DeleteVault',
  'ConfigureVault',
  'Register',
  'Unregister',
  'AllowReregistration',
]);
export const operationStatusEnum = pgEnum('operation_status', ['InProgress', 'Succeeded', 'Failed']);

export const operations = pgTable(
  'operations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    // Who is notified: the user who acted, or for a machine's registration the user who downloaded its credentials.
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    subscriptionId: uuid('subscription_id')
      .notNull()
      .references(() => subscriptions.id, { onDelete: 'cascade' }),
    // Kept after the vault is deleted, so the history still names it.
    vaultId: uuid('vault_id'),
    vaultName: text('vault_name').notNull(),
    kind: operationKindEnum('kind').notNull(),
    status: operationStatusEnum('status').notNull().default('InProgress'),
    progress: integer('progress').notNull().default(0),
    message: text('message').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    dismissedAt: timestamp('dismissed_at', { withTimezone: true }),
  },
  (t) => [
    check('operations_progress_range', sql`${t.progress} between 0 and 100`),
    // The notification poll reads only the user's undismissed operations: its cost does not grow with history.
    index('operations_user_open_idx').on(t.userId, t.startedAt).where(sql`${t.dismissedAt} is null`),
    index('operations_vault_idx').on(t.vaultId, t.startedAt),
  ],
);

export const vaultTabVisits = pgTable(
  'vault_tab_visits',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    vaultId: uuid('vault_id')
      .notNull()
      .references(() => vaults.id, { onDelete: 'cascade' }),
    tab: text('tab').notNull(),
    visitedAt: timestamp('visited_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.vaultId] })],
);
