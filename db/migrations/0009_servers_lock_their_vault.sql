-- A server row appears only in an Active vault, and its appearance locks the vault's storage replication, whatever
-- code inserts it. The update takes the vault's row lock, so a registration and a vault deletion are ordered: a
-- deletion that locked the vault first and marked it Deleting makes this insert fail; one that comes second waits
-- for the registration to commit and then sees its server.
CREATE FUNCTION registered_servers_lock_vault() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE vaults SET replication_locked = true, updated_at = now() WHERE id = NEW.vault_id AND status = 'Active';
  IF NOT FOUND THEN
    RAISE EXCEPTION 'a server can register only to an active backup vault' USING ERRCODE = 'check_violation',
      CONSTRAINT = 'registered_servers_vault_active';
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER registered_servers_lock_vault BEFORE INSERT ON registered_servers FOR EACH ROW
  EXECUTE FUNCTION registered_servers_lock_vault();
