// Bundles the portal's HTTP server (scripts/serve.ts and the lib/ modules it imports) into dist/server/serve.mjs, so
// `npm start` runs it with plain node: under tsx every request paid for tsx's module hooks and for source-mapped
// stack traces of Next's server chunks. Packages (next, zod) stay imports. Part of `npm run build`.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

await build({
  absWorkingDir: repoRoot,
  entryPoints: [path.join(repoRoot, 'scripts/serve.ts')],
  outfile: path.join(repoRoot, 'dist/server/serve.mjs'),
  bundle: true,
  packages: 'external',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  alias: { '@': repoRoot },
  // serve.ts finds the app one folder up from its own (scripts/): keep that meaning from dist/server/.
  banner: {
    js: "import { fileURLToPath as __serveFileURLToPath } from 'node:url';\nconst __serveScriptsDir = __serveFileURLToPath(new URL('../../scripts/', import.meta.url));",
  },
  define: { 'import.meta.dirname': '__serveScriptsDir' },
  logLevel: 'warning',
});
