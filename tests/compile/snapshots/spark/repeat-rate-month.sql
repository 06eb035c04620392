-- repeat rate repurchase_30d on orders
SELECT
  `t3`.`__k_period` AS `period`,
  `t3`.`__k_channel` AS `channel`,
  AVG(`t3`.`__rep`) AS `repurchase_30d`
FROM (
  SELECT
    `t2`.`__ts`,
    `t2`.`__e`,
    `t2`.`__k_period`,
    `t2`.`__k_channel`,
    `t2`.`__next`,
    `t2`.`__first`,
    CAST(IF(
      (
        NOT `t2`.`__next` IS NULL
      )
      AND (
        (
          UNIX_TIMESTAMP(CAST(`t2`.`__next` AS TIMESTAMP)) - UNIX_TIMESTAMP(CAST(`t2`.`__ts` AS TIMESTAMP))
        ) <= 2592000.0
      ),
      1,
      0
    ) AS DOUBLE) AS `__rep`
  FROM (
    SELECT
      `t1`.`__ts`,
      `t1`.`__e`,
      `t1`.`__k_period`,
      `t1`.`__k_channel`,
      LEAD(`t1`.`__ts`) OVER (
        PARTITION BY `t1`.`__e`
        ORDER BY `t1`.`__ts` ASC NULLS LAST, `t1`.`__k_channel` ASC NULLS LAST
      ) AS `__next`,
      (
        LAG(`t1`.`__ts`) OVER (
          PARTITION BY `t1`.`__e`
          ORDER BY `t1`.`__ts` ASC NULLS LAST, `t1`.`__k_channel` ASC NULLS LAST
        ) IS NULL
      )
      OR (
        LAG(`t1`.`__k_period`) OVER (
          PARTITION BY `t1`.`__e`
          ORDER BY `t1`.`__ts` ASC NULLS LAST, `t1`.`__k_channel` ASC NULLS LAST
        ) <> `t1`.`__k_period`
      ) AS `__first`
    FROM (
      SELECT
        `t0`.`__ts`,
        `t0`.`customer_id` AS `__e`,
        DATE_TRUNC('MONTH', `t0`.`__ts`) AS `__k_period`,
        `t0`.`channel` AS `__k_channel`
      FROM `ns_orders` AS `t0`
      WHERE
        `t0`.`__ts` >= CAST('2026-01-01T00:00:00' AS TIMESTAMP)
        AND `t0`.`__ts` < CAST('2026-05-01T00:00:00' AS TIMESTAMP)
        AND `t0`.`status` = 'paid'
    ) AS `t1`
  ) AS `t2`
  WHERE
    `t2`.`__first` AND `t2`.`__ts` < CAST('2026-04-01T00:00:00' AS TIMESTAMP)
) AS `t3`
GROUP BY
  1,
  2;
