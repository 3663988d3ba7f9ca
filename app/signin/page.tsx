import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { SignInForm } from '@/components/signin-form';
import { currentUser } from '@/lib/auth/guard';
import { sameOriginPath } from '@/lib/auth/redirects';
import { getEnv } from '@/lib/services/settings';

export const metadata: Metadata = { title: 'Sign in' };

// Every portal page depends on the signed-in user: never prerendered at build time.
export const dynamic = 'force-dynamic';

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<{ callbackUrl?: string | string[] }>;
}) {
  if (await currentUser()) redirect('/');
  const { callbackUrl } = await searchParams;
  // Only paths of the portal: a sign-in link must not be usable to send people elsewhere.
  const next = sameOriginPath(typeof callbackUrl === 'string' ? callbackUrl : undefined, getEnv().portalOrigin);
  return (
    <main className="flex min-h-dvh items-center justify-center bg-portal-black px-4">
      <div className="w-full max-w-sm">
        <p className="mb-6 text-2xl font-light text-white">Backup vault portal</p>
        <div className="bg-white p-8 shadow-lg">
          <h1 className="mb-6 text-3xl font-light lowercase">sign in</h1>
          <SignInForm next={next} />
        </div>
      </div>
    </main>
  );
}
