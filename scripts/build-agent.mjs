// Bundles the machine agent into one ESM file that runs with `node FILE COMMAND ...` on Node 20+, nothing to install.
// Usage: node scripts/build-agent.mjs [--outfile PATH]
import { chmod, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const DEFAULT_OUTFILE = path.join(repoRoot, 'dist/agent/recovery-services-agent.mjs');

// node-forge is CommonJS and calls require('crypto'); an ES module has no require unless it makes one. The alias
// keeps the banner's binding from colliding with a createRequire some bundled module imports itself.
const BANNER = [
  '#!/usr/bin/env node',
  "import { createRequire as __agentCreateRequire } from 'node:module';",
  'const require = __agentCreateRequire(import.meta.url);',
].join('\n');

try {
  const { values } = parseArgs({ options: { outfile: { type: 'string' } }, strict: true });
  const outfile = path.resolve(values.outfile ?? DEFAULT_OUTFILE);
  await build({
    absWorkingDir: repoRoot,
    entryPoints: [path.join(repoRoot, 'lib/agent/main.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: false,
    alias: { '@': repoRoot },
    banner: { js: BANNER },
    logLevel: 'warning',
  });
  await chmod(outfile, 0o755);
  const { size } = await stat(outfile);
  console.log(`${outfile} (${(size / 1024).toFixed(1)} KiB)`);
} catch (error) {
  // esbuild has already printed its diagnostics; anything else (bad arguments, file system) is reported here.
  console.error(`build-agent: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
