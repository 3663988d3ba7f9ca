CREATE TYPE "public"."backup_result" AS ENUM('Completed', 'Failed', 'Cancelled');--> statement-breakpoint
CREATE TYPE "public"."protection_status" AS ENUM('Pending', 'Protected', 'Stopped');--> statement-breakpoint
ALTER TYPE "public"."operation_kind" ADD VALUE 'Protect';--> statement-breakpoint
ALTER TYPE "public"."operation_kind" ADD VALUE 'Backup';--> statement-breakpoint
ALTER TYPE "public"."operation_kind" ADD VALUE 'Restore';--> statement-breakpoint
ALTER TYPE "public"."operation_kind" ADD VALUE 'StopProtection';--> statement-breakpoint
ALTER TYPE "public"."operation_status" ADD VALUE 'Cancelled';--> statement-breakpoint
CREATE TABLE "backup_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"vault_id" uuid NOT NULL,
	"server_id" uuid NOT NULL,
	"wrapped_key" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "backup_objects" (
	"key_id" uuid NOT NULL,
	"id" text NOT NULL,
	"size" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "backup_objects_key_id_id_pk" PRIMARY KEY("key_id","id"),
	CONSTRAINT "backup_objects_id_hex" CHECK ("backup_objects"."id" ~ '^[0-9a-f]{64}$'),
	CONSTRAINT "backup_objects_size" CHECK ("backup_objects"."size" > 0)
);
--> statement-breakpoint
CREATE TABLE "backup_sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"item_id" uuid NOT NULL,
	"key_id" uuid NOT NULL,
	"operation_id" uuid NOT NULL,
	"token_hash" text NOT NULL,
	"running" boolean DEFAULT true NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "protected_items" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"vault_id" uuid NOT NULL,
	"server_id" uuid NOT NULL,
	"path" text NOT NULL,
	"status" "protection_status" DEFAULT 'Pending' NOT NULL,
	"last_backup_status" "backup_result",
	"last_backup_at" timestamp with time zone,
	"backup_requested_at" timestamp with time zone,
	"backup_requested_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "recovery_point_objects" (
	"point_id" uuid NOT NULL,
	"key_id" uuid NOT NULL,
	"object_id" text NOT NULL,
	CONSTRAINT "recovery_point_objects_point_id_object_id_pk" PRIMARY KEY("point_id","object_id")
);
--> statement-breakpoint
CREATE TABLE "recovery_points" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"vault_id" uuid NOT NULL,
	"item_id" uuid NOT NULL,
	"key_id" uuid NOT NULL,
	"root_id" text NOT NULL,
	"taken_at" timestamp with time zone NOT NULL,
	"files" integer NOT NULL,
	"folders" integer NOT NULL,
	"bytes" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "operations" ADD COLUMN "item_id" uuid;--> statement-breakpoint
ALTER TABLE "operations" ADD COLUMN "item_name" text;--> statement-breakpoint
ALTER TABLE "operations" ADD COLUMN "server_id" uuid;--> statement-breakpoint
ALTER TABLE "operations" ADD COLUMN "server_name" text;--> statement-breakpoint
ALTER TABLE "operations" ADD COLUMN "bytes_done" bigint;--> statement-breakpoint
ALTER TABLE "operations" ADD COLUMN "bytes_total" bigint;--> statement-breakpoint
ALTER TABLE "operations" ADD COLUMN "files_done" integer;--> statement-breakpoint
ALTER TABLE "operations" ADD COLUMN "files_total" integer;--> statement-breakpoint
ALTER TABLE "operations" ADD COLUMN "bytes_per_second" bigint;--> statement-breakpoint
ALTER TABLE "operations" ADD COLUMN "seconds_left" integer;--> statement-breakpoint
ALTER TABLE "operations" ADD COLUMN "data_transferred" bigint;--> statement-breakpoint
ALTER TABLE "backup_keys" ADD CONSTRAINT "backup_keys_vault_id_vaults_id_fk" FOREIGN KEY ("vault_id") REFERENCES "public"."vaults"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "backup_keys" ADD CONSTRAINT "backup_keys_server_id_registered_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."registered_servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "backup_objects" ADD CONSTRAINT "backup_objects_key_id_backup_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."backup_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "backup_sessions" ADD CONSTRAINT "backup_sessions_item_id_protected_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."protected_items"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "backup_sessions" ADD CONSTRAINT "backup_sessions_key_id_backup_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."backup_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "protected_items" ADD CONSTRAINT "protected_items_vault_id_vaults_id_fk" FOREIGN KEY ("vault_id") REFERENCES "public"."vaults"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "protected_items" ADD CONSTRAINT "protected_items_server_id_registered_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."registered_servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "protected_items" ADD CONSTRAINT "protected_items_backup_requested_by_users_id_fk" FOREIGN KEY ("backup_requested_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "recovery_point_objects" ADD CONSTRAINT "recovery_point_objects_point_id_recovery_points_id_fk" FOREIGN KEY ("point_id") REFERENCES "public"."recovery_points"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "recovery_point_objects" ADD CONSTRAINT "recovery_point_objects_key_id_object_id_backup_objects_key_id_id_fk" FOREIGN KEY ("key_id","object_id") REFERENCES "public"."backup_objects"("key_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "recovery_points" ADD CONSTRAINT "recovery_points_vault_id_vaults_id_fk" FOREIGN KEY ("vault_id") REFERENCES "public"."vaults"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "recovery_points" ADD CONSTRAINT "recovery_points_item_id_protected_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."protected_items"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "recovery_points" ADD CONSTRAINT "recovery_points_key_id_backup_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."backup_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "recovery_points" ADD CONSTRAINT "recovery_points_key_id_root_id_backup_objects_key_id_id_fk" FOREIGN KEY ("key_id","root_id") REFERENCES "public"."backup_objects"("key_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "backup_keys_server_idx" ON "backup_keys" USING btree ("server_id");--> statement-breakpoint
CREATE INDEX "backup_keys_vault_idx" ON "backup_keys" USING btree ("vault_id");--> statement-breakpoint
CREATE UNIQUE INDEX "backup_sessions_one_running_key" ON "backup_sessions" USING btree ("item_id") WHERE "backup_sessions"."running";--> statement-breakpoint
CREATE INDEX "backup_sessions_running_idx" ON "backup_sessions" USING btree ("heartbeat_at") WHERE "backup_sessions"."running";--> statement-breakpoint
CREATE INDEX "backup_sessions_key_idx" ON "backup_sessions" USING btree ("key_id") WHERE "backup_sessions"."running";--> statement-breakpoint
CREATE UNIQUE INDEX "protected_items_server_path_key" ON "protected_items" USING btree ("server_id","path");--> statement-breakpoint
CREATE INDEX "protected_items_vault_idx" ON "protected_items" USING btree ("vault_id","path");--> statement-breakpoint
CREATE INDEX "recovery_point_objects_object_idx" ON "recovery_point_objects" USING btree ("key_id","object_id");--> statement-breakpoint
CREATE INDEX "recovery_points_item_idx" ON "recovery_points" USING btree ("item_id","taken_at");--> statement-breakpoint
ALTER TABLE "registered_servers" DROP COLUMN "protected_items";--> statement-breakpoint
ALTER TABLE "registered_servers" DROP COLUMN "storage_used_bytes";