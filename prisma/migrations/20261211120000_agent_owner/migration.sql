-- AlterTable
ALTER TABLE "agent" ADD COLUMN     "owner" BOOLEAN NOT NULL DEFAULT false;

