-- scan orders: big_order_value
SELECT
  SUM((
    "t1"."amount" * 2
  ) - 1) FILTER(WHERE
    "t1"."amount" BETWEEN 100 AND 500 AND LOWER("t1"."channel") IN ('ads', 'seo')) AS "big_order_value"
FROM (
  SELECT
    *
  FROM "src_orders" AS "t0"
  WHERE
    "t0"."__ts" >= MAKE_TIMESTAMP(2026, 1, 1, 0, 0, 0.0)
    AND "t0"."__ts" < MAKE_TIMESTAMP(2026, 4, 1, 0, 0, 0.0)
    AND "t0"."channel" = '微信'
    AND "t0"."device" IN ('mobile')
) AS "t1";
