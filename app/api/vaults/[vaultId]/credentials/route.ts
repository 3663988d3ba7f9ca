import type { NextRequest } from 'next/server';
import { currentUser } from '@/lib/auth/guard';
import { issueVaultCredentials } from '@/lib/credentials/issue';
import { PortalError } from '@/lib/errors';
import { getServices } from '@/lib/services';
import { portalOrigin } from '@/lib/urls';

export const dynamic = 'force-dynamic';

const STATUS: Record<PortalError['code'], number> = {
  not_found: 404,
  forbidden: 403,
  conflict: 409,
  invalid: 400,
  unavailable: 503,
};

/** Download vault credentials: each request issues a new certificate; the file is never stored. */
export async function GET(request: NextRequest, { params }: { params: Promise<{ vaultId: string }> }) {
  // A download supersedes the vault's previous credentials, so another site must not be able to trigger one.
  const site = request.headers.get('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') {
    return Response.json({ error: 'Download vault credentials from the portal.' }, { status: 403 });
  }
  const user = await currentUser();
  if (!user) return Response.json({ error: 'Sign in to continue.' }, { status: 401 });
  const { vaultId } = await params;
  try {
    const file = await issueVaultCredentials(await getServices(), user, vaultId, portalOrigin(request));
    return new Response(file.contents, {
      headers: {
        'Content-Type': 'application/octet-stream',
        'Content-Disposition': `attachment; filename="${file.fileName}"; filename*=UTF-8''${encodeURIComponent(file.fileName)}`,
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
      },
    });
  } catch (err) {
    if (err instanceof PortalError) return Response.json({ error: err.message }, { status: STATUS[err.code] });
    throw err;
  }
}
