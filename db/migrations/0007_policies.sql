CREATE TYPE "public"."policy_frequency" AS ENUM('Daily', 'Weekly');--> statement-breakpoint
CREATE TABLE "backup_policies" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"vault_id" uuid NOT NULL,
	"name" text NOT NULL,
	"frequency" "policy_frequency" NOT NULL,
	"run_days" integer[] DEFAULT '{}' NOT NULL,
	"run_times" integer[] NOT NULL,
	"daily_days" integer,
	"weekly_weeks" integer,
	"monthly_months" integer,
	"yearly_years" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "backup_policies_name" CHECK (char_length("backup_policies"."name") between 3 and 150 and "backup_policies"."name" ~ '^[A-Za-z][-A-Za-z0-9]*[A-Za-z0-9]$'),
	CONSTRAINT "backup_policies_times" CHECK (cardinality("backup_policies"."run_times") between 1 and 3 and "backup_policies"."run_times" <@ array[0,30,60,90,120,150,180,210,240,270,300,330,360,390,420,450,480,510,540,570,600,630,660,690,720,750,780,810,840,870,900,930,960,990,1020,1050,1080,1110,1140,1170,1200,1230,1260,1290,1320,1350,1380,1410]),
	CONSTRAINT "backup_policies_days" CHECK ("backup_policies"."run_days" <@ array[0,1,2,3,4,5,6] and ("backup_policies"."frequency" = 'Daily') = (cardinality("backup_policies"."run_days") = 0)),
	CONSTRAINT "backup_policies_retention" CHECK (("backup_policies"."daily_days" is null or "backup_policies"."daily_days" between 1 and 366)
        and ("backup_policies"."weekly_weeks" is null or "backup_policies"."weekly_weeks" between 1 and 260)
        and ("backup_policies"."monthly_months" is null or "backup_policies"."monthly_months" between 1 and 120)
        and ("backup_policies"."yearly_years" is null or "backup_policies"."yearly_years" between 1 and 99)
        and ("backup_policies"."frequency" = 'Weekly' or "backup_policies"."daily_days" is not null)
        and ("backup_policies"."frequency" = 'Daily' or ("backup_policies"."daily_days" is null and "backup_policies"."weekly_weeks" is not null)))
);
--> statement-breakpoint
-- Every vault has DefaultPolicy: daily at 22:00 UTC, daily points kept 30 days. Vaults made before policies get theirs
-- here, and their items follow it.
INSERT INTO "backup_policies" ("vault_id", "name", "frequency", "run_times", "daily_days")
  SELECT "id", 'DefaultPolicy', 'Daily', ARRAY[1320], 30 FROM "vaults";--> statement-breakpoint
ALTER TABLE "protected_items" ADD COLUMN "policy_id" uuid;--> statement-breakpoint
UPDATE "protected_items" i SET "policy_id" = p."id" FROM "backup_policies" p
  WHERE p."vault_id" = i."vault_id" AND p."name" = 'DefaultPolicy';--> statement-breakpoint
ALTER TABLE "protected_items" ALTER COLUMN "policy_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "protected_items" ADD COLUMN "policy_assigned_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "backup_policies" ADD CONSTRAINT "backup_policies_vault_id_vaults_id_fk" FOREIGN KEY ("vault_id") REFERENCES "public"."vaults"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "backup_policies_vault_name_key" ON "backup_policies" USING btree ("vault_id",lower("name"));--> statement-breakpoint
ALTER TABLE "protected_items" ADD CONSTRAINT "protected_items_policy_id_backup_policies_id_fk" FOREIGN KEY ("policy_id") REFERENCES "public"."backup_policies"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "backup_sessions_item_idx" ON "backup_sessions" USING btree ("item_id","started_at");--> statement-breakpoint
CREATE INDEX "protected_items_policy_idx" ON "protected_items" USING btree ("policy_id");;--> statement-breakpoint
-- A new vault starts with DefaultPolicy, whoever creates it.
CREATE FUNCTION vaults_default_policy() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO backup_policies (vault_id, name, frequency, run_times, daily_days)
    VALUES (NEW.id, 'DefaultPolicy', 'Daily', ARRAY[1320], 30);
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER vaults_default_policy AFTER INSERT ON vaults FOR EACH ROW EXECUTE FUNCTION vaults_default_policy();
--> statement-breakpoint
-- A newly protected item follows its vault's DefaultPolicy unless the insert names a policy.
CREATE FUNCTION protected_items_default_policy() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.policy_id IS NULL THEN
    SELECT id INTO NEW.policy_id FROM backup_policies WHERE vault_id = NEW.vault_id AND name = 'DefaultPolicy';
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER protected_items_default_policy BEFORE INSERT ON protected_items FOR EACH ROW
  EXECUTE FUNCTION protected_items_default_policy();
--> statement-breakpoint
-- An item follows a policy of its own vault.
CREATE FUNCTION protected_items_policy_vault() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM backup_policies WHERE id = NEW.policy_id AND vault_id = NEW.vault_id) THEN
    RAISE EXCEPTION 'a protected item follows a policy of its own vault' USING ERRCODE = 'check_violation',
      CONSTRAINT = 'protected_items_policy_vault';
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER protected_items_policy_vault BEFORE INSERT OR UPDATE OF policy_id ON protected_items FOR EACH ROW
  EXECUTE FUNCTION protected_items_policy_vault();
