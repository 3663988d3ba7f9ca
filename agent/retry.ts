/**
 * Calls to a portal that is away for a while (restarting, behind a proxy that lost it, a network that dropped) are
 * tried again with exponential backoff, so a long backup or restore waits for the portal instead of failing. Only
 * what is safe to repeat is repeated: every call says whether it may be repeated after any transient failure
 * (`always`: repeating it changes nothing the first did not) or only after one that shows the portal never received
 * it (`unsent`: a refused connection, or 503 Service Unavailable).
 */

export type RetryPolicy = {
  /** How long a call may go on failing, from its first failure, before the command gives up. */
  budgetMs: number;
  /** The first wait, doubled after each failure up to `maxDelayMs`; each wait is jittered (half to all of it). */
  firstDelayMs: number;
  maxDelayMs: number;
};

/**
 * A few minutes: longer than a portal's restart. A backup the portal has not heard from for PORTAL_SILENCE_MS is
 * ended there, so an outage longer than that ends the backup anyway, and the agent says so (backup/command.ts).
 */
export const RETRY_BUDGET_MS = 3 * 60_000;
export const DEFAULT_RETRY: RetryPolicy = { budgetMs: RETRY_BUDGET_MS, firstDelayMs: 500, maxDelayMs: 30_000 };

/**
 * The report of a failed backup or restore, made after it stopped (Ctrl+C among the reasons): tried for a few seconds
 * at most. A portal that does not hear it fails the job itself once the job's reports stop.
 */
const FAILURE_REPORT_MS = 5_000;
export const FAILURE_REPORT: { timeoutMs: number; retry: Retry } = {
  timeoutMs: FAILURE_REPORT_MS,
  retry: { policy: { budgetMs: FAILURE_REPORT_MS, firstDelayMs: 250, maxDelayMs: 1_000 }, repeat: 'always' },
};

/**
 * How long the portal keeps a running backup or restore it hears nothing from (HEARTBEAT_TIMEOUT_SECONDS in
 * lib/backups/sessions.ts, RESTORE_HEARTBEAT_TIMEOUT_SECONDS in lib/restore/sessions.ts).
 */
export const PORTAL_SILENCE_MS = 60_000;

/** A call to the portal failed: the portal refused it, or could not be reached or answer. Never a local failure. */
export class PortalFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PortalFailure';
  }
}

/**
 * The portal could not be reached, or could not answer (a refused or broken connection, no answer in time, HTTP
 * 502/503/504): worth trying again. `delivered`: whether the portal may have received the request and acted on it.
 */
export class PortalUnavailable extends PortalFailure {
  constructor(
    message: string,
    readonly delivered: 'no' | 'maybe',
  ) {
    super(message);
    this.name = 'PortalUnavailable';
  }
}

export type Retry = {
  policy: RetryPolicy;
  /** `always`: the call is idempotent; `unsent`: only a request the portal surely never received goes again. */
  repeat: 'always' | 'unsent';
  /** Ends the waiting (and the call): the command was interrupted. */
  signal?: AbortSignal;
  /** Told of every failure that is waited out, with how long this call has been failing. */
  onRetry?: (error: PortalUnavailable, failingMs: number) => void;
};

/** Runs `attempt` until it succeeds, fails for good, or has failed for the policy's budget. */
export async function withRetries<T>(attempt: () => Promise<T>, retry: Retry): Promise<T> {
  const { policy, repeat, signal } = retry;
  let firstFailure: number | undefined;
  for (let failures = 0; ; failures++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof PortalUnavailable) || (repeat === 'unsent' && error.delivered !== 'no')) throw error;
      if (signal?.aborted) throw signal.reason;
      const now = Date.now();
      firstFailure ??= now;
      const ceiling = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** Math.min(failures, 30));
      const delay = ceiling / 2 + Math.random() * (ceiling / 2);
      if (now + delay - firstFailure > policy.budgetMs) throw error;
      retry.onRetry?.(error, now - firstFailure);
      await pause(delay, signal);
    }
  }
}

/** Waits `ms`, or until `signal` aborts: then throws its reason. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Errors of a request that never reached the portal: it refused the connection, or could not be reached at all. */
const UNSENT_CODES = new Set(['ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);
/** Errors of a connection that broke or went silent after the request may have reached the portal. */
const MAYBE_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * Whether a failure to get an answer is transient, and whether the request may have been delivered; undefined for
 * one that waiting will not cure (a name that does not resolve, a TLS error, a malformed answer). fetch puts the
 * system's error in `cause`, several addresses tried nest them in an AggregateError; a timeout is a TimeoutError.
 */
export function transientFailure(error: unknown): 'no' | 'maybe' | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (current instanceof AggregateError && current.errors.length > 0) current = current.errors[0];
    const { code, name } = current as { code?: unknown; name?: unknown };
    if (typeof code === 'string' && UNSENT_CODES.has(code)) return 'no';
    if (typeof code === 'string' && MAYBE_CODES.has(code)) return 'maybe';
    if (name === 'TimeoutError') return 'maybe';
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** HTTP statuses of a portal (or its proxy) that is away or overloaded: 503 says the request was not handled. */
export function transientStatus(status: number): 'no' | 'maybe' | undefined {
  if (status === 503) return 'no';
  if (status === 502 || status === 504) return 'maybe';
  return undefined;
}
