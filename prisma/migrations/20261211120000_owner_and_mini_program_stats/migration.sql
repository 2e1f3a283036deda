-- AlterTable
ALTER TABLE "agent" ADD COLUMN     "owner" BOOLEAN NOT NULL DEFAULT false;

-- CreateIndex
CREATE INDEX "customer_message_app_time_idx" ON "customer_message"("app_id", "wechat_create_time");

-- CreateIndex
CREATE INDEX "outbound_message_app_time_idx" ON "outbound_message"("app_id", "created_at");

