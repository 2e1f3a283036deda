-- CreateTable
CREATE TABLE "note_mention" (
    "id" BIGSERIAL NOT NULL,
    "activity_id" BIGINT NOT NULL,
    "app_id" TEXT NOT NULL,
    "openid" TEXT NOT NULL,
    "agent" TEXT NOT NULL,
    "by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "read_at" TIMESTAMPTZ(3),

    CONSTRAINT "note_mention_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "note_mention_agent_idx" ON "note_mention"("agent", "id");

-- CreateIndex
CREATE UNIQUE INDEX "note_mention_activity_agent_key" ON "note_mention"("activity_id", "agent");

-- AddForeignKey
ALTER TABLE "note_mention" ADD CONSTRAINT "note_mention_activity_id_fkey" FOREIGN KEY ("activity_id") REFERENCES "conversation_activity"("id") ON DELETE CASCADE ON UPDATE CASCADE;

