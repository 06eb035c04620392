"""The demo's project files: ``northstar.yml``, one metrics file per team, ``ground_truth.json``.

The YAML is written out as text, comments and all, because it is the first ``northstar.yml``
most people will read; :mod:`tests.scaffold.test_demo` checks it against the spec models.
"""

from __future__ import annotations

import json
from typing import Any

from northstar.scaffold.demo_goals import GOALS
from northstar.scaffold.demo_metrics import METRIC_FILES
from northstar.scaffold.demo_traffic import AHA_TRUTH
from northstar.scaffold.demo_world import Calendar, IncidentPlan

_PROJECT = """\
project:
  name: Northstar Demo Shop
  timezone: UTC               # the data is in UTC
  currency: USD
  language: en

include: [metrics/*.yml, goals.yml]   # one file of metrics per team; targets, scorecards, OKRs

sources:
  events:
    path: data/events.parquet
    time: event_time
    entity: user_id
    timezone: UTC
    label: {en: Web and app events, zh: 网站与应用事件}
  orders:
    path: data/orders.parquet
    time: ordered_at
    entity: customer_id
    timezone: UTC
    label: {en: Orders, zh: 订单}
  refunds:
    path: data/refunds.parquet
    time: refunded_at
    entity: customer_id
    timezone: UTC
    label: {en: Refunds, zh: 退款}
  spend:
    path: data/marketing_spend.csv
    time: date
    label: {en: Marketing spend per channel and day, zh: 各渠道每日营销花费}
  leads:
    path: data/leads.csv
    time: created_at
    entity: lead_id
    timezone: UTC
    label: {en: Wholesale leads, zh: 批发线索}
  deals:                      # the same leads, dated by when they were won or lost
    path: data/leads.csv
    time: closed_at
    entity: lead_id
    timezone: UTC
    label: {en: Closed deals (by close date), zh: 已结束的商机（按结束日期）}
  tickets:
    path: data/tickets.csv
    time: created_at
    entity: ticket_id
    timezone: UTC
    label: {en: Support tickets, zh: 客服工单}

dimensions:
  channel:
    label: {en: Channel, zh: 渠道}
    description:
      en: Marketing channel of the visit, order, lead or spend.
      zh: 访问、订单、线索或花费的营销渠道。
  contact_channel:
    label: {en: Support channel, zh: 客服渠道}
    description:
      en: How the customer contacted support (email, chat or phone); tickets only.
      zh: 客户联系客服的方式（邮件、在线聊天或电话）；仅工单有此维度。
  device:
    label: {en: Device, zh: 设备}
  country:
    label: {en: Country, zh: 国家/地区}
  campaign:
    label: {en: Campaign, zh: 营销活动}
    description:
      en: The marketing campaign a lead came from; leads only.
      zh: 线索来源的营销活动；仅线索有此维度。

north_star: repurchase_30d
supporting: [add_to_cart_conversion, return_rate]

teams:
  growth:
    label: {en: Growth, zh: 增长}
    owner: maya.chen@northstar-demo.shop
    metrics: [repurchase_30d, add_to_cart_conversion, return_rate, revenue, net_revenue, orders, aov,
              visitors, sessions, purchasers, conversion_rate]
  marketing:
    label: {en: Marketing, zh: 市场}
    owner: leo.garcia@northstar-demo.shop
    metrics: [marketing_spend, ad_clicks, cac, roas]
  sales:
    label: {en: Sales, zh: 销售}
    owner: sarah.kim@northstar-demo.shop
    metrics: [leads, cost_per_lead, lead_win_rate, won_deal_value]
  support:
    label: {en: Support, zh: 客服}
    owner: priya.nair@northstar-demo.shop
    metrics: [tickets, first_contact_resolution, median_resolution_hours, p90_resolution_hours, csat]

leads:                        # northstar leads clean · northstar leads rate L00012 --score 4 …
  wholesale:                  # a source of its own: the leads screened, de-duplicated and rated
    source: leads
    region: CN                # a number without a country code is read as the lead's country's,
    columns: {cost: cost_usd, region: country}   # else as Chinese
    ratings: data/lead_ratings.csv   # sales' ratings exported from the CRM
    label: {en: Wholesale leads (screened), zh: 批发线索（已筛查）}

funnels:
  checkout:                   # northstar funnel checkout --by device
    source: events
    label: {en: Checkout funnel, zh: 下单漏斗}
    within: 1d                # every step within a day of viewing the item
    steps: [view_item, add_to_cart, begin_checkout, purchase]

activity:
  shoppers:                   # northstar lifecycle shoppers · northstar active shoppers
    source: events
    label: {en: Shoppers, zh: 购物用户}
    event: [view_item, add_to_cart, begin_checkout, purchase]   # browsing pages alone does not count

retention:
  buyers:                     # northstar retention buyers --by channel
    source: orders
    label: {en: Buyer retention, zh: 购买用户留存}
    start: {filter: "status = 'paid'"}    # cohort: the week of a customer's first paid order
    return: {filter: "status = 'paid'"}   # coming back: a paid order in a later week
    period: week
    periods: 8
    measure: {type: sum, column: amount_usd, label: {en: Revenue (USD), zh: 收入（美元）}}

drivers:                      # northstar explain revenue --date 2026-10-11 --by country,channel,device
  revenue:
    label: {en: Revenue tree, zh: 收入拆解}
    formula: visitors * conversion_rate * orders_per_buyer * aov
    over: country             # and the countries' revenue adds up to the whole
  conversion_rate: purchasers / visitors
  orders: {over: channel}
  won_deal_value: leads * lead_win_rate * value_per_won_lead   # marketing's leads → sales' deals
  repurchase_30d:             # no identity: what we believe brings customers back (northstar validate csat)
    label: {en: What brings customers back, zh: 促使客户复购的因素}
    influenced_by: [return_rate, csat, first_contact_resolution, add_to_cart_conversion, checkout_conversion]
  csat:
    influenced_by: [first_contact_resolution, median_resolution_hours, p90_resolution_hours]

watch:                        # northstar watch · northstar watch --backtest 90d
  orders_swing:               # the seed's rule: a daily swing beyond 15 % calls a review
    metric: orders
    threshold: 15%
  device_orders_drop:
    metric: orders
    by: device
    direction: down
    threshold: 40%
    min_volume: 30            # a slice with fewer orders than this is not watched
    severity: critical
  lead_quality_floor:         # screened leads: below 80 % valid in a day, marketing looks at its sources
    metric: valid_lead_rate
    check: floor
    threshold: 80%
  spend_anomaly:
    metric: marketing_spend
    check: anomaly            # seasonality-aware, causal detector
    by: channel
"""


def project_files(calendar: Calendar, seed: int) -> dict[str, str]:
    """Every YAML file of the project: path relative to the project → text."""
    header = (
        "# Northstar Demo Shop — a cross-border online shop selling to eight countries.\n"
        f"# Synthetic data generated by `northstar demo`: {calendar.days} days from "
        f"{calendar.start.isoformat()} to {calendar.end.isoformat()} (UTC), seed {seed}.\n"
        "# Four incidents are hidden in the data; ground_truth.json says where and when.\n\n"
    )
    return {"northstar.yml": header + _PROJECT, **METRIC_FILES, "goals.yml": GOALS}


def ground_truth(plan: IncidentPlan, seed: int, counts: dict[str, int]) -> str:
    """``ground_truth.json``: the period, the row counts and each injected incident."""
    data: dict[str, Any] = {
        "generator": "northstar demo",
        "seed": seed,
        "start": plan.calendar.start.isoformat(),
        "end": plan.calendar.end.isoformat(),
        "days": plan.calendar.days,
        "timezone": "UTC",
        "rows": counts,
        "incidents": [incident.to_json() for incident in plan.all()],
        "aha": AHA_TRUTH,
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
