-- CreateTable
CREATE TABLE "conversation" (
    "app_id" TEXT NOT NULL,
    "openid" TEXT NOT NULL,
    "last_message_id" BIGINT NOT NULL,
    "last_message_at" TIMESTAMPTZ(3) NOT NULL,
    "last_inbound_at" TIMESTAMPTZ(3),
    "last_enter_at" TIMESTAMPTZ(3),
    "unread_count" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "conversation_pkey" PRIMARY KEY ("app_id","openid")
);

-- CreateTable
CREATE TABLE "outbound_message" (
    "id" BIGSERIAL NOT NULL,
    "app_id" TEXT NOT NULL,
    "openid" TEXT NOT NULL,
    "msg_type" TEXT NOT NULL,
    "content" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "errcode" INTEGER,
    "errmsg" TEXT,
    "agent" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMPTZ(3),

    CONSTRAINT "outbound_message_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "agent_app" (
    "username" TEXT NOT NULL,
    "app_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "agent_app_pkey" PRIMARY KEY ("username","app_id")
);

-- CreateIndex
CREATE INDEX "conversation_activity_idx" ON "conversation"("last_message_at" DESC);

-- CreateIndex
CREATE INDEX "conversation_app_activity_idx" ON "conversation"("app_id", "last_message_at" DESC);

-- CreateIndex
CREATE INDEX "outbound_message_conversation_idx" ON "outbound_message"("app_id", "openid", "created_at");

