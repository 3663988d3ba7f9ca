/**
 * Emulator mode's `POST /_emulator/seed` (the contract's "Emulator mode, for Playwright suites"): vaults, their
 * servers, protected items, recovery points, jobs and users, made at once and in one transaction, so a seed the
 * database refuses changes nothing.
 *
 * What a seed makes is what the portal would hold after the real steps, without them:
 * - Vaults are Active at once (their DefaultPolicy and the subscription's vault count come from the database's
 *   triggers, as for quick create). Region defaults to quick create's (`westus`), the subscription to the admin's,
 *   storage replication to GeoRedundant (locked, as every vault with a server is).
 * - A server is a registered_servers row with a real Ed25519 machine public key (its private half is thrown away:
 *   no agent can act as a seeded server; a real machine registered to the vault can restore its points with
 *   `recover --from-server NAME --passphrase-file FILE`) and a real vault key, wrapped with the server's `passphrase`
 *   (default `emulator-passphrase`, SEED_PASSPHRASE) exactly as the agent wraps it at registration, but with the
 *   cheapest Argon2id cost the format accepts (SEED_KDF: 8 MiB, 1 pass). The cost is recorded beside the wrapped key
 *   and authenticated with it, and the browser and the agent derive with the recorded cost, so only the speed differs.
 * - A point is built as the agent builds a backup (point-objects.ts): chunked, named, sealed (raw, uncompressed),
 *   and stored through the objects endpoint's own storeObjectBatch, so packs in the blob store and backup_objects
 *   rows are those of an upload; then the point and its recovery_point_objects rows, as a commit writes them. Files
 *   and folders are dated at the point's time. No retention run is queued (a commit queues one): the policy's hourly
 *   run applies to seeded points as to any.
 * - Each point has its Backup job (Completed, at the point's time), unless the item's `jobs` are given: then those
 *   are its jobs instead (a Failed one raises its alert, by the database's trigger, as a real failure does). Jobs are
 *   rows only: an `In progress` one has no agent behind it. No CreateVault, Register or Protect jobs are recorded.
 * - An item with points is Protected, one without is Pending (its initial backup), as the portal shows them.
 * - Users get the password's hash and a membership with their role, in the given or the admin's subscription.
 *
 * Packs are written to the blob store inside the transaction, before its commit; if the commit then fails they are
 * packs without rows, which garbage collection removes once an hour old (lib/backups/purge.ts).
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type pg from 'pg';
import { z } from 'zod';
import { withTransaction } from '@/db/client';
import {
  backupKeys,
  DEFAULT_POLICY_NAME,
  memberships,
  operations,
  protectedItems,
  registeredServers,
  users,
  vaults,
} from '@/db/schema';
import { hashPassword } from '@/lib/auth/password';
import {
  deriveVaultKeys,
  KDF_BOUNDS,
  type KdfCost,
  newVaultKey,
  type WrappedVaultKey,
  wrapVaultKey,
} from '@/lib/backup-format';
import { itemPathSchema } from '@/lib/backups/items';
import { storeObjectBatch } from '@/lib/backups/object-batches';
import { PortalError, violatedConstraint } from '@/lib/errors';
import { emailSchema, ROLES } from '@/lib/people/validation';
import { machineNameSchema } from '@/lib/registration/verify';
import type { Services } from '@/lib/services';
import { REGION_IDS } from '@/lib/vaults/regions';
import { REPLICATION, type StorageReplication } from '@/lib/vaults/replication';
import { messages as vaultMessages } from '@/lib/vaults/rules';
import { vaultNameSchema } from '@/lib/vaults/validation';
import { writeFrameHeader } from '@/wire/frame';
import { MAX_BATCH_BYTES, OBJECT_FRAME_HEADER } from '@/wire/protocol';
import { type BuiltPoint, folderTree, KeyObjects } from './point-objects';

/** A seeded server's passphrase when the seed gives none. */
export const SEED_PASSPHRASE = 'emulator-passphrase';
/** Quick create's region (the New vault dialog's default). */
export const SEED_REGION = 'westus';
/** The cheapest Argon2id cost the format accepts (KDF_BOUNDS), for seeded keys only: seeding stays fast. */
export const SEED_KDF: KdfCost = {
  memoryKiB: KDF_BOUNDS.memoryKiB.min,
  iterations: KDF_BOUNDS.iterations.min,
  parallelism: KDF_BOUNDS.parallelism.min,
};

// --- The seed's shape -------------------------------------------------------------------------------------------

const time = z.iso.datetime({ offset: true, error: 'must be a time such as 2026-01-31T22:00:00Z' });

/** JOBS' status words, and the database's names for them. */
const JOB_STATUSES = {
  Completed: 'Succeeded',
  Succeeded: 'Succeeded',
  Failed: 'Failed',
  'In progress': 'InProgress',
  InProgress: 'InProgress',
  Cancelled: 'Cancelled',
} as const;
type JobStatus = (typeof JOB_STATUSES)[keyof typeof JOB_STATUSES];
const statusNames = Object.keys(JOB_STATUSES) as [keyof typeof JOB_STATUSES, ...(keyof typeof JOB_STATUSES)[]];

const jobSchema = z
  .strictObject({
    operation: z.enum(['Backup', 'Restore'], { error: "must be 'Backup' or 'Restore'" }),
    status: z
      .enum(statusNames, { error: "must be 'Completed', 'Failed', 'In progress' or 'Cancelled'" })
      .transform((status): JobStatus => JOB_STATUSES[status]),
    startedAt: time,
    endedAt: time.optional(),
    error: z.string().trim().min(1).max(2000).optional(),
  })
  .superRefine((job, ctx) => {
    if (job.status === 'InProgress' && job.endedAt) {
      ctx.addIssue({ code: 'custom', path: ['endedAt'], message: 'a job in progress has not ended' });
    }
    if (job.endedAt && Date.parse(job.endedAt) < Date.parse(job.startedAt)) {
      ctx.addIssue({ code: 'custom', path: ['endedAt'], message: 'must not be before startedAt' });
    }
    if (job.error && (job.status === 'Succeeded' || job.status === 'InProgress')) {
      ctx.addIssue({ code: 'custom', path: ['error'], message: 'only a Failed or Cancelled job has an error' });
    }
  });

const pointSchema = z.strictObject({
  takenAt: time,
  files: z.record(z.string(), z.string({ error: "must be the file's content, a string" })).superRefine((files, ctx) => {
    try {
      folderTree(files);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  }),
});

const itemSchema = z.strictObject({
  path: itemPathSchema,
  points: z.array(pointSchema).max(1000).default([]),
  jobs: z.array(jobSchema).max(1000).optional(),
});

const serverSchema = z
  .strictObject({
    name: machineNameSchema,
    passphrase: z.string().min(1).max(1024).default(SEED_PASSPHRASE),
    items: z.array(itemSchema).max(100).default([]),
  })
  .superRefine((server, ctx) => {
    const seen = new Set<string>();
    for (const [i, item] of server.items.entries()) {
      if (seen.has(item.path)) {
        ctx.addIssue({ code: 'custom', path: ['items', i, 'path'], message: `'${item.path}' is given twice` });
      }
      seen.add(item.path);
    }
  });

const replications = Object.keys(REPLICATION) as [StorageReplication, ...StorageReplication[]];

const vaultSchema = z
  .strictObject({
    name: vaultNameSchema,
    region: z
      .enum(REGION_IDS, {
        error: (issue) => `${JSON.stringify(issue.input)} is not a region: use one of ${REGION_IDS.join(', ')}`,
      })
      .default(SEED_REGION),
    subscriptionId: z.uuid({ error: 'must be a subscription id' }).optional(),
    storageReplication: z.enum(replications, { error: `must be ${replications.join(' or ')}` }).default('GeoRedundant'),
    servers: z.array(serverSchema).max(100).default([]),
  })
  .superRefine((vault, ctx) => {
    const seen = new Set<string>();
    for (const [i, server] of vault.servers.entries()) {
      const lower = server.name.toLowerCase();
      if (seen.has(lower)) {
        ctx.addIssue({ code: 'custom', path: ['servers', i, 'name'], message: `'${server.name}' is given twice` });
      }
      seen.add(lower);
    }
  });

const userSchema = z.strictObject({
  email: emailSchema,
  password: z.string().min(1).max(1024),
  role: z.enum(ROLES, { error: `must be ${ROLES.join(', ')}` }),
  subscriptionId: z.uuid({ error: 'must be a subscription id' }).optional(),
});

const seedSchema = z.strictObject({
  vaults: z.array(vaultSchema).max(1000).default([]),
  users: z.array(userSchema).max(1000).default([]),
});

export type SeedInput = z.input<typeof seedSchema>;
type Seed = z.output<typeof seedSchema>;

export type SeedResult = {
  vaults: Array<{
    id: string;
    name: string;
    servers: Array<{
      id: string;
      name: string;
      items: Array<{
        id: string;
        path: string;
        points: Array<{ id: string; takenAt: string }>;
        /** The item's jobs: the given ones in their order, or each point's Backup job in the points' order. */
        jobs: Array<{ id: string }>;
      }>;
    }>;
  }>;
  users: Array<{ id: string; email: string }>;
};

/** `vaults[0].servers[1].name`, `...files["a b.txt"]`: where in the seed an issue is. */
function pathText(path: ReadonlyArray<PropertyKey>): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else if (typeof part === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(part)) text += text ? `.${part}` : part;
    else text += `[${JSON.stringify(String(part))}]`;
  }
  return text;
}

const refusal = (path: ReadonlyArray<PropertyKey>, message: string) =>
  new PortalError('invalid', path.length > 0 ? `${pathText(path)}: ${message}` : `The seed is not valid: ${message}`);

/** The seed, checked: a PortalError('invalid') naming the first thing wrong and where it is. */
export function parseSeed(input: unknown): Seed {
  const parsed = seedSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw refusal(issue.path, issue.message);
  }
  return parsed.data;
}

// --- Making it ----------------------------------------------------------------------------------------------------

type PlannedJob = {
  id: string;
  kind: 'Backup' | 'Restore';
  status: JobStatus;
  startedAt: Date;
  endedAt: Date | null;
  message: string;
  figures?: { bytes: number; files: number; transferred: number };
};

type PlannedItem = {
  id: string;
  path: string;
  createdAt: Date;
  points: Array<{ id: string; takenAt: Date; built: BuiltPoint }>;
  jobs: PlannedJob[];
  lastBackupAt: Date | null;
  lastBackupStatus: 'Completed' | 'Failed' | 'Cancelled' | null;
};

type PlannedServer = {
  id: string;
  name: string;
  publicKeyPem: string;
  keyId: string;
  wrappedKey: WrappedVaultKey;
  objects: KeyObjects;
  createdAt: Date;
  lastBackupAt: Date | null;
  items: PlannedItem[];
};

type PlannedVault = {
  id: string;
  name: string;
  region: string;
  subscriptionId: string;
  storageReplication: StorageReplication;
  createdAt: Date;
  servers: PlannedServer[];
};

const earliest = (now: Date, times: Date[]) => new Date(Math.min(now.getTime(), ...times.map((t) => t.getTime())));
const latest = (times: Date[]) => (times.length ? new Date(Math.max(...times.map((t) => t.getTime()))) : null);

/** A job's words, as the portal's own paths write them when it ends (lib/backups/sessions.ts, lib/restore). */
function jobMessage(kind: 'Backup' | 'Restore', status: JobStatus, item: string, server: string, error?: string) {
  const what = `The ${kind === 'Backup' ? 'backup' : 'restore'} of '${item}' on '${server}'`;
  const reason = error ? `: ${error.replace(/\.$/, '')}.` : '.';
  switch (status) {
    case 'Succeeded':
      return `${what} completed.`;
    case 'Failed':
      return `${what} failed${reason}`;
    case 'Cancelled':
      return `${what} was cancelled${reason}`;
    case 'InProgress':
      return kind === 'Backup' ? `Backing up '${item}' on '${server}'...` : `Recovering '${item}' on '${server}'...`;
  }
}

/** A server's key pair as the agent makes it (agent/proof.ts): only the public half is kept, as registration does. */
function machinePublicKey(): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  return publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

async function planServer(server: Seed['vaults'][number]['servers'][number], now: Date): Promise<PlannedServer> {
  const vaultKey = newVaultKey();
  const [wrappedKey, keys] = await Promise.all([
    wrapVaultKey(vaultKey, server.passphrase, SEED_KDF),
    deriveVaultKeys(vaultKey),
  ]);
  const objects = new KeyObjects(keys);
  const items: PlannedItem[] = [];
  for (const item of server.items) {
    const points = item.points.map((point) => ({ id: randomUUID(), takenAt: new Date(point.takenAt), point }));
    // Built in time order, as the backups would have run: each point's new bytes are those its backup would send.
    const built = new Map<string, BuiltPoint>();
    for (const p of [...points].sort((a, b) => a.takenAt.getTime() - b.takenAt.getTime())) {
      built.set(p.id, await objects.point(folderTree(p.point.files), p.takenAt.getTime()));
    }
    const jobs: PlannedJob[] = item.jobs
      ? item.jobs.map((job) => {
          const ended = job.status === 'InProgress' ? null : new Date(job.endedAt ?? job.startedAt);
          return {
            id: randomUUID(),
            kind: job.operation,
            status: job.status,
            startedAt: new Date(job.startedAt),
            endedAt: ended,
            message: jobMessage(job.operation, job.status, item.path, server.name, job.error),
          };
        })
      : points.map((p) => {
          const point = built.get(p.id)!;
          return {
            id: randomUUID(),
            kind: 'Backup',
            status: 'Succeeded',
            startedAt: p.takenAt,
            endedAt: p.takenAt,
            message: jobMessage('Backup', 'Succeeded', item.path, server.name),
            figures: { bytes: point.bytes, files: point.files, transferred: point.transferred },
          };
        });
    // The last backup's outcome: a point is a completed backup at its time; a given job that ended, its status.
    const outcomes = [
      ...points.map((p) => ({ at: p.takenAt, status: 'Completed' as const })),
      ...jobs
        .filter((job) => job.kind === 'Backup' && job.endedAt)
        .map((job) => ({
          at: job.endedAt!,
          status: job.status === 'Succeeded' ? ('Completed' as const) : (job.status as 'Failed' | 'Cancelled'),
        })),
    ].sort((a, b) => a.at.getTime() - b.at.getTime());
    items.push({
      id: randomUUID(),
      path: item.path,
      createdAt: earliest(now, [...points.map((p) => p.takenAt), ...jobs.map((job) => job.startedAt)]),
      points: points.map((p) => ({ id: p.id, takenAt: p.takenAt, built: built.get(p.id)! })),
      jobs,
      lastBackupAt: latest(points.map((p) => p.takenAt)),
      lastBackupStatus: outcomes.at(-1)?.status ?? null,
    });
  }
  return {
    id: randomUUID(),
    name: server.name,
    publicKeyPem: machinePublicKey(),
    keyId: randomUUID(),
    wrappedKey,
    objects,
    createdAt: earliest(
      now,
      items.map((item) => item.createdAt),
    ),
    lastBackupAt: latest(items.flatMap((item) => (item.lastBackupAt ? [item.lastBackupAt] : []))),
    items,
  };
}

/** The key's objects as upload bodies (frames, as the agent sends them), each within the endpoint's limit. */
function uploadBodies(objects: KeyObjects): Uint8Array[] {
  const bodies: Uint8Array[] = [];
  let batch: Array<[string, Uint8Array]> = [];
  let size = 0;
  const flush = () => {
    if (batch.length === 0) return;
    const body = Buffer.allocUnsafe(size);
    let at = 0;
    for (const [id, sealed] of batch) {
      at = writeFrameHeader(body, at, id, sealed.length);
      body.set(sealed, at);
      at += sealed.length;
    }
    bodies.push(body);
    batch = [];
    size = 0;
  };
  for (const [id, sealed] of objects.sealed) {
    if (size + OBJECT_FRAME_HEADER + sealed.length > MAX_BATCH_BYTES) flush();
    batch.push([id, sealed]);
    size += OBJECT_FRAME_HEADER + sealed.length;
  }
  flush();
  return bodies;
}

/** Duplicates inside the seed that the database would refuse, named where they are. */
function checkDuplicates(seed: Seed, subscriptionOf: (given: string | undefined) => string): void {
  const vaultNames = new Set<string>();
  for (const [i, vault] of seed.vaults.entries()) {
    const key = `${subscriptionOf(vault.subscriptionId)} ${vault.name.toLowerCase()}`;
    if (vaultNames.has(key)) throw refusal(['vaults', i, 'name'], `'${vault.name}' is given twice in one subscription`);
    vaultNames.add(key);
  }
  const emails = new Set<string>();
  for (const [i, user] of seed.users.entries()) {
    if (emails.has(user.email)) throw refusal(['users', i, 'email'], `'${user.email}' is given twice`);
    emails.add(user.email);
  }
}

/** What the database holds already that the seed would clash with: unknown subscriptions, taken names and emails. */
async function checkExisting(
  client: pg.PoolClient,
  seed: Seed,
  subscriptionOf: (given: string | undefined) => string,
): Promise<void> {
  const wanted = [
    ...seed.vaults.map((v, i) => ({ id: subscriptionOf(v.subscriptionId), path: ['vaults', i, 'subscriptionId'] })),
    ...seed.users.map((u, i) => ({ id: subscriptionOf(u.subscriptionId), path: ['users', i, 'subscriptionId'] })),
  ];
  const { rows: known } = await client.query<{ id: string }>(
    'select id from subscriptions where id = any($1::uuid[])',
    [[...new Set(wanted.map((w) => w.id))]],
  );
  const knownIds = new Set(known.map((r) => r.id));
  const unknown = wanted.find((w) => !knownIds.has(w.id));
  if (unknown)
    throw new PortalError('not_found', `${pathText(unknown.path)}: no subscription has the id ${unknown.id}.`);

  if (seed.vaults.length > 0) {
    const { rows: taken } = await client.query<{ subscription_id: string; name: string }>(
      `select v.subscription_id, lower(v.name) as name from vaults v
       join unnest($1::uuid[], $2::text[]) as u(subscription_id, name)
         on v.subscription_id = u.subscription_id and lower(v.name) = u.name`,
      [seed.vaults.map((v) => subscriptionOf(v.subscriptionId)), seed.vaults.map((v) => v.name.toLowerCase())],
    );
    for (const [i, vault] of seed.vaults.entries()) {
      const sub = subscriptionOf(vault.subscriptionId);
      if (taken.some((t) => t.subscription_id === sub && t.name === vault.name.toLowerCase())) {
        throw new PortalError('conflict', `vaults[${i}].name: ${vaultMessages.duplicate(vault.name)}`);
      }
    }
  }
  if (seed.users.length > 0) {
    const { rows: existing } = await client.query<{ email: string }>(
      'select lower(email) as email from users where lower(email) = any($1::text[])',
      [seed.users.map((u) => u.email)],
    );
    const i = seed.users.findIndex((u) => existing.some((e) => e.email === u.email));
    if (i >= 0) {
      throw new PortalError('conflict', `users[${i}].email: an account for ${seed.users[i]!.email} already exists.`);
    }
  }
}

/**
 * Makes everything the seed describes (see the module's comment) and answers the ids. `admin` is the portal's first
 * admin: the subscription vaults and users go to when the seed names none, and the vaults' creator.
 */
export async function seedEmulator(
  svc: Services,
  admin: { id: string; subscriptionId: string },
  input: unknown,
): Promise<SeedResult> {
  const seed = parseSeed(input);
  const subscriptionOf = (given: string | undefined) => given ?? admin.subscriptionId;
  checkDuplicates(seed, subscriptionOf);
  const now = svc.clock.now();

  // The slow, pure part first, outside the transaction: keys, sealed objects, password hashes.
  const planned: PlannedVault[] = [];
  for (const vault of seed.vaults) {
    const servers: PlannedServer[] = [];
    for (const server of vault.servers) servers.push(await planServer(server, now));
    planned.push({
      id: randomUUID(),
      name: vault.name,
      region: vault.region,
      subscriptionId: subscriptionOf(vault.subscriptionId),
      storageReplication: vault.storageReplication,
      createdAt: earliest(
        now,
        servers.map((s) => s.createdAt),
      ),
      servers,
    });
  }
  const passwordHashes = await Promise.all(seed.users.map((user) => hashPassword(user.password)));
  const userIds = seed.users.map(() => randomUUID());

  try {
    await withTransaction(svc.pool, async (tx, client) => {
      await checkExisting(client, seed, subscriptionOf);

      if (seed.users.length > 0) {
        const rows = seed.users.map((u, i) => ({ id: userIds[i]!, email: u.email, passwordHash: passwordHashes[i]! }));
        await tx.insert(users).values(rows);
        const roles = seed.users.map((u, i) => ({
          userId: userIds[i]!,
          subscriptionId: subscriptionOf(u.subscriptionId),
          role: u.role,
        }));
        await tx.insert(memberships).values(roles);
      }
      if (planned.length === 0) return;

      // Active at once; the triggers add each vault's DefaultPolicy and count it in its subscription (refusing a 26th).
      await tx.insert(vaults).values(
        planned.map((v) => ({
          id: v.id,
          subscriptionId: v.subscriptionId,
          name: v.name,
          region: v.region,
          status: 'Active' as const,
          storageReplication: v.storageReplication,
          createdBy: admin.id,
          createdAt: v.createdAt,
        })),
      );
      const servers = planned.flatMap((v) => v.servers.map((s) => ({ vault: v, server: s })));
      if (servers.length === 0) return;
      // The server rows lock their vaults' storage replication (a trigger), as a registration does.
      await tx.insert(registeredServers).values(
        servers.map(({ vault, server }) => ({
          id: server.id,
          vaultId: vault.id,
          name: server.name,
          machinePublicKey: server.publicKeyPem,
          lastBackupAt: server.lastBackupAt,
          createdAt: server.createdAt,
        })),
      );
      await tx.insert(backupKeys).values(
        servers.map(({ vault, server }) => ({
          id: server.keyId,
          vaultId: vault.id,
          serverId: server.id,
          wrappedKey: server.wrappedKey,
          createdAt: server.createdAt,
        })),
      );
      const items = servers.flatMap(({ vault, server }) => server.items.map((item) => ({ vault, server, item })));
      if (items.length === 0) return;
      await tx.insert(protectedItems).values(
        items.map(({ vault, server, item }) => ({
          id: item.id,
          vaultId: vault.id,
          serverId: server.id,
          path: item.path,
          policyId: sql`(select id from backup_policies where vault_id = ${vault.id} and name = ${DEFAULT_POLICY_NAME})`,
          status: item.points.length > 0 ? ('Protected' as const) : ('Pending' as const),
          lastBackupStatus: item.lastBackupStatus,
          lastBackupAt: item.lastBackupAt,
          policyAssignedAt: item.createdAt,
          createdAt: item.createdAt,
        })),
      );

      // The objects, stored as the objects endpoint stores an upload: a pack per batch, then its index rows.
      for (const { server } of servers) {
        const session = {
          id: '',
          keyId: server.keyId,
          itemId: '',
          operationId: '',
          startedAt: now,
          // No session row to keep alive.
          heartbeatDue: false,
        };
        for (const body of uploadBodies(server.objects)) {
          // storeObjectBatch only queries: the transaction's client serves it, so its rows commit with the rest.
          await storeObjectBatch(client as unknown as pg.Pool, svc.store, session, body);
        }
      }

      // The points and the objects each holds, as a commit writes them.
      const points = items.flatMap(({ vault, server, item }) => item.points.map((p) => ({ vault, server, item, p })));
      if (points.length > 0) {
        await client.query(
          `insert into recovery_points (id, vault_id, item_id, key_id, root_id, taken_at, files, folders, bytes)
           select * from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::timestamptz[],
             $7::int[], $8::int[], $9::bigint[])`,
          [
            points.map(({ p }) => p.id),
            points.map(({ vault }) => vault.id),
            points.map(({ item }) => item.id),
            points.map(({ server }) => server.keyId),
            points.map(({ p }) => p.built.rootId),
            points.map(({ p }) => p.takenAt.toISOString()),
            points.map(({ p }) => p.built.files),
            points.map(({ p }) => p.built.folders),
            points.map(({ p }) => p.built.bytes),
          ],
        );
        const held = points.flatMap(({ server, p }) =>
          p.built.objectIds.map((id) => [p.id, server.keyId, id] as const),
        );
        await client.query(
          `insert into recovery_point_objects (point_id, key_id, object_id)
           select * from unnest($1::uuid[], $2::uuid[], $3::text[])`,
          [held.map((h) => h[0]), held.map((h) => h[1]), held.map((h) => h[2])],
        );
      }

      // The jobs, in the order they ended: the alerts' trigger raises and resolves as the timeline did.
      const jobs = items
        .flatMap(({ vault, server, item }) => item.jobs.map((job) => ({ vault, server, item, job })))
        .sort((a, b) => (a.job.endedAt ?? a.job.startedAt).getTime() - (b.job.endedAt ?? b.job.startedAt).getTime());
      if (jobs.length > 0) {
        await tx.insert(operations).values(
          jobs.map(({ vault, server, item, job }) => ({
            id: job.id,
            userId: null,
            subscriptionId: vault.subscriptionId,
            vaultId: vault.id,
            vaultName: vault.name,
            kind: job.kind,
            status: job.status,
            progress: job.status === 'InProgress' ? 0 : 100,
            message: job.message,
            startedAt: job.startedAt,
            updatedAt: job.endedAt ?? job.startedAt,
            endedAt: job.endedAt,
            itemId: item.id,
            itemName: item.path,
            serverId: server.id,
            serverName: server.name,
            ...(job.figures
              ? {
                  bytesDone: job.figures.bytes,
                  bytesTotal: job.figures.bytes,
                  filesDone: job.figures.files,
                  filesTotal: job.figures.files,
                  dataTransferred: job.figures.transferred,
                  secondsLeft: 0,
                }
              : {}),
          })),
        );
      }
    });
  } catch (error) {
    const constraint = violatedConstraint(error);
    if (constraint === 'subscriptions_vault_limit') throw new PortalError('quota_exceeded', vaultMessages.limit);
    // Made meanwhile by someone else (checkExisting found none).
    if (constraint === 'vaults_subscription_name_key') {
      throw new PortalError('conflict', 'A backup vault of the seed was created meanwhile with the same name.');
    }
    if (constraint === 'users_email_lower_key') {
      throw new PortalError('conflict', 'An account with an email of the seed was created meanwhile.');
    }
    throw error;
  }

  return {
    vaults: planned.map((vault) => ({
      id: vault.id,
      name: vault.name,
      servers: vault.servers.map((server) => ({
        id: server.id,
        name: server.name,
        items: server.items.map((item) => ({
          id: item.id,
          path: item.path,
          points: item.points.map((p) => ({ id: p.id, takenAt: p.takenAt.toISOString() })),
          jobs: item.jobs.map((job) => ({ id: job.id })),
        })),
      })),
    })),
    users: seed.users.map((user, i) => ({ id: userIds[i]!, email: user.email })),
  };
}
