import { z } from 'zod';

export const ROLES = ['Owner', 'Contributor', 'Reader'] as const;

/** How long an invitation link works. */
export const INVITATION_DAYS = 7;

/** The shortest password, as for the admin's (PORTAL_ADMIN_PASSWORD). */
export const MIN_PASSWORD_LENGTH = 12;

export const messages = {
  email: 'Type an email address, such as name@example.com.',
  role: 'Choose a role: Owner, Contributor or Reader.',
  subscription: 'Choose a subscription.',
  subscriptionNotFound: 'The subscription was not found.',
  notOwner: 'Only Owners of this subscription can manage its people.',
  alreadyMember: (email: string) => `${email} is already a member of this subscription.`,
  memberNotFound: 'The member was not found in this subscription.',
  invitationNotFound: 'The invitation was not found, or it is no longer pending.',
  lastOwner: 'A subscription needs at least one Owner: make another member an Owner first.',
  password: `The password must be at least ${MIN_PASSWORD_LENGTH} characters.`,
  passwordTooLong: 'The password must be at most 1024 characters.',
  confirm: 'The passwords do not match.',
  link: {
    unknown: 'This invitation link is not valid. Ask an Owner of the subscription for a new one.',
    expired: 'This invitation has expired. Ask an Owner of the subscription for a new one.',
    used: 'This invitation has already been used. Sign in instead, or ask an Owner for a new invitation.',
    revoked: 'This invitation was revoked. Ask an Owner of the subscription for a new one.',
  },
  accountExists: (email: string) =>
    `An account for ${email} already exists: sign in as ${email}, then open this link again to accept.`,
  otherAccount: (invited: string, signedIn: string) =>
    `This invitation is for ${invited}, but you are signed in as ${signedIn}. Sign out, then open this link again.`,
  alreadyJoined: (email: string, subscription: string) => `${email} is already a member of ${subscription}.`,
} as const;

/** 256 random bits, base64url. */
export const invitationTokenSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/);

export const emailSchema = z
  .string({ error: messages.email })
  .trim()
  .toLowerCase()
  .max(320, messages.email)
  .pipe(z.email({ error: messages.email }));

export const roleSchema = z.enum(ROLES, { error: messages.role });

export const inviteSchema = z.object({
  subscriptionId: z.uuid({ error: messages.subscription }),
  email: emailSchema,
  role: roleSchema,
});

export const memberSchema = z.object({
  subscriptionId: z.uuid({ error: messages.subscriptionNotFound }),
  userId: z.uuid({ error: messages.memberNotFound }),
});

export const changeRoleSchema = memberSchema.extend({ role: roleSchema });

export const invitationSchema = z.object({
  subscriptionId: z.uuid({ error: messages.subscriptionNotFound }),
  invitationId: z.uuid({ error: messages.invitationNotFound }),
});

export const newPasswordSchema = z
  .object({
    password: z
      .string({ error: messages.password })
      .min(MIN_PASSWORD_LENGTH, messages.password)
      .max(1024, messages.passwordTooLong),
    confirmPassword: z.string({ error: messages.confirm }),
  })
  .refine((v) => v.password === v.confirmPassword, { path: ['confirmPassword'], error: messages.confirm });

/** The first message per field of a failed parse, as forms show them. */
export function fieldErrorsOf(error: z.ZodError): Record<string, string> {
  const fieldErrors: Record<string, string> = {};
  for (const issue of error.issues) fieldErrors[String(issue.path[0] ?? 'form')] ??= issue.message;
  return fieldErrors;
}
