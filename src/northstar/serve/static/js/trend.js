// Trend helpers shared by the overview and the KPI page: period labels and target-band lines.
import { addWords, fmt, t } from "./core.js";

addWords({
  en: { "trend.under_way": "period under way", "trend.to_date": "{period} (to {day})", "trend.provisional_line": "provisional (window open)" },
  zh: { "trend.under_way": "未结束的周期", "trend.to_date": "{period}（截至 {day}）", "trend.provisional_line": "暂定（观察窗口未结束）" },
});

/** A series point's period as text: its goal-period label (2026-W47) or the day. */
export function periodText(point, grain) {
  if (point.period_label) return point.period_label;
  const p = point.period || "";
  return grain === "hour" ? p.slice(0, 16).replace("T", " ") : p.slice(0, 10);
}

/** Dashed step lines for the floor, target and stretch of each point (null where none). */
export function bandSeries(points, format, unit) {
  if (!points.some((p) => p.bands)) return [];
  const line = (key, color) => ({
    name: t(`band.${key}`),
    type: "line",
    step: "middle",
    symbol: "none",
    connectNulls: false,
    lineStyle: { type: "dashed", width: 1.2, color },
    itemStyle: { color },
    tooltip: { valueFormatter: (v) => fmt(v, format, unit) },
    data: points.map((p) => (p.bands && p.bands[key] !== null && p.bands[key] !== undefined ? p.bands[key] : null)),
  });
  return [line("floor", "#d9534f"), line("target", "#2e7d32"), line("stretch", "#1565c0")];
}

/** A line's data: each point's value, drawn hollow and grey where it is provisional (a repeat rate
 *  or conversion whose window is still open: its value will still rise). */
export function valueData(points) {
  return points.map((p) =>
    p.provisional ? { value: p.value, symbol: "emptyCircle", symbolSize: 7, itemStyle: { color: "#9e9e9e" } } : p.value,
  );
}

/** Whether any point is provisional (the page then says what the grey points mean). */
export function anyProvisional(points) {
  return points.some((p) => p.provisional);
}

/** The indexes of the points whose period runs past `end` (YYYY-MM-DD, the last day the answer
 *  covers): a week or month still under way. Its sum or count covers only part of the period, so
 *  drawn like the others it reads as a collapse. */
export function partialPoints(points, grain, end) {
  const out = new Set();
  if (!end || !["week", "month", "quarter", "year"].includes(grain)) return out;
  const last = Date.UTC(Number(end.slice(0, 4)), Number(end.slice(5, 7)) - 1, Number(end.slice(8, 10)));
  points.forEach((p, i) => {
    const s = (p.period || "").slice(0, 10);
    if (s.length < 10) return;
    const [y, m, d] = [Number(s.slice(0, 4)), Number(s.slice(5, 7)) - 1, Number(s.slice(8, 10))];
    const next = { week: Date.UTC(y, m, d + 7), month: Date.UTC(y, m + 1, d), quarter: Date.UTC(y, m + 3, d), year: Date.UTC(y + 1, m, d) }[grain];
    if (next - 86400000 > last) out.add(i);
  });
  return out;
}

/** The dashed orange line from the last whole period to the one under way (`partial`: from
 *  partialPoints); the main line leaves those points out. */
export function underWaySeries(points, partial) {
  return {
    name: t("trend.under_way"),
    type: "line",
    data: points.map((p, i) => (partial.has(i) || partial.has(i + 1) ? p.value : null)),
    symbol: "emptyCircle",
    symbolSize: 9,
    lineStyle: { type: "dashed", color: "#e8590c" },
    itemStyle: { color: "#e8590c" },
  };
}

/** The grey dotted line over the provisional points (from the last settled one, so the line
 *  continues), leaving out `skip` (a period under way has its own line); null when there are none.
 *  The main line leaves the provisional points out, so an open window's low values are not drawn
 *  as the KPI's fall. */
export function provisionalSeries(points, skip = new Set()) {
  const prov = new Set();
  points.forEach((p, i) => {
    if (p.provisional && !skip.has(i)) prov.add(i);
  });
  if (!prov.size) return null;
  return {
    name: t("trend.provisional_line"),
    type: "line",
    data: points.map((p, i) => ((prov.has(i) || prov.has(i + 1)) && !skip.has(i) ? p.value : null)),
    symbol: "emptyCircle",
    symbolSize: 7,
    lineStyle: { type: "dotted", color: "#9e9e9e" },
    itemStyle: { color: "#9e9e9e" },
  };
}
