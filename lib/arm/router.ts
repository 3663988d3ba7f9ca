import 'server-only';
import type { NextRequest } from 'next/server';
import { PortalError } from '@/lib/errors';
import type { Services } from '@/lib/services';
import { bearerUser } from '@/lib/tokens/bearer';
import { portalOrigin } from '@/lib/urls';
import { subscriptionAccessOrThrow, type VaultAccessLevel } from '@/lib/vaults/access';
import {
  getBackupJob,
  getProtectedItem,
  getRecoveryPoint,
  listBackupJobs,
  listBackupProtectedItems,
  listRecoveryPoints,
} from './backup';
import { deleteRegisteredIdentity, putCertificate, vaultUsages } from './children';
import type { ArmContext, ArmHandler } from './context';
import { armErrorResponse, armInternalError, notFound } from './errors';
import { cancelBackupJob, deleteBackupPolicy, getBackupPolicy, listBackupPolicies, putBackupPolicy } from './policies';
import { getStorageConfig, patchStorageConfig, putStorageConfig } from './storage-config';
import { getSubscription, listSubscriptions } from './subscriptions';
import {
  checkNameAvailability,
  deleteVaultResource,
  getOperationStatus,
  getVaultResource,
  listVaultsByResourceGroup,
  listVaultsBySubscription,
  patchVaultResource,
  putVaultResource,
} from './vaults';

type Method = 'GET' | 'PUT' | 'PATCH' | 'DELETE' | 'POST';

const SUBSCRIPTION = 'subscriptions/:subscriptionId';
const PROVIDER = `${SUBSCRIPTION}/resourcegroups/:resourceGroup/providers/microsoft.recoveryservices`;
const VAULT = `${PROVIDER}/vaults/:vaultName`;
const ITEM = `${VAULT}/backupfabrics/:fabricName/protectioncontainers/:containerName/protecteditems/:itemName`;

type Route = {
  pattern: string;
  handlers: Partial<Record<Method, ArmHandler>>;
  /** What each method needs of the caller's role: GET reads, every other method changes, unless named here. */
  levels?: Partial<Record<Method, VaultAccessLevel>>;
};

/** Literal segments are matched case-insensitively, as ARM does (the SDKs send both /subscriptions/ and /Subscriptions/). */
const ROUTES = (
  [
    { pattern: 'subscriptions', handlers: { GET: listSubscriptions } },
    { pattern: SUBSCRIPTION, handlers: { GET: getSubscription } },
    {
      pattern: `${SUBSCRIPTION}/providers/microsoft.recoveryservices/vaults`,
      handlers: { GET: listVaultsBySubscription },
    },
    { pattern: `${PROVIDER}/vaults`, handlers: { GET: listVaultsByResourceGroup } },
    {
      pattern: `${PROVIDER}/locations/:location/checknameavailability`,
      handlers: { POST: checkNameAvailability },
      levels: { POST: 'read' },
    },
    {
      pattern: VAULT,
      handlers: {
        GET: getVaultResource,
        PUT: putVaultResource,
        PATCH: patchVaultResource,
        DELETE: deleteVaultResource,
      },
    },
    { pattern: `${VAULT}/operationstatus/:operationId`, handlers: { GET: getOperationStatus } },
    { pattern: `${VAULT}/certificates/:certificateName`, handlers: { PUT: putCertificate } },
    { pattern: `${VAULT}/registeredidentities/:identityName`, handlers: { DELETE: deleteRegisteredIdentity } },
    { pattern: `${VAULT}/usages`, handlers: { GET: vaultUsages } },
    {
      pattern: `${VAULT}/backupstorageconfig/vaultstorageconfig`,
      handlers: { GET: getStorageConfig, PUT: putStorageConfig, PATCH: patchStorageConfig },
    },
    { pattern: `${VAULT}/backupjobs`, handlers: { GET: listBackupJobs } },
    { pattern: `${VAULT}/backupjobs/:jobName`, handlers: { GET: getBackupJob } },
    { pattern: `${VAULT}/backupjobs/:jobName/cancel`, handlers: { POST: cancelBackupJob } },
    { pattern: `${VAULT}/backuppolicies`, handlers: { GET: listBackupPolicies } },
    {
      pattern: `${VAULT}/backuppolicies/:policyName`,
      handlers: { GET: getBackupPolicy, PUT: putBackupPolicy, DELETE: deleteBackupPolicy },
    },
    { pattern: `${VAULT}/backupprotecteditems`, handlers: { GET: listBackupProtectedItems } },
    { pattern: ITEM, handlers: { GET: getProtectedItem } },
    { pattern: `${ITEM}/recoverypoints`, handlers: { GET: listRecoveryPoints } },
    { pattern: `${ITEM}/recoverypoints/:pointId`, handlers: { GET: getRecoveryPoint } },
  ] satisfies Route[]
).map((r: Route) => ({ ...r, pattern: r.pattern.split('/') }));

function match(pattern: string[], segments: string[]): Record<string, string> | null {
  if (pattern.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (const [i, part] of pattern.entries()) {
    const segment = segments[i]!;
    if (part.startsWith(':')) params[part.slice(1)] = segment;
    else if (part !== segment.toLowerCase()) return null;
  }
  return params;
}

/**
 * The ARM-compatible API: authenticates the bearer token, keeps callers inside their subscriptions, and dispatches to
 * the handler of the path and method. Every answer is JSON, every failure `{error:{code,message}}`.
 */
export async function handleArmRequest(request: NextRequest, segments: string[], svc: Services): Promise<Response> {
  try {
    const response = await dispatch(request, segments, svc);
    const clientRequestId = request.headers.get('x-ms-client-request-id');
    if (clientRequestId) response.headers.set('x-ms-client-request-id', clientRequestId);
    return response;
  } catch (err) {
    if (err instanceof PortalError) return armErrorResponse(err);
    console.error('ARM request failed:', request.method, request.nextUrl.pathname, err);
    return armInternalError();
  }
}

async function dispatch(request: NextRequest, segments: string[], svc: Services): Promise<Response> {
  const authorization = request.headers.get('authorization');
  if (!authorization) throw new PortalError('unauthenticated', "The request has no 'Authorization' header.");
  const user = await bearerUser(svc.db, authorization);
  if (!user) {
    throw new PortalError('invalid_token', 'The access token is invalid, revoked or not a bearer token.');
  }
  // The emulator's fault rule for the ARM API (matched by the vault's name in the path, when there is one).
  const vaultAt = segments.findIndex((s) => s.toLowerCase() === 'vaults');
  await svc.faults.check('Arm', { name: vaultAt >= 0 ? segments[vaultAt + 1] : undefined });

  // Outside the caller's subscriptions everything is "not found", whatever the method or the rest of the path.
  let subscription: ArmContext['subscription'];
  if (segments[0]?.toLowerCase() === 'subscriptions' && segments[1] !== undefined) {
    subscription = user.subscriptions.find((s) => s.id.toLowerCase() === segments[1]!.toLowerCase());
    if (!subscription) throw notFound(`The subscription '${segments[1]}' could not be found.`);
  }

  for (const route of ROUTES) {
    const params = match(route.pattern, segments);
    if (!params) continue;
    const method = request.method as Method;
    const handler = route.handlers[method];
    if (!handler) {
      throw new PortalError('method_not_allowed', `The method '${request.method}' is not allowed on this resource.`);
    }
    // The role's rule before any handler runs: a Reader's PUT, PATCH, DELETE or POST is refused whatever it names.
    const level = route.levels?.[method] ?? (method === 'GET' ? 'read' : 'write');
    if (subscription) subscriptionAccessOrThrow(user, subscription.id, level);
    return handler({
      level,
      svc,
      user,
      request,
      params,
      subscription,
      origin: portalOrigin(request, svc.env),
      path: `/${segments.map(encodeURIComponent).join('/')}`,
      apiVersion: request.nextUrl.searchParams.get('api-version') ?? '',
    });
  }
  throw new PortalError('unknown_path', `The resource path '/${segments.join('/')}' is not served here.`);
}
