-- AlterTable
ALTER TABLE "conversation" ADD COLUMN     "display_name" TEXT;

