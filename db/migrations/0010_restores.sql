CREATE TABLE "restores" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"point_id" uuid NOT NULL,
	"server_id" uuid NOT NULL,
	"operation_id" uuid NOT NULL,
	"key_id" uuid,
	"request" text,
	"request_id" text,
	"requested_by" uuid,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"token_hash" text,
	"running" boolean DEFAULT false NOT NULL,
	"started_at" timestamp with time zone,
	"heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone,
	CONSTRAINT "restores_request_whole" CHECK (("restores"."request" is null) = ("restores"."request_id" is null) and ("restores"."request" is null) = ("restores"."key_id" is null))
);
--> statement-breakpoint
ALTER TABLE "restores" ADD CONSTRAINT "restores_point_id_recovery_points_id_fk" FOREIGN KEY ("point_id") REFERENCES "public"."recovery_points"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "restores" ADD CONSTRAINT "restores_server_id_registered_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."registered_servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "restores" ADD CONSTRAINT "restores_key_id_backup_keys_id_fk" FOREIGN KEY ("key_id") REFERENCES "public"."backup_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "restores" ADD CONSTRAINT "restores_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "restores_pending_idx" ON "restores" USING btree ("server_id") WHERE "restores"."token_hash" is null and "restores"."ended_at" is null;--> statement-breakpoint
CREATE INDEX "restores_open_idx" ON "restores" USING btree ("heartbeat_at") WHERE "restores"."ended_at" is null;