ALTER TYPE "public"."operation_kind" ADD VALUE 'ConfigureVault';--> statement-breakpoint
ALTER TYPE "public"."operation_kind" ADD VALUE 'Register';--> statement-breakpoint
ALTER TYPE "public"."operation_kind" ADD VALUE 'Unregister';--> statement-breakpoint
ALTER TYPE "public"."operation_kind" ADD VALUE 'AllowReregistration';--> statement-breakpoint
CREATE TABLE "agent_nonces" (
	"nonce" text PRIMARY KEY NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "vault_credentials" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"vault_id" uuid NOT NULL,
	"thumbprint" text NOT NULL,
	"subject" text NOT NULL,
	"certificate_pem" text NOT NULL,
	"not_before" timestamp with time zone NOT NULL,
	"not_after" timestamp with time zone NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"superseded_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "operations" ALTER COLUMN "user_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "registered_servers" ADD COLUMN "machine_public_key" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "registered_servers" ADD COLUMN "credential_id" uuid;--> statement-breakpoint
ALTER TABLE "registered_servers" ADD COLUMN "reregistration_allowed" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "registered_servers" ADD COLUMN "last_backup_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "registered_servers" ADD COLUMN "protected_items" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "registered_servers" ADD COLUMN "storage_used_bytes" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "vaults" ADD COLUMN "replication_locked" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "vault_credentials" ADD CONSTRAINT "vault_credentials_vault_id_vaults_id_fk" FOREIGN KEY ("vault_id") REFERENCES "public"."vaults"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vault_credentials" ADD CONSTRAINT "vault_credentials_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "agent_nonces_expires_idx" ON "agent_nonces" USING btree ("expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "vault_credentials_thumbprint_key" ON "vault_credentials" USING btree ("thumbprint");--> statement-breakpoint
CREATE UNIQUE INDEX "vault_credentials_current_key" ON "vault_credentials" USING btree ("vault_id") WHERE "vault_credentials"."superseded_at" is null;--> statement-breakpoint
ALTER TABLE "registered_servers" ADD CONSTRAINT "registered_servers_credential_id_vault_credentials_id_fk" FOREIGN KEY ("credential_id") REFERENCES "public"."vault_credentials"("id") ON DELETE set null ON UPDATE no action;