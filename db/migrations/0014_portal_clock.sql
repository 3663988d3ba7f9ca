-- The portal's clock (lib/services/clock.ts): SQL asks portal_now() instead of now(), the transaction's time moved by
-- the one offset recorded in portal_clock (0 unless someone moves the clock), so JavaScript and SQL share one "now".
CREATE TABLE "portal_clock" (
  "id" boolean PRIMARY KEY DEFAULT true CHECK ("id"),
  "offset_ms" bigint NOT NULL DEFAULT 0
);
--> statement-breakpoint
-- The offset is a constant of the function, written again whenever the clock moves (lib/services/clock.ts), so that
-- PostgreSQL inlines it: a function that read portal_clock would be called once per row of a large statement.
CREATE FUNCTION portal_now() RETURNS timestamptz LANGUAGE sql STABLE AS $$
  SELECT now() + 0 * interval '1 millisecond'
$$;
