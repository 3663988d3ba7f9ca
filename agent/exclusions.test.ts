import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Machine, registeredMachine, routeFetch } from '@/testing/backups';
import { restoreRoutes } from '@/testing/restore';
import { type TestServices, testServices } from '@/testing/services';
import { AGENT_MESSAGES } from '@/wire/protocol';
import { scanFolder } from './backup/scan';
import { EXCLUSIONS_FILE_NAME, excludeMatcher, MAX_PATTERN_LENGTH, patternProblem } from './exclusions';

/**
 * Proof that excluded entries are never opened: every path the agent hands to the file system (listings, stats,
 * links, opens and reads, in this test's process) is recorded by wrapping node:fs/promises, which the scan and the
 * backup engine read files through. An excluded entry, or anything below an excluded folder, must not be among them:
 * not opened, not read, not even examined with lstat (the listing's d_type says which entries are folders). The
 * recording is switched on only while the agent backs up.
 */
const fsCalls = vi.hoisted(() => {
  const calls = {
    on: false,
    paths: [] as string[],
    /** The function, recording the path it is called with while `on`. */
    recorded: <F extends (...args: never[]) => unknown>(fn: F): F =>
      ((...args: Parameters<F>) => {
        if (calls.on) calls.paths.push(String(args[0]));
        return fn(...args);
      }) as F,
  };
  return calls;
});
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const { recorded } = fsCalls;
  const wrapped = {
    ...actual,
    open: recorded(actual.open),
    readFile: recorded(actual.readFile),
    lstat: recorded(actual.lstat),
    stat: recorded(actual.stat),
    readdir: recorded(actual.readdir),
    readlink: recorded(actual.readlink),
  };
  return { ...wrapped, default: wrapped };
});
// The scan lists and examines, and small files are read, with synchronous calls (agent/backup/scan.ts, engine.ts).
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  const { recorded } = fsCalls;
  const wrapped = {
    ...actual,
    openSync: recorded(actual.openSync),
    readFileSync: recorded(actual.readFileSync),
    lstatSync: recorded(actual.lstatSync),
    statSync: recorded(actual.statSync),
    readdirSync: recorded(actual.readdirSync),
    readlinkSync: recorded(actual.readlinkSync),
  };
  return { ...wrapped, default: wrapped };
});

const PATTERNS = ['*.tmp', 'cache/', '!keep.tmp', 'logs/**/*.log'];
const CACHE_FILES = 2000;

describe('patterns', () => {
  it('refuses empty, NUL, multi-line, overlong and comment patterns, in one line each', () => {
    for (const bad of ['', '   ', 'a\0b', 'a\nb', 'x\r', 'x'.repeat(MAX_PATTERN_LENGTH + 1), '#notes', '!']) {
      const problem = patternProblem(bad);
      expect(problem, JSON.stringify(bad)).toMatch(/^--exclude .+\.$/);
      expect(problem).not.toMatch(/\n/);
    }
    for (const good of [...PATTERNS, '\\#notes', '/build', 'a b.txt', 'x'.repeat(MAX_PATTERN_LENGTH)]) {
      expect(patternProblem(good), good).toBeUndefined();
    }
  });

  it('match as .gitignore does: folders with a trailing slash, negation, ** across folders', () => {
    const excluded = excludeMatcher(PATTERNS)!;
    const cases: Array<[string, boolean]> = [
      ['a.tmp', true],
      ['deep/er/b.tmp', true],
      ['keep.tmp', false],
      ['deep/keep.tmp', false],
      ['cache/', true],
      ['deep/cache/', true],
      ['cache', false], // a file named cache: `cache/` names folders only
      ['logs/app.log', true],
      ['logs/2026/12/app.log', true],
      ['logs/readme.txt', false],
      ['other/logs/app.log', false], // a pattern with a slash is anchored at the folder
      ['notes.txt', false],
    ];
    for (const [rel, expected] of cases) expect(excluded(rel), rel).toBe(expected);
    expect(excludeMatcher([])).toBeUndefined();
  });

  it('answers the same after it starts afresh (every 8,192 entries)', () => {
    const excluded = excludeMatcher(PATTERNS)!;
    const answers = new Set<string>();
    for (let i = 0; i < 30_000; i++) {
      const rel = ['a.tmp', 'keep.tmp', 'deep/cache/', 'logs/x/y.log', 'notes.txt'][i % 5]!;
      answers.add(`${rel} ${excluded(rel)}`);
    }
    expect([...answers].sort()).toEqual([
      'a.tmp true',
      'deep/cache/ true',
      'keep.tmp false',
      'logs/x/y.log true',
      'notes.txt false',
    ]);
  });
});

let svc: TestServices;
let machine: Machine;
let folder: string;
/** Every request the agent made of the portal. */
let requests: Request[];
beforeAll(async () => {
  svc = await testServices();
});
afterAll(() => svc.close());
beforeEach(async () => {
  const routes = routeFetch(restoreRoutes);
  requests = routes.requests;
  machine = await registeredMachine(svc, { fetch: routes.fetch });
  folder = path.join(machine.work, 'data');
});
afterEach(async () => {
  fsCalls.on = false;
  fsCalls.paths = [];
  await machine.remove();
});

/** The folder the tests protect: files each pattern matches or not, a cache/ folder of 2,000 files, and a pipe. */
async function dataset(): Promise<void> {
  const files: Record<string, string> = {
    'notes.txt': 'notes',
    'a.tmp': 'temporary',
    'keep.tmp': 'kept although .tmp',
    'deep/er/b.tmp': 'temporary too',
    'deep/er/c.txt': 'kept',
    'deep/cache/d.txt': 'in a nested cache folder',
    cache2: 'a file, not the cache folder',
    'logs/readme.txt': 'kept',
    'logs/app.log': 'excluded',
    'logs/2026/12/app.log': 'excluded',
    'other/logs/app.log': 'kept: the pattern is anchored',
  };
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(folder, rel)), { recursive: true });
    await writeFile(path.join(folder, rel), text);
  }
  await mkdir(path.join(folder, 'cache'));
  for (let i = 0; i < CACHE_FILES; i++) await writeFile(path.join(folder, 'cache', `${i}.bin`), `cached ${i}`);
  // A pipe would be reported as skipped (not a regular file) if the walk met it; excluded, it is never examined.
  execFileSync('mkfifo', [path.join(folder, 'block.tmp')]);
}

const WITH_PATTERNS = [
  'notes.txt',
  'keep.tmp',
  'deep/er/c.txt',
  'cache2',
  'logs/readme.txt',
  'other/logs/app.log',
].sort();

/** Every file below `root`, folder-relative, sorted. */
async function filesIn(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}

async function backupJson(): Promise<{ filesTotal: number; stderr: string }> {
  const result = await machine.agent('backup', '--path', folder, '--json');
  expect(result.code, result.stderr).toBe(0);
  const events = result.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { event: string; filesTotal?: number });
  const progress = events.filter((event) => event.event === 'progress');
  expect(progress.length).toBeGreaterThan(0);
  return { filesTotal: progress.at(-1)!.filesTotal!, stderr: result.stderr };
}

async function recovered(name: string): Promise<string[]> {
  const target = path.join(machine.work, name);
  const result = await machine.agent('recover', '--path', folder, '--target', target);
  expect(result.code, result.stderr).toBe(0);
  return filesIn(target);
}

async function statusLines(): Promise<string[]> {
  const result = await machine.agent('status');
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.split('\n').filter((line) => line.startsWith('Excluded from backups'));
}

describe('protect --exclude', () => {
  it('leaves excluded files out of the scan and the recovery point, never touching them', async () => {
    await dataset();
    const protectedNow = await machine.agent('protect', '--path', folder, ...PATTERNS.flatMap((p) => ['--exclude', p]));
    expect(protectedNow).toEqual({
      code: 0,
      stdout: `${folder}: ${AGENT_MESSAGES.pendingInitialBackup}\n  excluding: *.tmp, cache/, !keep.tmp, logs/**/*.log\n`,
      stderr: '',
    });
    expect(await statusLines()).toEqual([
      `Excluded from backups of ${folder}: *.tmp, cache/, !keep.tmp, logs/**/*.log`,
    ]);

    fsCalls.on = true;
    const first = await backupJson();
    fsCalls.on = false;
    // The 2,000 files of cache/ (and the other excluded ones) are not counted: the walk never went in.
    expect(first.filesTotal).toBe(WITH_PATTERNS.length);
    // The pipe was never examined, so it is not reported as skipped either; nothing is a warning.
    expect(first.stderr).toBe('');
    expect(await recovered('first')).toEqual(WITH_PATTERNS);

    const touched = fsCalls.paths.filter((p) => p.startsWith(`${folder}/`)).map((p) => path.relative(folder, p));
    // Every kept file was read, and no excluded entry (or anything below one) was listed, examined or opened.
    for (const rel of WITH_PATTERNS) expect(touched).toContain(rel);
    const excludedEntries = ['a.tmp', 'block.tmp', 'deep/er/b.tmp', 'cache', 'deep/cache', 'logs/app.log', 'logs/2026'];
    const leaked = touched.filter((rel) =>
      excludedEntries.some((entry) =>
        entry === 'logs/2026' ? rel === 'logs/2026/12/app.log' : rel === entry || rel.startsWith(`${entry}/`),
      ),
    );
    expect(leaked).toEqual([]);
    // The portal never received the patterns: they are in the machine's state directory only.
    expect(requests.length).toBeGreaterThan(0);
    for (const request of requests) {
      const sent = `${request.url} ${await request.text()}`;
      for (const pattern of ['logs/**/*.log', '!keep.tmp', 'cache/']) expect(sent).not.toContain(pattern);
    }
    expect(JSON.parse(await readFile(path.join(machine.stateDir, EXCLUSIONS_FILE_NAME), 'utf8'))).toEqual({
      version: 1,
      items: { [folder]: PATTERNS },
    });
    expect((await stat(path.join(machine.stateDir, EXCLUSIONS_FILE_NAME))).mode & 0o777).toBe(0o600);
  });

  it('protect again replaces the patterns, and without --exclude removes them', async () => {
    await dataset();
    await rm(path.join(folder, 'block.tmp'));
    const everything = [
      ...WITH_PATTERNS,
      'a.tmp',
      'deep/er/b.tmp',
      'deep/cache/d.txt',
      'logs/app.log',
      'logs/2026/12/app.log',
      ...Array.from({ length: CACHE_FILES }, (_, i) => `cache/${i}.bin`),
    ].sort();
    expect((await machine.agent('protect', '--path', folder, '--exclude', '*.tmp', '--exclude', 'cache/')).code).toBe(
      0,
    );
    expect((await backupJson()).filesTotal).toBe(everything.length - CACHE_FILES - 4);

    const again = await machine.agent('protect', '--path', folder, '--exclude', 'cache/');
    expect(again.stdout).toBe(`${folder}: Protected\n  excluding: cache/\n`);
    expect(await statusLines()).toEqual([`Excluded from backups of ${folder}: cache/`]);
    expect((await backupJson()).filesTotal).toBe(everything.length - CACHE_FILES - 1);
    const second = await recovered('second');
    expect(second).toContain('a.tmp');
    expect(second).toContain('deep/er/b.tmp');
    expect(second).not.toContain('deep/cache/d.txt');

    const none = await machine.agent('protect', '--path', folder);
    expect(none).toEqual({ code: 0, stdout: `${folder}: Protected\n`, stderr: '' });
    expect(await statusLines()).toEqual([]);
    await expect(stat(path.join(machine.stateDir, EXCLUSIONS_FILE_NAME))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await backupJson()).filesTotal).toBe(everything.length);
    expect(await recovered('third')).toEqual(everything);
  });

  it('refuses a bad pattern in one line and changes nothing; unprotect drops the patterns', async () => {
    await mkdir(folder);
    expect((await machine.agent('protect', '--path', folder, '--exclude', '*.tmp')).code).toBe(0);
    const file = path.join(machine.stateDir, EXCLUSIONS_FILE_NAME);
    const before = await readFile(file, 'utf8');
    for (const bad of ['', 'a\nb', 'a\0b', 'x'.repeat(MAX_PATTERN_LENGTH + 1), '#x']) {
      const result = await machine.agent('protect', '--path', folder, '--exclude', 'ok/', '--exclude', bad);
      expect(result.code, JSON.stringify(bad)).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^--exclude [^\n]+\n$/);
      expect(await readFile(file, 'utf8')).toBe(before);
    }
    expect(await statusLines()).toEqual([`Excluded from backups of ${folder}: *.tmp`]);

    const refused = await machine.agent('unprotect', '--path', folder, '--exclude', '*.tmp');
    expect(refused.code).toBe(2);
    expect(await readFile(file, 'utf8')).toBe(before);

    expect((await machine.agent('unprotect', '--path', folder)).code).toBe(0);
    expect(await statusLines()).toEqual([]);
  });
});

describe('scanFolder with exclusions', () => {
  it('gives the same tree without patterns as before, and leaves out what they match', async () => {
    await dataset();
    const all = await scanFolder(folder);
    expect(all.files).toBe(WITH_PATTERNS.length + 5 + CACHE_FILES);
    expect(all.special).toEqual(['block.tmp']);
    const some = await scanFolder(folder, excludeMatcher(PATTERNS));
    expect(some.files).toBe(WITH_PATTERNS.length);
    expect(some.special).toEqual([]);
    expect(some.unreadable).toEqual([]);
  });
});

describe('the quick name test before the gitignore rules', () => {
  it('answers exactly as the rules alone, for simple and for any patterns', async () => {
    const { default: ignore } = await import('ignore');
    const names = [
      'a.tmp',
      '.tmp',
      'keep.tmp',
      'cache',
      'cache.txt',
      'Thumbs.db',
      'x.tar.gz',
      'tar.gz',
      'plan.md',
      'logs',
    ];
    const paths: string[] = [];
    for (const top of ['', 'cache/', 'src/', 'src/deep/logs/']) {
      for (const name of names) paths.push(`${top}${name}`, `${top}${name}/`);
    }
    const lists = [
      ['*.tmp', 'cache/', '!keep.tmp'],
      ['Thumbs.db', '*.tar.gz', 'cache'],
      ['*.tmp', 'logs/**/*.log'],
      ['src/', '*.md'],
      ['/plan.md', '*.tmp'],
      ['ca?he', '!a.tmp', '*.tmp'],
    ];
    for (const patterns of lists) {
      const matcher = excludeMatcher(patterns)!;
      const rules = ignore().add(patterns.map((pattern) => ({ pattern })));
      for (const rel of paths) expect(matcher(rel), `${patterns.join(' ')}: ${rel}`).toBe(rules.ignores(rel));
    }
  });
});
