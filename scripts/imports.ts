/**
 * The import picture (`npm run imports`): which folders import each other, which server files import the agent's code,
 * and which files read `process.env`. Tests (`*.test.ts`, `*.spec.ts`) and test support (`testing/`) are left out, as in
 * docs/architecture.md. `--check` exits non-zero when a goal of the architecture is broken.
 *
 * A "folder" is `lib/<capability>` (a file directly in `lib/` counts as `lib`), `server`, `agent`, `app`, `components`,
 * `db`, `scripts` or `wire`. Only imports inside the project count (`@/…` and relative paths).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const roots = [
  'lib',
  'app',
  'components',
  'db',
  'server',
  'agent',
  'wire',
  'scripts',
  'proxy.ts',
  'instrumentation.ts',
];
/**
 * Where `process.env` may be read: the portal's settings and the agent's. instrumentation.ts tests Next.js's own
 * NEXT_RUNTIME, which Next replaces at build time (a settings function would not be replaced).
 */
const settingsModules = new Set(['lib/services/settings.ts', 'agent/settings.ts', 'instrumentation.ts']);
/** The project's entries in scripts/ (the rest are tools: benches, builds, this picture). */
const entries = new Set(['scripts/start.ts', 'scripts/serve.ts', 'scripts/worker.ts']);

/** A developer's tool rather than part of the portal: benches drive the agent, builds bundle it. */
export function isTool(rel: string): boolean {
  return rel.startsWith('scripts/') && !entries.has(rel);
}

function walk(rel: string, out: string[]): void {
  const abs = path.join(root, rel);
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(abs);
  } catch {
    return;
  }
  if (st.isDirectory()) {
    for (const name of readdirSync(abs)) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      walk(path.join(rel, name), out);
    }
  } else if (/\.(ts|tsx|mjs)$/.test(rel) && !rel.endsWith('.d.ts')) out.push(rel);
}

export function isTestFile(rel: string): boolean {
  return /\.(test|spec)\.tsx?$/.test(rel) || rel.split('/').includes('testing') || rel.startsWith('e2e/');
}

export function folderOf(rel: string): string {
  const parts = rel.split('/');
  if (parts[0] === 'lib') return parts.length > 2 ? `lib/${parts[1]}` : 'lib';
  if (parts.length === 1) return parts[0]!.replace(/\.(ts|tsx|mjs)$/, '');
  return parts[0]!;
}

const candidates = ['', '.ts', '.tsx', '.mjs', '/index.ts', '/index.tsx'];

function resolve(from: string, spec: string): string | undefined {
  let base: string;
  if (spec.startsWith('@/')) base = spec.slice(2);
  else if (spec.startsWith('.')) base = path.posix.join(path.posix.dirname(from), spec);
  else return undefined;
  for (const ext of candidates) {
    const p = base + ext;
    try {
      if (statSync(path.join(root, p)).isFile()) return p;
    } catch {}
  }
  return base;
}

const importRe =
  /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

export function importsOf(rel: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(importRe)) {
    const target = resolve(rel, (m[1] ?? m[2])!);
    if (target) out.push(target);
  }
  return out;
}

export type Picture = {
  mutual: [string, string][];
  /** Groups of folders that reach each other through longer chains (a → b → c → a), each sorted. */
  cycles: string[][];
  serverImportsOfAgent: string[];
  envReaders: string[];
  edges: Map<string, Set<string>>;
  /** Each file-level import between two different folders: `from -> to` by folder, with the files. */
  links: { from: string; to: string; file: string; target: string }[];
};

export function picture(): Picture {
  const files: string[] = [];
  for (const r of roots) walk(r, files);
  const edges = new Map<string, Set<string>>();
  const serverImportsOfAgent: string[] = [];
  const envReaders: string[] = [];
  const links: Picture['links'] = [];
  for (const rel of files) {
    if (isTestFile(rel)) continue;
    const text = readFileSync(path.join(root, rel), 'utf8');
    const from = folderOf(rel);
    if (/process\.env\b/.test(text) && !settingsModules.has(rel) && !isTool(rel)) envReaders.push(rel);
    for (const target of importsOf(rel, text)) {
      const to = folderOf(target);
      if (to === 'agent' && from !== 'agent' && !isTool(rel)) serverImportsOfAgent.push(`${rel} -> ${target}`);
      if (to === from) continue;
      links.push({ from, to, file: rel, target });
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)!.add(to);
    }
  }
  const mutual: [string, string][] = [];
  for (const [a, tos] of edges) {
    for (const b of tos) if (a < b && edges.get(b)?.has(a)) mutual.push([a, b]);
  }
  mutual.sort((x, y) => x.join().localeCompare(y.join()));
  return { mutual, cycles: stronglyConnected(edges), serverImportsOfAgent, envReaders, edges, links };
}

/** Tarjan's strongly connected components of the folder graph, those of more than one folder. */
function stronglyConnected(edges: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) groups.push(group.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return groups;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('scripts/imports.ts')) {
  const p = picture();
  const verbose = process.argv.includes('--verbose');
  console.log(`Folders that import each other: ${p.mutual.length}`);
  for (const [a, b] of p.mutual) console.log(`  ${a} <-> ${b}`);
  console.log(`Longer cycles between folders: ${p.cycles.length}`);
  for (const group of p.cycles) console.log(`  ${group.join(', ')}`);
  console.log(`Server-side imports of the agent's code: ${p.serverImportsOfAgent.length}`);
  for (const line of p.serverImportsOfAgent) console.log(`  ${line}`);
  console.log(`Files outside the settings modules that read process.env: ${p.envReaders.length}`);
  for (const f of p.envReaders) console.log(`  ${f}`);
  if (verbose) {
    console.log('Why each pair imports each other:');
    for (const [a, b] of p.mutual) {
      for (const l of p.links)
        if ((l.from === a && l.to === b) || (l.from === b && l.to === a)) console.log(`  ${l.file} -> ${l.target}`);
    }
    console.log('Calls between folders:');
    for (const [a, tos] of [...p.edges].sort()) console.log(`  ${a} -> ${[...tos].sort().join(', ')}`);
  }
  if (process.argv.includes('--check')) {
    const broken =
      p.mutual.length > 0 || p.cycles.length > 0 || p.serverImportsOfAgent.length > 0 || p.envReaders.length > 0;
    if (broken) {
      console.error('The import picture breaks docs/architecture.md (see above).');
      process.exit(1);
    }
  }
}
