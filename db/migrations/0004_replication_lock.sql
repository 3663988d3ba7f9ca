-- A vault's storage replication cannot change once a server has registered to it, whatever request arrives; and the
-- lock itself never comes off while the vault exists.
CREATE FUNCTION vaults_replication_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.replication_locked AND NEW.storage_replication IS DISTINCT FROM OLD.storage_replication THEN
    RAISE EXCEPTION 'storage replication is locked' USING ERRCODE = 'check_violation',
      CONSTRAINT = 'vaults_replication_locked';
  END IF;
  IF OLD.replication_locked AND NOT NEW.replication_locked THEN
    RAISE EXCEPTION 'the storage replication lock cannot be removed' USING ERRCODE = 'check_violation',
      CONSTRAINT = 'vaults_replication_locked';
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER vaults_replication_lock BEFORE UPDATE OF storage_replication, replication_locked ON vaults FOR EACH ROW
  EXECUTE FUNCTION vaults_replication_lock();
