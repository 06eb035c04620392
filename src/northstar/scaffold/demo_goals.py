"""The demo's ``goals.yml``: targets, team scorecards with weights that change, and OKRs.

The bands were set the way the seed asks (from the history of the demo's first weeks and an
industry figure), and the weights change in mid-November, when the holiday season makes revenue
(growth) and return on ad spend (marketing, up to the 70 % a single KPI may weigh) the focus.
"""

from __future__ import annotations

GOALS = """\
# Goals: targets (floor / target / stretch per period), team scorecards and OKRs.
#   northstar targets list · northstar target aov --grain month --steps 3
#   northstar scorecard marketing --week 2026-W47 · northstar okrs · northstar review --period 2026-11

targets:
  repurchase_30d:             # the north star
    - {period: 2026-Q3, floor: 22%, target: 24%, stretch: 26%, set_by: maya.chen@northstar-demo.shop,
       why: "24.5 % in August; hold it through the launch"}
    - {period: 2026-Q4, floor: 23%, target: 25.5%, stretch: 28%, set_by: maya.chen@northstar-demo.shop,
       why: "one step towards the 30 % of the best shops in the category"}
  conversion_rate:            # distinct visitors: a week's rate is not a quarter's, so bands per week
    - {period: 2026-Q3, per: week, floor: 7%, target: 8%, stretch: 9%, set_by: maya.chen@northstar-demo.shop}
    - {period: 2026-Q4, per: week, floor: 5.5%, target: 6.5%, stretch: 7.5%, set_by: maya.chen@northstar-demo.shop,
       why: "weekly conversion fell to about 6 % in October; win it back step by step"}
    - {period: 2026-Q4, per: month, floor: 12.5%, target: 13.5%, stretch: 14.5%,
       set_by: maya.chen@northstar-demo.shop}
  revenue:                    # monthly; a week's target is its share of the month's days
    - {period: 2026-08, floor: 420000, target: 450000, stretch: 480000, set_by: maya.chen@northstar-demo.shop}
    - {period: 2026-09, floor: 420000, target: 450000, stretch: 480000, set_by: maya.chen@northstar-demo.shop}
    - {period: 2026-10, floor: 420000, target: 460000, stretch: 500000, set_by: maya.chen@northstar-demo.shop}
    - {period: 2026-11, floor: 430000, target: 470000, stretch: 520000, set_by: maya.chen@northstar-demo.shop,
       why: "Black Friday week"}
    - {period: 2026-12, floor: 520000, target: 580000, stretch: 650000, set_by: maya.chen@northstar-demo.shop}
  # the revenue tree's drivers (northstar explain revenue --vs target --grain month): their targets
  # multiply to 42,000 × 13.5 % × 1.25 × 64.90 ≈ 459,967, October's revenue target
  visitors:
    - {period: 2026-Q4, per: month, floor: 39000, target: 42000, stretch: 45000}
  orders_per_buyer:
    - {period: 2026-Q4, per: month, target: 1.25}
  aov:
    - {period: 2026-Q4, floor: 62, target: 64.9, stretch: 68}
  return_rate:                # lower is better: floor ≥ target ≥ stretch
    - {period: 2026-Q3, floor: 9%, target: 7.5%, stretch: 6%}
    - {period: 2026-Q4, floor: 9%, target: 7.5%, stretch: 6%}
  roas:
    - {period: 2026-Q3, floor: 6.5, target: 7.2, stretch: 8, set_by: leo.garcia@northstar-demo.shop}
    - {period: 2026-Q4, floor: 5, target: 6, stretch: 7, set_by: leo.garcia@northstar-demo.shop,
       why: "holiday bids cost more; hold a return of 6 on every dollar"}
  cac:                        # spend per distinct purchaser: bands per week, like conversion
    - {period: 2026-Q3, per: week, floor: 11, target: 9.5, stretch: 8.5, set_by: leo.garcia@northstar-demo.shop}
    - {period: 2026-Q4, per: week, floor: 13, target: 11, stretch: 10, set_by: leo.garcia@northstar-demo.shop}
  cost_per_lead:
    - {period: 2026, floor: 24, target: 21, stretch: 19, set_by: sarah.kim@northstar-demo.shop}
  lead_win_rate:
    - {period: 2026, floor: 17%, target: 20%, stretch: 23%, set_by: sarah.kim@northstar-demo.shop}
  close_rate:                 # of the deals that ended, the share won (by close date)
    - {period: 2026, floor: 24%, target: 28%, stretch: 32%, set_by: sarah.kim@northstar-demo.shop}
  closed_deal_value:          # by the day deals were won; a week's target is its share of the quarter's
    - {period: 2026-Q3, floor: 1300000, target: 1500000, stretch: 1700000, set_by: sarah.kim@northstar-demo.shop}
    - {period: 2026-Q4, floor: 2600000, target: 2900000, stretch: 3200000, set_by: sarah.kim@northstar-demo.shop}
  acceptance_rate:            # the share of rated leads sales accept (a rating of 3 or more)
    - {period: 2026, floor: 50%, target: 58%, stretch: 65%, set_by: sarah.kim@northstar-demo.shop,
       why: "agreed by marketing and sales: quality over volume"}
  csat:
    - {period: 2026, floor: 4.1, target: 4.3, stretch: 4.5, set_by: priya.nair@northstar-demo.shop}
  first_contact_resolution:
    - {period: 2026, floor: 60%, target: 68%, stretch: 72%, set_by: priya.nair@northstar-demo.shop}
  median_resolution_hours:
    - {period: 2026, floor: 14, target: 12, stretch: 10, set_by: priya.nair@northstar-demo.shop}

scorecards:                   # weekly; history is scored with the weights in force at the time
  growth:
    kpis:
      repurchase_30d: {}
      conversion_rate: {}
      revenue: {cap: 150%}    # linear to the target, up to 150 %
      return_rate: {scoring: threshold}   # met or not
    weights:
      - {from: 2026-08-03, repurchase_30d: 40%, conversion_rate: 25%, revenue: 25%, return_rate: 10%}
      - {from: 2026-11-16, repurchase_30d: 30%, conversion_rate: 20%, revenue: 40%, return_rate: 10%,
         set_by: maya.chen@northstar-demo.shop, why: "holiday season: revenue first"}
  marketing:
    max_weight: 70%           # the seed: one KPI may weigh up to 70 %
    kpis: [roas, cac, acceptance_rate]   # measured on the leads sales accept, not on cheap leads
    weights:
      - {from: 2026-08-03, roas: 40%, cac: 40%, acceptance_rate: 20%}
      - {from: 2026-11-16, roas: 70%, cac: 10%, acceptance_rate: 20%, set_by: leo.garcia@northstar-demo.shop,
         why: "holiday season: return on spend first"}
  sales:
    kpis: [close_rate, cost_per_lead, closed_deal_value]   # by close date: open leads do not drag them
    weights:
      - {from: 2026-08-03, close_rate: 40%, cost_per_lead: 30%, closed_deal_value: 30%}
  support:
    kpis: [csat, first_contact_resolution, median_resolution_hours]
    weights:
      - {from: 2026-08-03, csat: 40%, first_contact_resolution: 30%, median_resolution_hours: 30%}
  company:
    label: {en: Company, zh: 公司}
    weights:                  # the company card rolls up the teams' cards
      - {from: 2026-08-03, growth: 40%, marketing: 20%, sales: 20%, support: 20%}

okrs:
  repeat_business:
    objective: {en: Make first-time buyers come back, zh: 让首购客户再次购买}
    period: 2026-Q4
    team: growth
    owner: maya.chen@northstar-demo.shop
    key_results:
      - {metric: repurchase_30d, start: 24%, target: 28%, weight: 2}
      - {metric: return_rate, start: 9%, target: 7%}
      - {label: {en: Launch the loyalty programme, zh: 上线会员计划}, grade: 0.6}
    guardrails:               # KPIs as the floor: a breach raises an alert (northstar watch)
      - {metric: aov, floor: 50}   # do not buy repeat purchases with discounts
  wholesale:
    objective: {en: Grow the wholesale business, zh: 扩大批发业务}
    period: 2026-Q4
    team: sales
    owner: sarah.kim@northstar-demo.shop
    key_results:
      - {metric: closed_deal_value, target: 3000000}   # a sum: progress is the quarter-to-date total
      - {metric: close_rate, start: 27%, target: 32%}
    guardrails:
      - {metric: cost_per_lead, ceiling: 60}
"""
