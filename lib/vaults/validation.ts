import { z } from 'zod';
import { REGION_IDS } from './regions';
import { DELETE_REASONS, messages, VAULT_NAME_PATTERN } from './rules';

export { DELETE_REASONS, messages } from './rules';

export const vaultNameSchema = z.string().trim().regex(VAULT_NAME_PATTERN, messages.name);

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

export const deleteVaultSchema = z.object({
  vaultId: z.uuid(),
  reason: z.enum(DELETE_REASONS, { error: 'Choose a reason.' }),
});
