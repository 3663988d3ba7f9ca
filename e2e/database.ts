import pg from 'pg';
import { hashPassword } from '../lib/auth/password';

export type Role = 'Owner' | 'Contributor' | 'Reader';
export type Person = { email: string; password: string };

/** The e2e database, when the run is on PostgreSQL (DATABASE_URL); the embedded PGlite run has none to reach. */
export async function withDatabase<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  if (!process.env.DATABASE_URL) throw new Error('The e2e run has no DATABASE_URL to reach its database.');
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** What the database holds, minus what reading it changes (tab visits, token use, nonces, sign-in throttling). */
export async function databaseDigest(): Promise<string | undefined> {
  if (!process.env.DATABASE_URL) return undefined;
  return withDatabase(async (client) => {
    const { rows: tables } = await client.query<{ name: string }>(
      `select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'
       and table_name not in ('auth_throttle', 'agent_nonces', 'vault_tab_visits', 'personal_access_tokens', '__drizzle_migrations')
       order by 1`,
    );
    const parts: string[] = [];
    for (const { name } of tables) {
      const { rows } = await client.query(
        `select count(*)::text as n, coalesce(md5(string_agg(t::text, ',' order by t::text)), '') as h from "${name}" t`,
      );
      parts.push(`${name}:${rows[0].n}:${rows[0].h}`);
    }
    const tokens =
      await client.query(`select string_agg(id::text || coalesce(revoked_at::text, ''), ',' order by id) as t
      from personal_access_tokens`);
    parts.push(`tokens:${tokens.rows[0].t}`);
    return parts.join('\n');
  });
}

let people = 0;

/**
 * A person with a role in a subscription, written straight into the database (a user and a membership, the password
 * hashed as sign-in checks it). Invitations will do this as a user would; until every run can, the roles' tests use
 * this one helper, so switching is one change here.
 */
export async function addMember(subscriptionId: string, role: Role): Promise<Person> {
  people += 1;
  const person = {
    email: `${role.toLowerCase()}-${people}-${Date.now()}@example.com`,
    password: `a ${role} password ${people}`,
  };
  const hash = await hashPassword(person.password);
  await withDatabase(async (client) => {
    const { rows } = await client.query<{ id: string }>(
      'insert into users (email, password_hash) values ($1, $2) returning id',
      [person.email, hash],
    );
    await client.query('insert into memberships (user_id, subscription_id, role) values ($1, $2, $3)', [
      rows[0]!.id,
      subscriptionId,
      role,
    ]);
  });
  return person;
}

/** A person of another subscription (its Owner), who must find nothing of the admin's. */
export async function addStranger(): Promise<Person & { subscriptionId: string }> {
  const { rows } = await withDatabase((client) =>
    client.query<{ id: string }>(`insert into subscriptions (display_name) values ('Elsewhere') returning id`),
  );
  return { ...(await addMember(rows[0]!.id, 'Owner')), subscriptionId: rows[0]!.id };
}

/** The subscription a user is a member of (the admin has exactly one). */
export async function subscriptionOf(email: string): Promise<string> {
  const { rows } = await withDatabase((client) =>
    client.query<{ id: string }>(
      'select m.subscription_id as id from memberships m join users u on u.id = m.user_id where lower(u.email) = lower($1)',
      [email],
    ),
  );
  return rows[0]!.id;
}
