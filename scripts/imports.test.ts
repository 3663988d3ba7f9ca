import { describe, expect, it } from 'vitest';
import { folderOf, importsOf, isTestFile, isTool, picture } from './imports';

describe('the import picture', () => {
  it('names folders as the architecture does', () => {
    expect(folderOf('lib/backups/packs.ts')).toBe('lib/backups');
    expect(folderOf('lib/secrets.ts')).toBe('lib');
    expect(folderOf('server/http/edge.ts')).toBe('server');
    expect(folderOf('agent/backup/engine.ts')).toBe('agent');
    expect(folderOf('proxy.ts')).toBe('proxy');
  });

  it('reads static, type-only, re-exported and dynamic imports, relative or by alias', () => {
    const text = [
      "import { a } from '@/lib/queues';",
      "import type { B } from './packs';",
      "export { c } from '../errors';",
      "const d = await import('@/wire/protocol');",
      "import pg from 'pg';",
    ].join('\n');
    expect(importsOf('lib/backups/x.ts', text)).toEqual([
      'lib/queues/index.ts',
      'lib/backups/packs.ts',
      'lib/errors/index.ts',
      'wire/protocol.ts',
    ]);
  });

  it('leaves tests, test support and tools out, but not the entries', () => {
    expect(isTestFile('lib/backups/backup.test.ts')).toBe(true);
    expect(isTestFile('testing/services.ts')).toBe(true);
    expect(isTestFile('lib/backups/packs.ts')).toBe(false);
    expect(isTool('scripts/bench-backup.ts')).toBe(true);
    expect(isTool('scripts/worker.ts')).toBe(false);
  });

  it('holds for this tree: no folders that import each other, no cycle, the agent apart, settings in one place', () => {
    const p = picture();
    expect(p.mutual).toEqual([]);
    expect(p.cycles).toEqual([]);
    expect(p.serverImportsOfAgent).toEqual([]);
    expect(p.envReaders).toEqual([]);
    expect(p.edges.get('server')?.has('lib/backups')).toBe(true);
  });
});
