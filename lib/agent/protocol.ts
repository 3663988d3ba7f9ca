/**
 * The agent's wire protocol with the portal, shared by the agent (lib/agent, bundled into one file) and the server
 * (lib/registration). Keep it free of Node- or Next-only imports beyond what both sides have.
 */

/** The contract's texts, printed by the agent exactly. */
export const AGENT_MESSAGES = {
  registered: 'Machine registration succeeded.',
  expired: 'Vault credentials file provided has expired',
  invalid: 'Invalid vault credentials provided',
  shortPassphrase: 'The passphrase must be at least 16 characters long.',
  duplicate: (machineName: string) =>
    `A server named '${machineName}' is already registered to this vault. To register it again, select it in REGISTERED ITEMS in the portal and choose ALLOW RE-REGISTRATION.`,
  notRegistered: 'This machine is not registered to a backup vault.',
  revoked: 'This machine is no longer registered to the backup vault: it was deleted in the portal.',
} as const;

export const MIN_PASSPHRASE_LENGTH = 16;

export const AGENT_PATHS = { register: '/api/agent/register', status: '/api/agent/status' } as const;

/** `aud` of a registration proof; a proof for anything else is refused. */
export const REGISTRATION_AUDIENCE = 'recovery-services-agent/register';
/** `aud` of a machine's own signed calls after registration. */
export const MACHINE_AUDIENCE = 'recovery-services-agent/machine';
/** How long a proof is accepted after it was made, and how far a clock may be ahead. */
export const PROOF_LIFETIME_SECONDS = 300;

/**
 * The payload of the registration proof: a compact JWS signed RS256 with the vault credential's private key, whose
 * protected header carries `kid` = the credential certificate's thumbprint (uppercase hex SHA-1 of its DER).
 * The credentials file itself never travels.
 */
export type RegistrationClaims = {
  aud: typeof REGISTRATION_AUDIENCE;
  vaultId: string;
  subscriptionId: string;
  machineName: string;
  /** The machine's own public key (SPKI PEM, Ed25519): its credential for every later call. */
  machinePublicKey: string;
  /** Random, at least 16 bytes base64url; the server accepts each nonce once. */
  nonce: string;
  iat: number;
  exp: number;
};

export type RegisterRequest = { proof: string };
export type RegisterResponse = {
  serverId: string;
  vaultId: string;
  vaultName: string;
  machineName: string;
  registeredAt: string;
};

/**
 * A machine's call after registration: `Authorization: Bearer <JWS>` signed EdDSA with the machine key, `kid` = the
 * server id the portal gave at registration, payload { aud: MACHINE_AUDIENCE, nonce, iat, exp }.
 */
export type MachineClaims = { aud: typeof MACHINE_AUDIENCE; nonce: string; iat: number; exp: number };

export type StatusResponse = {
  serverId: string;
  machineName: string;
  vaultId: string;
  vaultName: string;
  status: 'Registered';
  registeredAt: string;
};

export type AgentErrorCode = 'expired' | 'invalid' | 'duplicate' | 'revoked' | 'bad_request';
export type AgentErrorResponse = { error: { code: AgentErrorCode; message: string } };
