import 'server-only';
import { and, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { operations } from '@/db/schema';
import { PortalError } from '@/lib/errors';
import { vaultAccessOrThrow } from '@/lib/vaults/access';
import { createVaultOrThrow } from '@/lib/vaults/create';
import { deleteVaultOrThrow } from '@/lib/vaults/delete';
import { findVaultByName, listVaults, type VaultRow } from '@/lib/vaults/queries';
import { saveStorageReplicationOrThrow } from '@/lib/vaults/redundancy';
import { REGION_IDS } from '@/lib/vaults/regions';
import { saveVaultTagsOrThrow } from '@/lib/vaults/tags';
import { messages as vaultMessages, vaultNameSchema, vaultTagsSchema } from '@/lib/vaults/validation';
import { type ArmContext, jsonBody, subscriptionIdOf } from './context';
import { notFound } from './errors';
import { monitoringSettingsSchema, monitoringStates, saveMonitoringSettingsOrThrow } from './monitoring';
import { VAULT_TYPE, vaultPath, vaultResource } from './resources';

/** Small enough that a subscription's 25 vaults take several pages, so clients meet nextLink as they do on Azure. */
export const ARM_PAGE_SIZE = 10;

/** Seconds the SDKs wait between polls of a long-running operation (their default is 2). */
const RETRY_AFTER = '1';

/**
 * The vault the path names (its name is unique in the subscription, and its resource group must match too), through
 * the vault guard at the route's level.
 */
export async function vaultOfPath(ctx: ArmContext): Promise<VaultRow> {
  const { vaultName, resourceGroup } = ctx.params as { vaultName: string; resourceGroup: string };
  const found = await findVaultByName(ctx.svc.db, ctx.user, subscriptionIdOf(ctx), vaultName);
  if (!found || found.resourceGroup.toLowerCase() !== resourceGroup.toLowerCase()) {
    throw notFound(`The Resource '${VAULT_TYPE}/${vaultName}' under resource group '${resourceGroup}' was not found.`);
  }
  return (await vaultAccessOrThrow(ctx.svc.db, ctx.user, found.id, ctx.level)).vault;
}

async function reload(ctx: ArmContext, vaultId: string): Promise<VaultRow> {
  return (await vaultAccessOrThrow(ctx.svc.db, ctx.user, vaultId, 'read')).vault;
}

/**
 * The vaults as the SDK's `Vault` model, with their monitoring settings (one query for all of them); a vault gone
 * since it was read is left out.
 */
async function resources(ctx: ArmContext, rows: VaultRow[]) {
  const monitoring = await monitoringStates(
    ctx.svc.db,
    rows.map((v) => v.id),
  );
  return rows.flatMap((v) => {
    const state = monitoring.get(v.id);
    return state ? [vaultResource(v, state)] : [];
  });
}

async function resource(ctx: ArmContext, vault: VaultRow) {
  const [one] = await resources(ctx, [vault]);
  if (!one) throw notFound(`The Resource '${VAULT_TYPE}/${vault.name}' was not found.`);
  return one;
}

/** Azure accepts a location's display name too ("West Europe"); both become the id. */
const locationSchema = z
  .string()
  .transform((v) => v.replaceAll(' ', '').toLowerCase())
  .pipe(
    z.enum(REGION_IDS, {
      error: (issue) =>
        `The location '${String(issue.input)}' is not available for resource type '${VAULT_TYPE}'. Available locations: ${REGION_IDS.join(', ')}.`,
    }),
  );

/** The properties PUT and PATCH change; any other (read-only, or not offered) is ignored, as before. */
const propertiesSchema = z
  .object({
    redundancySettings: z
      .object({ standardTierStorageRedundancy: z.enum(['GeoRedundant', 'LocallyRedundant']).optional() })
      .optional(),
    monitoringSettings: monitoringSettingsSchema.optional(),
  })
  .optional();

const putSchema = z.object({
  location: locationSchema,
  tags: vaultTagsSchema.optional(),
  properties: propertiesSchema,
});

const patchSchema = z.object({ tags: vaultTagsSchema.optional(), properties: propertiesSchema });

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw new PortalError('invalid_request_content', `${where}${issue.message}`);
  }
  return parsed.data;
}

function asyncOperationUrl(ctx: ArmContext, vault: VaultRow, operationId: string): string {
  const query = ctx.apiVersion ? `?api-version=${encodeURIComponent(ctx.apiVersion)}` : '';
  return `${ctx.origin}${vaultPath(vault)}/operationStatus/${operationId}${query}`;
}

/**
 * Tags, storage replication and monitoring settings, each only when given (the rest stays as it is); tags and
 * replication through the same functions as the pages, each refusal the page's message. The body was validated
 * whole before, so a bad value changes nothing.
 */
async function applyChanges(ctx: ArmContext, vault: VaultRow, changes: z.infer<typeof patchSchema>) {
  if (changes.tags) {
    await saveVaultTagsOrThrow(ctx.svc, ctx.user, { vaultId: vault.id, tags: changes.tags });
  }
  const replication = changes.properties?.redundancySettings?.standardTierStorageRedundancy;
  if (replication && replication !== vault.storageReplication) {
    await saveStorageReplicationOrThrow(ctx.svc, ctx.user, { vaultId: vault.id, storageReplication: replication });
  }
  const monitoring = changes.properties?.monitoringSettings;
  if (monitoring) await saveMonitoringSettingsOrThrow(ctx.svc, ctx.user, vault, monitoring);
}

/**
 * PUT: creates the vault as quick create does (same rules, same operation and notification) and answers 201 with
 * Azure-AsyncOperation, which polls the operation until the vault is Active. On an existing vault it updates it.
 */
export async function putVaultResource(ctx: ArmContext): Promise<Response> {
  const { vaultName, resourceGroup } = ctx.params as { vaultName: string; resourceGroup: string };
  const body = parse(putSchema, await jsonBody(ctx));
  const existing = await findVaultByName(ctx.svc.db, ctx.user, subscriptionIdOf(ctx), vaultName);
  if (existing) {
    if (existing.resourceGroup.toLowerCase() !== resourceGroup.toLowerCase()) {
      throw new PortalError('conflict', vaultMessages.duplicate(vaultName));
    }
    if (existing.region !== body.location) {
      throw new PortalError(
        'invalid_location',
        `The resource '${existing.name}' already exists in location '${existing.region}' in resource group '${existing.resourceGroup}'. A resource with the same name cannot be created in location '${body.location}'.`,
      );
    }
    await applyChanges(ctx, existing, body);
    return Response.json(await resource(ctx, await reload(ctx, existing.id)), { status: 200 });
  }

  const created = await createVaultOrThrow(ctx.svc, ctx.user, {
    name: vaultName,
    region: body.location,
    subscriptionId: subscriptionIdOf(ctx),
    resourceGroup,
    tags: body.tags,
  });
  const vault = await reload(ctx, created.data.vaultId);
  if (body.properties) await applyChanges(ctx, vault, { properties: body.properties });
  return Response.json(await resource(ctx, await reload(ctx, vault.id)), {
    status: 201,
    headers: {
      'Azure-AsyncOperation': asyncOperationUrl(ctx, vault, created.data.operationId),
      'Retry-After': RETRY_AFTER,
    },
  });
}

export async function getVaultResource(ctx: ArmContext): Promise<Response> {
  return Response.json(await resource(ctx, await vaultOfPath(ctx)));
}

/** PATCH: tags (replaced as a whole, as Azure does), storage replication and monitoring settings, each if given. */
export async function patchVaultResource(ctx: ArmContext): Promise<Response> {
  const body = parse(patchSchema, await jsonBody(ctx));
  const vault = await vaultOfPath(ctx);
  await applyChanges(ctx, vault, body);
  return Response.json(await resource(ctx, await reload(ctx, vault.id)));
}

/** DELETE: marks the vault Deleting as the Dashboard's DELETE does and answers 202; deleting nothing is 204. */
export async function deleteVaultResource(ctx: ArmContext): Promise<Response> {
  let vault: VaultRow;
  try {
    vault = await vaultOfPath(ctx);
  } catch (err) {
    if (err instanceof PortalError && err.code === 'not_found') return new Response(null, { status: 204 });
    throw err;
  }
  const deleted = await deleteVaultOrThrow(ctx.svc, ctx.user, { vaultId: vault.id, reason: 'Other' });
  return new Response(null, {
    status: 202,
    headers: {
      'Azure-AsyncOperation': asyncOperationUrl(ctx, vault, deleted.data.operationId),
      'Retry-After': RETRY_AFTER,
    },
  });
}

async function listPage(ctx: ArmContext, resourceGroup?: string): Promise<Response> {
  const { rows, next } = await listVaults(ctx.svc.db, ctx.user, {
    subscriptionId: subscriptionIdOf(ctx),
    resourceGroup,
    after: ctx.request.nextUrl.searchParams.get('$skipToken') ?? undefined,
    limit: ARM_PAGE_SIZE,
  });
  const nextLink = next
    ? `${ctx.origin}${ctx.path}?${new URLSearchParams({ 'api-version': ctx.apiVersion, $skipToken: next })}`
    : undefined;
  return Response.json({ value: await resources(ctx, rows), ...(nextLink ? { nextLink } : {}) });
}

export function listVaultsBySubscription(ctx: ArmContext): Promise<Response> {
  return listPage(ctx);
}

export function listVaultsByResourceGroup(ctx: ArmContext): Promise<Response> {
  return listPage(ctx, ctx.params.resourceGroup);
}

const checkNameSchema = z.object({ name: z.string(), type: z.string().optional() });

/** checkNameAvailability: the quick create's rules, names compared case-insensitively in the subscription. */
export async function checkNameAvailability(ctx: ArmContext): Promise<Response> {
  const { name, type } = parse(checkNameSchema, await jsonBody(ctx));
  if (type !== undefined && type.toLowerCase() !== VAULT_TYPE.toLowerCase()) {
    throw new PortalError('invalid_resource_type', `Names of '${type}' are not checked here; use '${VAULT_TYPE}'.`);
  }
  if (!vaultNameSchema.safeParse(name).success) {
    return Response.json({ nameAvailable: false, reason: 'Invalid', message: vaultMessages.name });
  }
  const existing = await findVaultByName(ctx.svc.db, ctx.user, subscriptionIdOf(ctx), name.trim());
  if (existing) {
    return Response.json({ nameAvailable: false, reason: 'AlreadyExists', message: vaultMessages.duplicate(name) });
  }
  return Response.json({ nameAvailable: true });
}

const STATUS: Record<(typeof operations.$inferSelect)['status'], string> = {
  InProgress: 'InProgress',
  Succeeded: 'Succeeded',
  Failed: 'Failed',
  Cancelled: 'Canceled',
};

/** The status of a vault's create or delete operation, as the SDKs' pollers read it. */
export async function getOperationStatus(ctx: ArmContext): Promise<Response> {
  const { operationId, vaultName } = ctx.params as { operationId: string; vaultName: string };
  const missing = notFound(`The operation '${operationId}' was not found.`);
  if (!z.uuid().safeParse(operationId).success) throw missing;
  const [op] = await ctx.svc.db
    .select()
    .from(operations)
    .where(
      and(
        eq(operations.id, operationId),
        eq(operations.subscriptionId, subscriptionIdOf(ctx)),
        eq(sql`lower(${operations.vaultName})`, vaultName.toLowerCase()),
      ),
    );
  if (!op) throw missing;
  const body = {
    id: `${ctx.path}`,
    name: op.id,
    status: STATUS[op.status],
    startTime: op.startedAt.toISOString(),
    ...(op.endedAt ? { endTime: op.endedAt.toISOString() } : {}),
    ...(op.status === 'Failed' ? { error: { code: 'OperationFailed', message: op.message } } : {}),
  };
  return Response.json(body, op.status === 'InProgress' ? { headers: { 'Retry-After': RETRY_AFTER } } : {});
}
