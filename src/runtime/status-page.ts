/**
 * The status page at `/`: the counterpart of the Spark UI the replaced job had.
 * One self-contained HTML document (no external scripts, fonts or styles) that
 * fetches `/status.json` every few seconds and draws the job's configuration,
 * its partitions and lag, throughput and duplicate ratio over time, the new
 * patterns found at ingest (when anomaly scoring is on), and the recent
 * batches with their counts and stage timings.
 */
export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>logstream</title>
<link rel="icon" href="data:,">
<style>
  :root { --fg: #1d2330; --muted: #667085; --line: #e4e7ec; --accent: #2e6ee6; --warn: #d9822b; --ok: #12a454; --bad: #d92d20; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: #f7f8fa; }
  header { display: flex; align-items: baseline; gap: 16px; padding: 14px 24px; background: #fff; border-bottom: 1px solid var(--line); }
  header h1 { margin: 0; font-size: 18px; }
  .pill { padding: 2px 10px; border-radius: 999px; font-size: 12px; font-weight: 600; color: #fff; background: var(--muted); }
  .pill.running { background: var(--ok); } .pill.stopping { background: var(--warn); } .pill.stopped { background: var(--bad); }
  main { padding: 16px 24px; display: grid; gap: 16px; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); }
  section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; }
  section.wide { grid-column: 1 / -1; }
  h2 { margin: 0 0 10px; font-size: 14px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
  .tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(120px, 1fr)); gap: 10px; }
  .tile { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
  .tile b { display: block; font-size: 20px; font-variant-numeric: tabular-nums; }
  .tile span { color: var(--muted); font-size: 12px; }
  table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
  th, td { text-align: right; padding: 4px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
  th:first-child, td:first-child { text-align: left; }
  th { color: var(--muted); font-weight: 500; font-size: 12px; }
  svg { width: 100%; height: 160px; display: block; }
  .axis { stroke: var(--line); } .series { fill: none; stroke-width: 2; }
  .legend { color: var(--muted); font-size: 12px; }
  pre { margin: 0; max-height: 320px; overflow: auto; font-size: 12px; background: #f7f8fa; padding: 8px; border-radius: 6px; }
  .muted { color: var(--muted); }
  #patterns td.example { text-align: left; white-space: normal; word-break: break-all; font-family: ui-monospace, monospace; font-size: 12px; }
  #patterns td.level { text-align: left; }
</style>
</head>
<body>
<header><h1>logstream</h1><span id="job" class="muted"></span><span id="phase" class="pill">…</span><span id="updated" class="muted"></span></header>
<main>
  <section class="wide"><h2>Totals</h2><div class="tiles" id="tiles"></div></section>
  <section><h2>Throughput (messages/s per batch)</h2><svg id="throughput" role="img" aria-label="throughput chart"></svg><div class="legend" id="throughput-legend"></div></section>
  <section><h2>Duplicate ratio per batch</h2><svg id="duplicates" role="img" aria-label="duplicate ratio chart"></svg><div class="legend" id="duplicates-legend"></div></section>
  <section class="wide" id="patterns-section"><h2>New patterns</h2><table id="patterns"><thead><tr><th>first seen</th><th>lines since</th><th>score</th><th>level</th><th>example line</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Partitions</h2><table id="partitions"><thead><tr><th>partition</th><th>next offset</th><th>lag</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Configuration</h2><pre id="config"></pre></section>
  <section class="wide"><h2>Recent batches</h2><table id="batches"><thead><tr><th>batch</th><th>committed</th><th>received</th><th>stored</th><th>existing</th><th>in-batch dups</th><th>dead letters</th><th>anomalous</th><th>dedup s</th><th>embed s</th><th>score s</th><th>sink s</th><th>commit s</th></tr></thead><tbody></tbody></table></section>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const fmt = (n) => typeof n === "number" ? n.toLocaleString("en-US") : String(n ?? "–");
const secs = (n) => typeof n === "number" ? n.toFixed(3) : "–";
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

function chart(svg, points, colour, max) {
  const w = svg.clientWidth || 400, h = svg.clientHeight || 160, pad = 24;
  svg.setAttribute("viewBox", "0 0 " + w + " " + h);
  const top = max ?? Math.max(1, ...points.map((p) => p[1]));
  const x0 = points.length ? points[0][0] : 0, x1 = points.length ? points[points.length - 1][0] : 1;
  const sx = (x) => pad + (x1 === x0 ? 0.5 : (x - x0) / (x1 - x0)) * (w - 2 * pad);
  const sy = (y) => h - pad - (y / top) * (h - 2 * pad);
  const path = points.map((p, i) => (i ? "L" : "M") + sx(p[0]).toFixed(1) + " " + sy(p[1]).toFixed(1)).join(" ");
  svg.innerHTML = '<line class="axis" x1="' + pad + '" y1="' + (h - pad) + '" x2="' + (w - pad) + '" y2="' + (h - pad) + '"/>' +
    '<line class="axis" x1="' + pad + '" y1="' + pad + '" x2="' + pad + '" y2="' + (h - pad) + '"/>' +
    '<text x="' + (pad + 4) + '" y="' + (pad - 8) + '" font-size="11" fill="#667085">' + (max === 1 ? "100%" : fmt(Math.round(top))) + '</text>' +
    (points.length ? '<path class="series" stroke="' + colour + '" d="' + path + '"/>' : "") +
    points.map((p) => '<circle cx="' + sx(p[0]).toFixed(1) + '" cy="' + sy(p[1]).toFixed(1) + '" r="2.5" fill="' + colour + '"/>').join("");
}

function render(s) {
  $("job").textContent = "job " + (s.config?.job ?? "?") + " · " + (s.source ?? "");
  const phase = $("phase"); phase.textContent = s.phase + (s.ready ? " · ready" : " · not ready"); phase.className = "pill " + s.phase;
  $("updated").textContent = "updated " + new Date().toLocaleTimeString();
  const t = s.totals;
  const tiles = [["received", t.received], ["stored", t.stored], ["skipped (existing)", t.skippedExisting], ["duplicates in batches", t.duplicatesInBatch], ["dead letters", t.deadLettered], ["batches", t.batches], ["in flight", s.inFlight], ["duplicate ratio", t.received ? ((t.skippedExisting + t.duplicatesInBatch) / t.received * 100).toFixed(1) + "%" : "–"]];
  $("tiles").innerHTML = tiles.map(([k, v]) => '<div class="tile" data-metric="' + esc(k) + '"><b>' + esc(fmt(v)) + '</b><span>' + esc(k) + '</span></div>').join("");
  const hist = s.history;
  const rate = hist.map((b, i) => { const prev = i ? hist[i - 1].committedAt : s.startedAt; return [b.committedAt, b.received / Math.max(0.001, (b.committedAt - prev) / 1000)]; });
  chart($("throughput"), rate, "#2e6ee6");
  $("throughput-legend").textContent = hist.length + " batches; last " + (rate.length ? fmt(Math.round(rate[rate.length - 1][1])) + " msg/s" : "–");
  const dup = hist.map((b) => [b.committedAt, b.received ? (b.skippedExisting + b.duplicatesInBatch) / b.received : 0]);
  chart($("duplicates"), dup, "#d9822b", 1);
  $("duplicates-legend").textContent = dup.length ? "last " + (dup[dup.length - 1][1] * 100).toFixed(1) + "% skipped" : "no batch yet";
  $("partitions").tBodies[0].innerHTML = s.partitions.map((p) => "<tr><td>" + esc(p.partition) + "</td><td>" + fmt(p.position) + "</td><td>" + fmt(p.lag) + "</td></tr>").join("") || '<tr><td colspan="3" class="muted">none yet</td></tr>';
  $("config").textContent = JSON.stringify(s.config, null, 2);
  $("patterns-section").hidden = s.patterns === null;
  if (s.patterns) $("patterns").tBodies[0].innerHTML = s.patterns.map((p) => '<tr data-shape="' + esc(p.shape) + '"><td title="announced ' + esc(new Date(p.announcedAt).toLocaleString()) + '">' + esc(new Date(p.firstSeenAt).toLocaleString()) + '</td><td class="lines">' + fmt(p.lines) + '</td><td>' + p.score.toFixed(2) + '</td><td class="level">' + esc(p.level) + '</td><td class="example">' + esc(p.example) + '</td></tr>').join("") || '<tr><td colspan="5" class="muted">none: every line so far is like the history</td></tr>';
  $("batches").tBodies[0].innerHTML = hist.slice(-25).reverse().map((b) => "<tr><td>" + b.seq + "</td><td>" + new Date(b.committedAt).toLocaleTimeString() + "</td><td>" + fmt(b.received) + "</td><td>" + fmt(b.stored) + "</td><td>" + fmt(b.skippedExisting) + "</td><td>" + fmt(b.duplicatesInBatch) + "</td><td>" + fmt(b.deadLettered) + "</td><td>" + fmt(b.anomalous) + "</td><td>" + secs(b.timings.dedup) + "</td><td>" + secs(b.timings.embed) + "</td><td>" + secs(b.timings.score) + "</td><td>" + secs(b.timings.sink) + "</td><td>" + secs(b.timings.commit) + "</td></tr>").join("");
}

async function refresh() {
  try {
    const res = await fetch("status.json", { cache: "no-store" });
    if (res.ok) render(await res.json());
  } catch (err) {
    $("updated").textContent = "job unreachable";
  }
}
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>
`
