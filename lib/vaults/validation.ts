import { z } from 'zod';
import { REGION_IDS } from './regions';

/** The contract's messages; the browser shows them as you type and the server returns them again. */
export const messages = {
  name: 'Type a name that contains between 2 and 50 characters. It must start with a letter, and can contain only letters, numbers, and hyphens.',
  duplicate: (name: string) => `A backup vault named '${name}' already exists in this subscription.`,
  limit: 'This subscription already has 25 backup vaults, the most it can hold.',
  region: 'Choose a region.',
  subscription: 'Choose a subscription.',
} as const;

export const vaultNameSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z][A-Za-z0-9-]{1,49}$/, messages.name);

/** Azure's rule for resource group names; any such name is accepted and recorded on the vault. */
export const resourceGroupSchema = z
  .string()
  .regex(
    /^[-\p{L}\p{N}_.()]{1,90}$/u,
    'A resource group name has 1 to 90 letters, digits, underscores, hyphens, periods and parentheses.',
  )
  .refine((v) => !v.endsWith('.'), 'A resource group name cannot end with a period.');

/** Azure's limits on resource tags. */
export const vaultTagsSchema = z
  .record(z.string().min(1).max(512), z.string().max(256))
  .refine((tags) => Object.keys(tags).length <= 50, 'A resource has at most 50 tags.');

export const createVaultSchema = z.object({
  name: vaultNameSchema,
  region: z.enum(REGION_IDS, { error: messages.region }),
  subscriptionId: z.uuid({ error: messages.subscription }).optional(),
  // Set by the ARM API; the browser's vaults take the database's defaults.
  resourceGroup: resourceGroupSchema.optional(),
  tags: vaultTagsSchema.optional(),
});

export type CreateVaultInput = z.infer<typeof createVaultSchema>;

export const DELETE_REASONS = [
  'I no longer need this vault',
  'I created it by mistake',
  'I am moving my backups to another vault',
  'Other',
] as const;

export const deleteVaultSchema = z.object({
  vaultId: z.uuid(),
  reason: z.enum(DELETE_REASONS, { error: 'Choose a reason.' }),
});
