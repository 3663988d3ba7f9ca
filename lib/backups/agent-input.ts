import { z } from 'zod';
import { PortalError } from '@/lib/errors';
import { hashSecretBytes } from '@/lib/secrets';

/** What the agent's backup and restore sessions both accept and check. */
export const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const progressSchema = z.object({
  bytesDone: count,
  bytesTotal: count,
  filesDone: count,
  filesTotal: count,
  bytesPerSecond: count,
  secondsLeft: count.nullable(),
  dataTransferred: count,
});

export const failSchema = z.object({ message: z.string().trim().min(1).max(2000) });

/** The body as the schema wants it, or the refusal the agent prints, naming the field that is wrong. */
export function parseAgentBody<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PortalError('invalid', `The ${what} is not valid: ${issue?.path.join('.') || 'body'} ${issue?.message}.`);
  }
  return parsed.data;
}

/** Session tokens are kept only as this hash. */
export const hashToken = hashSecretBytes;
