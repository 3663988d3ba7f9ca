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

/** The HTTP status of each kind of user error, for route handlers and the ARM API alike. */
export const HTTP_STATUS: Record<PortalError['code'], number> = {
  not_found: 404,
  forbidden: 403,
  conflict: 409,
  invalid: 400,
  unavailable: 503,
};

/**
 * A route handler's refusal, in the one shape every API of the portal answers (the ARM API and the agent's endpoints
 * too): `{"error":{"code","message"}}`, never cached.
 */
export function errorResponse(status: number, code: string, message: string, headers: HeadersInit = {}): Response {
  return Response.json({ error: { code, message } }, { status, headers: { 'Cache-Control': 'no-store', ...headers } });
}

/** A PortalError as a route handler answers it. */
export function portalErrorResponse(err: PortalError): Response {
  return errorResponse(HTTP_STATUS[err.code], err.code, err.message);
}
