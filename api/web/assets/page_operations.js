// Operations: health, readiness and a few key numbers over time, read from /metrics.
import { call } from "./api.js";
import { h, replace, svg } from "./dom.js";
import { badge, errorBox } from "./ui.js";
import { parseMetrics, perMinute, total } from "./metrics.js";

const series = [
  ["in", "Messages in per minute", (s) => total(s, "paige_webhook_events_total", { kind: "message" }), "rate"],
  ["out", "Messages sent per minute", (s) => total(s, "paige_outbound_sent_total"), "rate"],
  ["failed", "Send failures per minute", (s) => total(s, "paige_outbound_failed_total"), "rate"],
  ["backlog", "Outbound backlog", (s) => total(s, "paige_outbound_backlog"), "gauge"],
];
const keep = 60;  // points per chart: 5 minutes at one reading every 5 s
const every = 5000;

/** A small line chart of `points` (numbers), with its last value as text. */
function chart(label, points) {
  const w = 240, hgt = 60;
  const max = Math.max(1, ...points);
  const step = points.length > 1 ? w / (keep - 1) : 0;
  const path = points.map((v, i) => `${i ? "L" : "M"}${(i * step).toFixed(1)},${(hgt - (v / max) * (hgt - 4) - 2).toFixed(1)}`).join(" ");
  const last = points.length ? points[points.length - 1] : null;
  return h("figure", { class: "chart" },
    h("figcaption", {}, label, h("strong", {}, last === null ? " …" : ` ${Math.round(last * 10) / 10}`)),
    svg("svg", { viewBox: `0 0 ${w} ${hgt}`, width: w, height: hgt, role: "img", "aria-label": `${label}: ${last ?? "no data yet"}` },
      svg("path", { d: path || "M0,0", class: "line" })));
}

export function operationsPage(ctx) {
  document.title = "Operations — Paige";
  const health = h("div", { class: "row" });
  const charts = h("div", { class: "charts" });
  const history = Object.fromEntries(series.map(([key]) => [key, []]));
  let previous = null;
  let timer = null;
  ctx.onDispose(() => clearTimeout(timer));

  async function probe() {
    const [live, ready] = await Promise.all([
      fetch("/healthz").then((r) => r.ok).catch(() => false),
      fetch("/readyz").then(async (r) => ({ ok: r.ok, body: await r.json().catch(() => ({})) })).catch(() => ({ ok: false, body: {} })),
    ]);
    replace(health,
      h("span", {}, "Process ", badge(live ? "up" : "down")),
      h("span", {}, "Ready ", badge(ready.ok ? "ready" : "not_ready"), ready.body.reason ? h("span", { class: "muted" }, " " + ready.body.reason) : null));
  }

  async function tick() {
    try {
      await probe();
      const res = await fetch("/metrics");
      if (!res.ok) throw new Error("/metrics answered " + res.status);
      const samples = parseMetrics(await res.text());
      if (!ctx.active()) return;  // left meanwhile: no next reading
      const now = performance.now();
      const reading = Object.fromEntries(series.map(([key, , read]) => [key, read(samples)]));
      if (previous) {
        const seconds = (now - previous.at) / 1000;
        for (const [key, , , kind] of series) {
          const v = kind === "rate" ? perMinute(previous.values[key], reading[key], seconds) : reading[key];
          history[key].push(v);
          if (history[key].length > keep) history[key].shift();
        }
      } else {
        for (const [key, , , kind] of series) if (kind === "gauge") history[key].push(reading[key]);
      }
      previous = { at: now, values: reading };
      replace(charts, series.map(([key, label]) => chart(label, history[key])));
    } catch (e) {
      if (!ctx.active()) return;
      replace(charts, errorBox(e));
    }
    timer = setTimeout(tick, every);
  }
  replace(charts, series.map(([key, label]) => chart(label, history[key])));
  tick();
  return h("div", {},
    h("header", { class: "page-head" }, h("h1", {}, "Operations")),
    h("section", { class: "card" }, h("h2", {}, "Health"), health),
    h("section", { class: "card" }, h("h2", {}, "Traffic (every 5 s, last 5 minutes)"), charts,
      h("p", { class: "muted" }, "Every metric, for Prometheus: ", h("a", { href: "/metrics" }, "/metrics"), ".")));
}
