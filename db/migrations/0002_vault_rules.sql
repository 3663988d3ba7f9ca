-- Rules the database enforces for vaults, whatever request arrives (see lib/vaults).

-- At most 25 vaults per subscription: counting through the subscription row serialises racing creates on its row lock,
-- and the check constraint subscriptions_vault_limit refuses the 26th.
CREATE FUNCTION vaults_count_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE subscriptions SET vault_count = vault_count + 1 WHERE id = NEW.subscription_id;
    RETURN NEW;
  END IF;
  UPDATE subscriptions SET vault_count = vault_count - 1 WHERE id = OLD.subscription_id;
  RETURN OLD;
END $$;
--> statement-breakpoint
CREATE TRIGGER vaults_count_insert AFTER INSERT ON vaults FOR EACH ROW EXECUTE FUNCTION vaults_count_change();
--> statement-breakpoint
CREATE TRIGGER vaults_count_delete AFTER DELETE ON vaults FOR EACH ROW EXECUTE FUNCTION vaults_count_change();
--> statement-breakpoint
-- A vault belongs to one subscription for ever.
CREATE FUNCTION vaults_keep_subscription() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.subscription_id IS DISTINCT FROM OLD.subscription_id THEN
    RAISE EXCEPTION 'a vault cannot move to another subscription' USING ERRCODE = 'check_violation',
      CONSTRAINT = 'vaults_subscription_fixed';
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER vaults_keep_subscription BEFORE UPDATE OF subscription_id ON vaults FOR EACH ROW
  EXECUTE FUNCTION vaults_keep_subscription();
