import { describe, expect, it } from 'vitest';
import { checkVaultName, messages } from './rules';
import { vaultNameSchema } from './validation';

describe('checkVaultName (the browser-side check, without zod)', () => {
  it.each([
    ['ab', true],
    ['CONTOSO-Backup', true],
    ['  padded  ', true],
    [`a${'b'.repeat(49)}`, true],
    [`a${'b'.repeat(50)}`, false],
    ['a', false],
    ['1abc', false],
    ['-abc', false],
    ['ab_c', false],
    ['ab c', false],
    ['', false],
    ['é-vault', false],
  ])('%j is accepted: %s, as the server schema says', (name, ok) => {
    expect(checkVaultName(name) === undefined).toBe(ok);
    expect(vaultNameSchema.safeParse(name).success).toBe(ok);
    if (!ok) expect(checkVaultName(name)).toBe(messages.name);
  });

  it('finds a duplicate whatever the case, and names it as typed (trimmed)', () => {
    expect(checkVaultName(' Contoso-backup ', ['CONTOSO-Backup', 'other'])).toBe(messages.duplicate('Contoso-backup'));
    expect(checkVaultName('contoso-backup2', ['CONTOSO-Backup'])).toBeUndefined();
    expect(checkVaultName('contoso', undefined)).toBeUndefined();
  });
});
