-- CreateTable
CREATE TABLE "report_daily" (
    "app_id" TEXT NOT NULL,
    "agent" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "messages_in" BIGINT NOT NULL DEFAULT 0,
    "messages_out" BIGINT NOT NULL DEFAULT 0,
    "refused" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "report_daily_pkey" PRIMARY KEY ("app_id","day","agent")
);

-- CreateTable
CREATE TABLE "report_episode" (
    "app_id" TEXT NOT NULL,
    "openid" TEXT NOT NULL,
    "start" TIMESTAMPTZ(3) NOT NULL,
    "next_start" TIMESTAMPTZ(3),
    "replied_at" TIMESTAMPTZ(3),
    "replied_by" TEXT,
    "resolved_at" TIMESTAMPTZ(3),
    "resolved_by" TEXT,

    CONSTRAINT "report_episode_pkey" PRIMARY KEY ("app_id","openid","start")
);

-- CreateIndex
CREATE INDEX "report_episode_app_start_idx" ON "report_episode"("app_id", "start");

