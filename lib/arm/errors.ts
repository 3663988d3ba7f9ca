import { HTTP_STATUS, type PortalError } from '@/lib/errors';

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

const ARM_CODE: Record<PortalError['code'], string> = {
  not_found: 'ResourceNotFound',
  forbidden: 'AuthorizationFailed',
  conflict: 'Conflict',
  invalid: 'BadRequest',
  unavailable: 'ServiceUnavailable',
};

/** The domain's typed errors, as ARM answers them. */
export function fromPortalError(err: PortalError): ArmError {
  return new ArmError(HTTP_STATUS[err.code], ARM_CODE[err.code], err.message);
}
