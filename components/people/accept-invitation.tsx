'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { signIn, signOut } from 'next-auth/react';
import { type FormEvent, useState } from 'react';
import { acceptInvitationAction } from '@/lib/people/actions';
import { MIN_PASSWORD_LENGTH, messages } from '@/lib/people/validation';

type Invitation = { email: string; role: string; subscription: string; invitedBy: string | null; expires: string };
type Mode =
  | { kind: 'new-account' }
  | { kind: 'join' }
  | { kind: 'sign-in' }
  | { kind: 'other-account'; signedInAs: string };

const INPUT =
  'w-full border border-[#8a8a8a] px-3 py-2 outline-none focus:border-portal-blue focus:ring-1 focus:ring-portal-blue';

/**
 * The invited person's side: a new account sets its password and is signed in; an existing account signs in first and
 * then joins; signed in as someone else, they are asked to sign out.
 */
export function AcceptInvitation({ token, invitation, mode }: { token: string; invitation: Invitation; mode: Mode }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [pending, setPending] = useState(false);
  const here = `/invitations/${token}`;

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setError(null);
    setFieldErrors({});
    const result = await acceptInvitationAction(token, form);
    if (!result.ok) {
      setPending(false);
      setError(result.message ?? null);
      setFieldErrors(result.fieldErrors ?? {});
      return;
    }
    if (result.data.newAccount) {
      const signedIn = await signIn('credentials', {
        email: result.data.email,
        password: String(form.get('password') ?? ''),
        redirect: false,
      });
      if (!signedIn?.ok || signedIn.error) {
        router.replace('/signin');
        return;
      }
    }
    router.replace('/');
    router.refresh();
  }

  return (
    <div className="space-y-5 text-sm">
      <p>
        {invitation.invitedBy ? `${invitation.invitedBy} invites you` : 'You are invited'} to the subscription{' '}
        <strong>{invitation.subscription}</strong> as <strong>{invitation.role}</strong>. The invitation is for{' '}
        <strong>{invitation.email}</strong> and works once, until {invitation.expires}.
      </p>
      {mode.kind === 'sign-in' && (
        <>
          <p role="alert">{messages.accountExists(invitation.email)}</p>
          <Link
            href={`/signin?callbackUrl=${encodeURIComponent(here)}`}
            className="block w-full bg-portal-blue px-4 py-2 text-center text-white hover:bg-portal-blue-dark"
          >
            Sign in
          </Link>
        </>
      )}
      {mode.kind === 'other-account' && (
        <>
          <p role="alert">{messages.otherAccount(invitation.email, mode.signedInAs)}</p>
          <button
            type="button"
            onClick={() => signOut({ callbackUrl: here })}
            className="w-full bg-portal-blue px-4 py-2 text-white hover:bg-portal-blue-dark"
          >
            Sign out
          </button>
        </>
      )}
      {(mode.kind === 'new-account' || mode.kind === 'join') && (
        <form onSubmit={onSubmit} className="space-y-5" noValidate>
          {mode.kind === 'new-account' ? (
            <>
              <div>
                <label htmlFor="invitation-email" className="mb-1 block text-portal-muted">
                  Email
                </label>
                <input
                  id="invitation-email"
                  type="email"
                  autoComplete="username"
                  readOnly
                  value={invitation.email}
                  className={`${INPUT} bg-[#f3f3f3]`}
                />
              </div>
              <PasswordField
                name="password"
                label="Password"
                hint={`At least ${MIN_PASSWORD_LENGTH} characters.`}
                error={fieldErrors.password}
              />
              <PasswordField name="confirmPassword" label="Confirm password" error={fieldErrors.confirmPassword} />
            </>
          ) : (
            <p>You are signed in as {invitation.email}: accepting adds this subscription to your account.</p>
          )}
          <p role="alert" className="min-h-5 text-portal-red">
            {error}
          </p>
          <button
            type="submit"
            disabled={pending}
            className="w-full bg-portal-blue px-4 py-2 text-white hover:bg-portal-blue-dark disabled:opacity-60"
          >
            Accept invitation
          </button>
        </form>
      )}
    </div>
  );
}

function PasswordField({ name, label, hint, error }: { name: string; label: string; hint?: string; error?: string }) {
  const describedBy = [hint && `${name}-hint`, error && `${name}-error`].filter(Boolean).join(' ') || undefined;
  return (
    <div>
      <label htmlFor={name} className="mb-1 block text-portal-muted">
        {label}
      </label>
      <input
        id={name}
        name={name}
        type="password"
        autoComplete="new-password"
        required
        minLength={MIN_PASSWORD_LENGTH}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
        className={INPUT}
      />
      {hint && (
        <p id={`${name}-hint`} className="mt-1 text-xs text-portal-muted">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${name}-error`} className="mt-1 text-portal-red">
          {error}
        </p>
      )}
    </div>
  );
}
