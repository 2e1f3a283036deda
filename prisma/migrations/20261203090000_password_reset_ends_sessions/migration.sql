-- AlterTable
ALTER TABLE "account" ADD COLUMN     "sessions_valid_from" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "account_sessions_valid_from_idx" ON "account"("sessions_valid_from");

