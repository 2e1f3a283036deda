-- CreateTable
CREATE TABLE "subscribe_event" (
    "id" BIGSERIAL NOT NULL,
    "message_id" BIGINT NOT NULL,
    "position" INTEGER NOT NULL,
    "app_id" TEXT NOT NULL,
    "openid" TEXT NOT NULL,
    "template_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "status" TEXT,
    "popup_scene" TEXT,
    "msg_id" TEXT,
    "error_code" INTEGER,
    "error_status" TEXT,
    "counted" BOOLEAN NOT NULL,
    "wechat_create_time" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "subscribe_event_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "subscribe_quota" (
    "app_id" TEXT NOT NULL,
    "openid" TEXT NOT NULL,
    "template_id" TEXT NOT NULL,
    "remaining" INTEGER NOT NULL DEFAULT 0,
    "subscribed" BOOLEAN NOT NULL DEFAULT false,
    "last_accept_at" BIGINT,
    "last_reject_at" BIGINT,
    "rejects" INTEGER NOT NULL DEFAULT 0,
    "version" INTEGER NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "subscribe_quota_pkey" PRIMARY KEY ("app_id","openid","template_id")
);

-- CreateIndex
CREATE INDEX "subscribe_event_customer_idx" ON "subscribe_event"("app_id", "openid", "template_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "subscribe_event_message_position_key" ON "subscribe_event"("message_id", "position");


-- The quota moves in the statement that stores the push (ingest's group-commit INSERT … ON CONFLICT DO NOTHING, or
-- any other insert): an AFTER INSERT row trigger fires only for rows that went in, so a retried or concurrent
-- duplicate of a push moves nothing, and a batch that rolls back takes its changes with it. Ingest writes msg_info
-- of these events as {"event","list":[…]}, one entry per List item (apps/ingest/src/lib/subscribe-row.ts).
-- A decision older than the customer's newest opposite one (WeChat delivered it late) is recorded, not counted.
-- Lock order: the statement has already upserted the conversation (app_id, openid), so two transactions touching one
-- customer's quota queue on that row first; the console takes the conversation before the quota too.
CREATE FUNCTION "subscribe_event_record"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_list jsonb := NEW.msg_info::jsonb -> 'list';
  v_item jsonb;
  v_pos integer := 0;
  v_kind text := CASE NEW.event WHEN 'subscribe_msg_popup_event' THEN 'popup' WHEN 'subscribe_msg_change_event' THEN 'change' ELSE 'sent' END;
  v_template text;
  v_status text;
  v_counted boolean;
BEGIN
  IF jsonb_typeof(v_list) IS DISTINCT FROM 'array' THEN
    RETURN NULL;
  END IF;
  FOR v_item IN SELECT value FROM jsonb_array_elements(v_list) LOOP
    v_template := v_item ->> 'template_id';
    v_status := CASE WHEN v_kind = 'sent' THEN NULL ELSE v_item ->> 'status' END;
    v_counted := NULL;
    IF v_template IS NOT NULL THEN
      IF v_kind = 'popup' AND v_status = 'accept' THEN
        INSERT INTO "subscribe_quota" AS q ("app_id", "openid", "template_id", "remaining", "subscribed", "last_accept_at", "version")
        VALUES (NEW.app_id, NEW.openid, v_template, 1, true, NEW.wechat_create_time, 1)
        ON CONFLICT ("app_id", "openid", "template_id") DO UPDATE SET
          "remaining" = q."remaining" + 1,
          "subscribed" = true,
          "last_accept_at" = GREATEST(q."last_accept_at", EXCLUDED."last_accept_at"),
          "version" = q."version" + 1,
          "updated_at" = now()
        WHERE q."last_reject_at" IS NULL OR q."last_reject_at" <= EXCLUDED."last_accept_at"
        RETURNING true INTO v_counted;
      ELSIF v_status = 'reject' THEN
        INSERT INTO "subscribe_quota" AS q ("app_id", "openid", "template_id", "remaining", "subscribed", "last_reject_at", "rejects", "version")
        VALUES (NEW.app_id, NEW.openid, v_template, 0, false, NEW.wechat_create_time, 1, 1)
        ON CONFLICT ("app_id", "openid", "template_id") DO UPDATE SET
          "remaining" = 0,
          "subscribed" = false,
          "last_reject_at" = GREATEST(q."last_reject_at", EXCLUDED."last_reject_at"),
          "rejects" = q."rejects" + 1,
          "version" = q."version" + 1,
          "updated_at" = now()
        WHERE q."last_accept_at" IS NULL OR q."last_accept_at" <= EXCLUDED."last_reject_at"
        RETURNING true INTO v_counted;
      END IF;
      INSERT INTO "subscribe_event" ("message_id", "position", "app_id", "openid", "template_id", "kind", "status", "popup_scene",
        "msg_id", "error_code", "error_status", "counted", "wechat_create_time")
      VALUES (NEW.id, v_pos, NEW.app_id, NEW.openid, v_template, v_kind, v_status, v_item ->> 'popup_scene',
        v_item ->> 'msg_id', (v_item ->> 'error_code')::integer, v_item ->> 'error_status', COALESCE(v_counted, false), NEW.wechat_create_time);
    END IF;
    v_pos := v_pos + 1;
  END LOOP;
  RETURN NULL;
END
$$;

CREATE TRIGGER "subscribe_event_record" AFTER INSERT ON "customer_message" FOR EACH ROW
  WHEN (NEW.event IN ('subscribe_msg_popup_event', 'subscribe_msg_change_event', 'subscribe_msg_sent_event'))
  EXECUTE FUNCTION "subscribe_event_record"();
