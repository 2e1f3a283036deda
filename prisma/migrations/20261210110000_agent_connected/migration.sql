-- AlterTable
ALTER TABLE "agent" ADD COLUMN     "connected_at" TIMESTAMPTZ(3);

