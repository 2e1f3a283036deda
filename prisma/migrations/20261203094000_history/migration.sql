-- CreateTable
CREATE TABLE "stored_media" (
    "app_id" TEXT NOT NULL,
    "media_id" TEXT NOT NULL,
    "origin" TEXT NOT NULL,
    "message_id" BIGINT,
    "status" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_error" TEXT,
    "storage_key" TEXT,
    "content_type" TEXT,
    "size" INTEGER,
    "sha256" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "stored_at" TIMESTAMPTZ(3),

    CONSTRAINT "stored_media_pkey" PRIMARY KEY ("app_id","media_id")
);

-- CreateTable
CREATE TABLE "message_search" (
    "direction" TEXT NOT NULL,
    "message_id" BIGINT NOT NULL,
    "app_id" TEXT NOT NULL,
    "openid" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "msg_type" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "tokens" tsvector NOT NULL,

    CONSTRAINT "message_search_pkey" PRIMARY KEY ("direction","message_id")
);

-- CreateTable
CREATE TABLE "history_cursor" (
    "name" TEXT NOT NULL,
    "last_id" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "history_cursor_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "reply_blocked_daily" (
    "day" DATE NOT NULL,
    "app_id" TEXT NOT NULL,
    "agent" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "reply_blocked_daily_pkey" PRIMARY KEY ("day","app_id","agent","reason")
);

-- CreateIndex
CREATE INDEX "stored_media_due_idx" ON "stored_media"("status", "next_attempt_at");

-- CreateIndex
CREATE INDEX "stored_media_message_idx" ON "stored_media"("message_id");

-- CreateIndex
CREATE INDEX "message_search_at_idx" ON "message_search"("at" DESC);

-- CreateIndex
CREATE INDEX "message_search_app_at_idx" ON "message_search"("app_id", "at" DESC);

-- CreateIndex
CREATE INDEX "message_search_conversation_idx" ON "message_search"("app_id", "openid", "at" DESC);

-- CreateIndex
CREATE INDEX "message_search_tokens_idx" ON "message_search" USING GIN ("tokens");

