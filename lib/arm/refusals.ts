import { messages as accessMessages } from '@/lib/auth/access';
import { deleteMessages } from '@/lib/vaults/delete';
import { replicationMessages } from '@/lib/vaults/replication';
import { messages as vaultMessages } from '@/lib/vaults/validation';
import { ArmError } from './errors';

/** The domain's refusals (the messages the pages show) with the status and code ARM gives them. */
const BY_MESSAGE = new Map<string, [number, string]>([
  [accessMessages.readOnly, [403, 'AuthorizationFailed']],
  [accessMessages.ownersOnly, [403, 'AuthorizationFailed']],
  [accessMessages.vaultNotFound, [404, 'ResourceNotFound']],
  [vaultMessages.limit, [409, 'QuotaExceeded']],
  [vaultMessages.name, [400, 'InvalidResourceName']],
  [deleteMessages.registered, [409, 'ServiceResourceNotEmpty']],
  [replicationMessages.refused, [409, 'StorageTypeLocked']],
]);

/** A domain function's failed result as an ARM error; what the table does not name is a conflict with the state. */
export function refusal(result: { message?: string; fieldErrors?: Record<string, string> }): ArmError {
  const message = result.message ?? Object.values(result.fieldErrors ?? {})[0] ?? 'The request was refused.';
  const known = BY_MESSAGE.get(message);
  if (known) return new ArmError(known[0], known[1], message);
  // A name that is well-formed but refused is taken (the name's format is the table's).
  if (result.fieldErrors && !result.fieldErrors.name) return new ArmError(400, 'InvalidParameter', message);
  return new ArmError(409, 'Conflict', message);
}
