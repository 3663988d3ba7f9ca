import 'server-only';
import { z } from 'zod';
import { PortalError } from '@/lib/errors';
import { saveStorageReplicationOrThrow } from '@/lib/vaults/redundancy';
import { type ArmContext, jsonBody } from './context';
import { storageConfigResource } from './resources';
import { vaultOfPath } from './vaults';

const STORAGE_TYPES = ['GeoRedundant', 'LocallyRedundant'] as const;

const configSchema = z.object({
  properties: z.object({
    storageType: z.string().optional(),
    storageModelType: z.string().optional(),
    crossRegionRestoreFlag: z.boolean().optional(),
  }),
});

/** Saves the storage type through Configure's SAVE (same lock, same operation); cross region restore is not offered. */
async function save(ctx: ArmContext) {
  const parsed = configSchema.safeParse(await jsonBody(ctx));
  if (!parsed.success) throw new PortalError('invalid_request_content', 'The request needs properties.storageType.');
  const { storageType, storageModelType, crossRegionRestoreFlag } = parsed.data.properties;
  if (crossRegionRestoreFlag) {
    throw new PortalError('invalid', 'Cross region restore is not available for backup vaults.');
  }
  const vault = await vaultOfPath(ctx);
  const wanted = storageType ?? storageModelType;
  if (wanted === undefined) return vault;
  const type = STORAGE_TYPES.find((t) => t.toLowerCase() === wanted.toLowerCase());
  if (!type) {
    throw new PortalError(
      'invalid',
      `Storage type '${wanted}' is not available: use GeoRedundant or LocallyRedundant.`,
    );
  }
  if (type === vault.storageReplication) return vault;
  await saveStorageReplicationOrThrow(ctx.svc, ctx.user, { vaultId: vault.id, storageReplication: type });
  return { ...vault, storageReplication: type };
}

export async function getStorageConfig(ctx: ArmContext): Promise<Response> {
  return Response.json(storageConfigResource(await vaultOfPath(ctx)));
}

/** PUT answers 200 with the resource, PATCH 204 with nothing: the SDK accepts exactly these. */
export async function putStorageConfig(ctx: ArmContext): Promise<Response> {
  return Response.json(storageConfigResource(await save(ctx)));
}

export async function patchStorageConfig(ctx: ArmContext): Promise<Response> {
  await save(ctx);
  return new Response(null, { status: 204 });
}
