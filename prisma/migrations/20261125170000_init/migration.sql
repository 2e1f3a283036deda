-- CreateTable
CREATE TABLE "customer_message" (
    "id" BIGSERIAL NOT NULL,
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
    "delete_time" TIMESTAMPTZ(3),

    CONSTRAINT "customer_message_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "account" (
    "id" BIGSERIAL NOT NULL,
    "username" TEXT NOT NULL,
    "password_hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "account_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "customer_message_conversation_idx" ON "customer_message"("app_id", "openid", "wechat_create_time", "id");

-- CreateIndex
CREATE UNIQUE INDEX "customer_message_app_id_dedupe_key_key" ON "customer_message"("app_id", "dedupe_key");

-- CreateIndex
CREATE UNIQUE INDEX "account_username_key" ON "account"("username");

