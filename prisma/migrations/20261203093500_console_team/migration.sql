-- AlterTable
ALTER TABLE "conversation" ADD COLUMN     "assigned_at" TIMESTAMPTZ(3),
ADD COLUMN     "assignee" TEXT,
ADD COLUMN     "customer_note" TEXT,
ADD COLUMN     "snoozed_until" TIMESTAMPTZ(3),
ADD COLUMN     "status" TEXT NOT NULL DEFAULT 'open',
ADD COLUMN     "status_at" TIMESTAMPTZ(3),
ADD COLUMN     "tags" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- AlterTable
ALTER TABLE "agent_app" ADD COLUMN     "last_assigned_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "agent" (
    "username" TEXT NOT NULL,
    "role" TEXT NOT NULL DEFAULT 'agent',
    "availability" TEXT NOT NULL DEFAULT 'offline',
    "availability_at" TIMESTAMPTZ(3),
    "notify_desktop" BOOLEAN NOT NULL DEFAULT true,
    "notify_sound" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "agent_pkey" PRIMARY KEY ("username")
);

-- CreateTable
CREATE TABLE "app_setting" (
    "app_id" TEXT NOT NULL,
    "auto_assign" TEXT NOT NULL DEFAULT 'off',
    "max_open_per_agent" INTEGER NOT NULL DEFAULT 10,
    "updated_by" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "app_setting_pkey" PRIMARY KEY ("app_id")
);

-- CreateTable
CREATE TABLE "quick_reply" (
    "id" BIGSERIAL NOT NULL,
    "scope" TEXT NOT NULL,
    "scope_id" TEXT NOT NULL,
    "shortcut" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "quick_reply_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "conversation_activity" (
    "id" BIGSERIAL NOT NULL,
    "app_id" TEXT NOT NULL,
    "openid" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "cause" TEXT NOT NULL DEFAULT 'agent',
    "actor" TEXT,
    "from_value" TEXT,
    "to_value" TEXT,
    "text" TEXT,
    "message_id" BIGINT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "conversation_activity_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "quick_reply_scope_shortcut_key" ON "quick_reply"("scope", "scope_id", "shortcut");

-- CreateIndex
CREATE INDEX "conversation_activity_conversation_idx" ON "conversation_activity"("app_id", "openid", "created_at");

-- CreateIndex
CREATE INDEX "conversation_assignee_status_idx" ON "conversation"("assignee", "status", "last_message_at" DESC);

-- CreateIndex
CREATE INDEX "conversation_app_status_idx" ON "conversation"("app_id", "status", "last_message_at" DESC);

-- CreateIndex
CREATE INDEX "conversation_tags_idx" ON "conversation" USING GIN ("tags");

-- CreateIndex
CREATE INDEX "agent_app_app_idx" ON "agent_app"("app_id");


-- A customer message reopens a pending or resolved conversation (and wakes a snoozed one) in the very statement that
-- stores it, whichever ingest instance stores it and whether or not a console is running, so no reopening is ever
-- lost. Ingest's batch insert raises conversation.unread_count exactly when customer messages (not events) arrive;
-- nothing else raises it. The conversation goes back to its assignee if they are online and still serve the mini
-- program, else back to unassigned (where automatic assignment may pick it up). Both changes are in the timeline.
-- The WHEN clause keeps the trigger free for every other update.
CREATE FUNCTION "conversation_reopen"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD."status" <> 'open' THEN
    INSERT INTO "conversation_activity" ("app_id", "openid", "kind", "cause", "from_value", "to_value", "message_id")
    VALUES (NEW."app_id", NEW."openid", 'status', 'customer', OLD."status", 'open', NEW."last_message_id");
    NEW."status" := 'open';
    NEW."status_at" := now();
  END IF;
  IF OLD."snoozed_until" IS NOT NULL THEN
    IF OLD."snoozed_until" > now() THEN
      INSERT INTO "conversation_activity" ("app_id", "openid", "kind", "cause", "from_value", "to_value", "message_id")
      VALUES (NEW."app_id", NEW."openid", 'snooze', 'customer', to_char(OLD."snoozed_until" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), NULL, NEW."last_message_id");
    END IF;
    NEW."snoozed_until" := NULL;
  END IF;
  IF NEW."assignee" IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM "agent" a JOIN "agent_app" aa ON aa."username" = a."username"
    WHERE a."username" = NEW."assignee" AND aa."app_id" = NEW."app_id" AND a."availability" = 'online'
  ) THEN
    INSERT INTO "conversation_activity" ("app_id", "openid", "kind", "cause", "from_value", "to_value", "message_id")
    VALUES (NEW."app_id", NEW."openid", 'assignment', 'customer', NEW."assignee", NULL, NEW."last_message_id");
    NEW."assignee" := NULL;
    NEW."assigned_at" := NULL;
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER "conversation_reopen" BEFORE UPDATE ON "conversation" FOR EACH ROW
  WHEN (NEW."unread_count" > OLD."unread_count" AND (OLD."status" <> 'open' OR OLD."snoozed_until" IS NOT NULL))
  EXECUTE FUNCTION "conversation_reopen"();
