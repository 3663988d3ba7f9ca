import 'server-only';
import type { NextAuthOptions } from 'next-auth';
import CredentialsProvider from 'next-auth/providers/credentials';
import { z } from 'zod';
import { resolveAuthSecret } from '@/lib/secrets';
import { processDatabase } from '@/lib/services';
import { getEnv } from '@/lib/services/settings';
import { sameOriginPath } from './redirects';
import { signInWithPassword } from './sign-in';

const credentialsSchema = z.object({
  email: z.string().trim().min(1).max(320),
  password: z.string().min(1).max(1024),
  // A TOTP code or a recovery code; the form sends an empty one until the server asks for it.
  code: z
    .string()
    .trim()
    .max(64)
    .optional()
    .transform((code) => code || undefined),
});

let cached: NextAuthOptions | undefined;

/** Built on first use, not at import: `next build` loads this module without the server's settings. */
export function getAuthOptions(): NextAuthOptions {
  if (!cached) {
    const secret = resolveAuthSecret(getEnv());
    cached = { ...baseOptions(secret), secret };
  }
  return cached;
}

const baseOptions = (authSecret: string): NextAuthOptions => ({
  session: { strategy: 'jwt', maxAge: 12 * 60 * 60 },
  pages: { signIn: '/signin', error: '/signin' },
  providers: [
    CredentialsProvider({
      name: 'Email',
      credentials: {
        email: { label: 'Email', type: 'email' },
        password: { label: 'Password', type: 'password' },
        code: { label: 'Code', type: 'text' },
      },
      async authorize(credentials, request) {
        const parsed = credentialsSchema.safeParse(credentials);
        if (!parsed.success) return null;
        // The client's address as server/http/edge.ts established it (the socket's, or a trusted proxy's word).
        const forwarded = (request?.headers as Record<string, string | undefined> | undefined)?.['x-forwarded-for'];
        return signInWithPassword(
          processDatabase().db,
          { ...parsed.data, address: forwarded?.split(',')[0]?.trim() },
          { authSecret },
        );
      },
    }),
  ],
  callbacks: {
    // Where next-auth sends the browser after signing in or out: a path of the portal only (next-auth's own check
    // is a string test), anything else goes home.
    redirect({ url, baseUrl }) {
      return `${baseUrl}${sameOriginPath(url, baseUrl)}`;
    },
    jwt({ token, user }) {
      if (user) token.sub = user.id;
      return token;
    },
    session({ session, token }) {
      if (session.user && token.sub) session.user.id = token.sub;
      return session;
    },
  },
});
