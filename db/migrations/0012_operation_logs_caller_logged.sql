-- Two fixes to 0011's operation logs.
--
-- A change that records an operation (a job and a notification) but is better described in the operation logs by its
-- own entry (a policy's before and after) sets operation_logs.caller_logs for the one insert, so the same change is
-- not logged twice. The setting is transaction-local and reset by the caller right after (lib/audit/log.ts).
CREATE OR REPLACE FUNCTION operations_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.status IS NOT DISTINCT FROM OLD.status THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'INSERT' AND coalesce(current_setting('operation_logs.caller_logs', true), '') = 'on' THEN
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
-- The same hash, declared STABLE (json_build_array is: it would print a timestamp by the session's DateStyle; the one
-- time here goes in as a number, so the text never depends on settings) and PARALLEL SAFE. As IMMUTABLE over STABLE
-- functions it could not be inlined, and the page's chain check paid a function call per entry (four times slower).
CREATE OR REPLACE FUNCTION operation_log_hash(e operation_logs) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT encode(sha256(convert_to(json_build_array(
    e.chain, e.seq, e.id, (extract(epoch FROM e.at) * 1000000)::bigint, e.actor_id, e.actor, e.subscription_id,
    e.vault_id, e.vault_name, e.category, e.operation, e.target, e.status, e.detail, e.before, e.after, e.prev_hash
  )::text, 'UTF8')), 'hex')
$$;
