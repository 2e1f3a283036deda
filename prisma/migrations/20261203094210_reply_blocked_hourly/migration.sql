-- DropTable
DROP TABLE "reply_blocked_daily";

-- CreateTable
CREATE TABLE "reply_blocked_hourly" (
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "app_id" TEXT NOT NULL,
    "agent" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "reply_blocked_hourly_pkey" PRIMARY KEY ("hour","app_id","agent","reason")
);

