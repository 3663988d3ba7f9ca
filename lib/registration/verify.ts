import 'server-only';
import { createPublicKey } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, importSPKI, importX509 } from 'jose';
import { z } from 'zod';
import { PortalError } from '@/lib/errors';
import { AGENT_MESSAGES, PROOF_LIFETIME_SECONDS } from '@/wire/protocol';

export const invalid = () => new PortalError('invalid_credentials', AGENT_MESSAGES.invalid);

/** Machine names as Windows and DNS allow them. */
export const machineNameSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'must be 1-63 letters, digits, dots, hyphens or underscores');

const nonceSchema = z.string().regex(/^[A-Za-z0-9_-]{22,128}$/);

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}

/** Checks a JWS's lifetime claims against the server's clock: fresh, short-lived and not from the future. */
export function checkLifetime(claims: { iat: number; exp: number }, now: Date, maxLifetime: number): boolean {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  return (
    claims.exp >= nowSeconds &&
    claims.iat <= nowSeconds + PROOF_LIFETIME_SECONDS &&
    claims.exp > claims.iat &&
    claims.exp - claims.iat <= maxLifetime
  );
}

/** The kid of a compact JWS's protected header, if it has the expected algorithm. */
export function keyIdOf(jws: string, alg: 'RS256' | 'EdDSA'): string {
  try {
    const header = decodeProtectedHeader(jws);
    // Thumbprints and server ids only: anything else (a NUL, another script) never reaches a query.
    if (header.alg !== alg || typeof header.kid !== 'string' || !/^[A-Za-z0-9._-]{1,128}$/.test(header.kid)) {
      throw invalid();
    }
    return header.kid;
  } catch {
    throw invalid();
  }
}

/** Verifies a compact JWS with a certificate (RS256) or an SPKI public key (EdDSA) and returns its JSON payload. */
export async function verifiedPayload(jws: string, key: { certificatePem: string } | { publicKeyPem: string }) {
  try {
    const verifyKey =
      'certificatePem' in key
        ? await importX509(key.certificatePem, 'RS256')
        : await importSPKI(key.publicKeyPem, 'EdDSA');
    const { payload } = await compactVerify(jws, verifyKey, {
      algorithms: ['certificatePem' in key ? 'RS256' : 'EdDSA'],
    });
    return parseJson(payload);
  } catch {
    throw invalid();
  }
}

export const registrationClaimsSchema = z.object({
  aud: z.literal('recovery-services-agent/register'),
  vaultId: z.uuid(),
  subscriptionId: z.uuid(),
  machineName: machineNameSchema,
  machinePublicKey: z
    .string()
    .max(1024)
    .refine((pem) => {
      try {
        return createPublicKey(pem).asymmetricKeyType === 'ed25519';
      } catch {
        return false;
      }
    }),
  nonce: nonceSchema,
  iat: z.number().int(),
  exp: z.number().int(),
});

export const machineClaimsSchema = z.object({
  aud: z.literal('recovery-services-agent/machine'),
  nonce: nonceSchema,
  iat: z.number().int(),
  exp: z.number().int(),
});
