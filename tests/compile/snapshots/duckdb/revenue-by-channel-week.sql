-- scan orders: revenue, orders
SELECT
  DATE_TRUNC('WEEK', "t1"."__ts") AS "period",
  "t1"."channel",
  SUM("t1"."amount") FILTER(WHERE
    "t1"."status" = 'paid') AS "revenue",
  COUNT(*) FILTER(WHERE
    "t1"."status" = 'paid') AS "orders"
FROM (
  SELECT
    *
  FROM "src_orders" AS "t0"
  WHERE
    "t0"."__ts" >= MAKE_TIMESTAMP(2026, 1, 1, 0, 0, 0.0)
    AND "t0"."__ts" < MAKE_TIMESTAMP(2026, 4, 1, 0, 0, 0.0)
) AS "t1"
GROUP BY
  1,
  2;
