import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { securePrivateFiles } from './secrets';

let dataDir: string;
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

const mode = (file: string) => statSync(file).mode & 0o777;

describe('securePrivateFiles', () => {
  it('makes an existing data directory and its secret files private again', () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'portal-secrets-'));
    writeFileSync(path.join(dataDir, 'auth-secret'), 'secret\n');
    writeFileSync(path.join(dataDir, 'admin-credentials.txt'), 'password: x\n');
    writeFileSync(path.join(dataDir, 'other.txt'), 'not a secret\n');
    chmodSync(path.join(dataDir, 'auth-secret'), 0o644);
    chmodSync(path.join(dataDir, 'admin-credentials.txt'), 0o666);
    chmodSync(path.join(dataDir, 'other.txt'), 0o644);
    chmodSync(dataDir, 0o755);

    securePrivateFiles({ dataDir });

    expect(mode(dataDir)).toBe(0o700);
    expect(mode(path.join(dataDir, 'auth-secret'))).toBe(0o600);
    expect(mode(path.join(dataDir, 'admin-credentials.txt'))).toBe(0o600);
    expect(mode(path.join(dataDir, 'other.txt'))).toBe(0o644);
  });

  it('leaves a data directory that does not exist yet alone', () => {
    dataDir = path.join(os.tmpdir(), `portal-secrets-missing-${process.pid}`);
    expect(() => securePrivateFiles({ dataDir })).not.toThrow();
  });
});
