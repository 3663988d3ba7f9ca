'use client';

import Link from 'next/link';
import { useEffect, useRef, useState } from 'react';
import { UserIcon } from '@/components/icons';

/**
 * Signs out as next-auth's own client does, without shipping it: a form POST of its CSRF token to its signout
 * endpoint, which clears the session cookie and redirects to the sign-in page.
 */
async function signOut() {
  const response = await fetch('/api/auth/csrf', { cache: 'no-store' });
  const { csrfToken } = (await response.json()) as { csrfToken: string };
  const form = document.createElement('form');
  form.method = 'post';
  form.action = '/api/auth/signout';
  for (const [name, value] of [
    ['csrfToken', csrfToken],
    ['callbackUrl', '/signin'],
  ]) {
    const input = document.createElement('input');
    input.type = 'hidden';
    input.name = name!;
    input.value = value!;
    form.append(input);
  }
  document.body.append(form);
  form.submit();
}

export function UserMenu({ email, subscriptionLabel }: { email: string; subscriptionLabel: string }) {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const close = (event: MouseEvent | KeyboardEvent) => {
      if (event instanceof KeyboardEvent ? event.key === 'Escape' : !ref.current?.contains(event.target as Node)) {
        setOpen(false);
      }
    };
    document.addEventListener('mousedown', close);
    document.addEventListener('keydown', close);
    return () => {
      document.removeEventListener('mousedown', close);
      document.removeEventListener('keydown', close);
    };
  }, [open]);

  return (
    <div ref={ref} className="relative">
      <button
        type="button"
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen((v) => !v)}
        className="flex items-center gap-3 px-4 py-2 text-left hover:bg-white/10"
      >
        <span className="leading-tight">
          <span className="block text-sm">{email}</span>
          <span className="block text-[11px] text-[#c8c8c8]">{subscriptionLabel}</span>
        </span>
        <UserIcon />
      </button>
      {open && (
        <div
          role="menu"
          aria-label="User menu"
          className="absolute right-0 z-30 mt-1 w-48 bg-white py-1 text-sm text-black shadow-xl"
        >
          <Link
            href="/settings/tokens"
            role="menuitem"
            onClick={() => setOpen(false)}
            className="block w-full px-4 py-2 text-left hover:bg-portal-selected"
          >
            Personal access tokens
          </Link>
          <button
            type="button"
            role="menuitem"
            onClick={() => void signOut()}
            className="block w-full px-4 py-2 text-left hover:bg-portal-selected"
          >
            Sign out
          </button>
        </div>
      )}
    </div>
  );
}
