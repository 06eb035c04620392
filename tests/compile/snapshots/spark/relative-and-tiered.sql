-- scan deliveries: on_time_share
SELECT
  DATE_TRUNC('DAY', `t1`.`__ts`) AS `period`,
  AVG(
    IF(
      NOT (
        CAST(UNIX_TIMESTAMP(CAST(`t1`.`promised_at` AS TIMESTAMP)) - UNIX_TIMESTAMP(CAST(`t1`.`delivered_at` AS TIMESTAMP)) AS DOUBLE) / 60
      ) IS NULL
      AND NOT ISNAN(
        CAST(UNIX_TIMESTAMP(CAST(`t1`.`promised_at` AS TIMESTAMP)) - UNIX_TIMESTAMP(CAST(`t1`.`delivered_at` AS TIMESTAMP)) AS DOUBLE) / 60
      ),
      CAST(IF(
        (
          (
            CAST(UNIX_TIMESTAMP(CAST(`t1`.`promised_at` AS TIMESTAMP)) - UNIX_TIMESTAMP(CAST(`t1`.`delivered_at` AS TIMESTAMP)) AS DOUBLE) / 60
          ) >= -15.0
        )
        AND (
          (
            CAST(UNIX_TIMESTAMP(CAST(`t1`.`promised_at` AS TIMESTAMP)) - UNIX_TIMESTAMP(CAST(`t1`.`delivered_at` AS TIMESTAMP)) AS DOUBLE) / 60
          ) <= 15.0
        ),
        1,
        0
      ) AS DOUBLE),
      NULL
    )
  ) AS `on_time_share`
FROM (
  SELECT
    *
  FROM `ns_deliveries` AS `t0`
  WHERE
    `t0`.`__ts` >= CAST('2026-01-01T00:00:00' AS TIMESTAMP)
    AND `t0`.`__ts` < CAST('2026-04-01T00:00:00' AS TIMESTAMP)
) AS `t1`
GROUP BY
  1;

-- scan plays: completion_3s, completion_15s, completion_30s
SELECT
  DATE_TRUNC('DAY', `t1`.`__ts`) AS `period`,
  AVG(
    CAST(IF(
      NOT `t1`.`watched_seconds` IS NULL
      AND NOT ISNAN(`t1`.`watched_seconds`)
      AND (
        `t1`.`watched_seconds` >= 3.0
      ),
      1,
      0
    ) AS DOUBLE)
  ) AS `completion_3s`,
  AVG(
    CAST(IF(
      NOT `t1`.`watched_seconds` IS NULL
      AND NOT ISNAN(`t1`.`watched_seconds`)
      AND (
        `t1`.`watched_seconds` >= 15.0
      ),
      1,
      0
    ) AS DOUBLE)
  ) AS `completion_15s`,
  AVG(
    CAST(IF(
      NOT `t1`.`watched_seconds` IS NULL
      AND NOT ISNAN(`t1`.`watched_seconds`)
      AND (
        `t1`.`watched_seconds` >= 30.0
      ),
      1,
      0
    ) AS DOUBLE)
  ) AS `completion_30s`
FROM (
  SELECT
    *
  FROM `ns_plays` AS `t0`
  WHERE
    `t0`.`__ts` >= CAST('2026-01-01T00:00:00' AS TIMESTAMP)
    AND `t0`.`__ts` < CAST('2026-04-01T00:00:00' AS TIMESTAMP)
) AS `t1`
GROUP BY
  1;
