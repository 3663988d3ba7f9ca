/** Headers every answer carries, static files included (next.config.ts), besides the page's policy below. */
export const BASE_SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'strict-origin-when-cross-origin',
  // For browsers that predate frame-ancestors.
  'X-Frame-Options': 'DENY',
} as const;

/** A year, the usual HSTS lifetime; set only when the portal is reached over https. */
const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * The Content-Security-Policy of a response, with a nonce for Next.js's own inline scripts ('strict-dynamic' lets the
 * scripts they load run). 'wasm-unsafe-eval' lets the recovery-point browser compile its WebAssembly (argon2id,
 * zstd); styles may be inline because React renders style attributes (progress bars) on the server. Nothing may
 * frame the portal.
 */
export function securityHeaders(options: { https: boolean; dev: boolean }): {
  headers: Record<string, string> & { 'Content-Security-Policy': string };
} {
  const nonce = Buffer.from(crypto.randomUUID()).toString('base64');
  const policy = [
    "default-src 'self'",
    // The development server evaluates code to show its overlay and reload modules; production never does.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic' 'wasm-unsafe-eval'${options.dev ? " 'unsafe-eval'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    headers: {
      ...BASE_SECURITY_HEADERS,
      'Content-Security-Policy': policy,
      ...(options.https ? { 'Strict-Transport-Security': HSTS } : {}),
    },
  };
}
