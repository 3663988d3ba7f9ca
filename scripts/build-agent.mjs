// Bundles the machine agent into one ESM file that runs with `node FILE COMMAND ...` on Node 20+, nothing to install.
// Usage: node scripts/build-agent.mjs [--outfile PATH]
import { chmod, readFile, stat } from 'node:fs/promises';
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

// zstd-wasm reads zstd.wasm from beside its own file at run time; the one-file agent carries the bytes instead.
const ZSTD_INIT = "readFile(resolve(__dirname, './zstd.wasm'))";
const embedZstdWasm = {
  name: 'embed-zstd-wasm',
  setup(build) {
    build.onLoad({ filter: /zstd-wasm[\\/]dist[\\/]common[\\/]index\.node\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes(ZSTD_INIT)) throw new Error('zstd-wasm changed how it loads its WebAssembly');
      const wasm = await readFile(path.join(path.dirname(args.path), 'zstd.wasm'));
      const embedded = `Promise.resolve(Buffer.from('${wasm.toString('base64')}', 'base64'))`;
      return { contents: source.replace(ZSTD_INIT, embedded), loader: 'js' };
    });
  },
};

try {
  const { values } = parseArgs({ options: { outfile: { type: 'string' } }, strict: true });
  const outfile = path.resolve(values.outfile ?? DEFAULT_OUTFILE);
  await build({
    absWorkingDir: repoRoot,
    entryPoints: [path.join(repoRoot, 'agent/main.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: false,
    alias: { '@': repoRoot },
    banner: { js: BANNER },
    plugins: [embedZstdWasm],
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
