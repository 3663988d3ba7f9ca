import type { PortalError } from '@/lib/errors';

/** An ARM error answer: the SDKs read `code` and `message` from `{error:{code,message}}` into their RestError. */
export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function armErrorResponse(error: ArmError): Response {
  const headers: Record<string, string> = { 'x-ms-error-code': error.code };
  // RFC 6750: a 401 names the scheme. Without `claims` in it, the SDKs' bearer policy does not retry.
  if (error.status === 401) headers['WWW-Authenticate'] = 'Bearer error="invalid_token"';
  return Response.json({ error: { code: error.code, message: error.message } }, { status: error.status, headers });
}

export const notFound = (message: string) => new ArmError(404, 'ResourceNotFound', message);

const PORTAL_STATUS: Record<PortalError['code'], [number, string]> = {
  not_found: [404, 'ResourceNotFound'],
  forbidden: [403, 'AuthorizationFailed'],
  conflict: [409, 'Conflict'],
  invalid: [400, 'BadRequest'],
  unavailable: [503, 'ServiceUnavailable'],
};

/** The domain's typed errors, as ARM answers them. */
export function fromPortalError(err: PortalError): ArmError {
  const [status, code] = PORTAL_STATUS[err.code];
  return new ArmError(status, code, err.message);
}
