import type { NextConfig } from 'next';
import { BASE_SECURITY_HEADERS } from '@/server/http/headers';

const baseHeaders = Object.entries(BASE_SECURITY_HEADERS).map(([key, value]) => ({ key, value }));

const nextConfig: NextConfig = {
  poweredByHeader: false,
  // pg-boss and pg load optional native modules at run time; bundling them breaks that.
  serverExternalPackages: ['pg', 'pg-boss', 'node-forge'],
  // Pages and APIs get their headers (with the CSP's nonce) in proxy.ts; the files it does not see get them here.
  async headers() {
    return [
      { source: '/_next/static/:path*', headers: baseHeaders },
      {
        // The portal's icons never change under a name: a new icon gets a new name.
        source: '/(favicon.ico|icons/.*)',
        headers: [...baseHeaders, { key: 'Cache-Control', value: 'public, max-age=31536000, immutable' }],
      },
    ];
  },
};

export default nextConfig;
