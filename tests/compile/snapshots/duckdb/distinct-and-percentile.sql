-- scan orders: p90_amount, refunds, all_orders
SELECT
  DATE_TRUNC('MONTH', "t1"."__ts") AS "period",
  QUANTILE_CONT("t1"."amount", 0.9) AS "p90_amount",
  COUNT(*) FILTER(WHERE
    "t1"."status" = 'refunded') AS "refunds",
  COUNT(*) AS "all_orders"
FROM (
  SELECT
    *
  FROM "src_orders" AS "t0"
  WHERE
    "t0"."__ts" >= MAKE_TIMESTAMP(2026, 1, 1, 0, 0, 0.0)
    AND "t0"."__ts" < MAKE_TIMESTAMP(2026, 4, 1, 0, 0, 0.0)
) AS "t1"
GROUP BY
  1;

-- distinct customer_id on orders: buyers
SELECT
  "t2"."__k_period" AS "period",
  COUNT(*) FILTER(WHERE
    "t2"."__f_buyers") AS "buyers"
FROM (
  SELECT
    DATE_TRUNC('MONTH', "t1"."__ts") AS "__k_period",
    "t1"."customer_id" AS "__v",
    BOOL_OR(CAST("t1"."status" = 'paid' AS BOOLEAN)) AS "__f_buyers"
  FROM (
    SELECT
      *
    FROM "src_orders" AS "t0"
    WHERE
      "t0"."__ts" >= MAKE_TIMESTAMP(2026, 1, 1, 0, 0, 0.0)
      AND "t0"."__ts" < MAKE_TIMESTAMP(2026, 4, 1, 0, 0, 0.0)
      AND "t0"."customer_id" IS NOT NULL
  ) AS "t1"
  GROUP BY
    1,
    2
) AS "t2"
GROUP BY
  1;
