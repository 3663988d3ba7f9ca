/**
 * The portal's one error type. Every refusal anywhere on the server is a PortalError with a code from this closed
 * list; each surface answers it through one helper here (server actions, route handlers) or beside its edge (the ARM
 * API: lib/arm/errors.ts; the agent's endpoints: lib/registration/refusal.ts), each with its table by code, never by
 * the message's text.
 */
export const ERROR_CODES = [
  // The request itself.
  'invalid',
  'invalid_name',
  'invalid_parameter',
  'invalid_request_content',
  'invalid_location',
  'invalid_resource_type',
  'method_not_allowed',
  'unknown_path',
  // Who asks.
  'unauthenticated',
  'invalid_token',
  'invalid_credentials',
  'revoked',
  'expired',
  'forbidden',
  'cross_site',
  'too_many_requests',
  // What it names, and the state of things.
  'not_found',
  'no_such_object',
  'conflict',
  'duplicate',
  'quota_exceeded',
  'not_empty',
  'storage_type_locked',
  'not_cancellable',
  'session_ended',
  'missing_objects',
  // The portal.
  'unavailable',
  'storage_full',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * Marks a PortalError whichever copy of this module made it: the HTTP server's bundle (dist/server/serve.mjs) and
 * Next.js's bundles each have their own, and share the process's services (so a fault rule's error made by one is
 * caught by the other's `instanceof`).
 */
const BRAND = Symbol.for('backup-vault-portal.PortalError');

/** A failure the user should see: a code for programs, tests and the edges' tables, a message for people. */
export class PortalError extends Error {
  /** The form's field errors, when the refusal is about fields (the message is then the first of them). */
  readonly fieldErrors?: Record<string, string>;
  readonly [BRAND] = true;

  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && BRAND in value;
  }

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: { fieldErrors?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.fieldErrors) this.fieldErrors = options.fieldErrors;
  }
}

/** A refusal about fields: the message is the first field's. */
export function fieldRefusal(code: ErrorCode, fieldErrors: Record<string, string>): PortalError {
  return new PortalError(code, Object.values(fieldErrors)[0] ?? 'The request was refused.', { fieldErrors });
}

/** The result of an action a form shows: field errors for bad input, a message for refusals. */
export type ActionResult<T = undefined> =
  | { ok: true; data: T; message?: string }
  | { ok: false; message?: string; fieldErrors?: Record<string, string> };

/** An action's success, what a domain function answers when its refusals are thrown. */
export type ActionDone<T = undefined> = Extract<ActionResult<T>, { ok: true }>;

/** The server actions' edge: a PortalError as the form shows it (its field errors, else its message). */
export function refused(err: PortalError): ActionResult<never> {
  return err.fieldErrors ? { ok: false, fieldErrors: err.fieldErrors } : { ok: false, message: err.message };
}

/**
 * A domain function that throws its refusals, as the function a server action calls: a thrown PortalError becomes
 * the form's failed result (`refused`); anything else is a fault and is thrown on.
 */
export function actionOf<A extends unknown[], T>(
  work: (...args: A) => Promise<ActionResult<T>>,
): (...args: A) => Promise<ActionResult<T>> {
  return async (...args) => {
    try {
      return await work(...args);
    } catch (err) {
      if (err instanceof PortalError) return refused(err);
      throw err;
    }
  };
}

/** The PostgreSQL constraint a statement violated, if that is why it failed. */
export function violatedConstraint(err: unknown): string | undefined {
  const e = err as { code?: string; constraint?: string; cause?: { code?: string; constraint?: string } };
  const pgErr = e?.code ? e : e?.cause;
  return pgErr?.code && ['23505', '23514', '23503'].includes(pgErr.code) ? pgErr.constraint : undefined;
}

/** SQLSTATEs of a database server that went away or is not back yet: connection exceptions, shutdowns, start-up. */
const DATABASE_GONE = new Set(['08000', '08001', '08003', '08004', '08006', '57P01', '57P02', '57P03']);
/** A connection's system errors: refused, reset, broken or silent. */
const CONNECTION_LOST = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);
/** pg's own errors of a connection lost mid-statement, of a client that lost it, of a pool that cannot connect. */
const PG_CONNECTION_LOST =
  /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect)/;

/**
 * Whether a failure is the database being out of reach (restarting, its connections cut, a pool that cannot connect
 * yet): something waiting cures, not a fault of the statement. pg's errors, also as drizzle wraps them (in `cause`);
 * the S3 client's errors (which carry `$metadata`) are not the database's.
 */
export function databaseUnavailable(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const e = current as { code?: unknown; message?: unknown; cause?: unknown; $metadata?: unknown };
    if (e.$metadata !== undefined) return false;
    if (typeof e.code === 'string' && (DATABASE_GONE.has(e.code) || CONNECTION_LOST.has(e.code))) return true;
    if (typeof e.message === 'string' && PG_CONNECTION_LOST.test(e.message)) return true;
    current = e.cause;
  }
  return false;
}

/** The HTTP status of each code, for route handlers (the ARM API and the agent's endpoints have their own tables). */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  invalid: 400,
  invalid_name: 400,
  invalid_parameter: 400,
  invalid_request_content: 400,
  invalid_location: 400,
  invalid_resource_type: 400,
  method_not_allowed: 405,
  unknown_path: 404,
  unauthenticated: 401,
  invalid_token: 401,
  invalid_credentials: 400,
  revoked: 401,
  expired: 400,
  forbidden: 403,
  cross_site: 403,
  too_many_requests: 429,
  not_found: 404,
  no_such_object: 404,
  conflict: 409,
  duplicate: 409,
  quota_exceeded: 409,
  not_empty: 409,
  storage_type_locked: 409,
  not_cancellable: 409,
  session_ended: 409,
  missing_objects: 409,
  unavailable: 503,
  storage_full: 507,
};

/**
 * A route handler's refusal, in the one shape every API of the portal answers (the ARM API and the agent's endpoints
 * too): `{"error":{"code","message"}}`, never cached.
 */
export function errorResponse(status: number, code: string, message: string, headers: HeadersInit = {}): Response {
  return Response.json({ error: { code, message } }, { status, headers: { 'Cache-Control': 'no-store', ...headers } });
}

/** The route handlers' edge: a PortalError answered with its code's status. */
export function portalErrorResponse(err: PortalError, headers: HeadersInit = {}): Response {
  return errorResponse(HTTP_STATUS[err.code], err.code, err.message, headers);
}

export const SIGN_IN_TO_CONTINUE = 'Sign in to continue.';

/** The refusal of a request with no signed-in user. */
export const signInRequired = () => new PortalError('unauthenticated', SIGN_IN_TO_CONTINUE);

/** The route handlers' one 401: `{"error":{"code":"unauthenticated","message":"Sign in to continue."}}`. */
export function unauthenticated(): Response {
  return portalErrorResponse(signInRequired());
}

/** Runs a route handler's work: a thrown PortalError is answered as `portalErrorResponse`; anything else is a fault. */
export async function answerRefusals(work: () => Promise<Response>): Promise<Response> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof PortalError) return portalErrorResponse(err);
    throw err;
  }
}
