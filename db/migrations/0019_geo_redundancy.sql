ALTER TYPE "public"."operation_kind" ADD VALUE 'VerifyStorage';--> statement-breakpoint
CREATE TABLE "backup_packs" (
	"key_id" uuid NOT NULL,
	"pack_id" uuid NOT NULL,
	"vault_id" uuid NOT NULL,
	"size" integer NOT NULL,
	"sha256" text NOT NULL,
	"stored_at" timestamp with time zone DEFAULT portal_now() NOT NULL,
	"replicate" boolean NOT NULL,
	"replicated_at" timestamp with time zone,
	"replication_due_at" timestamp with time zone DEFAULT portal_now() NOT NULL,
	"replication_attempts" integer DEFAULT 0 NOT NULL,
	"replication_error" text,
	CONSTRAINT "backup_packs_key_id_pack_id_pk" PRIMARY KEY("key_id","pack_id"),
	CONSTRAINT "backup_packs_sha256_hex" CHECK ("backup_packs"."sha256" ~ '^[0-9a-f]{64}$'),
	CONSTRAINT "backup_packs_size" CHECK ("backup_packs"."size" > 0)
);
--> statement-breakpoint
CREATE TABLE "pack_deletions" (
	"key_id" uuid NOT NULL,
	"pack_id" uuid NOT NULL,
	"due_at" timestamp with time zone DEFAULT portal_now() NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT portal_now() NOT NULL,
	CONSTRAINT "pack_deletions_key_id_pack_id_pk" PRIMARY KEY("key_id","pack_id")
);
--> statement-breakpoint
ALTER TABLE "recovery_points" ADD COLUMN "damaged_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "vaults" ADD COLUMN "storage_verify_due_at" timestamp with time zone DEFAULT portal_now() + interval '7 days' NOT NULL;--> statement-breakpoint
ALTER TABLE "backup_packs" ADD CONSTRAINT "backup_packs_key_id_backup_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."backup_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "backup_packs" ADD CONSTRAINT "backup_packs_vault_id_vaults_id_fk" FOREIGN KEY ("vault_id") REFERENCES "public"."vaults"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "backup_packs_replication_due" ON "backup_packs" USING btree ("replication_due_at") WHERE "backup_packs"."replicate" and "backup_packs"."replicated_at" is null;--> statement-breakpoint
CREATE INDEX "backup_packs_replication_lag" ON "backup_packs" USING btree ("vault_id","stored_at") WHERE "backup_packs"."replicate" and "backup_packs"."replicated_at" is null;--> statement-breakpoint
CREATE INDEX "pack_deletions_due" ON "pack_deletions" USING btree ("due_at");--> statement-breakpoint
-- A pack's row going (garbage collection's forgetPacks, a deleted key's cascade) queues the deletion of its copy in the
-- secondary store when it has one, or may have one (a copy was tried): in the deleting transaction, whoever deletes.
-- A copy in flight may still land, so the deletion is due no earlier than the copy's lease runs out (and the copier
-- queues one again when it finds the row gone: lib/replication/replicate.ts).
CREATE FUNCTION backup_packs_forget() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.replicate AND (OLD.replicated_at IS NOT NULL OR OLD.replication_attempts > 0) THEN
    INSERT INTO pack_deletions (key_id, pack_id, due_at)
      VALUES (OLD.key_id, OLD.pack_id, greatest(portal_now(), OLD.replication_due_at))
      ON CONFLICT (key_id, pack_id) DO NOTHING;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER backup_packs_forget AFTER DELETE ON backup_packs FOR EACH ROW EXECUTE FUNCTION backup_packs_forget();
