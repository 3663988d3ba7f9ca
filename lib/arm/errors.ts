import { type ErrorCode, PortalError } from '@/lib/errors';

/**
 * The ARM API's table: each code's status and the ARM error code the SDKs read into their RestError (`statusCode`,
 * `code`). The domain throws the specific code (a full subscription is `quota_exceeded`, never a guess from the text).
 */
export const ARM_ERRORS: Record<ErrorCode, readonly [status: number, armCode: string]> = {
  invalid: [400, 'BadRequest'],
  invalid_name: [400, 'InvalidResourceName'],
  invalid_parameter: [400, 'InvalidParameter'],
  invalid_request_content: [400, 'InvalidRequestContent'],
  invalid_location: [400, 'InvalidResourceLocation'],
  invalid_resource_type: [400, 'InvalidResourceType'],
  method_not_allowed: [405, 'MethodNotAllowed'],
  unknown_path: [404, 'InvalidResourceType'],
  unauthenticated: [401, 'AuthenticationFailed'],
  invalid_token: [401, 'InvalidAuthenticationToken'],
  invalid_credentials: [401, 'InvalidAuthenticationToken'],
  revoked: [401, 'InvalidAuthenticationToken'],
  expired: [401, 'ExpiredAuthenticationToken'],
  forbidden: [403, 'AuthorizationFailed'],
  cross_site: [403, 'AuthorizationFailed'],
  too_many_requests: [429, 'TooManyRequests'],
  not_found: [404, 'ResourceNotFound'],
  no_such_object: [404, 'ResourceNotFound'],
  conflict: [409, 'Conflict'],
  duplicate: [409, 'Conflict'],
  quota_exceeded: [409, 'QuotaExceeded'],
  not_empty: [409, 'ServiceResourceNotEmpty'],
  storage_type_locked: [409, 'StorageTypeLocked'],
  not_cancellable: [409, 'JobNotCancellable'],
  session_ended: [409, 'Conflict'],
  missing_objects: [409, 'Conflict'],
  unavailable: [503, 'ServiceUnavailable'],
  storage_full: [507, 'InsufficientStorage'],
};

/** The ARM API's edge: `{error:{code,message}}` with the ARM code, also in `x-ms-error-code`. */
export function armErrorResponse(error: PortalError): Response {
  const [status, code] = ARM_ERRORS[error.code];
  return armError(status, code, error.message);
}

/** A failure of the server itself, which no code names. */
export const armInternalError = () => armError(500, 'InternalServerError', 'The request failed on the server.');

function armError(status: number, code: string, message: string): Response {
  const headers: Record<string, string> = { 'x-ms-error-code': code };
  // RFC 6750: a 401 names the scheme. Without `claims` in it, the SDKs' bearer policy does not retry.
  if (status === 401) headers['WWW-Authenticate'] = 'Bearer error="invalid_token"';
  return Response.json({ error: { code, message } }, { status, headers });
}

export const notFound = (message: string) => new PortalError('not_found', message);

/**
 * An operation's domain call with its refusals answered as that operation answers them on Azure (`as` gives the
 * error a refusal becomes, by its code); faults are thrown on as they are.
 */
export async function withRefusals<T>(work: Promise<T>, as: (err: PortalError) => PortalError): Promise<T> {
  try {
    return await work;
  } catch (err) {
    throw err instanceof PortalError ? as(err) : err;
  }
}
