import path from 'node:path';
import { z } from 'zod';
import { BLOB_STORE_LOCATION_HINT, parseBlobStoreLocation } from '@/lib/blob-store/location';

/**
 * The portal's settings (see portal-contract.md, "Running it"). This is the only module that reads process.env;
 * everything else asks getEnv(), so a bad value is reported once, at start, naming the variable.
 */
const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce
      .number({ error: 'must be a port number, 1-65535' })
      .int('must be a whole number')
      .min(1, 'must be 1-65535')
      .max(65535, 'must be 1-65535')
      .default(3000),
    DATABASE_URL: z
      .string()
      .trim()
      .refine((v) => /^postgres(ql)?:\/\/.+/.test(v) && URL.canParse(v), 'must be a postgres:// or postgresql:// URL')
      .optional(),
    PORTAL_DATA_DIR: z.string().trim().min(1, 'must not be empty').default('./.data'),
    // The portal's own address: next-auth's origin, the credentials file's WebPortalLink, the ARM API's links.
    PORTAL_URL: z
      .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL such as https://backup.example.com' })
      .refine((v) => {
        if (!URL.canParse(v)) return true;
        const url = new URL(v);
        return url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
      }, 'must be an origin only, with no path, query or credentials (such as https://backup.example.com)')
      .optional(),
    // Behind a reverse proxy: honour its X-Forwarded-Host, -Proto and -For (validated). Off, they are ignored.
    TRUST_PROXY: z.enum(['0', '1'], { error: 'must be 1 (behind a reverse proxy) or 0' }).default('0'),
    // Emulator mode for test suites (npm run emulator): an in-memory database, provisioning in 0 s, a known admin, and
    // the control API under /_emulator/ (loopback clients only).
    PORTAL_EMULATOR: z.enum(['0', '1'], { error: 'must be 1 (emulator mode) or 0' }).default('0'),
    PORTAL_ADMIN_EMAIL: z.email('must be an email address').optional(),
    PORTAL_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
    AUTH_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    VAULT_PROVISIONING_SECONDS: z.coerce
      .number({ error: 'must be a number of seconds' })
      .min(0, 'must be 0 or more')
      .max(3600, 'must be at most 3600')
      .default(5),
    VAULT_PROVISIONING_FAIL_NAMES: z
      .string()
      .default('')
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim().toLowerCase())
          .filter(Boolean),
      ),
    // Alert emails: the SMTP server (smtp://user:pass@host:port, or smtps:// for TLS from the start) and the sender.
    SMTP_URL: z
      .string()
      .trim()
      .refine(
        (v) => URL.canParse(v) && ['smtp:', 'smtps:'].includes(new URL(v).protocol) && new URL(v).hostname !== '',
        'must be smtp://[user:pass@]host[:port] or smtps://[user:pass@]host[:port]',
      )
      .optional(),
    ALERTS_FROM: z
      .string()
      .trim()
      .min(3, 'must be an email address, e.g. Backup portal <alerts@example.com>')
      .optional(),
    // A developer's setting: a folder for the server's CPU profiles (node --cpu-prof), see the README.
    PORTAL_CPU_PROF: z.string().trim().min(1, 'must be a folder').optional(),
    BACKUP_STORE: z
      .string()
      .trim()
      .refine((v) => parseBlobStoreLocation(v) !== null, BLOB_STORE_LOCATION_HINT)
      .optional(),
    // The secondary region's store (folder or bucket, unset by default): Geo-Redundant vaults' packs are copied there.
    // It shares BACKUP_STORE's S3 endpoint, region and credentials when it is a bucket.
    BACKUP_STORE_SECONDARY: z
      .string()
      .trim()
      .refine((v) => parseBlobStoreLocation(v) !== null, BLOB_STORE_LOCATION_HINT)
      .optional(),
    BACKUP_STORE_S3_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
    BACKUP_STORE_S3_REGION: z
      .string()
      .trim()
      .regex(/^[a-z0-9-]+$/, 'must be a region name such as us-east-1')
      .optional(),
    // Refused rather than trimmed: a stray space or line break from a pasted key is a mistake the operator should see.
    AWS_ACCESS_KEY_ID: z.string().regex(/^\S+$/, 'must not contain spaces or line breaks').optional(),
    AWS_SECRET_ACCESS_KEY: z.string().regex(/^\S+$/, 'must not contain spaces or line breaks').optional(),
  })
  .superRefine((v, ctx) => {
    if (v.NODE_ENV === 'production' && v.DATABASE_URL && !v.AUTH_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['AUTH_SECRET'],
        message: 'is required when NODE_ENV=production and DATABASE_URL is set',
      });
    }
    if (v.BACKUP_STORE_SECONDARY !== undefined && v.BACKUP_STORE_SECONDARY === v.BACKUP_STORE) {
      ctx.addIssue({
        code: 'custom',
        path: ['BACKUP_STORE_SECONDARY'],
        message: 'must name another folder or bucket than BACKUP_STORE',
      });
    }
    const s3 = v.BACKUP_STORE?.startsWith('s3://') || v.BACKUP_STORE_SECONDARY?.startsWith('s3://');
    if (s3 && Boolean(v.AWS_ACCESS_KEY_ID) !== Boolean(v.AWS_SECRET_ACCESS_KEY)) {
      const missing = v.AWS_ACCESS_KEY_ID ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID';
      const other = v.AWS_ACCESS_KEY_ID ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY';
      ctx.addIssue({ code: 'custom', path: [missing], message: `is required when ${other} is set` });
    }
  });

export type Env = z.infer<typeof schema> & {
  dataDir: string;
  /** PORTAL_URL's origin, or http://localhost:$PORT. */
  portalOrigin: string;
  trustProxy: boolean;
  /** PORTAL_EMULATOR=1. */
  emulator: boolean;
};

export class EnvError extends Error {
  readonly code = 'INVALID_SETTING';
}

/** Empty strings count as unset, as a shell user writing `PORT= npm start` would expect. */
function clean(source: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(schema.shape ?? {})) {
    const value = source[key];
    if (value !== undefined && value !== '') out[key] = value;
  }
  return out;
}

/** Settings whose refused value must not end up in a log. */
const SECRETS = new Set(['PORTAL_ADMIN_PASSWORD', 'AUTH_SECRET', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);

/** A URL as it may be shown: any password in it replaced, whether or not the URL parses. */
export function redactUrl(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*:).*@/i, '$1***@');
}

function shownValue(name: string, value: string | undefined): string {
  if (SECRETS.has(name)) return '';
  return ` (got "${redactUrl(value ?? '')}")`;
}

/**
 * What emulator mode (PORTAL_EMULATOR=1) takes unless told otherwise: provisioning in 0 s and a known admin (the
 * first admin's email is admin@localhost unless PORTAL_ADMIN_EMAIL says otherwise, server/seed.ts).
 */
export const EMULATOR_DEFAULTS = {
  VAULT_PROVISIONING_SECONDS: '0',
  PORTAL_ADMIN_PASSWORD: 'emulator-password',
} as const;

export function parseEnv(source: Record<string, string | undefined>): Env {
  const given = clean(source);
  const result = schema.safeParse(given.PORTAL_EMULATOR === '1' ? { ...EMULATOR_DEFAULTS, ...given } : given);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    throw new EnvError(`Invalid setting ${name}: ${issue.message}${shownValue(name, source[name])}.`);
  }
  const data = result.data;
  return {
    ...data,
    dataDir: path.resolve(data.PORTAL_DATA_DIR),
    portalOrigin: data.PORTAL_URL ? new URL(data.PORTAL_URL).origin : `http://localhost:${data.PORT}`,
    trustProxy: data.TRUST_PROXY === '1',
    emulator: data.PORTAL_EMULATOR === '1',
  };
}

let cached: Env | undefined;

export function getEnv(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

/**
 * The environment for a child process (the Next.js server), with the values the start script resolved. libuv's pool
 * defaults to 16 threads rather than 4: each stored backup object is written, fsynced and renamed there, and 4
 * threads queue uploads behind a few slow fsyncs. An operator's own UV_THREADPOOL_SIZE wins.
 */
export function childEnv(overrides: Record<string, string>): NodeJS.ProcessEnv {
  return { UV_THREADPOOL_SIZE: '16', ...process.env, ...overrides };
}
