import type { Metadata } from 'next';
import { AcceptInvitation } from '@/components/people/accept-invitation';
import { currentUser } from '@/lib/auth/guard';
import { viewInvitation } from '@/lib/people/people';
import { getServices } from '@/lib/services';

export const metadata: Metadata = { title: 'Accept invitation' };

// The link is the credential: looked up on every request, never prerendered or cached.
export const dynamic = 'force-dynamic';

/** An invitation link, opened signed out or in: outside the portal's layout, so no session is needed to see it. */
export default async function InvitationPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const [view, user] = await Promise.all([viewInvitation((await getServices()).db, token), currentUser()]);
  return (
    <main className="flex min-h-dvh items-center justify-center bg-portal-black px-4">
      <div className="w-full max-w-md">
        <p className="mb-6 text-2xl font-light text-white">Backup vault portal</p>
        <div className="bg-white p-8 shadow-lg">
          <h1 className="mb-6 text-3xl font-light lowercase">accept invitation</h1>
          {view.state === 'pending' ? (
            <AcceptInvitation
              token={token}
              invitation={{
                email: view.email,
                role: view.role,
                subscription: view.subscription,
                invitedBy: view.invitedBy,
                expires: `${view.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
              }}
              mode={
                user
                  ? user.email.toLowerCase() === view.email.toLowerCase()
                    ? { kind: 'join' }
                    : { kind: 'other-account', signedInAs: user.email }
                  : view.accountExists
                    ? { kind: 'sign-in' }
                    : { kind: 'new-account' }
              }
            />
          ) : (
            <p role="alert" className="text-sm">
              {view.message}
            </p>
          )}
        </div>
      </div>
    </main>
  );
}
