'use client';

import { useRouter } from 'next/navigation';
import { signIn } from 'next-auth/react';
import { type FormEvent, useState } from 'react';

export function SignInForm({ next }: { next: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setError(null);
    const result = await signIn('credentials', {
      email: String(form.get('email') ?? ''),
      password: String(form.get('password') ?? ''),
      redirect: false,
    });
    if (result?.ok && !result.error) {
      router.replace(next);
      router.refresh();
      return;
    }
    setPending(false);
    // The throttle's message is the server's own; any other refusal is the one answer for a wrong pair.
    const throttled = result?.error?.startsWith('Too many attempts') ? result.error : null;
    setError(
      throttled ??
        (result?.status === 401 || result?.error ? 'Invalid email or password.' : 'Signing in failed. Try again.'),
    );
  }

  return (
    <form onSubmit={onSubmit} className="space-y-5" noValidate>
      <div>
        <label htmlFor="email" className="mb-1 block text-sm text-portal-muted">
          Email
        </label>
        <input
          id="email"
          name="email"
          type="email"
          autoComplete="username"
          required
          className="w-full border border-[#8a8a8a] px-3 py-2 outline-none focus:border-portal-blue focus:ring-1 focus:ring-portal-blue"
        />
      </div>
      <div>
        <label htmlFor="password" className="mb-1 block text-sm text-portal-muted">
          Password
        </label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          className="w-full border border-[#8a8a8a] px-3 py-2 outline-none focus:border-portal-blue focus:ring-1 focus:ring-portal-blue"
        />
      </div>
      <p role="alert" className="min-h-5 text-sm text-portal-red">
        {error}
      </p>
      <button
        type="submit"
        disabled={pending}
        className="w-full bg-portal-blue px-4 py-2 text-white hover:bg-portal-blue-dark disabled:opacity-60"
      >
        Sign in
      </button>
    </form>
  );
}
