CREATE TABLE "invitations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"subscription_id" uuid NOT NULL,
	"email" text NOT NULL,
	"role" "role" NOT NULL,
	"token_hash" text NOT NULL,
	"invited_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"accepted_at" timestamp with time zone,
	"accepted_by" uuid,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "operation_log_heads" (
	"chain" text PRIMARY KEY NOT NULL,
	"seq" bigint NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "operation_logs" (
	"chain" text DEFAULT '' NOT NULL,
	"seq" bigint DEFAULT 0 NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
	"actor_id" uuid,
	"actor" text NOT NULL,
	"subscription_id" uuid,
	"vault_id" uuid,
	"vault_name" text,
	"category" text NOT NULL,
	"operation" text NOT NULL,
	"target" text,
	"status" text NOT NULL,
	"detail" text,
	"before" jsonb,
	"after" jsonb,
	"prev_hash" text DEFAULT '' NOT NULL,
	"hash" text DEFAULT '' NOT NULL,
	CONSTRAINT "operation_logs_chain_seq_pk" PRIMARY KEY("chain","seq")
);
--> statement-breakpoint
CREATE TABLE "recovery_codes" (
	"user_id" uuid NOT NULL,
	"code_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"used_at" timestamp with time zone,
	CONSTRAINT "recovery_codes_user_id_code_hash_pk" PRIMARY KEY("user_id","code_hash")
);
--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "totp_secret" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "totp_pending_secret" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "totp_enabled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "totp_last_step" bigint;--> statement-breakpoint
ALTER TABLE "invitations" ADD CONSTRAINT "invitations_subscription_id_subscriptions_id_fk" FOREIGN KEY ("subscription_id") REFERENCES "public"."subscriptions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invitations" ADD CONSTRAINT "invitations_invited_by_users_id_fk" FOREIGN KEY ("invited_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invitations" ADD CONSTRAINT "invitations_accepted_by_users_id_fk" FOREIGN KEY ("accepted_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "recovery_codes" ADD CONSTRAINT "recovery_codes_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "invitations_token_hash_key" ON "invitations" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "invitations_subscription_idx" ON "invitations" USING btree ("subscription_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "operation_logs_id_key" ON "operation_logs" USING btree ("id");--> statement-breakpoint
CREATE INDEX "operation_logs_subscription_at_idx" ON "operation_logs" USING btree ("subscription_id","at","id");--> statement-breakpoint
CREATE INDEX "operation_logs_at_idx" ON "operation_logs" USING btree ("at","id");--> statement-breakpoint
-- The last Owner of a subscription stays: removing or demoting an Owner takes the subscription's row lock (so two
-- Owners demoting each other at once are ordered) and is refused when no other Owner would remain. Deleting the
-- subscription or the person themselves cascades through here and is allowed.
CREATE FUNCTION memberships_keep_an_owner() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.role = 'Owner' AND (TG_OP = 'DELETE' OR NEW.role <> 'Owner') THEN
    PERFORM 1 FROM subscriptions WHERE id = OLD.subscription_id FOR UPDATE;
    IF FOUND AND EXISTS (SELECT 1 FROM users WHERE id = OLD.user_id) AND NOT EXISTS (
      SELECT 1 FROM memberships
      WHERE subscription_id = OLD.subscription_id AND role = 'Owner' AND user_id <> OLD.user_id
    ) THEN
      RAISE EXCEPTION 'the last owner of a subscription cannot be removed or demoted' USING ERRCODE = 'check_violation',
        CONSTRAINT = 'memberships_last_owner';
    END IF;
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER memberships_keep_an_owner BEFORE UPDATE OR DELETE ON memberships FOR EACH ROW
  EXECUTE FUNCTION memberships_keep_an_owner();
--> statement-breakpoint
-- An entry's hash: SHA-256 (hex) of a JSON array of every field and the previous entry's hash. jsonb prints its keys
-- in one canonical order and the time goes in as microseconds since the epoch, so the text (and the hash) does not
-- depend on the session's settings. The page recomputes it with this same function.
CREATE FUNCTION operation_log_hash(e operation_logs) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(json_build_array(
    e.chain, e.seq, e.id, (extract(epoch FROM e.at) * 1000000)::bigint, e.actor_id, e.actor, e.subscription_id,
    e.vault_id, e.vault_name, e.category, e.operation, e.target, e.status, e.detail, e.before, e.after, e.prev_hash
  )::text, 'UTF8')), 'hex')
$$;
--> statement-breakpoint
-- Numbers and links an entry in its chain under the chain head's row lock: whatever code inserts it, however many
-- insert at once, a chain is one unbroken sequence.
CREATE FUNCTION operation_logs_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  head operation_log_heads%ROWTYPE;
BEGIN
  NEW.chain := coalesce(NEW.subscription_id::text, 'user:' || NEW.actor_id::text, 'portal');
  INSERT INTO operation_log_heads (chain, seq, hash) VALUES (NEW.chain, 0, repeat('0', 64))
    ON CONFLICT (chain) DO NOTHING;
  SELECT * INTO head FROM operation_log_heads WHERE chain = NEW.chain FOR UPDATE;
  NEW.seq := head.seq + 1;
  NEW.prev_hash := head.hash;
  NEW.at := clock_timestamp();
  NEW.hash := operation_log_hash(NEW);
  UPDATE operation_log_heads SET seq = NEW.seq, hash = NEW.hash WHERE chain = NEW.chain;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER operation_logs_chain BEFORE INSERT ON operation_logs FOR EACH ROW EXECUTE FUNCTION operation_logs_chain();
--> statement-breakpoint
-- Append-only: entries are never changed or removed, and a head moves only with a new entry (from the chain trigger).
CREATE FUNCTION operation_logs_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'operation_log_heads' AND TG_OP = 'UPDATE' AND pg_trigger_depth() > 1 THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'operation log entries cannot be changed or removed' USING ERRCODE = 'insufficient_privilege';
END $$;
--> statement-breakpoint
CREATE TRIGGER operation_logs_append_only BEFORE UPDATE OR DELETE ON operation_logs FOR EACH ROW
  EXECUTE FUNCTION operation_logs_append_only();
--> statement-breakpoint
CREATE TRIGGER operation_logs_no_truncate BEFORE TRUNCATE ON operation_logs FOR EACH STATEMENT
  EXECUTE FUNCTION operation_logs_append_only();
--> statement-breakpoint
CREATE TRIGGER operation_log_heads_append_only BEFORE UPDATE OR DELETE ON operation_log_heads FOR EACH ROW
  EXECUTE FUNCTION operation_logs_append_only();
--> statement-breakpoint
CREATE TRIGGER operation_log_heads_no_truncate BEFORE TRUNCATE ON operation_log_heads FOR EACH STATEMENT
  EXECUTE FUNCTION operation_logs_append_only();
--> statement-breakpoint
-- Every vault operation (create, delete, configure, registrations, protection, backups, restores) is logged when it
-- starts and when its status changes, in the same transaction, whatever code path makes it.
CREATE FUNCTION operations_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.status IS NOT DISTINCT FROM OLD.status THEN
    RETURN NEW;
  END IF;
  INSERT INTO operation_logs (actor_id, actor, subscription_id, vault_id, vault_name, category, operation, target, status, detail)
  VALUES (
    NEW.user_id,
    coalesce((SELECT email FROM users WHERE id = NEW.user_id), 'server ' || NEW.server_name, 'portal'),
    NEW.subscription_id, NEW.vault_id, NEW.vault_name,
    CASE NEW.kind
      WHEN 'CreateVault' THEN 'Vaults' WHEN 'DeleteVault' THEN 'Vaults' WHEN 'ConfigureVault' THEN 'Configuration'
      WHEN 'Register' THEN 'Registrations' WHEN 'Unregister' THEN 'Registrations'
      WHEN 'AllowReregistration' THEN 'Registrations' WHEN 'Restore' THEN 'Restores' ELSE 'Backups' END,
    CASE NEW.kind
      WHEN 'CreateVault' THEN 'Create backup vault' WHEN 'DeleteVault' THEN 'Delete backup vault'
      WHEN 'ConfigureVault' THEN 'Configure backup vault' WHEN 'Register' THEN 'Register server'
      WHEN 'Unregister' THEN 'Unregister server' WHEN 'AllowReregistration' THEN 'Allow re-registration'
      WHEN 'Protect' THEN 'Protect item' WHEN 'Backup' THEN 'Back up' WHEN 'Restore' THEN 'Restore'
      WHEN 'StopProtection' THEN 'Stop protection' ELSE NEW.kind::text END,
    coalesce(NEW.item_name, NEW.server_name),
    CASE NEW.status WHEN 'InProgress' THEN 'Started' ELSE NEW.status::text END,
    NEW.message
  );
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER operations_log AFTER INSERT OR UPDATE OF status ON operations FOR EACH ROW EXECUTE FUNCTION operations_log();
