import { currentUser } from '@/lib/auth/guard';
import { issueVaultCredentials } from '@/lib/credentials/issue';
import { answerRefusals, PortalError, portalErrorResponse, unauthenticated } from '@/lib/errors';
import { isSameOriginRequest } from '@/lib/http/origin';
import { getServices } from '@/lib/services';
import { portalOrigin } from '@/lib/urls';

export const dynamic = 'force-dynamic';

/**
 * Download vault credentials: each request issues a new certificate (superseding the previous file), so it is a POST
 * from the portal's own QUICK START form, refused from anywhere else; the file is never stored.
 */
export async function POST(request: Request, { params }: { params: Promise<{ vaultId: string }> }) {
  const svc = await getServices();
  if (!isSameOriginRequest(request, svc.env)) {
    return portalErrorResponse(new PortalError('cross_site', 'Download vault credentials from the portal.'));
  }
  const user = await currentUser();
  if (!user) return unauthenticated();
  const { vaultId } = await params;
  return answerRefusals(async () => {
    const file = await issueVaultCredentials(svc, user, vaultId, portalOrigin(request, svc.env));
    return new Response(file.contents, {
      headers: {
        'Content-Type': 'application/octet-stream',
        'Content-Disposition': `attachment; filename="${file.fileName}"; filename*=UTF-8''${encodeURIComponent(file.fileName)}`,
        'Cache-Control': 'no-store',
      },
    });
  });
}

/** A link, a prefetch or an image tag must never issue a credential. */
export function GET() {
  const refusal = new PortalError('method_not_allowed', 'Download vault credentials with the button on QUICK START.');
  return portalErrorResponse(refusal, { Allow: 'POST' });
}
