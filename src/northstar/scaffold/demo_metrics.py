"""The demo's metrics, one YAML file per team (growth, marketing, sales, support).

Every metric has English and Chinese labels, a format, a direction, an owner and a team; the
north star and its supporting metrics also carry the 5-Why chain that explains why they matter.
Helper metrics (item viewers, refunds, resolved tickets …) exist so that ratios and formulas
can be built from them.
"""

from __future__ import annotations

_GROWTH = """\
metrics:
  repurchase_30d:
    type: repeat_rate
    source: orders
    within: 30d
    filter: "status = 'paid'"
    label: {en: 30-day repurchase rate, zh: 30天复购率}
    description:
      en: Share of customers with a paid order in the period who order again within 30 days.
      zh: 本期有已支付订单的客户中，30天内再次下单的比例。
    format: percent
    decimals: 1
    direction: higher
    owner: maya.chen@northstar-demo.shop
    team: growth
    why:
      - We want a shop people come back to, not one that must buy every order with ads.
      - Returning customers cost almost nothing to reach, so repeat orders carry our margin.
      - Someone who orders again within 30 days found the product, price and delivery worth it.
      - Thirty days fits how often people restock and gives a reading within a month.
      - So this one number sums up product, delivery and service — it is our north star.

  add_to_cart_conversion:
    type: ratio
    numerator: cart_users
    denominator: item_viewers
    label: {en: Add-to-cart conversion, zh: 加购转化率}
    description:
      en: Share of shoppers who viewed an item that also added one to the cart.
      zh: 浏览商品的用户中加入购物车的比例。
    format: percent
    decimals: 1
    direction: higher
    owner: maya.chen@northstar-demo.shop
    team: growth
    why:
      - Every repeat customer was first a first-time buyer.
      - Every purchase starts with an item in the cart.
      - Whether viewers add to cart says if product pages, prices and stock convince.
      - It moves within a day of a catalogue, price or page change.
      - So it is the earliest signal of tomorrow's buyers, and of the north star.

  return_rate:
    type: ratio
    numerator: refunds
    denominator: orders
    label: {en: Return rate, zh: 退货率}
    description: {en: Refunds per order., zh: 每笔订单的退款数。}
    format: percent
    decimals: 1
    direction: lower
    owner: maya.chen@northstar-demo.shop
    team: growth
    why:
      - A refunded order seldom leads to a second one.
      - Refunds come from wrong sizes, damage, late parcels and surprise customs fees.
      - Each one is a broken promise about the product or its delivery.
      - Fewer broken promises mean more customers who trust us enough to return.
      - So the return rate is the guardrail of the north star; lower is better.

  item_viewers:
    type: count_distinct
    source: events
    filter: "event_name = 'view_item'"
    label: {en: Item viewers, zh: 商品浏览用户数}
    format: integer
    direction: higher
    owner: maya.chen@northstar-demo.shop
    team: growth
  cart_users:
    type: count_distinct
    source: events
    filter: "event_name = 'add_to_cart'"
    label: {en: Add-to-cart users, zh: 加购用户数}
    format: integer
    direction: higher
    owner: maya.chen@northstar-demo.shop
    team: growth
  visitors:
    type: count_distinct
    source: events
    filter: "event_name = 'page_view'"
    label: {en: Visitors, zh: 访客数}
    format: integer
    direction: higher
    owner: maya.chen@northstar-demo.shop
    team: growth
  sessions:
    type: count_distinct
    source: events
    column: session_id
    filter: "event_name = 'page_view'"
    label: {en: Sessions, zh: 会话数}
    format: integer
    direction: higher
    owner: maya.chen@northstar-demo.shop
    team: growth
  purchasers:
    type: count_distinct
    source: events
    filter: "event_name = 'purchase'"
    label: {en: Purchasers, zh: 购买用户数}
    format: integer
    direction: higher
    owner: maya.chen@northstar-demo.shop
    team: growth
  conversion_rate:
    type: ratio
    numerator: purchasers
    denominator: visitors
    label: {en: Visitor conversion rate, zh: 访客转化率}
    format: percent
    decimals: 2
    direction: higher
    owner: maya.chen@northstar-demo.shop
    team: growth
  orders:
    type: count
    source: orders
    label: {en: Orders, zh: 订单数}
    format: integer
    direction: higher
    owner: maya.chen@northstar-demo.shop
    team: growth
  revenue:
    type: sum
    source: orders
    column: amount_usd
    label: {en: Revenue, zh: 收入}
    description:
      en: Value of all orders in USD, before refunds.
      zh: 全部订单金额（美元，未扣退款）。
    format: currency
    decimals: 0
    unit: USD
    owner: maya.chen@northstar-demo.shop
    team: growth
    direction: higher
  refunds:
    type: count
    source: refunds
    label: {en: Refunds, zh: 退款数}
    format: integer
    direction: lower
    owner: maya.chen@northstar-demo.shop
    team: growth
  refunded_amount:
    type: sum
    source: refunds
    column: amount_usd
    label: {en: Refunded amount, zh: 退款金额}
    format: currency
    unit: USD
    direction: lower
    owner: maya.chen@northstar-demo.shop
    team: growth
  net_revenue:
    type: formula
    expr: "revenue - refunded_amount"
    label: {en: Net revenue, zh: 净收入}
    format: currency
    decimals: 0
    unit: USD
    direction: higher
    owner: maya.chen@northstar-demo.shop
    team: growth
  aov:
    type: formula
    expr: "revenue / orders"
    label: {en: Average order value, zh: 客单价}
    format: currency
    decimals: 2
    unit: USD
    direction: higher
    owner: maya.chen@northstar-demo.shop
    team: growth
  orders_per_buyer:
    type: formula             # a driver of revenue (see drivers: in northstar.yml)
    expr: "orders / purchasers"
    label: {en: Orders per buyer, zh: 人均订单数}
    format: number
    decimals: 3
    direction: higher
    owner: maya.chen@northstar-demo.shop
    team: growth
  cart_to_purchase_1d:
    type: conversion          # of those who add to cart in a period, the share who buy within a day
    source: events
    steps: [add_to_cart, purchase]
    within: 1d
    label: {en: Cart-to-purchase within 1 day, zh: 加购后1天内购买率}
    format: percent
    decimals: 1
    direction: higher
    owner: maya.chen@northstar-demo.shop
    team: growth
  weekly_shoppers:
    type: active_users        # WAU: shoppers active on any of the last 7 days (activity: shoppers)
    activity: shoppers
    within: 7d
    label: {en: Weekly active shoppers, zh: 周活跃购物用户}
    format: integer
    decimals: 0
    direction: higher
    owner: maya.chen@northstar-demo.shop
    team: growth
  checkout_conversion:
    type: conversion          # the checkout funnel (funnels:) from its first step to its last
    funnel: checkout
    label: {en: Checkout funnel conversion, zh: 下单漏斗转化率}
    format: percent
    decimals: 1
    direction: higher
    owner: maya.chen@northstar-demo.shop
    team: growth
"""

_MARKETING = """\
metrics:
  marketing_spend:
    type: sum
    source: spend
    column: spend_usd
    label: {en: Marketing spend, zh: 营销花费}
    format: currency
    decimals: 0
    unit: USD
    direction: lower
    owner: leo.garcia@northstar-demo.shop
    team: marketing
  ad_clicks:
    type: sum
    source: spend
    column: clicks
    label: {en: Ad clicks, zh: 广告点击量}
    format: integer
    direction: higher
    owner: leo.garcia@northstar-demo.shop
    team: marketing
  cac:
    type: formula
    expr: "marketing_spend / purchasers"
    label: {en: Cost per purchaser (blended CAC), zh: 每购买用户成本（综合获客成本）}
    format: currency
    decimals: 2
    unit: USD
    direction: lower
    owner: leo.garcia@northstar-demo.shop
    team: marketing
  roas:
    type: formula
    expr: "revenue / marketing_spend"
    label: {en: Return on ad spend, zh: 广告支出回报率}
    format: number
    decimals: 2
    unit: x
    owner: leo.garcia@northstar-demo.shop
    team: marketing
    direction: higher
"""

_SALES = """\
metrics:
  leads:
    type: count
    source: leads
    label: {en: Leads, zh: 线索数}
    format: integer
    owner: sarah.kim@northstar-demo.shop
    team: sales
    direction: higher
  lead_cost:
    type: sum
    source: leads
    column: cost_usd
    label: {en: Lead cost, zh: 线索成本}
    format: currency
    unit: USD
    direction: lower
    owner: sarah.kim@northstar-demo.shop
    team: sales
  cost_per_lead:
    type: formula
    expr: "lead_cost / leads"
    label: {en: Cost per lead, zh: 单条线索成本}
    format: currency
    decimals: 2
    unit: USD
    direction: lower
    owner: sarah.kim@northstar-demo.shop
    team: sales
  won_leads:
    type: count
    source: leads
    filter: "outcome = 'won'"
    label: {en: Won leads, zh: 成交线索数}
    format: integer
    direction: higher
    owner: sarah.kim@northstar-demo.shop
    team: sales
  lead_win_rate:
    type: ratio
    numerator: won_leads
    denominator: leads
    label: {en: Lead win rate, zh: 线索成交率}
    format: percent
    decimals: 1
    owner: sarah.kim@northstar-demo.shop
    team: sales
    direction: higher
  won_deal_value:
    type: sum
    source: leads
    column: deal_value
    filter: "outcome = 'won'"
    label: {en: Won deal value, zh: 成交金额}
    format: currency
    decimals: 0
    unit: USD
    owner: sarah.kim@northstar-demo.shop
    team: sales
    direction: higher
  deals_won:
    type: count
    source: deals
    filter: "outcome = 'won'"
    label: {en: Deals won (by close date), zh: 成交商机数（按成交日期）}
    description:
      en: Leads won in the period, counted on the day they were won (won_leads counts by the day the lead came in).
      zh: 在该周期内成交的线索，按成交日计数（won_leads 按线索进入日计数）。
    format: integer
    direction: higher
    owner: sarah.kim@northstar-demo.shop
    team: sales
  deals_closed:
    type: count
    source: deals
    filter: "outcome = 'won' or outcome = 'lost'"
    label: {en: Deals closed (won or lost), zh: 已结束商机数（成交或丢单）}
    format: integer
    direction: higher
    owner: sarah.kim@northstar-demo.shop
    team: sales
  close_rate:
    type: ratio
    numerator: deals_won
    denominator: deals_closed
    label: {en: Close rate (won of closed), zh: 赢单率（成交/已结束）}
    description:
      en: Of the deals that ended in the period, the share won. Unlike lead_win_rate it does not wait for open leads.
      zh: 在该周期内结束的商机中成交的比例；与 lead_win_rate 不同，不受尚未结束的线索影响。
    format: percent
    decimals: 1
    direction: higher
    owner: sarah.kim@northstar-demo.shop
    team: sales
  closed_deal_value:
    type: sum
    source: deals
    column: deal_value
    filter: "outcome = 'won'"
    label: {en: Deal value won (by close date), zh: 成交金额（按成交日期）}
    format: currency
    decimals: 0
    unit: USD
    owner: sarah.kim@northstar-demo.shop
    team: sales
    direction: higher
  value_per_won_lead:
    type: formula
    expr: "won_deal_value / won_leads"
    label: {en: Value per won lead, zh: 每个成交线索的金额}
    format: currency
    decimals: 0
    unit: USD
    owner: sarah.kim@northstar-demo.shop
    team: sales
    direction: higher
"""

_SUPPORT = """\
metrics:
  tickets:
    type: count
    source: tickets
    label: {en: Tickets, zh: 工单数}
    format: integer
    direction: lower
    owner: priya.nair@northstar-demo.shop
    team: support
  resolved_tickets:
    type: count
    source: tickets
    filter: "resolved_at is not null"
    label: {en: Resolved tickets, zh: 已解决工单数}
    format: integer
    direction: higher
    owner: priya.nair@northstar-demo.shop
    team: support
  first_contact_tickets:
    type: count
    source: tickets
    filter: "resolved_at is not null and contacts = 1"
    label: {en: Tickets solved on first contact, zh: 首次联系即解决的工单数}
    format: integer
    direction: higher
    owner: priya.nair@northstar-demo.shop
    team: support
  first_contact_resolution:
    type: ratio
    numerator: first_contact_tickets
    denominator: resolved_tickets
    label: {en: First-contact resolution, zh: 首次联系解决率}
    format: percent
    decimals: 1
    owner: priya.nair@northstar-demo.shop
    team: support
    direction: higher
  median_resolution_hours:
    type: median
    source: tickets
    column: resolution_hours
    label: {en: Median resolution time, zh: 解决时长中位数}
    format: number
    decimals: 1
    unit: hours
    direction: lower
    owner: priya.nair@northstar-demo.shop
    team: support
  p90_resolution_hours:
    type: percentile
    percentile: 0.9
    source: tickets
    column: resolution_hours
    label: {en: P90 resolution time, zh: 解决时长P90}
    format: number
    decimals: 1
    unit: hours
    direction: lower
    owner: priya.nair@northstar-demo.shop
    team: support
  csat:
    type: avg
    source: tickets
    column: csat
    label: {en: Customer satisfaction (CSAT), zh: 客户满意度（CSAT）}
    description: {en: Average survey score from 1 to 5., zh: 满意度调查平均分（1–5）。}
    format: number
    decimals: 2
    owner: priya.nair@northstar-demo.shop
    team: support
    direction: higher
"""

_LEAD_QUALITY = """\
# Lead quality: marketing is measured on the leads sales accept, not on cheap leads (the seed).
# Every metric reads the lead set 'wholesale' (leads: in northstar.yml): the leads screened
# (phone, e-mail), de-duplicated across channels, and rated 1–5 by sales.
#   northstar query valid_lead_rate acceptance_rate cost_per_accepted_lead --by channel --grain month
metrics:
  screened_leads:
    type: count
    source: wholesale
    label: {en: Leads (screened), zh: 线索数（已筛查）}
    format: integer
    direction: higher
    owner: leo.garcia@northstar-demo.shop
    team: marketing
  valid_leads:
    type: count
    source: wholesale
    filter: "clean"
    label: {en: Valid leads, zh: 有效线索数}
    description:
      en: Leads with a valid phone or e-mail that are not a duplicate of an earlier lead.
      zh: 电话或邮箱有效、且不是早先线索重复的线索。
    format: integer
    direction: higher
    owner: leo.garcia@northstar-demo.shop
    team: marketing
  valid_lead_rate:
    type: ratio
    numerator: valid_leads
    denominator: screened_leads
    label: {en: Valid-lead rate, zh: 有效线索率}
    format: percent
    decimals: 1
    direction: higher
    owner: leo.garcia@northstar-demo.shop
    team: marketing
  rated_leads:
    type: count
    source: wholesale
    filter: "rated"
    label: {en: Leads rated by sales, zh: 销售已评分线索数}
    format: integer
    direction: higher
    owner: sarah.kim@northstar-demo.shop
    team: sales
  accepted_leads:
    type: count
    source: wholesale
    filter: "accepted"
    label: {en: Leads accepted by sales, zh: 销售认可的线索数}
    description:
      en: Leads sales rated 3 or more (of 5).
      zh: 销售评分 3 分及以上（满分 5 分）的线索。
    format: integer
    direction: higher
    owner: leo.garcia@northstar-demo.shop
    team: marketing
  acceptance_rate:
    type: ratio
    numerator: accepted_leads
    denominator: rated_leads
    label: {en: Sales acceptance rate, zh: 销售认可率}
    format: percent
    decimals: 1
    direction: higher
    owner: leo.garcia@northstar-demo.shop
    team: marketing
  sales_acceptance_score:
    type: avg
    source: wholesale
    column: rating
    label: {en: Sales acceptance score, zh: 销售认可评分}
    description:
      en: The mean of sales' 1–5 ratings of the leads they rated.
      zh: 销售对已评分线索的 1–5 分评分的平均值。
    format: number
    decimals: 2
    direction: higher
    owner: leo.garcia@northstar-demo.shop
    team: marketing
  cost_per_valid_lead:
    type: formula
    expr: "lead_cost / valid_leads"
    label: {en: Cost per valid lead, zh: 单条有效线索成本}
    format: currency
    decimals: 2
    unit: USD
    direction: lower
    owner: leo.garcia@northstar-demo.shop
    team: marketing
  cost_per_accepted_lead:
    type: formula
    expr: "lead_cost / accepted_leads"
    label: {en: Cost per accepted lead, zh: 单条认可线索成本}
    format: currency
    decimals: 2
    unit: USD
    direction: lower
    owner: leo.garcia@northstar-demo.shop
    team: marketing
  valid_won_leads:
    type: count
    source: wholesale
    filter: "clean and won"
    label: {en: Valid leads won, zh: 成交的有效线索数}
    format: integer
    direction: higher
    owner: sarah.kim@northstar-demo.shop
    team: sales
  lead_to_deal:
    type: ratio
    numerator: valid_won_leads
    denominator: valid_leads
    label: {en: Lead-to-deal conversion, zh: 线索成交转化率}
    format: percent
    decimals: 1
    direction: higher
    owner: sarah.kim@northstar-demo.shop
    team: sales
  sales_cycle_days:
    type: median
    source: wholesale
    column: cycle_days
    filter: "won"
    label: {en: Sales cycle (median days to win), zh: 销售周期（成交所需天数中位数）}
    format: number
    decimals: 1
    unit: days
    direction: lower
    owner: sarah.kim@northstar-demo.shop
    team: sales
"""


METRIC_FILES = {
    "metrics/growth.yml": _GROWTH,
    "metrics/marketing.yml": _MARKETING,
    "metrics/sales.yml": _SALES,
    "metrics/support.yml": _SUPPORT,
    "metrics/lead_quality.yml": _LEAD_QUALITY,
}
