-- scan orders: revenue, orders
SELECT
  DATE_TRUNC('WEEK', `t1`.`__ts`) AS `period`,
  `t1`.`channel`,
  SUM(IF(`t1`.`status` = 'paid', `t1`.`amount`, NULL)) AS `revenue`,
  SUM(CAST(`t1`.`status` = 'paid' AS BIGINT)) AS `orders`
FROM (
  SELECT
    *
  FROM `ns_orders` AS `t0`
  WHERE
    `t0`.`__ts` >= CAST('2026-01-01T00:00:00' AS TIMESTAMP)
    AND `t0`.`__ts` < CAST('2026-04-01T00:00:00' AS TIMESTAMP)
) AS `t1`
GROUP BY
  1,
  2;
