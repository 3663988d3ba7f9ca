import { currentUser } from '@/lib/auth/guard';
import { issueVaultCredentials } from '@/lib/credentials/issue';
import { errorResponse, PortalError, portalErrorResponse } from '@/lib/errors';
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
    return errorResponse(403, 'cross_site', 'Download vault credentials from the portal.');
  }
  const user = await currentUser();
  if (!user) return errorResponse(401, 'unauthenticated', 'Sign in to continue.');
  const { vaultId } = await params;
  try {
    const file = await issueVaultCredentials(svc, user, vaultId, portalOrigin(request, svc.env));
    return new Response(file.contents, {
      headers: {
        'Content-Type': 'application/octet-stream',
        'Content-Disposition': `attachment; filename="${file.fileName}"; filename*=UTF-8''${encodeURIComponent(file.fileName)}`,
        'Cache-Control': 'no-store',
      },
    });
  } catch (err) {
    if (err instanceof PortalError) return portalErrorResponse(err);
    throw err;
  }
}

/** A link, a prefetch or an image tag must never issue a credential. */
export function GET() {
  return errorResponse(405, 'method_not_allowed', 'Download vault credentials with the button on QUICK START.', {
    Allow: 'POST',
  });
}
