-- scan deliveries: on_time_share
SELECT
  DATE_TRUNC('DAY', "t1"."__ts") AS "period",
  AVG(
    CAST(CASE
      WHEN (
        (
          CAST(EPOCH(CAST(CAST("t1"."promised_at" AS TIMESTAMP) AS TIMESTAMP)) - EPOCH(CAST(CAST("t1"."delivered_at" AS TIMESTAMP) AS TIMESTAMP)) AS DOUBLE) / 60
        ) >= -15.0
      )
      AND (
        (
          CAST(EPOCH(CAST(CAST("t1"."promised_at" AS TIMESTAMP) AS TIMESTAMP)) - EPOCH(CAST(CAST("t1"."delivered_at" AS TIMESTAMP) AS TIMESTAMP)) AS DOUBLE) / 60
        ) <= 15.0
      )
      THEN 1
      ELSE 0
    END AS DOUBLE)
  ) FILTER(WHERE
    (
      CAST(EPOCH(CAST(CAST("t1"."promised_at" AS TIMESTAMP) AS TIMESTAMP)) - EPOCH(CAST(CAST("t1"."delivered_at" AS TIMESTAMP) AS TIMESTAMP)) AS DOUBLE) / 60
    ) IS NOT NULL) AS "on_time_share"
FROM (
  SELECT
    *
  FROM "src_deliveries" AS "t0"
  WHERE
    "t0"."__ts" >= MAKE_TIMESTAMP(2026, 1, 1, 0, 0, 0.0)
    AND "t0"."__ts" < MAKE_TIMESTAMP(2026, 4, 1, 0, 0, 0.0)
) AS "t1"
GROUP BY
  1;

-- scan plays: completion_3s, completion_15s, completion_30s
SELECT
  DATE_TRUNC('DAY', "t1"."__ts") AS "period",
  AVG(
    CAST(CASE
      WHEN (
        "t1"."watched_seconds" IS NOT NULL
      ) AND (
        "t1"."watched_seconds" >= 3.0
      )
      THEN 1
      ELSE 0
    END AS DOUBLE)
  ) AS "completion_3s",
  AVG(
    CAST(CASE
      WHEN (
        "t1"."watched_seconds" IS NOT NULL
      ) AND (
        "t1"."watched_seconds" >= 15.0
      )
      THEN 1
      ELSE 0
    END AS DOUBLE)
  ) AS "completion_15s",
  AVG(
    CAST(CASE
      WHEN (
        "t1"."watched_seconds" IS NOT NULL
      ) AND (
        "t1"."watched_seconds" >= 30.0
      )
      THEN 1
      ELSE 0
    END AS DOUBLE)
  ) AS "completion_30s"
FROM (
  SELECT
    *
  FROM "src_plays" AS "t0"
  WHERE
    "t0"."__ts" >= MAKE_TIMESTAMP(2026, 1, 1, 0, 0, 0.0)
    AND "t0"."__ts" < MAKE_TIMESTAMP(2026, 4, 1, 0, 0, 0.0)
) AS "t1"
GROUP BY
  1;
