import type { AgentErrorCode, AgentErrorResponse, RegisterResponse, StatusResponse } from '@/wire/protocol';
import { paceWhole, type UploadPace } from './pace';
import { fetchFor, ProxyRefused, proxyFor } from './proxy';
import { PortalFailure, PortalUnavailable, type Retry, transientFailure, transientStatus, withRetries } from './retry';
import { postParts } from './upload';

/** The portal refused the call and said why: its message is what the user reads, its code what the agent acts on. */
export class PortalRefusal extends PortalFailure {
  constructor(
    readonly code: AgentErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PortalRefusal';
  }
}

// A portal that accepts the connection but never answers would otherwise hold the agent forever.
const REQUEST_TIMEOUT_MS = 60_000;

export type PortalRequest<T> = {
  portalUrl: string;
  path: string;
  method: 'GET' | 'POST';
  /** The request's headers, or how to make them for each attempt (a machine signs each call afresh). */
  headers?: Record<string, string> | (() => Promise<Record<string, string>>);
  /** JSON, or raw bytes (in parts, sent one after another) as application/octet-stream. */
  body?: unknown;
  fetch: typeof fetch;
  /** Whether a 2xx body is the response this call expects. */
  accept: (body: unknown) => body is T;
  /** Ends the call at once (the command was interrupted): it fails with the signal's reason. */
  signal?: AbortSignal;
  /** How long one attempt may wait for its answer. */
  timeoutMs?: number;
  /** Tried again while the portal is away (agent/retry.ts); tried once without. */
  retry?: Retry;
  /** The upload throttle a body of parts goes through (agent/pace.ts); none for every other call. */
  pace?: UploadPace;
};

/**
 * One JSON call to the portal. Every failure becomes an Error whose message is what the user should read: the
 * portal's own message when it sent one, otherwise what went wrong on the way. A failure that waiting may cure is a
 * PortalUnavailable, tried again as `retry` allows.
 */
export function callPortal<T>(request: PortalRequest<T>): Promise<T> {
  return request.retry ? withRetries(() => attempt(request), request.retry) : attempt(request);
}

async function attempt<T>(request: PortalRequest<T>): Promise<T> {
  const { portalUrl, signal } = request;
  const timeoutMs = request.timeoutMs ?? REQUEST_TIMEOUT_MS;
  if (signal?.aborted) throw signal.reason;
  const headers = typeof request.headers === 'function' ? await request.headers() : request.headers;
  let response: Response;
  let text: string;
  const parts = isParts(request.body) ? request.body : undefined;
  try {
    // A throttled body handed to a fetch of the tests' own waits for its time first, and then goes whole.
    if (parts && request.pace && request.fetch !== globalThis.fetch) await paceWhole(parts, request.pace, signal);
    // A POST goes on the agent's own connections (agent/upload.ts); fetch stays for the rest and for tests that
    // hand the agent a fetch of their own. A retried POST sends the same parts again: nothing is copied for it.
    response =
      request.method === 'POST' && request.body !== undefined && request.fetch === globalThis.fetch
        ? await postParts(
            `${portalUrl}${request.path}`,
            {
              accept: 'application/json',
              'content-type': parts ? 'application/octet-stream' : 'application/json',
              ...headers,
            },
            parts ?? [Buffer.from(JSON.stringify(request.body))],
            timeoutMs,
            signal,
            parts && request.pace,
          )
        : await fetchFor(request.fetch, portalUrl)(`${portalUrl}${request.path}`, {
            method: request.method,
            headers: {
              accept: 'application/json',
              ...(request.body === undefined
                ? {}
                : { 'content-type': parts ? 'application/octet-stream' : 'application/json' }),
              ...headers,
            },
            body: request.body === undefined ? undefined : parts ? Buffer.concat(parts) : JSON.stringify(request.body),
            signal: signal ? AbortSignal.any([AbortSignal.timeout(timeoutMs), signal]) : AbortSignal.timeout(timeoutMs),
          });
    text = await response.text();
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw unreachable(portalUrl, error);
  }
  const body = parseJson(text);
  if (response.ok) {
    if (request.accept(body)) return body;
    throw new PortalFailure(
      `The portal at ${portalUrl} sent a response the agent does not understand (HTTP ${response.status}).`,
    );
  }
  throw refusal(portalUrl, response.status, response.statusText, body);
}

/** A call that got no answer: PortalUnavailable when waiting may cure it. */
export function unreachable(portalUrl: string, error: unknown): PortalFailure {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof ProxyRefused) return new PortalFailure(cause.message);
  }
  // Through a proxy (agent/proxy.ts), the failure is named by the proxy it went through.
  const proxy = proxyFor(portalUrl);
  const message = proxy
    ? `Could not reach the portal through the proxy ${proxy.address}: ${reasonOf(error)}`
    : `Could not reach the portal at ${portalUrl}: ${reasonOf(error)}`;
  const delivered = transientFailure(error);
  return delivered ? new PortalUnavailable(message, delivered) : new PortalFailure(message);
}

/**
 * A call the portal answered with an error: its own message when it sent one (a structured error), otherwise the
 * status. A portal (or its proxy) that is away or overloaded (502, 503, 504) is PortalUnavailable.
 */
export function refusal(portalUrl: string, status: number, statusText: string, body: unknown): PortalFailure {
  const transient = transientStatus(status);
  const structured = isAgentErrorResponse(body);
  const message = structured ? body.error.message : `The portal at ${portalUrl} answered HTTP ${status} ${statusText}`;
  if (transient) return new PortalUnavailable(message.trimEnd(), transient);
  if (structured) return new PortalRefusal(body.error.code, body.error.message);
  return new PortalFailure(message.trimEnd());
}

/** The portal's answer to a report of a job it no longer runs (cancelled, or failed for silence): why it stops. */
export function sessionEnded(error: unknown): string | undefined {
  return error instanceof PortalRefusal && error.code === 'session_ended' ? error.message : undefined;
}

function isParts(body: unknown): body is Uint8Array[] {
  return Array.isArray(body) && body.length > 0 && body.every((part) => part instanceof Uint8Array);
}

export function isRegisterResponse(body: unknown): body is RegisterResponse {
  return hasStrings(body, ['serverId', 'vaultId', 'vaultName', 'machineName', 'registeredAt']);
}

export function isStatusResponse(body: unknown): body is StatusResponse {
  return (
    hasStrings(body, ['serverId', 'machineName', 'vaultId', 'vaultName', 'status', 'registeredAt']) &&
    body.status === 'Registered'
  );
}

export function isAgentErrorResponse(body: unknown): body is AgentErrorResponse {
  return isRecord(body) && hasStrings(body.error, ['code', 'message']);
}

function hasStrings<K extends string>(value: unknown, keys: readonly K[]): value is Record<K, string> {
  return isRecord(value) && keys.every((key) => typeof value[key] === 'string');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// fetch reports every network failure as "fetch failed" and puts the useful part (ECONNREFUSED, ENOTFOUND, a TLS
// error) in its cause; a connection tried on several addresses nests one more level, in an AggregateError.
function reasonOf(error: unknown): string {
  let reason = error instanceof Error && error.cause !== undefined ? error.cause : error;
  if (reason instanceof AggregateError && reason.message === '' && reason.errors.length > 0) reason = reason.errors[0];
  if (reason instanceof Error) return reason.message || (reason as NodeJS.ErrnoException).code || reason.name;
  return String(reason);
}
