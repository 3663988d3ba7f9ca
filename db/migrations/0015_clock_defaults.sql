ALTER TABLE "auth_throttle" ALTER COLUMN "last_failure_at" SET DEFAULT portal_now();--> statement-breakpoint
ALTER TABLE "backup_keys" ALTER COLUMN "created_at" SET DEFAULT portal_now();--> statement-breakpoint
ALTER TABLE "backup_objects" ALTER COLUMN "created_at" SET DEFAULT portal_now();--> statement-breakpoint
ALTER TABLE "backup_policies" ALTER COLUMN "created_at" SET DEFAULT portal_now();--> statement-breakpoint
ALTER TABLE "backup_policies" ALTER COLUMN "updated_at" SET DEFAULT portal_now();--> statement-breakpoint
ALTER TABLE "backup_sessions" ALTER COLUMN "started_at" SET DEFAULT portal_now();--> statement-breakpoint
ALTER TABLE "backup_sessions" ALTER COLUMN "heartbeat_at" SET DEFAULT portal_now();--> statement-breakpoint
ALTER TABLE "invitations" ALTER COLUMN "created_at" SET DEFAULT portal_now();--> statement-breakpoint
ALTER TABLE "operation_logs" ALTER COLUMN "at" SET DEFAULT clock_timestamp() + (portal_now() - now());--> statement-breakpoint
ALTER TABLE "operations" ALTER COLUMN "started_at" SET DEFAULT portal_now();--> statement-breakpoint
ALTER TABLE "operations" ALTER COLUMN "updated_at" SET DEFAULT portal_now();--> statement-breakpoint
ALTER TABLE "personal_access_tokens" ALTER COLUMN "created_at" SET DEFAULT portal_now();--> statement-breakpoint
ALTER TABLE "protected_items" ALTER COLUMN "policy_assigned_at" SET DEFAULT portal_now();--> statement-breakpoint
ALTER TABLE "protected_items" ALTER COLUMN "created_at" SET DEFAULT portal_now();--> statement-breakpoint
ALTER TABLE "recovery_codes" ALTER COLUMN "created_at" SET DEFAULT portal_now();--> statement-breakpoint
ALTER TABLE "recovery_points" ALTER COLUMN "created_at" SET DEFAULT portal_now();--> statement-breakpoint
ALTER TABLE "registered_servers" ALTER COLUMN "created_at" SET DEFAULT portal_now();--> statement-breakpoint
ALTER TABLE "restores" ALTER COLUMN "requested_at" SET DEFAULT portal_now();--> statement-breakpoint
ALTER TABLE "restores" ALTER COLUMN "heartbeat_at" SET DEFAULT portal_now();--> statement-breakpoint
ALTER TABLE "subscriptions" ALTER COLUMN "created_at" SET DEFAULT portal_now();--> statement-breakpoint
ALTER TABLE "users" ALTER COLUMN "created_at" SET DEFAULT portal_now();--> statement-breakpoint
ALTER TABLE "vault_credentials" ALTER COLUMN "created_at" SET DEFAULT portal_now();--> statement-breakpoint
ALTER TABLE "vault_tab_visits" ALTER COLUMN "visited_at" SET DEFAULT portal_now();--> statement-breakpoint
ALTER TABLE "vaults" ALTER COLUMN "created_at" SET DEFAULT portal_now();--> statement-breakpoint
ALTER TABLE "vaults" ALTER COLUMN "updated_at" SET DEFAULT portal_now();--> statement-breakpoint
-- The triggers' times follow the portal's clock too (lib/services/clock.ts): 0009's vault lock stamps updated_at with
-- portal_now(), and 0011's chain stamps each entry with the moment it is written (clock_timestamp(), so entries of one
-- transaction stay ordered) moved by the same offset, as the column default above does.
CREATE OR REPLACE FUNCTION registered_servers_lock_vault() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE vaults SET replication_locked = true, updated_at = portal_now() WHERE id = NEW.vault_id AND status = 'Active';
  IF NOT FOUND THEN
    RAISE EXCEPTION 'a server can register only to an active backup vault' USING ERRCODE = 'check_violation',
      CONSTRAINT = 'registered_servers_vault_active';
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION operation_logs_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  head operation_log_heads%ROWTYPE;
BEGIN
  NEW.chain := coalesce(NEW.subscription_id::text, 'user:' || NEW.actor_id::text, 'portal');
  INSERT INTO operation_log_heads (chain, seq, hash) VALUES (NEW.chain, 0, repeat('0', 64))
    ON CONFLICT (chain) DO NOTHING;
  SELECT * INTO head FROM operation_log_heads WHERE chain = NEW.chain FOR UPDATE;
  NEW.seq := head.seq + 1;
  NEW.prev_hash := head.hash;
  NEW.at := clock_timestamp() + (portal_now() - now());
  NEW.hash := operation_log_hash(NEW);
  UPDATE operation_log_heads SET seq = NEW.seq, hash = NEW.hash WHERE chain = NEW.chain;
  RETURN NEW;
END $$;
