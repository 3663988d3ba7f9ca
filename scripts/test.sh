#!/usr/bin/env bash
# npm test: lint, type check, unit and database tests, the production build, and the e2e suite against that build on a
# fresh database (a new one on DATABASE_URL's server when it is set, a new embedded PGlite otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1

step() { printf '\n== %s ==\n' "$1"; }

step "lint (Biome)"
npx biome check .
step "the import picture (docs/architecture.md)"
npx tsx scripts/imports.ts --check
step "type check"
npx tsc --noEmit
step "unit and database tests (Vitest)${DATABASE_URL:+ on $DATABASE_URL}"
npx vitest run
step "production build (agent bundle and Next.js)"
npm run build
step "end-to-end (Playwright)"
if [ -n "${DATABASE_URL:-}" ]; then
  E2E_DATABASE_URL="$(npx tsx scripts/fresh-db.ts "$DATABASE_URL" portal_e2e)"
  trap 'npx tsx scripts/fresh-db.ts --drop "$E2E_DATABASE_URL" || true' EXIT
  DATABASE_URL="$E2E_DATABASE_URL" npx playwright test
else
  npx playwright test
fi
step "the example suite against the emulator (examples/playwright, two workers in parallel)"
npx playwright test -c examples/playwright
