import 'server-only';
import { randomInt } from 'node:crypto';
import { and, count, eq, isNull, lt, or, sql } from 'drizzle-orm';
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';
import type { Database } from '@/db/client';
import { recoveryCodes, users } from '@/db/schema';
import { logChange } from '@/lib/audit/log';
import { PortalError } from '@/lib/errors';
import { hashSecret, seal, unseal } from '@/lib/secrets';
import { INVALID_CODE } from './sign-in-messages';
import {
  assertNotThrottled,
  clearFailures,
  codeKeys,
  lockedSeconds,
  recordFailure,
  settingsCodeKeys,
  tooManyAttempts,
  tooManyAttemptsError,
} from './throttle';

/**
 * Two-step sign-in: an authenticator app's code (TOTP, RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps, what every
 * app reads) after the password, or one of ten single-use recovery codes. The secret is kept sealed under a key
 * derived from the portal's auth secret (lib/secrets.ts), bound to its owner; recovery codes only as hashes.
 */

type Person = { id: string; email: string };
type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

const SEAL_PURPOSE = 'totp-secret';
const ISSUER = 'Backup vault portal';
const PERIOD_SECONDS = 30;
/** One step either side: a phone's clock a little off, or a code typed as it rolls over. */
const DRIFT_STEPS = 1;
const RECOVERY_CODE_COUNT = 10;
const RECOVERY_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const RECOVERY_SHAPE = /^[a-z2-7]{10}$/;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function totp(base32: string, label = ''): TOTP {
  return new TOTP({
    issuer: ISSUER,
    label,
    algorithm: 'SHA1',
    digits: 6,
    period: PERIOD_SECONDS,
    secret: Secret.fromBase32(base32),
  });
}

/** The time step a 6-digit code is right for, within the drift allowed, or null. */
function matchingStep(base32: string, code: string, now: number): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totp(base32).validate({ token: code, timestamp: now, window: DRIFT_STEPS });
  return delta === null ? null : Math.floor(now / 1000 / PERIOD_SECONDS) + delta;
}

/** A recovery code as it is hashed: people may type it with its dash, spaces or in capitals. */
function normalizeRecoveryCode(code: string): string | null {
  const normalized = code.toLowerCase().replace(/[\s-]/g, '');
  return RECOVERY_SHAPE.test(normalized) ? normalized : null;
}

const hashRecoveryCode = hashSecret;

/** Ten codes of 50 random bits each, shown as `abcde-fghij`. */
function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const chars = Array.from({ length: 10 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]).join('');
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

const openSecret = (authSecret: string, userId: string, sealed: string | null) =>
  sealed ? unseal(authSecret, SEAL_PURPOSE, userId, sealed) : null;

/**
 * Accepts a code once, in the caller's transaction: a TOTP code only for a step later than the last one accepted
 * (a conditional update, so two racing sign-ins cannot both use it), a recovery code only while unused.
 */
async function acceptCode(
  tx: Tx,
  userId: string,
  base32: string | null,
  code: string,
  now: number,
): Promise<'totp' | 'recovery' | null> {
  const given = code.replace(/\s/g, '');
  if (/^\d{6}$/.test(given)) {
    const step = base32 ? matchingStep(base32, given, now) : null;
    if (step === null) return null;
    const rows = await tx
      .update(users)
      .set({ totpLastStep: step })
      .where(and(eq(users.id, userId), or(isNull(users.totpLastStep), lt(users.totpLastStep, step))))
      .returning({ id: users.id });
    return rows.length === 1 ? 'totp' : null;
  }
  const normalized = normalizeRecoveryCode(given);
  if (!normalized) return null;
  const rows = await tx
    .update(recoveryCodes)
    .set({ usedAt: sql`portal_now()` })
    .where(
      and(
        eq(recoveryCodes.userId, userId),
        eq(recoveryCodes.codeHash, hashRecoveryCode(normalized)),
        isNull(recoveryCodes.usedAt),
      ),
    )
    .returning({ userId: recoveryCodes.userId });
  return rows.length === 1 ? 'recovery' : null;
}

export type TwoStepStatus = {
  enabledAt: Date | null;
  /** While setting up: the secret to scan or type, until a code from it is proved. */
  pending: { secret: string; uri: string } | null;
  recoveryCodesLeft: number;
};

export async function twoStepStatus(db: Database, authSecret: string, person: Person): Promise<TwoStepStatus> {
  const [row] = await db
    .select({ secret: users.totpSecret, pending: users.totpPendingSecret, enabledAt: users.totpEnabledAt })
    .from(users)
    .where(eq(users.id, person.id));
  const [left] = await db
    .select({ n: count() })
    .from(recoveryCodes)
    .where(and(eq(recoveryCodes.userId, person.id), isNull(recoveryCodes.usedAt)));
  const enabled = Boolean(row?.secret);
  const pending = enabled ? null : openSecret(authSecret, person.id, row?.pending ?? null);
  return {
    enabledAt: enabled ? (row?.enabledAt ?? null) : null,
    pending: pending ? { secret: pending, uri: totp(pending, person.email).toString() } : null,
    recoveryCodesLeft: enabled ? (left?.n ?? 0) : 0,
  };
}

/** The setup QR code (an `otpauth://` URI) as an SVG drawn here: nothing leaves the server. */
export function setupQrCodeSvg(uri: string): Promise<string> {
  return QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

/** Starts (or restarts) setting up: a new pending secret, which does nothing until a code from it is proved. */
export async function beginSetup(db: Database, authSecret: string, person: Person): Promise<PortalError | undefined> {
  const secret = new Secret({ size: 20 }).base32;
  const rows = await db
    .update(users)
    .set({ totpPendingSecret: seal(authSecret, SEAL_PURPOSE, person.id, secret) })
    .where(and(eq(users.id, person.id), isNull(users.totpSecret)))
    .returning({ id: users.id });
  return rows.length === 1 ? undefined : new PortalError('conflict', 'Two-step sign-in is already on.');
}

export async function cancelSetup(db: Database, person: Person): Promise<void> {
  await db.update(users).set({ totpPendingSecret: null }).where(eq(users.id, person.id));
}

/**
 * Turns two-step sign-in on once the person proves a code from the pending secret, and makes their recovery codes,
 * returned this once. Not throttled: the person is signed in and already holds the secret they are proving.
 */
export async function confirmSetup(
  db: Database,
  authSecret: string,
  person: Person,
  code: string,
  now = Date.now(),
): Promise<{ recoveryCodes: string[] } | PortalError> {
  const [row] = await db
    .select({ secret: users.totpSecret, pending: users.totpPendingSecret })
    .from(users)
    .where(eq(users.id, person.id));
  if (row?.secret) return new PortalError('conflict', 'Two-step sign-in is already on.');
  const base32 = openSecret(authSecret, person.id, row?.pending ?? null);
  if (!row?.pending || !base32) return new PortalError('conflict', 'Select SET UP to start setting up again.');
  const step = matchingStep(base32, code.replace(/\s/g, ''), now);
  if (step === null) return new PortalError('invalid', INVALID_CODE);
  const codes = newRecoveryCodes();
  const sealed = row.pending;
  return db.transaction(async (tx) => {
    // Only the secret the code was checked against, and only if no other tab turned it on meanwhile.
    const turnedOn = await tx
      .update(users)
      .set({ totpSecret: sealed, totpPendingSecret: null, totpEnabledAt: sql`portal_now()`, totpLastStep: step })
      .where(and(eq(users.id, person.id), eq(users.totpPendingSecret, sealed), isNull(users.totpSecret)))
      .returning({ id: users.id });
    if (turnedOn.length !== 1) return new PortalError('conflict', 'Select SET UP to start setting up again.');
    await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, person.id));
    await tx
      .insert(recoveryCodes)
      .values(codes.map((c) => ({ userId: person.id, codeHash: hashRecoveryCode(normalizeRecoveryCode(c)!) })));
    await logChange(tx, {
      actor: person,
      category: 'Security',
      operation: 'Turn on two-step sign-in',
      target: person.email,
    });
    return { recoveryCodes: codes };
  });
}

/** Everything two-step sign-in keeps for a person, gone (in the caller's transaction). */
async function forget(tx: Tx, userId: string): Promise<void> {
  await tx
    .update(users)
    .set({ totpSecret: null, totpPendingSecret: null, totpEnabledAt: null, totpLastStep: null })
    .where(eq(users.id, userId));
  await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
}

/** Turns two-step sign-in off with a current code or a recovery code; wrong codes are throttled. */
export async function turnOff(
  db: Database,
  authSecret: string,
  person: Person,
  code: string,
  options: { now?: number; wait?: (ms: number) => Promise<unknown> } = {},
): Promise<PortalError | undefined> {
  const keys = settingsCodeKeys(person.id);
  const locked = await lockedSeconds(db, keys);
  if (locked) return new PortalError('forbidden', tooManyAttempts(locked));
  const outcome = await db.transaction(async (tx) => {
    const [row] = await tx
      .select({ secret: users.totpSecret })
      .from(users)
      .where(eq(users.id, person.id))
      .for('update');
    if (!row?.secret) return 'off' as const;
    const how = await acceptCode(
      tx,
      person.id,
      openSecret(authSecret, person.id, row.secret),
      code,
      options.now ?? Date.now(),
    );
    if (!how) return 'wrong' as const;
    await forget(tx, person.id);
    await logChange(tx, {
      actor: person,
      category: 'Security',
      operation: 'Turn off two-step sign-in',
      target: person.email,
      detail: how === 'recovery' ? 'With a recovery code.' : null,
    });
    return how;
  });
  if (outcome === 'off') return new PortalError('conflict', 'Two-step sign-in is already off.');
  if (outcome === 'wrong') {
    const failure = await recordFailure(db, keys);
    if (failure.lockedSeconds) return new PortalError('forbidden', tooManyAttempts(failure.lockedSeconds));
    await (options.wait ?? sleep)(failure.delayMs);
    return new PortalError('invalid', INVALID_CODE);
  }
  // Off now: the wrong codes counted against it at the sign-in page no longer matter either.
  await clearFailures(db, [...keys, ...codeKeys(person.id, undefined).slice(0, 1)]);
  return undefined;
}

export type SecondStep = 'not required' | 'code required' | 'accepted' | 'wrong code';

/**
 * The second step of signing in, after a right password: whether the person needs a code, and whether the one given
 * is right. Wrong codes count against the account's and the address's code keys; throws tooManyAttemptsError while either
 * is locked. A secret that no longer opens (AUTH_SECRET was changed) turns two-step sign-in off, logged.
 */
export async function secondStep(
  db: Database,
  authSecret: string,
  person: Person,
  input: { code?: string; address: string | undefined; now?: number },
  wait: (ms: number) => Promise<unknown> = sleep,
): Promise<SecondStep> {
  const [row] = await db.select({ secret: users.totpSecret }).from(users).where(eq(users.id, person.id));
  if (!row?.secret) return 'not required';
  const base32 = openSecret(authSecret, person.id, row.secret);
  if (!base32) {
    const sealed = row.secret;
    await db.transaction(async (tx) => {
      const [still] = await tx
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.id, person.id), eq(users.totpSecret, sealed)))
        .for('update');
      if (!still) return;
      await forget(tx, person.id);
      await logChange(tx, {
        actor: person,
        category: 'Security',
        operation: 'Turn off two-step sign-in',
        target: person.email,
        detail: 'The portal’s AUTH_SECRET changed, so the authenticator secret sealed under it no longer opens.',
      });
    });
    return 'not required';
  }
  if (!input.code) return 'code required';
  const keys = codeKeys(person.id, input.address);
  await assertNotThrottled(db, keys);
  const code = input.code;
  const how = await db.transaction(async (tx) => {
    const accepted = await acceptCode(tx, person.id, base32, code, input.now ?? Date.now());
    if (accepted === 'recovery') {
      await logChange(tx, {
        actor: person,
        category: 'Security',
        operation: 'Sign in with a recovery code',
        target: person.email,
      });
    }
    return accepted;
  });
  if (how) {
    await clearFailures(db, keys.slice(0, 1));
    return 'accepted';
  }
  const failure = await recordFailure(db, keys);
  if (failure.lockedSeconds) throw tooManyAttemptsError(failure.lockedSeconds);
  await wait(failure.delayMs);
  return 'wrong code';
}
