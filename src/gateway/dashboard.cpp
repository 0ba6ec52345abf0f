#include "gateway/dashboard.hpp"

namespace rampart::gateway {

namespace {
// Everything the browser gets. DOM text is set with textContent only (block and account data
// come from the cluster and are not to be trusted as markup). Rows carry data-* attributes
// (data-replica, data-up, data-k) that the Chromium test reads, as a user reads the table.
constexpr const char* kPage = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rampart wallet dashboard</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f5f6f8; color: #1d2330; }
  header { background: #1d2330; color: #fff; padding: 10px 20px; display: flex; gap: 24px; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0; }
  main { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 16px; padding: 16px 20px; }
  section { background: #fff; border-radius: 6px; padding: 12px 16px; box-shadow: 0 1px 2px #0002; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid #eee; vertical-align: top; }
  .mono { font-family: ui-monospace, monospace; font-size: 12px; }
  .note { color: #667; font-size: 12px; }
  .badge { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 12px; }
  .ok { background: #d9f2e0; color: #17692f; }
  .bad { background: #fbdcdc; color: #8a1c1c; }
  .primary { font-weight: 600; }
  canvas { width: 100%; height: 220px; }
  input[type=text] { width: 70%; font-family: ui-monospace, monospace; }
  pre { white-space: pre-wrap; word-break: break-all; font-size: 11px; margin: 4px 0; }
  .legend span { margin-right: 14px; }
</style>
</head>
<body>
<header><h1>Rampart wallet</h1><span id="cluster">connecting&hellip;</span><span id="conn" class="note"></span></header>
<main>
<section id="replicas-section">
  <h2>Replicas</h2>
  <table id="replicas"><thead><tr><th>id</th><th>address</th><th>role</th><th>view</th><th>height</th><th>final</th><th>proven</th></tr></thead><tbody></tbody></table>
  <p class="note">As each replica reports itself on its metrics port (self-reported, not proven).</p>
</section>
<section>
  <h2>Throughput and latency (last 60 s)</h2>
  <canvas id="chart" width="720" height="220"></canvas>
  <div class="legend note"><span style="color:#2563eb">&#9632; cluster ops/s (executed, from replica metrics)</span>
  <span style="color:#d97706">&#9632; gateway p50 latency, ms</span><span style="color:#9ca3af">&#9632; gateway p99 latency, ms</span></div>
</section>
<section>
  <h2>Latest blocks</h2>
  <table id="blocks"><thead><tr><th>k</th><th>view</th><th>block hash</th><th>results root</th><th>proof</th></tr></thead><tbody></tbody></table>
  <p class="note">Blocks whose replies this gateway received; the gateway checked each block's BLS group signature
  and the reply's Merkle proof before showing it. This page does not re-check BLS signatures in the browser:
  "verified by gateway" is the gateway's word. A client that trusts no gateway checks the proof itself
  (<span class="mono">rampart wallet --gateway</span> does).</p>
</section>
<section>
  <h2>Account lookup</h2>
  <form id="lookup"><input type="text" id="account" placeholder="account: 64 hex digits (Ed25519 public key)" autocomplete="off">
  <button type="submit">Look up</button></form>
  <div id="account-result"></div>
</section>
</main>
<script>
"use strict";
const $ = (s) => document.querySelector(s);
const short = (h) => (h && h.length > 20 ? h.slice(0, 10) + "\u2026" + h.slice(-6) : String(h ?? ""));
function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; }
async function getJSON(url) {
  const r = await fetch(url, { cache: "no-store" });
  const j = await r.json();
  if (!r.ok) { const e = new Error(j.detail || j.title || ("HTTP " + r.status)); e.body = j; throw e; }
  return j;
}

// --- cluster and replicas ---
const opsHistory = [];   // cluster ops/s, one point per replica sample
let lastOps = null;
async function pollStatus() {
  try {
    const s = await getJSON("/v1/status");
    $("#cluster").textContent = `app ${s.app} \u00b7 n = ${s.n}, f = ${s.f} \u00b7 ${s.protocol} \u00b7 latest block seen ${s.latest_block}`;
  } catch (e) { $("#cluster").textContent = "gateway unreachable: " + e.message; }
}
async function pollReplicas() {
  try {
    const s = await getJSON("/v1/replicas");
    const tb = $("#replicas tbody");
    tb.replaceChildren();
    let ops = -1;
    for (const r of s.replicas) {
      const tr = el("tr");
      tr.dataset.replica = r.id; tr.dataset.up = r.up; tr.dataset.role = r.role;
      tr.append(el("td", r.id), el("td", `${r.host}:${r.metrics_port}`, "mono"),
                el("td", r.role, r.role === "primary" ? "primary" : ""), el("td", r.view ?? "\u2013"),
                el("td", r.height ?? "\u2013"), el("td", r.final_height ?? "\u2013"), el("td", r.proven_height ?? "\u2013"));
      if (!r.up) tr.children[2].append(" ", el("span", "down", "badge bad"));
      tb.append(tr);
      if (r.up && r.ops_executed !== undefined) ops = Math.max(ops, r.ops_executed);
    }
    if (ops >= 0 && lastOps && s.sampled_unix_ms > lastOps.t)
      opsHistory.push(Math.max(0, (ops - lastOps.ops) * 1000 / (s.sampled_unix_ms - lastOps.t)));
    if (ops >= 0) lastOps = { ops, t: s.sampled_unix_ms };
    while (opsHistory.length > 60) opsHistory.shift();
    $("#conn").textContent = "updated " + new Date().toLocaleTimeString();
  } catch (e) { $("#conn").textContent = "replicas: " + e.message; }
}

// --- chart: a hand-drawn canvas, two y axes (ops/s left, ms right) ---
let latency = [];
async function pollStats() {
  try { latency = (await getJSON("/v1/stats")).seconds; } catch (e) { /* the next poll retries */ }
}
function drawChart() {
  const c = $("#chart"), g = c.getContext("2d"), W = c.width, H = c.height, L = 48, R = 48, T = 10, B = 22;
  g.clearRect(0, 0, W, H);
  g.font = "11px sans-serif"; g.strokeStyle = "#ddd"; g.fillStyle = "#667";
  const opsMax = Math.max(10, ...opsHistory) * 1.1;
  const ms = latency.flatMap((p) => [p.p50_ms, p.p99_ms]).filter((v) => v !== null);
  const msMax = Math.max(1, ...ms) * 1.1;
  for (let i = 0; i <= 4; i++) {
    const y = T + (H - T - B) * i / 4;
    g.beginPath(); g.moveTo(L, y); g.lineTo(W - R, y); g.stroke();
    g.textAlign = "right"; g.fillText(Math.round(opsMax * (1 - i / 4)), L - 4, y + 4);
    g.textAlign = "left"; g.fillText((msMax * (1 - i / 4)).toFixed(1), W - R + 4, y + 4);
  }
  g.textAlign = "center"; g.fillText("seconds ago: 60 \u2026 0", W / 2, H - 6);
  g.textAlign = "left"; g.fillText("ops/s", 2, H - 6);
  g.textAlign = "right"; g.fillText("ms", W - 2, H - 6);
  const line = (vals, max, color, n) => {
    g.strokeStyle = color; g.lineWidth = 2; g.beginPath();
    let started = false;
    vals.forEach((v, i) => {
      if (v === null || v === undefined) { started = false; return; }
      const x = L + (W - L - R) * (n - vals.length + i) / (n - 1), y = T + (H - T - B) * (1 - v / max);
      if (started) g.lineTo(x, y); else g.moveTo(x, y);
      started = true;
    });
    g.stroke(); g.lineWidth = 1;
  };
  line(opsHistory, opsMax, "#2563eb", 60);
  line(latency.map((p) => p.p99_ms), msMax, "#9ca3af", 60);
  line(latency.map((p) => p.p50_ms), msMax, "#d97706", 60);
}

// --- blocks: the newest on load, then the event stream (and a slower poll to fill gaps) ---
const blocks = new Map();
function addBlock(b) {
  if (blocks.has(b.k)) return;
  blocks.set(b.k, b);
  const keep = [...blocks.keys()].sort((a, b) => b - a).slice(0, 12);
  for (const k of [...blocks.keys()]) if (!keep.includes(k)) blocks.delete(k);
  const tb = $("#blocks tbody");
  tb.replaceChildren();
  for (const k of keep) {
    const x = blocks.get(k), tr = el("tr");
    tr.dataset.k = x.k;
    const proof = el("td");
    const badge = el("span", x.verified_by === "gateway" ? "\u2713 verified by gateway" : "unverified", x.verified_by === "gateway" ? "badge ok" : "badge bad");
    const d = el("details"), sum = el("summary");
    sum.append(badge);
    d.append(sum, el("pre", JSON.stringify(x, null, 1)));
    proof.append(d);
    tr.append(el("td", x.k), el("td", x.view), el("td", short(x.hash), "mono"), el("td", short(x.results_root), "mono"), proof);
    tb.append(tr);
  }
}
async function loadBlocks() {
  try { for (const b of (await getJSON("/v1/blocks?limit=12")).blocks) addBlock(b); } catch (e) { /* retried */ }
}
function follow() {
  const es = new EventSource("/v1/events");
  es.addEventListener("block", (ev) => addBlock(JSON.parse(ev.data)));
}

// --- account lookup ---
$("#lookup").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const out = $("#account-result"), a = $("#account").value.trim();
  out.replaceChildren(el("p", "asking the replicas\u2026", "note"));
  try {
    // A proven read no older than the newest block this page knows of, so a transfer it has
    // just seen is in the answer (min_k; the gateway answers 503 height-not-reached otherwise).
    const minK = Math.max(0, ...blocks.keys());
    const j = await getJSON("/v1/balance/" + encodeURIComponent(a) + "?min_k=" + minK);
    const e = (j.result.entries && j.result.entries[0]) || { balance: 0, nonce: 0 };
    const t = el("table");
    for (const [k, v] of [["account", a], ["balance", e.balance], ["next nonce", e.nonce],
                          ["as of block", `${j.proof.k} (view ${j.proof.view})`], ["state digest", j.proof.state_digest],
                          ["read server", j.read.server]]) {
      const tr = el("tr"); tr.append(el("th", k), el("td", v, "mono")); t.append(tr);
    }
    const tr = el("tr"), td = el("td");
    td.append(el("span", "\u2713 verified by gateway", "badge ok"),
              el("span", " a proven read (no consensus round): group signature and state proof checked by the gateway; the proof is below for your own check", "note"));
    tr.append(el("th", "proof"), td); t.append(tr);
    out.replaceChildren(t, el("pre", j.proof.state_proof, "mono"));
    out.dataset.balance = e.balance;
  } catch (err) {
    out.replaceChildren(el("p", (err.body && err.body.field ? err.body.field + ": " : "") + err.message, "badge bad"));
  }
});

pollStatus(); pollReplicas(); pollStats(); loadBlocks(); follow();
setInterval(pollStatus, 2000);
setInterval(pollReplicas, 1000);
setInterval(pollStats, 1000);
setInterval(loadBlocks, 5000);
setInterval(drawChart, 1000);
drawChart();
</script>
</body>
</html>
)html";
}  // namespace

const std::string& dashboard_html() {
  static const std::string page = kPage;
  return page;
}

const char* dashboard_csp() {
  return "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'; "
         "base-uri 'none'; form-action 'none'";
}

}  // namespace rampart::gateway
