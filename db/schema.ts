import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  date,
  foreignKey,
  index,
  integer,
  jsonb,
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
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
    // Two-step sign-in (TOTP, RFC 6238): the secret sealed by the portal (never in plaintext), set once the person has
    // proved a code from it; the pending one while they set it up; the last time step accepted, so a code works once.
    totpSecret: text('totp_secret'),
    totpPendingSecret: text('totp_pending_secret'),
    totpEnabledAt: timestamp('totp_enabled_at', { withTimezone: true }),
    totpLastStep: bigint('totp_last_step', { mode: 'number' }),
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
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
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

/** Where the browser's vaults live for the ARM API: the classic portal's own resource group. */
export const DEFAULT_RESOURCE_GROUP = 'Default-RecoveryServices-ResourceGroup';

export const alertSeverityEnum = pgEnum('alert_severity', ['Critical', 'Warning']);
export const alertNotifyEnum = pgEnum('alert_notify', ['PerAlert', 'HourlyDigest']);

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
    // Set by a trigger when a server row is inserted (registered_servers_lock_vault); another trigger then refuses any
    // replication change.
    replicationLocked: boolean('replication_locked').notNull().default(false),
    // The ARM API's resource group (any name, compared case-insensitively as Azure does) and tags.
    resourceGroup: text('resource_group').notNull().default(DEFAULT_RESOURCE_GROUP),
    tags: jsonb('tags').$type<Record<string, string>>().notNull().default({}),
    // Alert notifications (CONFIGURE's "Alert notifications", ARM's monitoringSettings): who is told, how, of what.
    alertEmailRecipients: text('alert_email_recipients').notNull().default(''),
    alertNotify: alertNotifyEnum('alert_notify').notNull().default('PerAlert'),
    alertSeverities: alertSeverityEnum('alert_severities').array().notNull().default(sql`'{Critical,Warning}'`),
    alertWebhookUrl: text('alert_webhook_url'),
    // The HMAC-SHA-256 key webhooks are signed with: the portal's own secret, shown to the user once when set.
    alertWebhookSecret: text('alert_webhook_secret'),
    alertStaleHours: integer('alert_stale_hours').notNull().default(48),
    // ARM's azureMonitorAlertSettings.alertsForAllJobFailures: failed backups and restores raise alerts.
    alertJobFailures: boolean('alert_job_failures').notNull().default(true),
    // When the notification settings were last saved: an hourly digest covers alerts raised since then.
    alertSettingsAt: timestamp('alert_settings_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
    // When the weekly verification of the vault's packs is next due (lib/replication/verify.ts claims it by moving it on).
    storageVerifyDueAt: timestamp('storage_verify_due_at', { withTimezone: true })
      .notNull()
      .default(sql`portal_now() + interval '7 days'`),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
  },
  (t) => [
    check('vaults_alert_stale_hours', sql`${t.alertStaleHours} between 1 and 720`),
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
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
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
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
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
  'Protect',
  'Backup',
  'Restore',
  'StopProtection',
  'Verify',
  // The portal's own check of a vault's or an item's packs in each store (VERIFY on PROTECTED ITEMS, and weekly).
  'VerifyStorage',
]);
export const operationStatusEnum = pgEnum('operation_status', ['InProgress', 'Succeeded', 'Failed', 'Cancelled']);

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
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    dismissedAt: timestamp('dismissed_at', { withTimezone: true }),
    // Backup and restore jobs: what they work on (names kept, so the history outlives the item) and their live figures.
    itemId: uuid('item_id'),
    itemName: text('item_name'),
    serverId: uuid('server_id'),
    serverName: text('server_name'),
    bytesDone: bigint('bytes_done', { mode: 'number' }),
    bytesTotal: bigint('bytes_total', { mode: 'number' }),
    filesDone: integer('files_done'),
    filesTotal: integer('files_total'),
    bytesPerSecond: bigint('bytes_per_second', { mode: 'number' }),
    secondsLeft: integer('seconds_left'),
    dataTransferred: bigint('data_transferred', { mode: 'number' }),
    // A backup that completed but skipped files it could not read: how many, and the encrypted object (of the
    // point's key) that lists them, which only the passphrase opens.
    filesSkipped: integer('files_skipped'),
    skippedListId: text('skipped_list_id'),
  },
  (t) => [
    check('operations_progress_range', sql`${t.progress} between 0 and 100`),
    // The notification poll reads only the user's undismissed operations: its cost does not grow with history.
    index('operations_user_open_idx').on(t.userId, t.startedAt).where(sql`${t.dismissedAt} is null`),
    index('operations_vault_idx').on(t.vaultId, t.startedAt),
    // The Backup center: a subscription's backup and restore jobs by time, and an item's newest jobs.
    index('operations_subscription_idx').on(t.subscriptionId, t.startedAt),
    index('operations_item_idx').on(t.itemId, t.startedAt).where(sql`${t.itemId} is not null`),
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
    visitedAt: timestamp('visited_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
  },
  (t) => [primaryKey({ columns: [t.userId, t.vaultId] })],
);

export const policyFrequencyEnum = pgEnum('policy_frequency', ['Daily', 'Weekly']);

/** The policy every vault has from its creation (a trigger adds it), which newly protected items follow. */
export const DEFAULT_POLICY_NAME = 'DefaultPolicy';

/**
 * A backup policy: when the agent backs up the items that follow it (UTC half hours, daily or on chosen weekdays),
 * and which recovery points the server keeps (grandfather-father-son: daily, weekly, monthly and yearly rules; a
 * null rule keeps nothing by itself). The checks hold the contract's ranges whatever request arrives.
 */
export const backupPolicies = pgTable(
  'backup_policies',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    vaultId: uuid('vault_id')
      .notNull()
      .references(() => vaults.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    frequency: policyFrequencyEnum('frequency').notNull(),
    // Weekdays 0 (Sunday) to 6, for a weekly schedule; empty for a daily one.
    runDays: integer('run_days').array().notNull().default(sql`'{}'`),
    // Minutes after midnight UTC, each a multiple of 30.
    runTimes: integer('run_times').array().notNull(),
    dailyDays: integer('daily_days'),
    weeklyWeeks: integer('weekly_weeks'),
    monthlyMonths: integer('monthly_months'),
    yearlyYears: integer('yearly_years'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
  },
  (t) => [
    uniqueIndex('backup_policies_vault_name_key').on(t.vaultId, sql`lower(${t.name})`),
    check(
      'backup_policies_name',
      sql`char_length(${t.name}) between 3 and 150 and ${t.name} ~ '^[A-Za-z][-A-Za-z0-9]*[A-Za-z0-9]$'`,
    ),
    check(
      'backup_policies_times',
      sql`cardinality(${t.runTimes}) between 1 and 3 and ${t.runTimes} <@ array[0,30,60,90,120,150,180,210,240,270,300,330,360,390,420,450,480,510,540,570,600,630,660,690,720,750,780,810,840,870,900,930,960,990,1020,1050,1080,1110,1140,1170,1200,1230,1260,1290,1320,1350,1380,1410]`,
    ),
    check(
      'backup_policies_days',
      sql`${t.runDays} <@ array[0,1,2,3,4,5,6] and (${t.frequency} = 'Daily') = (cardinality(${t.runDays}) = 0)`,
    ),
    check(
      'backup_policies_retention',
      sql`(${t.dailyDays} is null or ${t.dailyDays} between 1 and 366)
        and (${t.weeklyWeeks} is null or ${t.weeklyWeeks} between 1 and 260)
        and (${t.monthlyMonths} is null or ${t.monthlyMonths} between 1 and 120)
        and (${t.yearlyYears} is null or ${t.yearlyYears} between 1 and 99)
        and (${t.frequency} = 'Weekly' or ${t.dailyDays} is not null)
        and (${t.frequency} = 'Daily' or (${t.dailyDays} is null and ${t.weeklyWeeks} is not null))`,
    ),
  ],
);

export const protectionStatusEnum = pgEnum('protection_status', ['Pending', 'Protected', 'Stopped']);
export const backupResultEnum = pgEnum('backup_result', ['Completed', 'Failed', 'Cancelled']);

/** A folder of a registered server that the agent protects; its name is the folder's absolute path. */
export const protectedItems = pgTable(
  'protected_items',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    vaultId: uuid('vault_id')
      .notNull()
      .references(() => vaults.id, { onDelete: 'restrict' }),
    serverId: uuid('server_id')
      .notNull()
      .references(() => registeredServers.id, { onDelete: 'cascade' }),
    path: text('path').notNull(),
    status: protectionStatusEnum('status').notNull().default('Pending'),
    lastBackupStatus: backupResultEnum('last_backup_status'),
    lastBackupAt: timestamp('last_backup_at', { withTimezone: true }),
    // The newest recovery point's time and source size (kept by triggers on recovery_points, migration 0018): the
    // Backup center's health and "newest points' source data" without a scan of the points.
    lastPointAt: timestamp('last_point_at', { withTimezone: true }),
    lastPointBytes: bigint('last_point_bytes', { mode: 'number' }),
    // BACKUP NOW: set by the portal, taken (cleared) by the agent's service when it starts that backup.
    backupRequestedAt: timestamp('backup_requested_at', { withTimezone: true }),
    backupRequestedBy: uuid('backup_requested_by').references(() => users.id, { onDelete: 'set null' }),
    // The policy the item follows: the vault's DefaultPolicy unless chosen (a trigger fills it in on insert). A
    // policy that items follow cannot be deleted.
    policyId: uuid('policy_id')
      .notNull()
      .references(() => backupPolicies.id, { onDelete: 'restrict' }),
    // When the item began following its policy: a schedule's runs before this are not missed backups.
    policyAssignedAt: timestamp('policy_assigned_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
  },
  (t) => [
    uniqueIndex('protected_items_server_path_key').on(t.serverId, t.path),
    index('protected_items_vault_idx').on(t.vaultId, t.path),
    index('protected_items_policy_idx').on(t.policyId),
  ],
);

/**
 * A machine's vault key, wrapped with a key derived from its passphrase (the portal never sees the passphrase nor
 * the key). Object ids are keyed hashes under this key, so a key is also the namespace of its objects.
 */
export const backupKeys = pgTable(
  'backup_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    vaultId: uuid('vault_id')
      .notNull()
      .references(() => vaults.id, { onDelete: 'restrict' }),
    serverId: uuid('server_id')
      .notNull()
      .references(() => registeredServers.id, { onDelete: 'cascade' }),
    wrappedKey: jsonb('wrapped_key').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
  },
  (t) => [index('backup_keys_server_idx').on(t.serverId), index('backup_keys_vault_idx').on(t.vaultId)],
);

/** The index of the sealed objects (file chunks and directory listings) in the blob store; their bytes live there. */
export const backupObjects = pgTable(
  'backup_objects',
  {
    keyId: uuid('key_id')
      .notNull()
      .references(() => backupKeys.id, { onDelete: 'cascade' }),
    id: text('id').notNull(),
    size: integer('size').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
    /**
     * The pack (one blob per uploaded batch, lib/backups/packs.ts) holding the sealed bytes from `pack_offset`; both
     * null for an object stored as a blob of its own (before packs).
     */
    packId: uuid('pack_id'),
    packOffset: integer('pack_offset'),
  },
  (t) => [
    primaryKey({ columns: [t.keyId, t.id] }),
    check('backup_objects_id_hex', sql`${t.id} ~ '^[0-9a-f]{64}$'`),
    check('backup_objects_size', sql`${t.size} > 0`),
    check(
      'backup_objects_pack_place',
      sql`(${t.packId} is null and ${t.packOffset} is null) or (${t.packId} is not null and ${t.packOffset} >= 0)`,
    ),
    index('backup_objects_pack').on(t.keyId, t.packId).where(sql`${t.packId} is not null`),
  ],
);

/** One backup of an item: the agent's session of uploads, authenticated by a token kept only as its hash. */
export const backupSessions = pgTable(
  'backup_sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    itemId: uuid('item_id')
      .notNull()
      .references(() => protectedItems.id, { onDelete: 'cascade' }),
    keyId: uuid('key_id')
      .notNull()
      .references(() => backupKeys.id, { onDelete: 'cascade' }),
    operationId: uuid('operation_id').notNull(),
    tokenHash: text('token_hash').notNull(),
    running: boolean('running').notNull().default(true),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
    heartbeatAt: timestamp('heartbeat_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
  },
  (t) => [
    // At most one backup of an item at a time, whoever starts it.
    uniqueIndex('backup_sessions_one_running_key').on(t.itemId).where(sql`${t.running}`),
    index('backup_sessions_running_idx').on(t.heartbeatAt).where(sql`${t.running}`),
    index('backup_sessions_key_idx').on(t.keyId).where(sql`${t.running}`),
    // The schedule's baseline: when the item's last backup started.
    index('backup_sessions_item_idx').on(t.itemId, t.startedAt),
  ],
);

/** A recovery point: the root listing of one backup of an item, committed only once every object it needs is stored. */
export const recoveryPoints = pgTable(
  'recovery_points',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    vaultId: uuid('vault_id')
      .notNull()
      .references(() => vaults.id, { onDelete: 'restrict' }),
    itemId: uuid('item_id')
      .notNull()
      .references(() => protectedItems.id, { onDelete: 'cascade' }),
    keyId: uuid('key_id')
      .notNull()
      .references(() => backupKeys.id, { onDelete: 'cascade' }),
    rootId: text('root_id').notNull(),
    takenAt: timestamp('taken_at', { withTimezone: true }).notNull(),
    files: integer('files').notNull(),
    folders: integer('folders').notNull(),
    bytes: bigint('bytes', { mode: 'number' }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
    // Set by a verification that found a pack the point needs missing or damaged in every store (PROTECTED ITEMS
    // shows the item Damaged); cleared by one that finds them all whole again.
    damagedAt: timestamp('damaged_at', { withTimezone: true }),
  },
  (t) => [
    index('recovery_points_item_idx').on(t.itemId, t.takenAt),
    foreignKey({ columns: [t.keyId, t.rootId], foreignColumns: [backupObjects.keyId, backupObjects.id] }),
  ],
);

/**
 * A stored pack (lib/backups/packs.ts): its size and SHA-256, recorded in the statement that records its objects, and
 * its copy in the secondary store (lib/replication). A Geo-Redundant vault's pack is due for copying from the start
 * (`replicate`); the rows due are the replication's durable queue, claimed with a lease (`replication_due_at`) and
 * retried with backoff until the secondary store answers. Packs stored before this table have no row.
 */
export const backupPacks = pgTable(
  'backup_packs',
  {
    keyId: uuid('key_id')
      .notNull()
      .references(() => backupKeys.id, { onDelete: 'cascade' }),
    packId: uuid('pack_id').notNull(),
    vaultId: uuid('vault_id')
      .notNull()
      .references(() => vaults.id, { onDelete: 'restrict' }),
    size: integer('size').notNull(),
    sha256: text('sha256').notNull(),
    storedAt: timestamp('stored_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
    replicate: boolean('replicate').notNull(),
    replicatedAt: timestamp('replicated_at', { withTimezone: true }),
    replicationDueAt: timestamp('replication_due_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
    replicationAttempts: integer('replication_attempts').notNull().default(0),
    replicationError: text('replication_error'),
  },
  (t) => [
    primaryKey({ columns: [t.keyId, t.packId] }),
    check('backup_packs_sha256_hex', sql`${t.sha256} ~ '^[0-9a-f]{64}$'`),
    check('backup_packs_size', sql`${t.size} > 0`),
    // The replication's queue, and the DASHBOARD's lag: only the packs still due are in these indexes.
    index('backup_packs_replication_due')
      .on(t.replicationDueAt)
      .where(sql`${t.replicate} and ${t.replicatedAt} is null`),
    index('backup_packs_replication_lag')
      .on(t.vaultId, t.storedAt)
      .where(sql`${t.replicate} and ${t.replicatedAt} is null`),
  ],
);

/**
 * Copies in the secondary store that garbage collection (or a copy that outran it) left to delete: the durable queue
 * of the secondary's deletions, claimed and retried as backup_packs' copies are. No foreign key: the key may be gone.
 */
export const packDeletions = pgTable(
  'pack_deletions',
  {
    keyId: uuid('key_id').notNull(),
    packId: uuid('pack_id').notNull(),
    dueAt: timestamp('due_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
  },
  (t) => [primaryKey({ columns: [t.keyId, t.packId] }), index('pack_deletions_due').on(t.dueAt)],
);

/**
 * Every object a recovery point needs. The foreign key makes "a point references only stored objects" a rule of the
 * database, and keeps any deletion from removing an object a point still needs.
 */
export const recoveryPointObjects = pgTable(
  'recovery_point_objects',
  {
    pointId: uuid('point_id')
      .notNull()
      .references(() => recoveryPoints.id, { onDelete: 'cascade' }),
    keyId: uuid('key_id').notNull(),
    objectId: text('object_id').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.pointId, t.objectId] }),
    index('recovery_point_objects_object_idx').on(t.keyId, t.objectId),
    foreignKey({ columns: [t.keyId, t.objectId], foreignColumns: [backupObjects.keyId, backupObjects.id] }),
  ],
);

// --- Automation: personal access tokens for the ARM-compatible API ---

/** A user's personal access token, kept only as its SHA-256 (tokens are 256 random bits, so no slow hash is needed). */
export const personalAccessTokens = pgTable(
  'personal_access_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    // The first characters, so a person can tell their tokens apart in the list.
    prefix: text('prefix').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('personal_access_tokens_hash_key').on(t.tokenHash),
    index('personal_access_tokens_user_idx').on(t.userId, t.createdAt),
  ],
);

// --- Sign-in throttling ---

/**
 * Failed attempts per key: `account:EMAIL` and `address:IP` for passwords (a second factor's codes can add their own
 * keys). Kept in the database so every portal process counts the same attempts; a row whose failures are old counts
 * from zero again.
 */
export const authThrottle = pgTable(
  'auth_throttle',
  {
    key: text('key').primaryKey(),
    failures: integer('failures').notNull().default(0),
    lastFailureAt: timestamp('last_failure_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
    blockedUntil: timestamp('blocked_until', { withTimezone: true }),
  },
  (t) => [index('auth_throttle_last_failure_idx').on(t.lastFailureAt)],
);

/**
 * A restore of a recovery point by a machine: started by `recover` on the machine, or requested in the portal (RECOVER
 * TO SERVER) and taken by the machine's service. A request carries what to restore and where, sealed by the browser
 * under the machine's vault key, so the portal never reads a file name; the token authenticates the restore's reads.
 */
export const restores = pgTable(
  'restores',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    pointId: uuid('point_id')
      .notNull()
      .references(() => recoveryPoints.id, { onDelete: 'cascade' }),
    // The machine that restores (for a request: the chosen server).
    serverId: uuid('server_id')
      .notNull()
      .references(() => registeredServers.id, { onDelete: 'cascade' }),
    operationId: uuid('operation_id').notNull(),
    // A request: the key of the chosen server that sealed it, the sealed object and its id.
    keyId: uuid('key_id').references(() => backupKeys.id, { onDelete: 'cascade' }),
    // base64 of the sealed object: a few hundred bytes.
    request: text('request'),
    requestId: text('request_id'),
    requestedBy: uuid('requested_by').references(() => users.id, { onDelete: 'set null' }),
    requestedAt: timestamp('requested_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
    // Set when a machine starts the restore; a request is taken once, by the conditional update that sets it.
    tokenHash: text('token_hash'),
    running: boolean('running').notNull().default(false),
    startedAt: timestamp('started_at', { withTimezone: true }),
    heartbeatAt: timestamp('heartbeat_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
    endedAt: timestamp('ended_at', { withTimezone: true }),
  },
  (t) => [
    // The service's poll: this machine's requests nobody took.
    index('restores_pending_idx').on(t.serverId).where(sql`${t.tokenHash} is null and ${t.endedAt} is null`),
    index('restores_open_idx').on(t.heartbeatAt).where(sql`${t.endedAt} is null`),
    check(
      'restores_request_whole',
      sql`(${t.request} is null) = (${t.requestId} is null) and (${t.request} is null) = (${t.keyId} is null)`,
    ),
  ],
);

// --- People: invitations and two-step sign-in's recovery codes ---

/**
 * An invitation to a subscription with a role: a single-use link valid 7 days, kept only as the SHA-256 of its token.
 * Accepting is one conditional update (not accepted, not revoked, not expired), so a link is used once.
 */
export const invitations = pgTable(
  'invitations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    subscriptionId: uuid('subscription_id')
      .notNull()
      .references(() => subscriptions.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    role: roleEnum('role').notNull(),
    tokenHash: text('token_hash').notNull(),
    invitedBy: uuid('invited_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    acceptedAt: timestamp('accepted_at', { withTimezone: true }),
    acceptedBy: uuid('accepted_by').references(() => users.id, { onDelete: 'set null' }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('invitations_token_hash_key').on(t.tokenHash),
    index('invitations_subscription_idx').on(t.subscriptionId, t.createdAt),
  ],
);

/** Two-step sign-in's one-time recovery codes, kept only as hashes; a used one is marked, never reused. */
export const recoveryCodes = pgTable(
  'recovery_codes',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    codeHash: text('code_hash').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
    usedAt: timestamp('used_at', { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.userId, t.codeHash] })],
);

// --- Operation logs: every change, hash-chained, append-only ---

/**
 * One entry per change anyone makes. Entries form chains: one per subscription (`chain` = its id), and one per person
 * for what belongs to nobody's subscription (`user:ID`: their tokens, their two-step sign-in). A trigger numbers each
 * entry in its chain, links it to the previous entry's hash and computes its own (operation_log_hash in migration
 * 0011), under the chain head's row lock, so concurrent inserts still make one unbroken chain. Other triggers refuse
 * updates, deletes and truncation. No foreign keys: the log outlives what it names.
 */
export const operationLogs = pgTable(
  'operation_logs',
  {
    // Set by the trigger (the defaults only let an insert leave them out).
    chain: text('chain').notNull().default(''),
    seq: bigint('seq', { mode: 'number' }).notNull().default(0),
    id: uuid('id').notNull().defaultRandom(),
    at: timestamp('at', { withTimezone: true }).notNull().default(sql`clock_timestamp() + (portal_now() - now())`),
    // Who: a person (id and email as it was), or for a machine's own work the machine (`actor` names it).
    actorId: uuid('actor_id'),
    actor: text('actor').notNull(),
    subscriptionId: uuid('subscription_id'),
    vaultId: uuid('vault_id'),
    vaultName: text('vault_name'),
    // What: a category to filter by (Vaults, Credentials, Registrations, Configuration, Policies, Backups, Restores,
    // People, Tokens, Security), the operation in words, and what it acted on.
    category: text('category').notNull(),
    operation: text('operation').notNull(),
    target: text('target'),
    // Succeeded, Failed, Started, Cancelled, Refused.
    status: text('status').notNull(),
    detail: text('detail'),
    before: jsonb('before'),
    after: jsonb('after'),
    prevHash: text('prev_hash').notNull().default(''),
    hash: text('hash').notNull().default(''),
  },
  (t) => [
    primaryKey({ columns: [t.chain, t.seq] }),
    uniqueIndex('operation_logs_id_key').on(t.id),
    // The page's keyset pages: newest first, within the subscriptions a person may see.
    index('operation_logs_subscription_at_idx').on(t.subscriptionId, t.at, t.id),
    index('operation_logs_at_idx').on(t.at, t.id),
  ],
);

/** The newest entry of each chain, so removing the newest entries is detected too (the head names a missing one). */
export const operationLogHeads = pgTable('operation_log_heads', {
  chain: text('chain').primaryKey(),
  seq: bigint('seq', { mode: 'number' }).notNull(),
  hash: text('hash').notNull(),
});

export const alertKindEnum = pgEnum('alert_kind', [
  'BackupFailure',
  'RestoreFailure',
  'BackupDataDeleted',
  'NoRecentBackup',
  'BackupWarnings',
  'BackupDataDamaged',
]);
export const alertStatusEnum = pgEnum('alert_status', ['Active', 'Resolved']);

/**
 * An alert the portal raised about an item (raise_alert in migration 0016, called by the operations trigger, the
 * staleness sweep and deletions of backup data). One Active alert per item and kind (the partial unique index): a
 * repeat raises its count and latest occurrence. Names are kept, so an alert outlives its item and server.
 */
export const alerts = pgTable(
  'alerts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    vaultId: uuid('vault_id')
      .notNull()
      .references(() => vaults.id, { onDelete: 'cascade' }),
    itemId: uuid('item_id').notNull(),
    itemName: text('item_name').notNull(),
    serverId: uuid('server_id'),
    serverName: text('server_name').notNull(),
    kind: alertKindEnum('kind').notNull(),
    severity: alertSeverityEnum('severity').notNull(),
    status: alertStatusEnum('status').notNull().default('Active'),
    count: integer('count').notNull().default(1),
    // The latest occurrence's words (a failed job's error) and job.
    detail: text('detail').notNull().default(''),
    jobId: uuid('job_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
    latestAt: timestamp('latest_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    resolvedBy: uuid('resolved_by').references(() => users.id, { onDelete: 'set null' }),
  },
  (t) => [
    uniqueIndex('alerts_active_key').on(t.itemId, t.kind).where(sql`${t.status} = 'Active'`),
    index('alerts_vault_idx').on(t.vaultId, t.status, t.latestAt, t.id),
    index('alerts_created_idx').on(t.createdAt),
  ],
);

export const alertChannelEnum = pgEnum('alert_channel', ['email', 'webhook']);
export const deliveryStateEnum = pgEnum('delivery_state', ['pending', 'sent', 'failed']);

/**
 * The notifications' durable queue: one row per email or webhook call to make (an alert's, or an hour's digest),
 * claimed by any worker (for update skip locked), retried with backoff until sent or given up.
 */
export const alertDeliveries = pgTable(
  'alert_deliveries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    vaultId: uuid('vault_id')
      .notNull()
      .references(() => vaults.id, { onDelete: 'cascade' }),
    alertId: uuid('alert_id').references(() => alerts.id, { onDelete: 'cascade' }),
    // An hourly digest: the hour (UTC, portal time) whose alerts it sends.
    digestHour: timestamp('digest_hour', { withTimezone: true }),
    channel: alertChannelEnum('channel').notNull(),
    state: deliveryStateEnum('state').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(sql`portal_now()`),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (t) => [
    check('alert_deliveries_what', sql`(${t.alertId} is null) <> (${t.digestHour} is null)`),
    uniqueIndex('alert_deliveries_digest_key').on(t.vaultId, t.digestHour).where(sql`${t.digestHour} is not null`),
    index('alert_deliveries_due_idx').on(t.nextAttemptAt).where(sql`${t.state} = 'pending'`),
  ],
);

// --- The Backup center's daily rollups (kept by triggers, migration 0018) ---

/**
 * A vault's day (UTC): its backup and restore jobs by outcome (counted on the day they started, when they end), and
 * the bytes its stored objects gained and lost (after deduplication and compression). Kept after the vault is
 * deleted, like operations, so a subscription's history does not change when a vault goes.
 */
export const vaultDays = pgTable(
  'vault_days',
  {
    vaultId: uuid('vault_id').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    subscriptionId: uuid('subscription_id').notNull(),
    backupsCompleted: integer('backups_completed').notNull().default(0),
    backupsFailed: integer('backups_failed').notNull().default(0),
    restoresCompleted: integer('restores_completed').notNull().default(0),
    restoresFailed: integer('restores_failed').notNull().default(0),
    jobsCancelled: integer('jobs_cancelled').notNull().default(0),
    bytesAdded: bigint('bytes_added', { mode: 'number' }).notNull().default(0),
    bytesRemoved: bigint('bytes_removed', { mode: 'number' }).notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.vaultId, t.day] }),
    index('vault_days_subscription_idx').on(t.subscriptionId, t.day),
  ],
);

/** A protected item's day (UTC): its backups by outcome, their durations, and the recovery points taken. */
export const itemDays = pgTable(
  'item_days',
  {
    itemId: uuid('item_id').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    vaultId: uuid('vault_id').notNull(),
    subscriptionId: uuid('subscription_id').notNull(),
    backupsCompleted: integer('backups_completed').notNull().default(0),
    backupsFailed: integer('backups_failed').notNull().default(0),
    // Completed backups' durations: their sum and the longest, in seconds.
    backupSeconds: bigint('backup_seconds', { mode: 'number' }).notNull().default(0),
    backupSecondsMax: integer('backup_seconds_max').notNull().default(0),
    points: integer('points').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.itemId, t.day] }),
    index('item_days_subscription_idx').on(t.subscriptionId, t.day),
    index('item_days_vault_idx').on(t.vaultId, t.day),
  ],
);
