/** A failure the user should see: a code for programs and tests, a message for people. */
export class PortalError extends Error {
  constructor(
    readonly code: 'not_found' | 'forbidden' | 'conflict' | 'invalid' | 'unavailable',
    message: string,
  ) {
    super(message);
  }
}

/** The result of an action a form shows: field errors for bad input, a message for refusals. */
export type ActionResult<T = undefined> =
  | { ok: true; data: T; message?: string }
  | { ok: false; message?: string; fieldErrors?: Record<string, string> };

/** The PostgreSQL constraint a statement violated, if that is why it failed. */
export function violatedConstraint(err: unknown): string | undefined {
  const e = err as { code?: string; constraint?: string; cause?: { code?: string; constraint?: string } };
  const pgErr = e?.code ? e : e?.cause;
  return pgErr?.code && ['23505', '23514', '23503'].includes(pgErr.code) ? pgErr.constraint : undefined;
}
