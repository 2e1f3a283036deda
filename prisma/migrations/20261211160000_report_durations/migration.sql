-- The durations of the team reports' conversations per mini program, China day and agent, sorted
-- (packages/history/src/report-rollup.ts, refreshDurationsSql): a report takes a day's median and p90 from its row,
-- and a range's from the union of its days' arrays, instead of reading every conversation of the range. The index
-- on next_start finds the few conversations a report must read one by one (the range's last of a customer whose
-- next starts after the range's end).

-- CreateTable
CREATE TABLE "report_durations" (
    "app_id" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "agent" TEXT NOT NULL,
    "conversations" INTEGER NOT NULL DEFAULT 0,
    "first_response" DOUBLE PRECISION[],
    "resolution" DOUBLE PRECISION[],
    "first_response_median" DOUBLE PRECISION,
    "first_response_p90" DOUBLE PRECISION,
    "resolution_median" DOUBLE PRECISION,
    "resolution_p90" DOUBLE PRECISION,

    CONSTRAINT "report_durations_pkey" PRIMARY KEY ("app_id","day","agent")
);

-- CreateIndex
CREATE INDEX "report_episode_next_start_idx" ON "report_episode"("next_start");


-- The conversations folded before this migration: every day they started on.
CREATE TEMPORARY TABLE "report_durations_days" AS
SELECT DISTINCT "app_id", (("start" AT TIME ZONE 'UTC') + interval '8 hours')::date AS "day" FROM "report_episode";

INSERT INTO report_durations (app_id, day, agent, conversations, first_response, resolution, first_response_median, first_response_p90,
  resolution_median, resolution_p90)
WITH e AS (
  SELECT e.app_id, d.day, e.replied_by, e.resolved_by,
         extract(epoch FROM e.replied_at - e.start)::float8 AS frt, extract(epoch FROM e.resolved_at - e.start)::float8 AS res
  FROM report_durations_days d JOIN report_episode e ON e.app_id = d.app_id AND e.start >= ((d.day)::timestamp - interval '8 hours') AT TIME ZONE 'UTC' AND e.start < ((d.day + 1)::timestamp - interval '8 hours') AT TIME ZONE 'UTC'
)
SELECT app_id, day, '', count(*)::int, coalesce(array_agg(frt ORDER BY frt) FILTER (WHERE frt IS NOT NULL), '{}'),
       coalesce(array_agg(res ORDER BY res) FILTER (WHERE res IS NOT NULL), '{}'),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY frt), percentile_cont(0.9) WITHIN GROUP (ORDER BY frt),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY res), percentile_cont(0.9) WITHIN GROUP (ORDER BY res)
FROM e GROUP BY 1, 2
UNION ALL
SELECT app_id, day, agent, 0, coalesce(array_agg(v ORDER BY v) FILTER (WHERE m = 1), '{}'), coalesce(array_agg(v ORDER BY v) FILTER (WHERE m = 2), '{}'),
       NULL, NULL, NULL, NULL
FROM (SELECT app_id, day, replied_by AS agent, 1 AS m, frt AS v FROM e WHERE replied_by <> '' AND frt IS NOT NULL
      UNION ALL SELECT app_id, day, resolved_by, 2, res FROM e WHERE resolved_by <> '' AND res IS NOT NULL) a
GROUP BY 1, 2, 3
;

DROP TABLE "report_durations_days";
