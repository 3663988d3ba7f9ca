import 'server-only';
import { z } from 'zod';
import { uploadVaultCertificate } from '@/lib/credentials/upload';
import { PortalError } from '@/lib/errors';
import { listServers, unregisterServerOrThrow } from '@/lib/servers/servers';
import { vaultUsage } from '@/lib/vaults/usage';
import { type ArmContext, jsonBody } from './context';
import { vaultPath } from './resources';
import { vaultOfPath } from './vaults';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

const certificateSchema = z.object({
  properties: z.object({
    authType: z.string().optional(),
    certificate: z.string().regex(BASE64, 'properties.certificate must be a base64 DER certificate.'),
  }),
});

/**
 * certificates PUT: the uploaded certificate becomes the vault's only current credential, exactly as a download of
 * vault credentials does (the previous one stops working). Answered as the SDK's ResourceCertificateAndAadDetails.
 */
export async function putCertificate(ctx: ArmContext): Promise<Response> {
  const parsed = certificateSchema.safeParse(await jsonBody(ctx));
  if (!parsed.success) throw new PortalError('invalid_request_content', parsed.error.issues[0]!.message);
  const vault = await vaultOfPath(ctx);
  const der = Buffer.from(parsed.data.properties.certificate, 'base64');
  const certificate = await uploadVaultCertificate(ctx.svc, ctx.user, vault.id, der);
  const name = ctx.params.certificateName!;
  return Response.json({
    name,
    id: `${vaultPath(vault)}/certificates/${encodeURIComponent(name)}`,
    type: 'Microsoft.RecoveryServices/vaults/certificates',
    properties: {
      authType: 'AzureActiveDirectory',
      friendlyName: name,
      issuer: certificate.issuer,
      // Azure gives the vault's numeric id here; a stable number derived from the vault's id serves the same purpose.
      resourceId: Number.parseInt(vault.id.replaceAll('-', '').slice(0, 12), 16),
      subject: certificate.subject,
      thumbprint: certificate.thumbprint,
      validFrom: certificate.notBefore.toISOString(),
      validTo: certificate.notAfter.toISOString(),
      aadAuthority: ctx.origin,
      aadTenantId: vault.subscriptionId,
      servicePrincipalClientId: vault.id,
      servicePrincipalObjectId: vault.id,
      azureManagementEndpointAudience: ctx.origin,
      aadAudience: ctx.origin,
    },
  });
}

/** registeredIdentities DELETE: unregisters the server as REGISTERED ITEMS' DELETE does; an unknown name is 204 too. */
export async function deleteRegisteredIdentity(ctx: ArmContext): Promise<Response> {
  const vault = await vaultOfPath(ctx);
  const name = ctx.params.identityName!.toLowerCase();
  const server = (await listServers(ctx.svc.db, vault.id)).find((s) => s.name.toLowerCase() === name);
  if (server) {
    await unregisterServerOrThrow(ctx.svc, ctx.user, { serverId: server.id });
  }
  return new Response(null, { status: 204 });
}

/** usages: the Dashboard's live usage overview, in the SDK's VaultUsage shape. */
export async function vaultUsages(ctx: ArmContext): Promise<Response> {
  const vault = await vaultOfPath(ctx);
  const usage = await vaultUsage(ctx.svc.db, vault.id);
  const entry = (value: string, localizedValue: string, unit: string, currentValue: number) => ({
    unit,
    currentValue,
    limit: -1,
    name: { value, localizedValue },
  });
  return Response.json({
    value: [
      entry('MABContainersCount', 'Registered servers', 'Count', usage.registeredServers),
      entry('ProtectedItemCount', 'Protected items', 'Count', usage.protectedItems),
      entry('StorageUsage', 'Storage used', 'Bytes', usage.storageUsedBytes),
      entry('SucceededJobsCount', 'Successful jobs (last 24 hours)', 'Count', usage.jobs.succeeded),
      entry('FailedJobsCount', 'Failed jobs (last 24 hours)', 'Count', usage.jobs.failed),
      entry('InProgressJobsCount', 'Jobs in progress', 'Count', usage.jobs.inProgress),
    ],
  });
}
