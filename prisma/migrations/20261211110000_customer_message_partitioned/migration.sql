-- customer_message becomes a table partitioned by month (UTC) on wechat_create_time, WeChat's CreateTime in unix
-- seconds: the column the conversation timeline, reports and retention select on. A partitioned table's unique keys
-- must contain the partition column, so the primary key becomes (id, wechat_create_time) and the dedupe key
-- (app_id, dedupe_key, wechat_create_time): WeChat's retries of one push carry its CreateTime unchanged, and event
-- keys already contain it. Rows outside every monthly partition go to customer_message_default, so no insert fails.
-- No foreign key references customer_message. The rows are moved into the new table; see docs/operations.md for how
-- long that takes per million rows.

ALTER TABLE "customer_message" RENAME TO "customer_message_unpartitioned";
ALTER INDEX "customer_message_pkey" RENAME TO "customer_message_unpartitioned_pkey";
ALTER INDEX "customer_message_conversation_idx" RENAME TO "customer_message_unpartitioned_conversation_idx";
ALTER INDEX "customer_message_app_id_dedupe_key_key" RENAME TO "customer_message_unpartitioned_dedupe_key";
DROP TRIGGER "subscribe_event_record" ON "customer_message_unpartitioned";

CREATE TABLE "customer_message" (
    "id" BIGINT NOT NULL DEFAULT nextval('customer_message_id_seq'::regclass),
    "app_id" TEXT NOT NULL,
    "dedupe_key" TEXT NOT NULL,
    "signature" TEXT,
    "timestamp" TEXT,
    "nonce" TEXT,
    "openid" TEXT NOT NULL,
    "encrypt_type" TEXT,
    "msg_signature" TEXT,
    "to_username" TEXT NOT NULL,
    "from_username" TEXT NOT NULL,
    "msg_type" TEXT NOT NULL,
    "event" TEXT,
    "msg_info" TEXT NOT NULL,
    "msg_id" TEXT,
    "encrypt" TEXT,
    "payload" TEXT NOT NULL,
    "format" TEXT NOT NULL,
    "wechat_create_time" BIGINT NOT NULL,
    "create_time" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "update_time" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "delete_time" TIMESTAMPTZ(3)
) PARTITION BY RANGE ("wechat_create_time");
ALTER SEQUENCE "customer_message_id_seq" OWNED BY "customer_message"."id";

CREATE TABLE "customer_message_default" PARTITION OF "customer_message" DEFAULT;

-- One month's partition, [first second of the month, first second of the next) in UTC, named
-- customer_message_yYYYYmMM. Created on its own and attached, so that inserts into other months never wait on it;
-- rows of that month already in the default partition (a CreateTime far ahead, stored before its month was created)
-- move into it first. Returns false when it exists. Callers hold customer_message_ensure_partitions' lock.
CREATE FUNCTION "customer_message_create_partition"(month date) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  v_start date := date_trunc('month', month)::date;
  v_name text := format('customer_message_y%sm%s', to_char(v_start, 'YYYY'), to_char(v_start, 'MM'));
  v_lo bigint := extract(epoch FROM v_start::timestamp AT TIME ZONE 'UTC')::bigint;
  v_hi bigint := extract(epoch FROM (v_start + interval '1 month')::timestamp AT TIME ZONE 'UTC')::bigint;
BEGIN
  IF to_regclass(format('%I', v_name)) IS NOT NULL THEN
    RETURN false;
  END IF;
  EXECUTE format('CREATE TABLE %I (LIKE "customer_message")', v_name);
  EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK ("wechat_create_time" >= %s AND "wechat_create_time" < %s)',
    v_name, v_name || '_bounds', v_lo, v_hi);
  IF to_regclass('"customer_message_default"') IS NOT NULL THEN
    EXECUTE format('WITH moved AS (DELETE FROM "customer_message_default" WHERE "wechat_create_time" >= %s AND "wechat_create_time" < %s RETURNING *)
      INSERT INTO %I SELECT * FROM moved', v_lo, v_hi, v_name);
  END IF;
  EXECUTE format('ALTER TABLE "customer_message" ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)', v_name, v_lo, v_hi);
  EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', v_name, v_name || '_bounds');
  RETURN true;
END
$$;

-- The partitions of this month and the next months_ahead months (UTC), created where missing; returns how many
-- were created. Concurrent callers (several consoles, the migration) take turns on a transaction-level advisory lock.
CREATE FUNCTION "customer_message_ensure_partitions"(months_ahead integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_month date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
  v_created integer := 0;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('kefu:customer_message_partitions'));
  FOR i IN 0..greatest(months_ahead, 0) LOOP
    IF "customer_message_create_partition"((v_month + make_interval(months => i))::date) THEN
      v_created := v_created + 1;
    END IF;
  END LOOP;
  RETURN v_created;
END
$$;

-- The monthly partitions whose every row is older than the cutoff (unix seconds): what retention drops whole.
CREATE FUNCTION "customer_message_partitions_before"(cutoff bigint) RETURNS TABLE ("name" text, "lo" bigint, "hi" bigint)
LANGUAGE sql STABLE AS $$
  SELECT p.relname::text, b[1]::bigint, b[2]::bigint
  FROM pg_inherits i
  JOIN pg_class p ON p.oid = i.inhrelid
  CROSS JOIN LATERAL regexp_match(pg_get_expr(p.relpartbound, p.oid), 'FROM \(''?(-?[0-9]+)''?\) TO \(''?(-?[0-9]+)''?\)') AS b
  WHERE i.inhparent = '"customer_message"'::regclass AND b[2]::bigint <= cutoff
  ORDER BY 2
$$;

-- A partition for every month that has rows, and for this month and the next three.
SELECT "customer_message_create_partition"(m::date)
FROM (SELECT DISTINCT date_trunc('month', to_timestamp("wechat_create_time") AT TIME ZONE 'UTC') AS m
      FROM "customer_message_unpartitioned") AS months
WHERE m >= '1970-01-01' AND m < '10000-01-01';
SELECT "customer_message_ensure_partitions"(3);

INSERT INTO "customer_message" SELECT * FROM "customer_message_unpartitioned";
DROP TABLE "customer_message_unpartitioned";
-- PostgreSQL 18 (embedded PGlite) names NOT NULL constraints, schema-wide unique: those of the new table were given a
-- suffix while the old one held the plain names. Give them back the names a fresh table has.
DO $$
DECLARE
  v record;
BEGIN
  FOR v IN SELECT c.conname, a.attname FROM pg_constraint c
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
    WHERE c.conrelid = '"customer_message"'::regclass AND c.contype = 'n' AND c.conname <> 'customer_message_' || a.attname || '_not_null'
  LOOP
    EXECUTE format('ALTER TABLE "customer_message" RENAME CONSTRAINT %I TO %I', v.conname, 'customer_message_' || v.attname || '_not_null');
  END LOOP;
END
$$;

CREATE INDEX "customer_message_conversation_idx" ON "customer_message"("app_id", "openid", "wechat_create_time", "id");
CREATE UNIQUE INDEX "customer_message_app_id_dedupe_key_wechat_create_time_key" ON "customer_message"("app_id", "dedupe_key", "wechat_create_time");
ALTER TABLE "customer_message" ADD CONSTRAINT "customer_message_pkey" PRIMARY KEY ("id", "wechat_create_time");

CREATE TRIGGER "subscribe_event_record" AFTER INSERT ON "customer_message" FOR EACH ROW
  WHEN (NEW.event IN ('subscribe_msg_popup_event', 'subscribe_msg_change_event', 'subscribe_msg_sent_event'))
  EXECUTE FUNCTION "subscribe_event_record"();
