import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import { MACHINE_AUDIENCE, type MachineClaims, type RegistrationClaims } from '@/wire/protocol';

/** A machine's signed call is good for two minutes: long enough for clock skew, too short to be worth stealing. */
export const MACHINE_TOKEN_LIFETIME_SECONDS = 120;

const NONCE_BYTES = 24;

export type MachineKeyPair = { privateKeyPem: string; publicKeyPem: string };

/** The machine's own Ed25519 key: its credential for every call after registration. */
export function generateMachineKeyPair(): MachineKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export function newNonce(): string {
  return randomBytes(NONCE_BYTES).toString('base64url');
}

export function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/** The registration proof: signed with the vault credential's key, so the file itself never has to travel. */
export async function signRegistrationProof(
  claims: RegistrationClaims,
  credentialPrivateKeyPem: string,
  thumbprint: string,
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: thumbprint })
    .sign(await importPKCS8(credentialPrivateKeyPem, 'RS256'));
}

/** The bearer token of a registered machine's call, signed with its own key and naming its server id. */
export async function signMachineToken(serverId: string, machinePrivateKeyPem: string, now: Date): Promise<string> {
  const iat = epochSeconds(now);
  const claims: MachineClaims = {
    aud: MACHINE_AUDIENCE,
    nonce: newNonce(),
    iat,
    exp: iat + MACHINE_TOKEN_LIFETIME_SECONDS,
  };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid: serverId })
    .sign(await importPKCS8(machinePrivateKeyPem, 'EdDSA'));
}
