import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeFetch, issueCredentials, json, PASSPHRASE, PORTAL_URL, REGISTERED, run, tempDir } from '@/testing/agent';
import { USAGE } from './cli';

let temp: Awaited<ReturnType<typeof tempDir>>;

beforeEach(async () => {
  temp = await tempDir();
});

afterEach(() => temp.remove());

describe('runAgent: the command line', () => {
  it.each([
    [[], 'No command given.'],
    [['restore'], "Unknown command 'restore'."],
    [['protect'], 'protect needs --path DIR.'],
    [['backup', '--path', ''], '--path must not be empty.'],
    [['register', '--passphrase-file', 'p.txt'], 'register needs --vault-credentials PATH.'],
    [['register', '--vault-credentials'], "Option '--vault-credentials <value>' argument missing"],
    [['register', '--vault-credentials', 'v', '--passphrase-file', 'p', '--generate-passphrase'], 'Give either'],
    [['register', '--vault-credentials', 'v', '--generate-passphrase', '--machine-name', ' '], '--machine-name'],
    [['register', '--vault-credentials', 'v', '--generate-passphrase', '--verbose'], "Unknown option '--verbose'"],
    [['status', 'extra'], "Unexpected argument 'extra'"],
    [['status', '--state-dir='], '--state-dir must not be empty.'],
  ])('refuses %j with the usage text and exit code 2, sending nothing', async (argv, problem) => {
    const { fetch, requests } = fakeFetch(() => json(201, REGISTERED));
    const result = await run(argv, { fetch });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.startsWith(problem)).toBe(true);
    expect(result.stderr.endsWith(`\n\n${USAGE}`)).toBe(true);
    expect(requests).toHaveLength(0);
  });

  it('needs a passphrase option when stdin is not a terminal', async () => {
    const credentials = await temp.file('v.VaultCredentials', 'unused');
    const stdin = Object.assign(new PassThrough(), { isTTY: false });
    const result = await run(['register', '--vault-credentials', credentials], { stdin });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^A passphrase is needed: give --passphrase-file PATH or --generate-passphrase\./);
  });

  it('prints the usage on stdout when asked for help', async () => {
    expect(await run(['--help'], {})).toEqual({ code: 0, stdout: USAGE, stderr: '' });
  });

  it('reports any failure on exactly one line, even when its reason spans several', async () => {
    const credentials = await temp.file('v.VaultCredentials', (await issueCredentials()).contents);
    const passphrase = await temp.file('p.txt', PASSPHRASE);
    const { fetch } = fakeFetch(() => {
      throw new Error('socket hang up\n    while reading the response');
    });
    const result = await run(
      ['register', '--vault-credentials', credentials, '--passphrase-file', passphrase, '--state-dir', temp.dir],
      { fetch },
    );
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `Could not reach the portal at ${PORTAL_URL}: socket hang up while reading the response\n`,
    });
  });
});
