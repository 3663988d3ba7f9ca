CREATE TABLE "item_days" (
	"item_id" uuid NOT NULL,
	"day" date NOT NULL,
	"vault_id" uuid NOT NULL,
	"subscription_id" uuid NOT NULL,
	"backups_completed" integer DEFAULT 0 NOT NULL,
	"backups_failed" integer DEFAULT 0 NOT NULL,
	"backup_seconds" bigint DEFAULT 0 NOT NULL,
	"backup_seconds_max" integer DEFAULT 0 NOT NULL,
	"points" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "item_days_item_id_day_pk" PRIMARY KEY("item_id","day")
);
--> statement-breakpoint
CREATE TABLE "vault_days" (
	"vault_id" uuid NOT NULL,
	"day" date NOT NULL,
	"subscription_id" uuid NOT NULL,
	"backups_completed" integer DEFAULT 0 NOT NULL,
	"backups_failed" integer DEFAULT 0 NOT NULL,
	"restores_completed" integer DEFAULT 0 NOT NULL,
	"restores_failed" integer DEFAULT 0 NOT NULL,
	"jobs_cancelled" integer DEFAULT 0 NOT NULL,
	"bytes_added" bigint DEFAULT 0 NOT NULL,
	"bytes_removed" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "vault_days_vault_id_day_pk" PRIMARY KEY("vault_id","day")
);
--> statement-breakpoint
ALTER TABLE "protected_items" ADD COLUMN "last_point_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "protected_items" ADD COLUMN "last_point_bytes" bigint;--> statement-breakpoint
CREATE INDEX "item_days_subscription_idx" ON "item_days" USING btree ("subscription_id","day");--> statement-breakpoint
CREATE INDEX "item_days_vault_idx" ON "item_days" USING btree ("vault_id","day");--> statement-breakpoint
CREATE INDEX "vault_days_subscription_idx" ON "vault_days" USING btree ("subscription_id","day");--> statement-breakpoint
CREATE INDEX "operations_subscription_idx" ON "operations" USING btree ("subscription_id","started_at");--> statement-breakpoint
CREATE INDEX "operations_item_idx" ON "operations" USING btree ("item_id","started_at") WHERE "operations"."item_id" is not null;
--> statement-breakpoint
-- The Backup center's daily rollups (lib/center): kept as jobs end, points are taken and objects are stored or
-- removed, so its figures never scan the history. Days are UTC dates of the portal's clock.
-- A backup or restore job counts once, on the day it started, when it ends (an insert of an ended job counts too).
CREATE FUNCTION operations_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_day date;
  v_seconds integer;
BEGIN
  IF NEW.vault_id IS NULL OR NEW.kind NOT IN ('Backup', 'Restore') OR NEW.status = 'InProgress' THEN RETURN NULL; END IF;
  IF TG_OP = 'UPDATE' AND OLD.status <> 'InProgress' THEN RETURN NULL; END IF;
  v_day := (NEW.started_at AT TIME ZONE 'UTC')::date;
  INSERT INTO vault_days AS d (vault_id, day, subscription_id, backups_completed, backups_failed, restores_completed,
      restores_failed, jobs_cancelled)
    VALUES (NEW.vault_id, v_day, NEW.subscription_id,
      (NEW.kind = 'Backup' AND NEW.status = 'Succeeded')::int, (NEW.kind = 'Backup' AND NEW.status = 'Failed')::int,
      (NEW.kind = 'Restore' AND NEW.status = 'Succeeded')::int, (NEW.kind = 'Restore' AND NEW.status = 'Failed')::int,
      (NEW.status = 'Cancelled')::int)
    ON CONFLICT (vault_id, day) DO UPDATE SET
      backups_completed = d.backups_completed + excluded.backups_completed,
      backups_failed = d.backups_failed + excluded.backups_failed,
      restores_completed = d.restores_completed + excluded.restores_completed,
      restores_failed = d.restores_failed + excluded.restores_failed,
      jobs_cancelled = d.jobs_cancelled + excluded.jobs_cancelled;
  IF NEW.kind = 'Backup' AND NEW.item_id IS NOT NULL AND NEW.status IN ('Succeeded', 'Failed') THEN
    v_seconds := CASE WHEN NEW.status = 'Succeeded'
      THEN greatest(0, extract(epoch FROM coalesce(NEW.ended_at, NEW.updated_at) - NEW.started_at))::int ELSE 0 END;
    INSERT INTO item_days AS d (item_id, day, vault_id, subscription_id, backups_completed, backups_failed,
        backup_seconds, backup_seconds_max)
      VALUES (NEW.item_id, v_day, NEW.vault_id, NEW.subscription_id, (NEW.status = 'Succeeded')::int,
        (NEW.status = 'Failed')::int, v_seconds, v_seconds)
      ON CONFLICT (item_id, day) DO UPDATE SET
        backups_completed = d.backups_completed + excluded.backups_completed,
        backups_failed = d.backups_failed + excluded.backups_failed,
        backup_seconds = d.backup_seconds + excluded.backup_seconds,
        backup_seconds_max = greatest(d.backup_seconds_max, excluded.backup_seconds_max);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER operations_rollup AFTER INSERT OR UPDATE OF status ON operations FOR EACH ROW
  EXECUTE FUNCTION operations_rollup();
--> statement-breakpoint
-- A recovery point counts on its item's day, and becomes the item's newest point when it is.
CREATE FUNCTION recovery_points_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO item_days AS d (item_id, day, vault_id, subscription_id, points)
    SELECT NEW.item_id, (NEW.taken_at AT TIME ZONE 'UTC')::date, NEW.vault_id, v.subscription_id, 1
      FROM vaults v WHERE v.id = NEW.vault_id
    ON CONFLICT (item_id, day) DO UPDATE SET points = d.points + 1;
  UPDATE protected_items SET last_point_at = NEW.taken_at, last_point_bytes = NEW.bytes
    WHERE id = NEW.item_id AND (last_point_at IS NULL OR last_point_at <= NEW.taken_at);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER recovery_points_added AFTER INSERT ON recovery_points FOR EACH ROW
  EXECUTE FUNCTION recovery_points_added();
--> statement-breakpoint
-- The history keeps a deleted point (a day had its point); the item's newest point is looked up again when it goes.
CREATE FUNCTION recovery_points_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE protected_items i SET (last_point_at, last_point_bytes) = (
      SELECT p.taken_at, p.bytes FROM recovery_points p WHERE p.item_id = i.id ORDER BY p.taken_at DESC LIMIT 1)
    WHERE i.id = OLD.item_id AND i.last_point_at = OLD.taken_at;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER recovery_points_removed AFTER DELETE ON recovery_points FOR EACH ROW
  EXECUTE FUNCTION recovery_points_removed();
--> statement-breakpoint
-- Stored bytes: once per statement (a batch of a backup's objects, a collection's deletions), by vault and day.
CREATE FUNCTION backup_objects_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO vault_days AS d (vault_id, day, subscription_id, bytes_added)
    SELECT k.vault_id, (a.created_at AT TIME ZONE 'UTC')::date, v.subscription_id, sum(a.size)
      FROM added a JOIN backup_keys k ON k.id = a.key_id JOIN vaults v ON v.id = k.vault_id
      GROUP BY 1, 2, 3
    ON CONFLICT (vault_id, day) DO UPDATE SET bytes_added = d.bytes_added + excluded.bytes_added;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER backup_objects_added AFTER INSERT ON backup_objects REFERENCING NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION backup_objects_added();
--> statement-breakpoint
-- Objects removed with their key (a server deleted) are counted by the key's trigger below, before they go: by the
-- time the cascade's statement ends the key is gone, so this join finds nothing for them and counts nothing twice.
CREATE FUNCTION backup_objects_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO vault_days AS d (vault_id, day, subscription_id, bytes_removed)
    SELECT k.vault_id, (portal_now() AT TIME ZONE 'UTC')::date, v.subscription_id, sum(r.size)
      FROM removed r JOIN backup_keys k ON k.id = r.key_id JOIN vaults v ON v.id = k.vault_id
      GROUP BY 1, 2, 3
    ON CONFLICT (vault_id, day) DO UPDATE SET bytes_removed = d.bytes_removed + excluded.bytes_removed;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER backup_objects_removed AFTER DELETE ON backup_objects REFERENCING OLD TABLE AS removed
  FOR EACH STATEMENT EXECUTE FUNCTION backup_objects_removed();
--> statement-breakpoint
CREATE FUNCTION backup_keys_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO vault_days AS d (vault_id, day, subscription_id, bytes_removed)
    SELECT OLD.vault_id, (portal_now() AT TIME ZONE 'UTC')::date, v.subscription_id, s.bytes
      FROM vaults v, (SELECT sum(size) AS bytes FROM backup_objects WHERE key_id = OLD.id) s
      WHERE v.id = OLD.vault_id AND s.bytes > 0
    ON CONFLICT (vault_id, day) DO UPDATE SET bytes_removed = d.bytes_removed + excluded.bytes_removed;
  RETURN OLD;
END $$;
--> statement-breakpoint
CREATE TRIGGER backup_keys_removed BEFORE DELETE ON backup_keys FOR EACH ROW EXECUTE FUNCTION backup_keys_removed();
--> statement-breakpoint
-- Recomputes every rollup from the history (this migration's backfill; a bulk load made with triggers off calls it
-- too). Deleted points and objects are not in the history any more, so it counts what is there now.
CREATE FUNCTION rebuild_center_rollups() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM vault_days;
  DELETE FROM item_days;
  INSERT INTO vault_days (vault_id, day, subscription_id, backups_completed, backups_failed, restores_completed,
      restores_failed, jobs_cancelled, bytes_added)
    SELECT coalesce(j.vault_id, b.vault_id), coalesce(j.day, b.day), coalesce(j.subscription_id, b.subscription_id),
      coalesce(j.bc, 0), coalesce(j.bf, 0), coalesce(j.rc, 0), coalesce(j.rf, 0), coalesce(j.jc, 0), coalesce(b.bytes, 0)
    FROM (SELECT vault_id, (started_at AT TIME ZONE 'UTC')::date AS day, min(subscription_id::text)::uuid AS subscription_id,
            count(*) FILTER (WHERE kind::text = 'Backup' AND status::text = 'Succeeded')::int AS bc,
            count(*) FILTER (WHERE kind::text = 'Backup' AND status::text = 'Failed')::int AS bf,
            count(*) FILTER (WHERE kind::text = 'Restore' AND status::text = 'Succeeded')::int AS rc,
            count(*) FILTER (WHERE kind::text = 'Restore' AND status::text = 'Failed')::int AS rf,
            count(*) FILTER (WHERE status::text = 'Cancelled')::int AS jc
          FROM operations WHERE vault_id IS NOT NULL AND kind::text IN ('Backup', 'Restore') AND status::text <> 'InProgress'
          GROUP BY 1, 2) j
    FULL JOIN (SELECT k.vault_id, (o.created_at AT TIME ZONE 'UTC')::date AS day, v.subscription_id, sum(o.size) AS bytes
          FROM backup_objects o JOIN backup_keys k ON k.id = o.key_id JOIN vaults v ON v.id = k.vault_id
          GROUP BY 1, 2, 3) b ON b.vault_id = j.vault_id AND b.day = j.day;
  INSERT INTO item_days (item_id, day, vault_id, subscription_id, backups_completed, backups_failed, backup_seconds,
      backup_seconds_max, points)
    SELECT coalesce(j.item_id, p.item_id), coalesce(j.day, p.day), coalesce(j.vault_id, p.vault_id),
      coalesce(j.subscription_id, p.subscription_id), coalesce(j.bc, 0), coalesce(j.bf, 0), coalesce(j.secs, 0),
      coalesce(j.secs_max, 0), coalesce(p.points, 0)
    FROM (SELECT item_id, (started_at AT TIME ZONE 'UTC')::date AS day, min(vault_id::text)::uuid AS vault_id,
            min(subscription_id::text)::uuid AS subscription_id,
            count(*) FILTER (WHERE status::text = 'Succeeded')::int AS bc, count(*) FILTER (WHERE status::text = 'Failed')::int AS bf,
            coalesce(sum(greatest(0, extract(epoch FROM coalesce(ended_at, updated_at) - started_at))::int)
              FILTER (WHERE status::text = 'Succeeded'), 0) AS secs,
            coalesce(max(greatest(0, extract(epoch FROM coalesce(ended_at, updated_at) - started_at))::int)
              FILTER (WHERE status::text = 'Succeeded'), 0) AS secs_max
          FROM operations WHERE item_id IS NOT NULL AND vault_id IS NOT NULL AND kind::text = 'Backup'
            AND status::text IN ('Succeeded', 'Failed')
          GROUP BY 1, 2) j
    FULL JOIN (SELECT rp.item_id, (rp.taken_at AT TIME ZONE 'UTC')::date AS day, rp.vault_id, v.subscription_id,
            count(*)::int AS points
          FROM recovery_points rp JOIN vaults v ON v.id = rp.vault_id GROUP BY 1, 2, 3, 4) p
      ON p.item_id = j.item_id AND p.day = j.day;
  UPDATE protected_items i SET last_point_at = p.taken_at, last_point_bytes = p.bytes
    FROM (SELECT DISTINCT ON (item_id) item_id, taken_at, bytes FROM recovery_points ORDER BY item_id, taken_at DESC) p
    WHERE p.item_id = i.id;
END $$;
--> statement-breakpoint
SELECT rebuild_center_rollups();
