-- CreateTable
CREATE TABLE "mini_program" (
    "id" BIGSERIAL NOT NULL,
    "app_id" TEXT NOT NULL,
    "name" TEXT,
    "original_id" TEXT,
    "token" TEXT NOT NULL,
    "encoding_aes_key" TEXT,
    "previous_encoding_aes_key" TEXT,
    "secret" TEXT,
    "profile_secret" TEXT,
    "message_format" TEXT NOT NULL DEFAULT 'json',
    "options" JSONB NOT NULL DEFAULT '{}',
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "source" TEXT NOT NULL DEFAULT 'console',
    "changed_by" TEXT,
    "changed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "mini_program_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "mini_program_app_id_key" ON "mini_program"("app_id");

