-- scan orders: big_order_value
SELECT
  SUM(
    IF(
      `t1`.`amount` BETWEEN 100 AND 500 AND LOWER(`t1`.`channel`) IN ('ads', 'seo'),
      (
        `t1`.`amount` * 2
      ) - 1,
      NULL
    )
  ) AS `big_order_value`
FROM (
  SELECT
    *
  FROM `ns_orders` AS `t0`
  WHERE
    `t0`.`__ts` >= CAST('2026-01-01T00:00:00' AS TIMESTAMP)
    AND `t0`.`__ts` < CAST('2026-04-01T00:00:00' AS TIMESTAMP)
    AND `t0`.`channel` = '微信'
    AND `t0`.`device` IN ('mobile')
) AS `t1`;
