import { describe, expect, it } from 'vitest';
import { ARM_ERRORS, armErrorResponse } from '@/lib/arm/errors';
import { AGENT_ERRORS, agentError, agentRefusal } from '@/lib/registration/refusal';
import {
  type ActionResult,
  actionOf,
  answerRefusals,
  ERROR_CODES,
  fieldRefusal,
  HTTP_STATUS,
  PortalError,
  portalErrorResponse,
  refused,
  unauthenticated,
} from './index';

describe('the tables, by code', () => {
  it('give every code a status on every surface, and name no code that is not one', () => {
    for (const table of [HTTP_STATUS, ARM_ERRORS, AGENT_ERRORS]) {
      expect(Object.keys(table).sort()).toEqual([...ERROR_CODES].sort());
    }
    for (const code of ERROR_CODES) {
      expect(HTTP_STATUS[code], code).toBeGreaterThanOrEqual(400);
      expect(HTTP_STATUS[code], code).toBeLessThan(600);
      expect(ARM_ERRORS[code][0], code).toBeGreaterThanOrEqual(400);
      expect(AGENT_ERRORS[code][0], code).toBeGreaterThanOrEqual(400);
    }
  });

  it('answer the ARM API with the status and ARM code the SDKs have always seen', () => {
    expect(ARM_ERRORS.quota_exceeded).toEqual([409, 'QuotaExceeded']);
    expect(ARM_ERRORS.not_empty).toEqual([409, 'ServiceResourceNotEmpty']);
    expect(ARM_ERRORS.storage_type_locked).toEqual([409, 'StorageTypeLocked']);
    expect(ARM_ERRORS.invalid_name).toEqual([400, 'InvalidResourceName']);
    expect(ARM_ERRORS.unauthenticated).toEqual([401, 'AuthenticationFailed']);
    expect(ARM_ERRORS.invalid_token).toEqual([401, 'InvalidAuthenticationToken']);
    expect(ARM_ERRORS.forbidden).toEqual([403, 'AuthorizationFailed']);
    expect(ARM_ERRORS.not_found).toEqual([404, 'ResourceNotFound']);
    expect(ARM_ERRORS.unknown_path).toEqual([404, 'InvalidResourceType']);
    expect(ARM_ERRORS.invalid_resource_type).toEqual([400, 'InvalidResourceType']);
    expect(ARM_ERRORS.method_not_allowed).toEqual([405, 'MethodNotAllowed']);
    expect(ARM_ERRORS.invalid_request_content).toEqual([400, 'InvalidRequestContent']);
    expect(ARM_ERRORS.invalid_parameter).toEqual([400, 'InvalidParameter']);
    expect(ARM_ERRORS.not_cancellable).toEqual([409, 'JobNotCancellable']);
    expect(ARM_ERRORS.conflict).toEqual([409, 'Conflict']);
    expect(ARM_ERRORS.invalid).toEqual([400, 'BadRequest']);
  });

  it('answer the agent with the wire codes and statuses it has always received', () => {
    // `invalid`: a 401 for a machine's, a session's or a restore's token, a 400 for a registration's proof.
    expect(AGENT_ERRORS.invalid_token).toEqual([401, 'invalid']);
    expect(AGENT_ERRORS.invalid_credentials).toEqual([400, 'invalid']);
    expect(AGENT_ERRORS.unauthenticated).toEqual([401, 'bad_request']);
    expect(AGENT_ERRORS.invalid).toEqual([400, 'bad_request']);
    expect(AGENT_ERRORS.revoked).toEqual([401, 'revoked']);
    expect(AGENT_ERRORS.expired).toEqual([400, 'expired']);
    expect(AGENT_ERRORS.duplicate).toEqual([409, 'duplicate']);
    expect(AGENT_ERRORS.not_found).toEqual([400, 'not_found']);
    expect(AGENT_ERRORS.no_such_object).toEqual([404, 'not_found']);
    expect(AGENT_ERRORS.conflict).toEqual([400, 'conflict']);
    expect(AGENT_ERRORS.session_ended).toEqual([409, 'session_ended']);
    expect(AGENT_ERRORS.missing_objects).toEqual([409, 'missing_objects']);
  });

  it('give the route handlers the plain HTTP statuses', () => {
    expect(HTTP_STATUS.unauthenticated).toBe(401);
    expect(HTTP_STATUS.forbidden).toBe(403);
    expect(HTTP_STATUS.not_found).toBe(404);
    expect(HTTP_STATUS.method_not_allowed).toBe(405);
    expect(HTTP_STATUS.conflict).toBe(409);
    expect(HTTP_STATUS.invalid).toBe(400);
    expect(HTTP_STATUS.too_many_requests).toBe(429);
    expect(HTTP_STATUS.unavailable).toBe(503);
  });
});

describe('the edges', () => {
  it('answer a route handler in the one shape, and its 401 with the one message', async () => {
    const answer = portalErrorResponse(new PortalError('not_found', 'The recovery point was not found.'));
    expect(answer.status).toBe(404);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(await answer.json()).toEqual({ error: { code: 'not_found', message: 'The recovery point was not found.' } });
    const signedOut = unauthenticated();
    expect(signedOut.status).toBe(401);
    expect(await signedOut.json()).toEqual({ error: { code: 'unauthenticated', message: 'Sign in to continue.' } });
    const refusal = await answerRefusals(async () => {
      throw new PortalError('cross_site', 'Download vault credentials from the portal.');
    });
    expect(refusal.status).toBe(403);
    await expect(answerRefusals(async () => Promise.reject(new Error('fault')))).rejects.toThrow('fault');
  });

  it('answer the ARM API with its code, in the body and in x-ms-error-code, and name the scheme on a 401', async () => {
    const full = armErrorResponse(new PortalError('quota_exceeded', 'A subscription has at most 25 vaults.'));
    expect(full.status).toBe(409);
    expect(full.headers.get('x-ms-error-code')).toBe('QuotaExceeded');
    expect(await full.json()).toEqual({
      error: { code: 'QuotaExceeded', message: 'A subscription has at most 25 vaults.' },
    });
    const noToken = armErrorResponse(new PortalError('unauthenticated', "The request has no 'Authorization' header."));
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  });

  it('answer the agent with its wire code and the exact message; a fault is not a refusal', () => {
    expect(agentError(new PortalError('invalid_token', 'Invalid vault credentials provided'))).toEqual({
      status: 401,
      body: { error: { code: 'invalid', message: 'Invalid vault credentials provided' } },
    });
    expect(agentRefusal(new Error('fault'))).toBeUndefined();
  });

  it('give a form its field errors, else the message, and leave faults thrown', async () => {
    expect(refused(new PortalError('forbidden', 'Read only.'))).toEqual({ ok: false, message: 'Read only.' });
    const duplicate = fieldRefusal('conflict', { name: 'The name is taken.' });
    expect(duplicate.message).toBe('The name is taken.');
    expect(refused(duplicate)).toEqual({ ok: false, fieldErrors: { name: 'The name is taken.' } });
    const action = actionOf(async (fail: 'refuse' | 'fault' | 'no'): Promise<ActionResult<number>> => {
      if (fail === 'refuse') throw new PortalError('conflict', 'Not now.');
      if (fail === 'fault') throw new Error('fault');
      return { ok: true, data: 1 };
    });
    expect(await action('no')).toEqual({ ok: true, data: 1 });
    expect(await action('refuse')).toEqual({ ok: false, message: 'Not now.' });
    await expect(action('fault')).rejects.toThrow('fault');
  });
});

describe('PortalError across bundles', () => {
  it('is recognised by instanceof whichever copy of the module made it, and nothing else is', () => {
    // What another bundle's copy of the class makes: the same brand, another constructor.
    const other = Object.assign(new Error('The region is busy.'), {
      code: 'unavailable',
      [Symbol.for('backup-vault-portal.PortalError')]: true,
    });
    expect(other instanceof PortalError).toBe(true);
    expect(new PortalError('not_found', 'x') instanceof PortalError).toBe(true);
    expect(new Error('x') instanceof PortalError).toBe(false);
    const nothing: unknown = null;
    expect(nothing instanceof PortalError).toBe(false);
  });
});
