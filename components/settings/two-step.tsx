'use client';

import { useRouter } from 'next/navigation';
import { useActionState, useId, useState, useTransition } from 'react';
import { beginSetupAction, cancelSetupAction, confirmSetupAction, turnOffAction } from '@/lib/auth/two-step-actions';
import type { ActionResult } from '@/lib/errors';

export type TwoStepView = {
  /** When it was turned on (already formatted), or null while it is off. */
  enabledAt: string | null;
  recoveryCodesLeft: number;
  /** While setting up: the secret as text and its QR code as a data: URL. */
  pending: { secret: string; qrCode: string } | null;
};

const button =
  'bg-portal-blue px-4 py-2 text-sm font-semibold tracking-wide text-white hover:bg-portal-blue-dark disabled:opacity-60';
const quietButton = 'border border-portal-line px-4 py-2 text-sm font-semibold tracking-wide hover:bg-[#f0f0f0]';

/** A field labelled Code with its error, as both forms of this page use it. */
function CodeField({ error, hint }: { error?: string; hint: string }) {
  const id = useId();
  return (
    <div>
      <label htmlFor={id} className="mb-1 block text-sm text-portal-muted">
        Code
      </label>
      <input
        id={id}
        name="code"
        autoComplete="one-time-code"
        required
        aria-invalid={error ? true : undefined}
        aria-describedby={`${id}-hint ${id}-error`}
        className="w-56 border border-[#8a8a8a] px-3 py-2 font-mono outline-none focus:border-portal-blue focus:ring-1 focus:ring-portal-blue"
      />
      <p id={`${id}-hint`} className="mt-1 text-xs text-portal-muted">
        {hint}
      </p>
      <p id={`${id}-error`} role="alert" className="min-h-5 text-sm text-portal-red">
        {error}
      </p>
    </div>
  );
}

/** Settings > Security: turning two-step sign-in on (QR code, key, a code to prove it, recovery codes once) and off. */
export function TwoStepSettings({ view }: { view: TwoStepView }) {
  const router = useRouter();
  const secretId = useId();
  const [confirmed, confirm, confirming] = useActionState(confirmSetupAction, null);
  const [turnedOff, off, turningOff] = useActionState<ActionResult | null, FormData>(turnOffAction, null);
  const [message, setMessage] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();

  function run(action: () => Promise<ActionResult>) {
    startTransition(async () => {
      const result = await action();
      setMessage(result.ok ? null : (result.message ?? null));
      router.refresh();
    });
  }

  const recoveryCodes = view.enabledAt && confirmed?.ok ? confirmed.data.recoveryCodes : null;
  const refusal = message ?? (confirmed && !confirmed.ok ? confirmed.message : undefined);

  return (
    <section className="max-w-4xl space-y-4" aria-labelledby={`${secretId}-heading`}>
      <h2 id={`${secretId}-heading`} className="text-xl font-light">
        Two-step sign-in
      </h2>
      <p className="text-sm text-portal-muted">
        With two-step sign-in, signing in asks for your password and then a code from an authenticator app on your phone
        (any app for time-based codes, TOTP), so a stolen password alone is not enough.
      </p>

      {view.enabledAt ? (
        <>
          <p className="text-sm">
            Two-step sign-in is <strong>on</strong> since {view.enabledAt}. {view.recoveryCodesLeft} of 10 recovery
            codes left.
          </p>
          {recoveryCodes && (
            <div className="border-l-4 border-portal-blue bg-[#eef6fc] px-4 py-3">
              <p className="text-sm font-semibold">Your recovery codes</p>
              <p className="mt-1 text-sm">
                Keep them somewhere safe: each one works once in place of a code if you lose your phone. They are not
                shown again.
              </p>
              <ul aria-label="Recovery codes" className="mt-2 grid max-w-md grid-cols-2 gap-x-8 font-mono text-sm">
                {recoveryCodes.map((code) => (
                  <li key={code}>{code}</li>
                ))}
              </ul>
            </div>
          )}
          <form action={off} className="space-y-3 border-t border-portal-line pt-4">
            <p className="text-sm">To turn two-step sign-in off, enter a current code.</p>
            <CodeField
              error={turnedOff && !turnedOff.ok ? (turnedOff.fieldErrors?.code ?? turnedOff.message) : undefined}
              hint="The 6-digit code from your authenticator app, or a recovery code."
            />
            <button type="submit" disabled={turningOff} className={button}>
              TURN OFF
            </button>
          </form>
        </>
      ) : view.pending ? (
        <form action={confirm} className="space-y-4">
          <p className="text-sm">
            Two-step sign-in is <strong>off</strong>: finish setting it up.
          </p>
          <ol className="list-decimal space-y-4 pl-5 text-sm">
            <li>
              <p>Scan this QR code with your authenticator app.</p>
              {/* biome-ignore lint/performance/noImgElement: a data: URL drawn on the server, nothing to optimise */}
              <img
                src={view.pending.qrCode}
                alt="QR code for your authenticator app"
                width={192}
                height={192}
                className="mt-2 border border-portal-line bg-white"
              />
            </li>
            <li>
              <p>Or type this key into it.</p>
              <label htmlFor={secretId} className="mt-2 block text-portal-muted">
                Secret key
              </label>
              <input
                id={secretId}
                readOnly
                value={view.pending.secret}
                onFocus={(e) => e.currentTarget.select()}
                className="mt-1 w-96 max-w-full border border-portal-line bg-white px-2 py-1 font-mono text-sm"
              />
            </li>
            <li>
              <CodeField
                error={confirmed && !confirmed.ok ? confirmed.fieldErrors?.code : undefined}
                hint="The 6-digit code the app shows now."
              />
            </li>
          </ol>
          <div className="flex gap-2">
            <button type="submit" disabled={confirming} className={button}>
              TURN ON
            </button>
            <button type="button" disabled={pending} onClick={() => run(cancelSetupAction)} className={quietButton}>
              CANCEL
            </button>
          </div>
        </form>
      ) : (
        <>
          <p className="text-sm">
            Two-step sign-in is <strong>off</strong>.
          </p>
          {turnedOff?.ok && <p className="text-sm">{turnedOff.message}</p>}
          <button type="button" disabled={pending} onClick={() => run(beginSetupAction)} className={button}>
            SET UP
          </button>
        </>
      )}
      {refusal && (
        <p role="alert" className="text-sm text-portal-red">
          {refusal}
        </p>
      )}
    </section>
  );
}
