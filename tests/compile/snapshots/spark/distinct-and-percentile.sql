-- scan orders: p90_amount, refunds, all_orders
SELECT
  DATE_TRUNC('MONTH', `t1`.`__ts`) AS `period`,
  PERCENTILE(`t1`.`amount`, 0.9) AS `p90_amount`,
  SUM(CAST(`t1`.`status` = 'refunded' AS BIGINT)) AS `refunds`,
  COUNT(*) AS `all_orders`
FROM (
  SELECT
    *
  FROM `ns_orders` AS `t0`
  WHERE
    `t0`.`__ts` >= CAST('2026-01-01T00:00:00' AS TIMESTAMP)
    AND `t0`.`__ts` < CAST('2026-04-01T00:00:00' AS TIMESTAMP)
) AS `t1`
GROUP BY
  1;

-- distinct customer_id on orders: buyers
SELECT
  `t2`.`__k_period` AS `period`,
  SUM(CAST(`t2`.`__f_buyers` AS BIGINT)) AS `buyers`
FROM (
  SELECT
    DATE_TRUNC('MONTH', `t1`.`__ts`) AS `__k_period`,
    `t1`.`customer_id` AS `__v`,
    BOOL_OR(`t1`.`status` = 'paid') AS `__f_buyers`
  FROM (
    SELECT
      *
    FROM `ns_orders` AS `t0`
    WHERE
      `t0`.`__ts` >= CAST('2026-01-01T00:00:00' AS TIMESTAMP)
      AND `t0`.`__ts` < CAST('2026-04-01T00:00:00' AS TIMESTAMP)
      AND NOT `t0`.`customer_id` IS NULL
  ) AS `t1`
  GROUP BY
    1,
    2
) AS `t2`
GROUP BY
  1;
