CREATE TYPE "public"."alert_channel" AS ENUM('email', 'webhook');--> statement-breakpoint
CREATE TYPE "public"."alert_kind" AS ENUM('BackupFailure', 'RestoreFailure', 'BackupDataDeleted', 'NoRecentBackup', 'BackupWarnings', 'BackupDataDamaged');--> statement-breakpoint
CREATE TYPE "public"."alert_notify" AS ENUM('PerAlert', 'HourlyDigest');--> statement-breakpoint
CREATE TYPE "public"."alert_severity" AS ENUM('Critical', 'Warning');--> statement-breakpoint
CREATE TYPE "public"."alert_status" AS ENUM('Active', 'Resolved');--> statement-breakpoint
CREATE TYPE "public"."delivery_state" AS ENUM('pending', 'sent', 'failed');--> statement-breakpoint
CREATE TABLE "alert_deliveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"vault_id" uuid NOT NULL,
	"alert_id" uuid,
	"digest_hour" timestamp with time zone,
	"channel" "alert_channel" NOT NULL,
	"state" "delivery_state" DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT portal_now() NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT portal_now() NOT NULL,
	"sent_at" timestamp with time zone,
	CONSTRAINT "alert_deliveries_what" CHECK (("alert_deliveries"."alert_id" is null) <> ("alert_deliveries"."digest_hour" is null))
);
--> statement-breakpoint
CREATE TABLE "alerts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"vault_id" uuid NOT NULL,
	"item_id" uuid NOT NULL,
	"item_name" text NOT NULL,
	"server_id" uuid,
	"server_name" text NOT NULL,
	"kind" "alert_kind" NOT NULL,
	"severity" "alert_severity" NOT NULL,
	"status" "alert_status" DEFAULT 'Active' NOT NULL,
	"count" integer DEFAULT 1 NOT NULL,
	"detail" text DEFAULT '' NOT NULL,
	"job_id" uuid,
	"created_at" timestamp with time zone DEFAULT portal_now() NOT NULL,
	"latest_at" timestamp with time zone DEFAULT portal_now() NOT NULL,
	"resolved_at" timestamp with time zone,
	"resolved_by" uuid
);
--> statement-breakpoint
ALTER TABLE "operations" ADD COLUMN "files_skipped" integer;--> statement-breakpoint
ALTER TABLE "operations" ADD COLUMN "skipped_list_id" text;--> statement-breakpoint
ALTER TABLE "vaults" ADD COLUMN "alert_email_recipients" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "vaults" ADD COLUMN "alert_notify" "alert_notify" DEFAULT 'PerAlert' NOT NULL;--> statement-breakpoint
ALTER TABLE "vaults" ADD COLUMN "alert_severities" "alert_severity"[] DEFAULT '{Critical,Warning}' NOT NULL;--> statement-breakpoint
ALTER TABLE "vaults" ADD COLUMN "alert_webhook_url" text;--> statement-breakpoint
ALTER TABLE "vaults" ADD COLUMN "alert_webhook_secret" text;--> statement-breakpoint
ALTER TABLE "vaults" ADD COLUMN "alert_stale_hours" integer DEFAULT 48 NOT NULL;--> statement-breakpoint
ALTER TABLE "vaults" ADD COLUMN "alert_job_failures" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "vaults" ADD COLUMN "alert_settings_at" timestamp with time zone DEFAULT portal_now() NOT NULL;--> statement-breakpoint
ALTER TABLE "alert_deliveries" ADD CONSTRAINT "alert_deliveries_vault_id_vaults_id_fk" FOREIGN KEY ("vault_id") REFERENCES "public"."vaults"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alert_deliveries" ADD CONSTRAINT "alert_deliveries_alert_id_alerts_id_fk" FOREIGN KEY ("alert_id") REFERENCES "public"."alerts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_vault_id_vaults_id_fk" FOREIGN KEY ("vault_id") REFERENCES "public"."vaults"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_resolved_by_users_id_fk" FOREIGN KEY ("resolved_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "alert_deliveries_digest_key" ON "alert_deliveries" USING btree ("vault_id","digest_hour") WHERE "alert_deliveries"."digest_hour" is not null;--> statement-breakpoint
CREATE INDEX "alert_deliveries_due_idx" ON "alert_deliveries" USING btree ("next_attempt_at") WHERE "alert_deliveries"."state" = 'pending';--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_active_key" ON "alerts" USING btree ("item_id","kind") WHERE "alerts"."status" = 'Active';--> statement-breakpoint
CREATE INDEX "alerts_vault_idx" ON "alerts" USING btree ("vault_id","status","latest_at","id");--> statement-breakpoint
CREATE INDEX "alerts_created_idx" ON "alerts" USING btree ("created_at");--> statement-breakpoint
ALTER TABLE "vaults" ADD CONSTRAINT "vaults_alert_stale_hours" CHECK ("vaults"."alert_stale_hours" between 1 and 720);--> statement-breakpoint
-- Raises an alert (lib/alerts): a new Active alert for the item and kind, or a repeat of the Active one (its count and
-- latest occurrence). The partial unique index alerts_active_key keeps one Active alert per item and kind whatever
-- runs at once. A new alert queues its notifications: an email when the vault notifies per alert, a webhook call
-- when it has a webhook, each only for the severities the vault chose. Answers the alert's id.
CREATE FUNCTION raise_alert(p_vault uuid, p_item uuid, p_item_name text, p_server uuid, p_server_name text,
  p_kind alert_kind, p_detail text, p_job uuid) RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE
  v_severity alert_severity := CASE WHEN p_kind = 'BackupWarnings' THEN 'Warning' ELSE 'Critical' END;
  v_id uuid;
  v_new boolean;
BEGIN
  INSERT INTO alerts (vault_id, item_id, item_name, server_id, server_name, kind, severity, detail, job_id)
    VALUES (p_vault, p_item, p_item_name, p_server, p_server_name, p_kind, v_severity, coalesce(p_detail, ''), p_job)
    ON CONFLICT (item_id, kind) WHERE status = 'Active' DO UPDATE
      SET count = alerts.count + 1, latest_at = portal_now(), detail = excluded.detail,
          job_id = coalesce(excluded.job_id, alerts.job_id)
    RETURNING id, (xmax = 0) INTO v_id, v_new;
  IF v_new THEN
    INSERT INTO alert_deliveries (vault_id, alert_id, channel)
      SELECT v.id, v_id, 'email'::alert_channel FROM vaults v
        WHERE v.id = p_vault AND v.alert_email_recipients <> '' AND v.alert_notify = 'PerAlert'
          AND v_severity = ANY (v.alert_severities)
      UNION ALL
      SELECT v.id, v_id, 'webhook'::alert_channel FROM vaults v
        WHERE v.id = p_vault AND v.alert_webhook_url IS NOT NULL AND v_severity = ANY (v.alert_severities);
  END IF;
  RETURN v_id;
END $$;
--> statement-breakpoint
-- Backup and restore jobs raise and resolve alerts as they end, whichever path ends them (the agent's report, the
-- sweep of silent agents, a cancellation): a failed backup or restore raises one (unless the vault turned job failure
-- alerts off); a successful backup resolves the item's backup alerts, and raises a Warning when it skipped files it
-- could not read (files_skipped, set by the same update that ends the job); a successful restore resolves the
-- item's restore alert.
CREATE FUNCTION operations_alerts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.item_id IS NULL OR NEW.vault_id IS NULL OR NEW.kind NOT IN ('Backup', 'Restore') THEN RETURN NULL; END IF;
  IF TG_OP = 'UPDATE' AND OLD.status = NEW.status THEN RETURN NULL; END IF;
  IF NEW.status = 'Failed' THEN
    IF EXISTS (SELECT 1 FROM vaults WHERE id = NEW.vault_id AND alert_job_failures) THEN
      PERFORM raise_alert(NEW.vault_id, NEW.item_id, coalesce(NEW.item_name, ''), NEW.server_id,
        coalesce(NEW.server_name, ''),
        CASE WHEN NEW.kind = 'Backup' THEN 'BackupFailure' ELSE 'RestoreFailure' END::alert_kind, NEW.message, NEW.id);
    END IF;
  ELSIF NEW.status = 'Succeeded' AND NEW.kind = 'Backup' THEN
    UPDATE alerts SET status = 'Resolved', resolved_at = portal_now()
      WHERE item_id = NEW.item_id AND status = 'Active'
        AND (kind IN ('BackupFailure', 'NoRecentBackup')
          OR (kind = 'BackupWarnings' AND coalesce(NEW.files_skipped, 0) = 0));
    IF coalesce(NEW.files_skipped, 0) > 0 THEN
      PERFORM raise_alert(NEW.vault_id, NEW.item_id, coalesce(NEW.item_name, ''), NEW.server_id,
        coalesce(NEW.server_name, ''), 'BackupWarnings',
        NEW.files_skipped || CASE WHEN NEW.files_skipped = 1 THEN ' file' ELSE ' files' END
          || ' could not be read and ' || CASE WHEN NEW.files_skipped = 1 THEN 'was' ELSE 'were' END || ' skipped.',
        NEW.id);
    END IF;
  ELSIF NEW.status = 'Succeeded' AND NEW.kind = 'Restore' THEN
    UPDATE alerts SET status = 'Resolved', resolved_at = portal_now()
      WHERE item_id = NEW.item_id AND status = 'Active' AND kind = 'RestoreFailure';
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER operations_alerts AFTER INSERT OR UPDATE OF status ON operations FOR EACH ROW
  EXECUTE FUNCTION operations_alerts();
