'use client';

import { useRouter } from 'next/navigation';
import { signIn } from 'next-auth/react';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { CODE_REQUIRED, INVALID_CODE } from '@/lib/auth/sign-in-messages';

export function SignInForm({ next }: { next: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  // Shown once the server said the password is right and the account has two-step sign-in.
  const [askCode, setAskCode] = useState(false);
  const codeInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (askCode) codeInput.current?.focus();
  }, [askCode]);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setError(null);
    const result = await signIn('credentials', {
      email: String(form.get('email') ?? ''),
      password: String(form.get('password') ?? ''),
      code: String(form.get('code') ?? ''),
      redirect: false,
    });
    if (result?.ok && !result.error) {
      router.replace(next);
      router.refresh();
      return;
    }
    setPending(false);
    if (result?.error === CODE_REQUIRED) {
      setAskCode(true);
      return;
    }
    if (codeInput.current) codeInput.current.value = '';
    // The throttle's and the code's messages are the server's own; any other refusal is the one answer for a wrong pair.
    const known =
      result?.error?.startsWith('Too many attempts') || result?.error === INVALID_CODE ? result.error : null;
    setError(
      known ??
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
      {askCode && (
        <div>
          <label htmlFor="code" className="mb-1 block text-sm text-portal-muted">
            Code
          </label>
          <input
            ref={codeInput}
            id="code"
            name="code"
            autoComplete="one-time-code"
            required
            aria-describedby="code-hint"
            className="w-full border border-[#8a8a8a] px-3 py-2 font-mono outline-none focus:border-portal-blue focus:ring-1 focus:ring-portal-blue"
          />
          <p id="code-hint" className="mt-1 text-xs text-portal-muted">
            {CODE_REQUIRED}
          </p>
        </div>
      )}
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
