ALTER TABLE "backup_objects" ADD COLUMN "pack_id" uuid;--> statement-breakpoint
ALTER TABLE "backup_objects" ADD COLUMN "pack_offset" integer;--> statement-breakpoint
CREATE INDEX "backup_objects_pack" ON "backup_objects" USING btree ("key_id","pack_id") WHERE "backup_objects"."pack_id" is not null;--> statement-breakpoint
ALTER TABLE "backup_objects" ADD CONSTRAINT "backup_objects_pack_place" CHECK (("backup_objects"."pack_id" is null and "backup_objects"."pack_offset" is null) or ("backup_objects"."pack_id" is not null and "backup_objects"."pack_offset" >= 0));