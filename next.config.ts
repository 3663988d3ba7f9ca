import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  poweredByHeader: false,
  // pg-boss and pg load optional native modules at run time; bundling them breaks that.
  serverExternalPackages: ['pg', 'pg-boss', 'node-forge'],
};

export default nextConfig;
