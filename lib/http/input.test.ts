import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, isUuid } from './input';

const ID = '6b1e1a52-0c3e-4f4c-9a57-2f1b7c9d0e11';
const pair = (values: string[]) => (values.length === 2 && isUuid(values[1]) ? values : undefined);
const token = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('keyset cursors', () => {
  it('give back what they were made of', () => {
    expect(decodeCursor(encodeCursor(['backup-vault-1', ID]), pair)).toEqual(['backup-vault-1', ID]);
    expect(decodeCursor(encodeCursor(['ünïcode vault', ID]), pair)).toEqual(['ünïcode vault', ID]);
  });

  it('are the first page (undefined) for anything the portal did not make, before any query sees it', () => {
    for (const bad of [
      undefined,
      '',
      ['a', 'b'],
      'garbage!',
      'A'.repeat(5000),
      token(['\u0000', ID]),
      token(['x\u0000y', ID]),
      token([1, ID]),
      token({ name: 'x', id: ID }),
      token(['x', 'not-a-uuid']),
      Buffer.from('[').toString('base64url'),
    ]) {
      expect(decodeCursor(bad, pair), JSON.stringify(bad)).toBeUndefined();
    }
  });
});
