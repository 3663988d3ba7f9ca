import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { alias: { '@': path.resolve(import.meta.dirname) } },
  test: {
    include: ['{lib,db,components,app,agent,wire,server,testing,scripts}/**/*.test.{ts,tsx}'],
    environment: 'node',
    // Server modules import "server-only", which refuses to load outside React Server Components; tests are servers.
    alias: { 'server-only': path.resolve(import.meta.dirname, 'testing/empty.ts') },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
  oxc: { jsx: { runtime: 'automatic' } },
});
