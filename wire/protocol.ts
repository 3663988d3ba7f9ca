/**
 * The agent's wire protocol with the portal, shared by the agent (agent/, bundled into one file) and the server
 * (lib/registration). Keep it free of Node- or Next-only imports beyond what both sides have.
 */

/** `1 file could not be read and was skipped.`, or `N files ... were`, as the job and its alert say it too. */
const skippedFiles = (count: number) =>
  `${count.toLocaleString('en-US')} ${count === 1 ? 'file' : 'files'} could not be read and ${count === 1 ? 'was' : 'were'} skipped.`;

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
  backupCompleted: 'Backup completed.',
  skippedFiles,
  backupCompletedWithWarnings: (count: number) => `Backup completed with warnings: ${skippedFiles(count)}`,
  recoveryCompleted: 'Recovery completed.',
  verifyCompleted: (takenAt: string) => `Verify completed: no damage found in the point of ${takenAt}.`,
  pointVerified: (takenAt: string, listings: number, chunks: number, chunksTotal: number) =>
    `Verified ${listings.toLocaleString('en-US')} ${listings === 1 ? 'listing' : 'listings'} and ${chunks.toLocaleString('en-US')} of ${chunksTotal.toLocaleString('en-US')} chunks (${chunksTotal === 0 ? 100 : Math.round((chunks * 1000) / chunksTotal) / 10} %) of the point of ${takenAt}: no damage found.`,
  pointDamaged: (takenAt: string, what: string, objectId: string) =>
    `The recovery point of ${takenAt} is damaged: ${what} (object ${objectId.slice(0, 16)}).`,
  wrongPassphrase: 'The passphrase is incorrect.',
  pendingInitialBackup: 'Protected - (pending initial backup)',
  notProtected: (path: string) =>
    `The folder '${path}' is not protected on this server: protect it first with \`protect --path ${path}\`.`,
  protectionStopped: (path: string) =>
    `Protection of '${path}' is stopped: protect it again with \`protect --path ${path}\` to back it up.`,
  backupRunning: (path: string) => `A backup of '${path}' is already running.`,
  sessionEnded: 'This backup is no longer running: it was cancelled, or the portal stopped hearing from it.',
  missingObjects: 'The backup refers to data the vault does not hold.',
  storageFull:
    "The vault's storage is full: the portal could not store this backup's data. Free space in the portal's backup store, then run the backup again.",
  tooLarge: (gb: number) =>
    `The data source is ${gb.toLocaleString('en-US')} GB, more than the 54,400 GB a protected item can hold: protect its subfolders separately.`,
} as const;

export const MIN_PASSPHRASE_LENGTH = 16;

export const AGENT_PATHS = {
  register: '/api/agent/register',
  status: '/api/agent/status',
  keys: '/api/agent/keys',
  items: '/api/agent/items',
  points: '/api/agent/points',
  backups: '/api/agent/backups',
  session: (sessionId: string, step: 'objects' | 'missing' | 'progress' | 'commit' | 'fail') =>
    `/api/agent/backups/${sessionId}/${step}`,
  restores: '/api/agent/restores',
  restore: (restoreId: string, step: 'objects' | 'progress' | 'complete' | 'fail') =>
    `/api/agent/restores/${restoreId}/${step}`,
  clock: '/api/agent/clock',
} as const;

/**
 * The portal's time, answered to anyone (it discloses only the time): an agent that follows the portal's clock signs
 * its calls and reads its schedules by it (agent/clock.ts).
 */
export type ClockResponse = { now: string };

/**
 * Set to true by the first statement of an agent file downloaded from a portal in emulator mode, whose clock tests
 * move: that agent follows the portal's clock (asks it with AGENT_PATHS.clock) instead of its machine's.
 */
export const FOLLOWS_PORTAL_CLOCK_GLOBAL = '__RECOVERY_SERVICES_AGENT_FOLLOWS_PORTAL_CLOCK__';
/** The line that sets it, after the bundle's `#!` line (app/downloads/recovery-services-agent.mjs). */
export const FOLLOWS_PORTAL_CLOCK_LINE = `globalThis.${FOLLOWS_PORTAL_CLOCK_GLOBAL} = true;`;

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

/** The largest data source a protected item may be, as the classic agent allowed. */
export const MAX_DATA_SOURCE_GB = 54_400;

// ---- Backups --------------------------------------------------------------------------------------------------

/** The wrapped vault key, as lib/backup-format describes it; the server checks its shape, never opens it. */
export type KeyRequest = {
  wrappedKey: unknown;
  /**
   * change-passphrase: the same vault key wrapped again, replacing the wrapping of the machine's own key `keyId` only
   * while `wrappedKey` here is still its current one (the old wrapping is not kept); answered with the same keyId.
   */
  replaces?: { keyId: string; wrappedKey: unknown };
};
export type KeyResponse = { keyId: string };

export type ProtectionStatus = 'Pending' | 'Protected' | 'Stopped';
export type ItemView = {
  id: string;
  path: string;
  status: ProtectionStatus;
  lastBackupAt: string | null;
  /** BACKUP NOW was pressed in the portal and no backup took the request yet. */
  backupRequested: boolean;
  /** The policy the item follows and its schedule (times in minutes after midnight UTC; weekdays 0 = Sunday). */
  policyName?: string;
  schedule?: { frequency: 'Daily' | 'Weekly'; days: number[]; times: number[] };
  /**
   * When the schedule's next backup of the item is due: the first run after the item's last backup started (or
   * after it began following its policy). In the past when the agent missed a run; null when protection is stopped.
   */
  nextBackupAt?: string | null;
};
export type ItemsRequest = { action: 'protect' | 'unprotect'; paths: string[] };
export type ItemsResponse = {
  items: ItemView[];
  /** RECOVER TO SERVER requests for this machine that no restore took yet (absent from portals before restores). */
  restoreRequests?: RestoreRequestView[];
};

export type PointView = { id: string; takenAt: string; files: number; folders: number; bytes: number };
export type PointsResponse = { points: PointView[] };

export type StartBackupRequest = { path: string; keyId: string; filesTotal: number; bytesTotal: number };
/** The session's calls send `Authorization: Bearer <token>`; the token is good for this session only. */
export type StartBackupResponse = { sessionId: string; token: string; operationId: string; takenAt: string };

/** Which of these object ids the vault lacks (at most MAX_IDS_PER_CALL per call). */
export type MissingRequest = { ids: string[] };
export type MissingResponse = { missing: string[] };
export const MAX_IDS_PER_CALL = 5_000;

/**
 * Objects travel in batches: the body of a POST to `objects` is a sequence of frames, each the 32-byte object id,
 * the sealed object's length as a 4-byte big-endian unsigned integer, then the sealed object.
 */
export const OBJECT_FRAME_HEADER = 36;
export const MAX_BATCH_BYTES = 32 * 1024 * 1024;
export type ObjectsResponse = { stored: number; bytes: number };

export type ProgressReport = {
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
  bytesPerSecond: number;
  secondsLeft: number | null;
  dataTransferred: number;
};
export type ProgressResponse = { running: boolean };

export type CommitRequest = {
  rootId: string;
  /** Every object the recovery point needs: file chunks, directory listings (the root among them), the skipped list. */
  objectIds: string[];
  files: number;
  folders: number;
  bytes: number;
  dataTransferred: number;
  /**
   * Files (and folders) the backup could not read and left out of the point, when there were any: how many, and the
   * object (sealed under the point's key, one of objectIds) that lists their paths and why (lib/backup-format's
   * encodeSkippedList). `files` and `bytes` count only what the point holds.
   */
  filesSkipped?: number;
  skippedListId?: string;
};
export type CommitResponse = { pointId: string; takenAt: string };
export type FailRequest = { message: string };

export type AgentErrorCode =
  | 'expired'
  | 'invalid'
  | 'duplicate'
  | 'revoked'
  | 'bad_request'
  | 'not_found'
  | 'conflict'
  | 'missing_objects'
  | 'session_ended'
  | 'storage_full';
export type AgentErrorResponse = { error: { code: AgentErrorCode; message: string } };

// ---- Restores -------------------------------------------------------------------------------------------------

/** A restore the portal queued for this machine: the agent starts it with StartRestoreRequest.requestId. */
export type RestoreRequestView = { id: string; itemPath: string; requestedAt: string };

/**
 * Starts a restore (a Restore job): `recover` names the folder (of this machine, or of `fromServer` in the same vault)
 * and the point (`latest`, the default, or the newest taken at or before an ISO time); the service names a request.
 */
export type StartRestoreRequest =
  | {
      path: string;
      fromServer?: string;
      point?: string;
      requestId?: undefined;
      /** `verify`: the session reads the point to check it, as a Verify job; nothing is restored. */
      verify?: boolean;
    }
  | { requestId: string; path?: undefined };
/** The session's calls send `Authorization: Bearer <token>`, good for this restore only. */
export type StartRestoreResponse = {
  restoreId: string;
  token: string;
  operationId: string;
  itemPath: string;
  serverName: string;
  pointId: string;
  takenAt: string;
  rootId: string;
  /** The key the point's objects are sealed under, and its passphrase-wrapped form (for --from-server). */
  keyId: string;
  wrappedKey: unknown;
  files: number;
  bytes: number;
  /** For a portal request: what to restore and where, sealed by the browser under this machine's key `keyId`. */
  request?: { keyId: string; id: string; sealed: string };
};

/** What the browser seals for the machine that carries out a RECOVER TO SERVER (JSON, sealed as an object). */
export type SealedRestoreRequest = {
  /** The vault key of the point's key, base64: the machine may not hold it (another server's data). */
  vaultKey: string;
  /** Path inside the point of the selected file or folder, '/'-separated; '' for everything. */
  selection: string;
  target: string;
  conflict: 'copies' | 'overwrite' | 'skip';
};

/** Sealed objects of the point, at most MAX_IDS_PER_CALL ids; answered with frames as uploads are (OBJECT_FRAME_HEADER). */
export type ReadObjectsRequest = { ids: string[] };

export type CompleteRestoreRequest = {
  filesDone: number;
  bytesDone: number;
  dataTransferred: number;
  /** Files left as they were (conflict `skip`) or written beside the existing ones (`copies`). */
  skipped: number;
  copies: number;
};

/** The end of a `verify` session that found no damage: what it read and checked. */
export type CompleteVerifyRequest = CompleteRestoreRequest & {
  verified: { listings: number; chunks: number; chunksTotal: number };
};
/** The end of a `verify` session that failed; `damaged`: the point is (the message names what), not the run. */
export type FailVerifyRequest = FailRequest & { damaged?: boolean };
