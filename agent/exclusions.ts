import { randomUUID } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import ignore from 'ignore';
import { prepareStateDir } from './state';

/**
 * `protect --exclude`: gitignore-style patterns, relative to the protected folder, for what its backups leave out.
 * They stay on the machine, in the state directory beside state.json (exclusions.json, mode 0600): they can name
 * files, and the portal keeps no file names in plain text, so the portal never receives them.
 */
export const EXCLUSIONS_FILE_NAME = 'exclusions.json';

/** The longest pattern accepted, and the most patterns per folder: far beyond any sensible list. */
export const MAX_PATTERN_LENGTH = 1024;
export const MAX_PATTERNS = 256;

type ExclusionsFile = { version: 1; items: Record<string, string[]> };

/** Why a pattern cannot be used, in one line, or undefined when it can. */
export function patternProblem(pattern: string): string | undefined {
  const shown = JSON.stringify(pattern.length > 60 ? `${pattern.slice(0, 60)}…` : pattern);
  if (pattern.trim() === '') return '--exclude must not be empty.';
  if (pattern.includes('\0')) return `--exclude ${shown} contains a NUL character.`;
  if (/[\r\n]/.test(pattern)) return `--exclude ${shown} spans several lines: give one pattern per --exclude.`;
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return `--exclude ${shown} is longer than ${MAX_PATTERN_LENGTH} characters.`;
  }
  if (pattern.startsWith('#')) {
    return `--exclude ${shown} would be a comment, as in .gitignore: write \\# for a name that starts with #.`;
  }
  if (pattern === '!' || pattern === '/' || pattern === '!/') return `--exclude ${shown} matches nothing.`;
  return undefined;
}

/** Checks a folder's patterns before anything is changed: throws the first problem, in one line. */
export function validatePatterns(patterns: string[]): void {
  if (patterns.length > MAX_PATTERNS) throw new Error(`At most ${MAX_PATTERNS} --exclude patterns per folder.`);
  for (const pattern of patterns) {
    const problem = patternProblem(pattern);
    if (problem) throw new Error(problem);
  }
}

/** Every folder's patterns, by absolute path; empty when none were ever given (or the file is unreadable). */
export async function readExclusions(stateDir: string): Promise<Map<string, string[]>> {
  let text: string;
  try {
    text = await readFile(path.join(stateDir, EXCLUSIONS_FILE_NAME), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw error;
  }
  let parsed: ExclusionsFile;
  try {
    parsed = JSON.parse(text) as ExclusionsFile;
  } catch {
    throw new Error(`The agent's exclusions file ${path.join(stateDir, EXCLUSIONS_FILE_NAME)} is not valid JSON.`);
  }
  const items = new Map<string, string[]>();
  if (parsed?.version !== 1 || typeof parsed.items !== 'object' || parsed.items === null) return items;
  for (const [folder, patterns] of Object.entries(parsed.items)) {
    if (Array.isArray(patterns) && patterns.every((p) => typeof p === 'string' && patternProblem(p) === undefined)) {
      items.set(folder, patterns);
    }
  }
  return items;
}

/** The patterns of one folder (absolute path), none when it has none. */
export async function exclusionsOf(stateDir: string, folder: string): Promise<string[]> {
  return (await readExclusions(stateDir)).get(folder) ?? [];
}

/**
 * Sets the patterns of these folders (absolute paths), replacing what they had; `[]` removes a folder's record. The
 * file is replaced atomically, so a crash leaves the old list or the new one.
 */
export async function setExclusions(stateDir: string, folders: string[], patterns: string[]): Promise<void> {
  const items = await readExclusions(stateDir);
  for (const folder of folders) {
    if (patterns.length > 0) items.set(folder, [...patterns]);
    else items.delete(folder);
  }
  const file = path.join(stateDir, EXCLUSIONS_FILE_NAME);
  if (items.size === 0) {
    await rm(file, { force: true });
    return;
  }
  await prepareStateDir(stateDir);
  const contents: ExclusionsFile = { version: 1, items: Object.fromEntries([...items].sort()) };
  const temporary = path.join(stateDir, `.${EXCLUSIONS_FILE_NAME}.${randomUUID()}.tmp`);
  try {
    await writeFile(temporary, `${JSON.stringify(contents, null, 2)}\n`, { mode: 0o600, flag: 'wx', flush: true });
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * Whether an entry is excluded: `rel` relative to the protected folder with '/' separators, a folder's with a trailing
 * '/'. Built once per backup; undefined when the folder has no patterns (the scan then tests nothing).
 */
export type ExcludeMatcher = (rel: string) => boolean;

export function excludeMatcher(patterns: string[]): ExcludeMatcher | undefined {
  if (patterns.length === 0) return undefined;
  // Patterns are given one per --exclude: each is one rule, never split on newlines (they are refused anyway). Names
  // match as the file system compares them: case-sensitively but on Windows and macOS, as git's core.ignorecase.
  const ignorecase = process.platform === 'win32' || process.platform === 'darwin';
  const rules = ignore({ ignorecase }).add(patterns.map((pattern) => ({ pattern })));
  // `ignore` remembers the answer for every path (and its folders) it is asked about: over a walk of millions of
  // entries that is memory the backup must keep for its files. A fresh copy now and then (sharing the compiled rules)
  // keeps it bounded; it only asks again about the few folders above the next entries.
  let current = rules;
  let asked = 0;
  const ask = (rel: string) => {
    if (++asked % CACHE_ENTRIES === 0) current = ignore({ ignorecase }).add(rules);
    return current.ignores(rel);
  };
  const mayMatch = nameFilter(patterns, ignorecase);
  if (!mayMatch) return ask;
  // An entry is excluded by such patterns only when its name, or a folder's above it, matches one of them.
  return (rel) => {
    const path = ignorecase ? rel.toLowerCase() : rel;
    let start = 0;
    for (let end = path.indexOf('/'); ; end = path.indexOf('/', start)) {
      const name = path.slice(start, end < 0 ? undefined : end);
      if (name !== '' && mayMatch(name)) return ask(rel);
      if (end < 0) return false;
      start = end + 1;
    }
  };
}

/** A literal name (`cache/`, `Thumbs.db`) or a suffix glob (`*.tmp`), with no character gitignore treats specially. */
const LITERAL = /^[A-Za-z0-9._-]+\/?$/;
const SUFFIX = /^\*(\.[A-Za-z0-9._-]+)\/?$/;

/**
 * A quick test that must pass before `ignore` is asked, when every pattern that excludes (not a `!` one) is a literal
 * name or a `*.suffix`: such a pattern can only match an entry by its own name or a folder's above it, so an entry
 * none of whose names match is kept, whatever else. Most entries of a walk are answered by it, at the cost of a string comparison or
 * two (asking `ignore` costs a few µs an entry, a tenth of a scan). Undefined when some pattern needs the full rules.
 */
function nameFilter(patterns: string[], ignorecase: boolean): ((name: string) => boolean) | undefined {
  const names = new Set<string>();
  const suffixes: string[] = [];
  for (const raw of patterns) {
    if (raw.startsWith('!')) continue;
    const pattern = ignorecase ? raw.toLowerCase() : raw;
    const suffix = SUFFIX.exec(pattern);
    if (suffix) suffixes.push(suffix[1]!);
    else if (LITERAL.test(pattern)) names.add(pattern.replace(/\/$/, ''));
    else return undefined;
  }
  return (name) => names.has(name) || suffixes.some((suffix) => name.endsWith(suffix));
}

/** How many answers a matcher keeps before it starts afresh. */
const CACHE_ENTRIES = 8192;

/** A folder's patterns in one line, as `protect` prints them: `excluding: *.tmp, cache/, !keep.tmp`. */
export function excludingLine(patterns: string[]): string {
  return `excluding: ${patterns.join(', ')}`;
}
