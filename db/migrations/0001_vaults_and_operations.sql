CREATE TYPE "public"."operation_kind" AS ENUM('CreateVault', 'DeleteVault');--> statement-breakpoint
CREATE TYPE "public"."operation_status" AS ENUM('InProgress', 'Succeeded', 'Failed');--> statement-breakpoint
CREATE TYPE "public"."storage_replication" AS ENUM('GeoRedundant', 'LocallyRedundant');--> statement-breakpoint
CREATE TYPE "public"."vault_status" AS ENUM('Creating', 'Active', 'Failed', 'Deleting');--> statement-breakpoint
CREATE TABLE "operations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"subscription_id" uuid NOT NULL,
	"vault_id" uuid,
	"vault_name" text NOT NULL,
	"kind" "operation_kind" NOT NULL,
	"status" "operation_status" DEFAULT 'InProgress' NOT NULL,
	"progress" integer DEFAULT 0 NOT NULL,
	"message" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone,
	"dismissed_at" timestamp with time zone,
	CONSTRAINT "operations_progress_range" CHECK ("operations"."progress" between 0 and 100)
);
--> statement-breakpoint
CREATE TABLE "registered_servers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"vault_id" uuid NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "vault_tab_visits" (
	"user_id" uuid NOT NULL,
	"vault_id" uuid NOT NULL,
	"tab" text NOT NULL,
	"visited_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "vault_tab_visits_user_id_vault_id_pk" PRIMARY KEY("user_id","vault_id")
);
--> statement-breakpoint
CREATE TABLE "vaults" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"subscription_id" uuid NOT NULL,
	"name" text NOT NULL,
	"region" text NOT NULL,
	"status" "vault_status" DEFAULT 'Creating' NOT NULL,
	"storage_replication" "storage_replication" DEFAULT 'GeoRedundant' NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "vault_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "operations" ADD CONSTRAINT "operations_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "operations" ADD CONSTRAINT "operations_subscription_id_subscriptions_id_fk" FOREIGN KEY ("subscription_id") REFERENCES "public"."subscriptions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "registered_servers" ADD CONSTRAINT "registered_servers_vault_id_vaults_id_fk" FOREIGN KEY ("vault_id") REFERENCES "public"."vaults"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vault_tab_visits" ADD CONSTRAINT "vault_tab_visits_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vault_tab_visits" ADD CONSTRAINT "vault_tab_visits_vault_id_vaults_id_fk" FOREIGN KEY ("vault_id") REFERENCES "public"."vaults"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vaults" ADD CONSTRAINT "vaults_subscription_id_subscriptions_id_fk" FOREIGN KEY ("subscription_id") REFERENCES "public"."subscriptions"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vaults" ADD CONSTRAINT "vaults_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "operations_user_open_idx" ON "operations" USING btree ("user_id","started_at") WHERE "operations"."dismissed_at" is null;--> statement-breakpoint
CREATE INDEX "operations_vault_idx" ON "operations" USING btree ("vault_id","started_at");--> statement-breakpoint
CREATE UNIQUE INDEX "registered_servers_vault_name_key" ON "registered_servers" USING btree ("vault_id",lower("name"));--> statement-breakpoint
CREATE UNIQUE INDEX "vaults_subscription_name_key" ON "vaults" USING btree ("subscription_id",lower("name"));--> statement-breakpoint
CREATE INDEX "vaults_list_idx" ON "vaults" USING btree ("subscription_id",lower("name"),"id");--> statement-breakpoint
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_vault_limit" CHECK ("subscriptions"."vault_count" between 0 and 25);