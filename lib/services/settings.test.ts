import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EnvError, parseEnv, redactUrl } from './settings';

describe('parseEnv', () => {
  it('applies the contract defaults', () => {
    const env = parseEnv({});
    expect(env.PORT).toBe(3000);
    expect(env.VAULT_PROVISIONING_SECONDS).toBe(5);
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.dataDir).toBe(path.resolve('./.data'));
  });

  it('names the variable of a bad value in one line', () => {
    expect(() => parseEnv({ PORT: 'eighty' })).toThrow(EnvError);
    expect(() => parseEnv({ PORT: 'eighty' })).toThrow(
      'Invalid setting PORT: must be a port number, 1-65535 (got "eighty").',
    );
    expect(() => parseEnv({ DATABASE_URL: 'mysql://x' })).toThrow(/^Invalid setting DATABASE_URL/);
    expect(() => parseEnv({ PORTAL_ADMIN_EMAIL: 'not-an-email' })).toThrow(/^Invalid setting PORTAL_ADMIN_EMAIL/);
    expect(() => parseEnv({ VAULT_PROVISIONING_SECONDS: '-1' })).toThrow(/^Invalid setting VAULT_PROVISIONING_SECONDS/);
  });

  it('never echoes a password it refuses', () => {
    let message = '';
    try {
      parseEnv({ PORTAL_ADMIN_PASSWORD: 'short-pw' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^Invalid setting PORTAL_ADMIN_PASSWORD: must be at least 12 characters/);
    expect(message).not.toContain('short-pw');
  });

  it('requires AUTH_SECRET in production on an external database', () => {
    expect(() => parseEnv({ NODE_ENV: 'production', DATABASE_URL: 'postgres://h/db' })).toThrow(
      /^Invalid setting AUTH_SECRET/,
    );
    expect(parseEnv({ NODE_ENV: 'production' }).AUTH_SECRET).toBeUndefined();
  });

  it('treats empty values as unset and splits the failing names', () => {
    expect(parseEnv({ PORT: '' }).PORT).toBe(3000);
    expect(parseEnv({ VAULT_PROVISIONING_FAIL_NAMES: ' Fail-A, fail-b ,' }).VAULT_PROVISIONING_FAIL_NAMES).toEqual([
      'fail-a',
      'fail-b',
    ]);
  });

  it('accepts the backup store forms and refuses anything else', () => {
    expect(parseEnv({}).BACKUP_STORE).toBeUndefined();
    expect(parseEnv({ BACKUP_STORE: 'file:///srv/backups' }).BACKUP_STORE).toBe('file:///srv/backups');
    expect(parseEnv({ BACKUP_STORE: 's3://my-bucket' }).BACKUP_STORE).toBe('s3://my-bucket');
    expect(parseEnv({ BACKUP_STORE: 's3://my-bucket/portal/backups/' }).BACKUP_STORE).toBe(
      's3://my-bucket/portal/backups/',
    );
    expect(() => parseEnv({ BACKUP_STORE: 'file://relative/path' })).toThrow(
      'Invalid setting BACKUP_STORE: must be file:///absolute/path or s3://BUCKET[/PREFIX] (got "file://relative/path").',
    );
    for (const bad of ['/srv/backups', 's3://', 's3://Upper_Case', 's3://b', 's3://bucket//x', 's3://bucket/../x']) {
      expect(() => parseEnv({ BACKUP_STORE: bad })).toThrow(/^Invalid setting BACKUP_STORE: must be file:\/\/\//);
    }
    expect(parseEnv({}).BACKUP_STORE_SECONDARY).toBeUndefined();
    expect(parseEnv({ BACKUP_STORE_SECONDARY: 's3://far-bucket/copy' }).BACKUP_STORE_SECONDARY).toBe(
      's3://far-bucket/copy',
    );
    expect(() => parseEnv({ BACKUP_STORE_SECONDARY: 'ftp://elsewhere' })).toThrow(
      'Invalid setting BACKUP_STORE_SECONDARY: must be file:///absolute/path or s3://BUCKET[/PREFIX] (got "ftp://elsewhere").',
    );
    expect(() => parseEnv({ BACKUP_STORE: 'file:///srv/a', BACKUP_STORE_SECONDARY: 'file:///srv/a' })).toThrow(
      'Invalid setting BACKUP_STORE_SECONDARY: must name another folder or bucket than BACKUP_STORE (got "file:///srv/a").',
    );
    expect(() => parseEnv({ BACKUP_STORE_S3_ENDPOINT: 'not a url' })).toThrow(
      /^Invalid setting BACKUP_STORE_S3_ENDPOINT: must be an http:\/\/ or https:\/\/ URL/,
    );
    expect(parseEnv({ BACKUP_STORE_S3_ENDPOINT: 'http://127.0.0.1:9000' }).BACKUP_STORE_S3_ENDPOINT).toBe(
      'http://127.0.0.1:9000',
    );
  });

  it('never echoes S3 credentials it refuses, and wants both of them', () => {
    let message = '';
    try {
      parseEnv({ AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalr XUtnFEMI' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe('Invalid setting AWS_SECRET_ACCESS_KEY: must not contain spaces or line breaks.');
    expect(() => parseEnv({ BACKUP_STORE: 's3://my-bucket', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE' })).toThrow(
      'Invalid setting AWS_SECRET_ACCESS_KEY: is required when AWS_ACCESS_KEY_ID is set.',
    );
  });

  it('never echoes the password of a DATABASE_URL it refuses', () => {
    for (const url of [
      'mysql://app:s3cret-pw@db/app',
      'postgres://app:s3cret/pw@db:99999/app',
      'postgres://app:s3cret-pw@',
    ]) {
      let message = '';
      try {
        parseEnv({ DATABASE_URL: url });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/^Invalid setting DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL \(got "/);
      expect(message).not.toContain('s3cret');
    }
    expect(redactUrl('postgres://app:p@ss@db/app')).toBe('postgres://app:***@db/app');
  });

  it('takes the portal origin from PORTAL_URL, else localhost and PORT, and trusts proxies only when told', () => {
    expect(parseEnv({ PORT: '4000' })).toMatchObject({ portalOrigin: 'http://localhost:4000', trustProxy: false });
    expect(parseEnv({ PORTAL_URL: 'https://backup.example.com/' }).portalOrigin).toBe('https://backup.example.com');
    expect(parseEnv({ PORTAL_URL: 'https://backup.example.com:8443', TRUST_PROXY: '1' })).toMatchObject({
      portalOrigin: 'https://backup.example.com:8443',
      trustProxy: true,
    });
    for (const bad of ['backup.example.com', 'ftp://x', 'https://x/portal', 'https://u:p@x', 'https://x/?a=1']) {
      expect(() => parseEnv({ PORTAL_URL: bad })).toThrow(/^Invalid setting PORTAL_URL: must be/);
    }
    expect(() => parseEnv({ TRUST_PROXY: 'yes' })).toThrow(
      'Invalid setting TRUST_PROXY: must be 1 (behind a reverse proxy) or 0 (got "yes").',
    );
  });
});
