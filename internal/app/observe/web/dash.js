// The seckill dashboard: polls /admin/dashboard every second and draws the
// sale with the DOM and two canvases. No library, nothing from a CDN.
"use strict";

const colours = {
  won: "#1a7f37", already_won: "#4ac26b", sold_out: "#cf222e", busy: "#bf8700",
  not_started: "#0969da", ended: "#6e7781", unavailable: "#8250df", unauthorized: "#953800",
  not_reserved: "#1b7c83", limit_reached: "#a475f9", blocked: "#57606a",
  captcha_required: "#fa4549", bad_request: "#d4a72c", unknown_sku: "#afb8c1",
};
const colour = (r) => colours[r] || "#24292f";
const $ = (id) => document.getElementById(id);
const fmt = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const num = (n) => (n === null || n === undefined ? "—" : fmt.format(n));
const ms = (v) => (v > 0 ? (v < 10 ? v.toFixed(2) : v.toFixed(1)) + " ms" : "—");

let data = null;

function duration(msLeft) {
  const s = Math.max(0, Math.floor(msLeft / 1000));
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  const pad = (x) => String(x).padStart(2, "0");
  return (d > 0 ? d + "d " : "") + pad(h) + ":" + pad(m) + ":" + pad(s % 60);
}

// countdown names the next round to open, or the round on sale and its end,
// counted on the server's clock (the offset is taken at each poll).
function countdown() {
  if (!data) return;
  const now = Date.now() + data.offset;
  const next = data.rounds.filter((r) => r.start_ms > now).sort((a, b) => a.start_ms - b.start_ms)[0];
  const on = data.rounds.filter((r) => r.start_ms <= now && now < r.end_ms);
  let text = "no round scheduled";
  if (next) text = "“" + (next.title || next.activity) + "” opens in " + duration(next.start_ms - now);
  else if (on.length) text = "on sale: “" + (on[0].title || on[0].activity) + "”, ends in " + duration(on[0].end_ms - now);
  $("countdown").textContent = text;
}

function badge(el, text, cls) {
  el.textContent = text;
  el.className = "badge " + cls;
}

function render(d) {
  const last = d.last || { attempts: {}, wins: 0, p50_ms: 0, p99_ms: 0 };
  const rate = Object.values(last.attempts).reduce((a, b) => a + b, 0);
  $("attempts-rate").textContent = num(rate);
  $("wins-rate").textContent = num(last.wins);
  $("p50").textContent = ms(last.p50_ms);
  $("p99").textContent = ms(last.p99_ms);
  $("open").textContent = num(d.open);
  $("refused").textContent = num(d.refused);
  $("queue").textContent = num(d.queue);
  $("push").textContent = d.pushing ? num(d.push_backlog) : "off";
  badge($("store"), d.store_failed ? "FAILED" : "ok", d.store_failed ? "bad" : "ok");
  badge($("health"), d.health, d.health === "ok" ? "ok" : d.health === "draining" ? "warn" : "bad");
  const upd = $("updated");
  upd.textContent = new Date(d.server_ms).toLocaleTimeString();
  upd.dataset.ms = d.server_ms;

  const rows = d.skus.map((s) => {
    const pct = s.quota > 0 ? (100 * s.sold) / s.quota : 0;
    const a = s.attempts, total = Object.values(a).reduce((x, y) => x + y, 0);
    const key = s.activity + "/" + s.sku;
    const esc = (t) => String(t).replace(/[&<>"]/g, (c) => "&#" + c.charCodeAt(0) + ";");
    const cell = (k, v) => "<td class=\"num\" data-k=\"" + k + "\" data-v=\"" + v + "\">" + num(v) + "</td>";
    return "<tr data-key=\"" + esc(key) + "\">" +
      "<td>" + esc(s.activity) + "</td><td>" + esc(s.sku) + "</td><td>" + esc(s.name || "") + "</td>" +
      "<td class=\"state-" + esc(s.state) + "\">" + esc(s.state) + "</td>" +
      cell("quota", s.quota) + cell("sold", s.sold) + cell("remaining", s.remaining) +
      "<td class=\"bar\"><div class=\"track\"><div style=\"width:" + pct.toFixed(1) + "%\"></div></div></td>" +
      cell("queue", s.queue) + cell("attempts", total) + cell("won", a.won || 0) +
      cell("sold_out", a.sold_out || 0) + cell("busy", a.busy || 0) + "</tr>";
  });
  document.querySelector("#skus tbody").innerHTML = rows.join("");

  const seen = d.results.filter((r) => d.history.some((p) => p.attempts[r] > 0));
  $("legend").innerHTML = seen.map((r) => "<span><i style=\"background:" + colour(r) + "\"></i>" + r + "</span>").join("");
  chart($("chart-attempts"), d.history, seen.map((r) => ({ colour: colour(r), value: (p) => p.attempts[r] || 0 })));
  chart($("chart-wins"), d.history, [
    { colour: "#1a7f37", value: (p) => p.wins },
    { colour: "#8250df", value: (p) => p.p99_ms, own: true },
  ]);
  countdown();
}

// chart draws each series as a line over the history, all on one scale
// except a series marked own, which gets its own (right-hand) scale.
function chart(canvas, history, series) {
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || canvas.width, h = canvas.clientHeight || canvas.height;
  canvas.width = w * ratio;
  canvas.height = h * ratio;
  const g = canvas.getContext("2d");
  g.scale(ratio, ratio);
  g.clearRect(0, 0, w, h);
  const pad = { l: 48, r: 48, t: 8, b: 18 };
  const n = 120, x = (i) => pad.l + ((w - pad.l - pad.r) * (i + n - history.length)) / (n - 1);
  const shared = Math.max(1, ...series.filter((s) => !s.own).flatMap((s) => history.map(s.value)));
  g.font = "11px system-ui, sans-serif";
  g.fillStyle = "#57606a";
  g.strokeStyle = "#eaeef2";
  for (let k = 0; k <= 4; k++) {
    const y = pad.t + ((h - pad.t - pad.b) * k) / 4;
    g.beginPath(); g.moveTo(pad.l, y); g.lineTo(w - pad.r, y); g.stroke();
    g.fillText(fmt.format((shared * (4 - k)) / 4), 2, y + 4);
  }
  g.fillText("-2 min", pad.l, h - 4);
  g.fillText("now", w - pad.r - 20, h - 4);
  for (const s of series) {
    const top = s.own ? Math.max(1, ...history.map(s.value)) : shared;
    if (s.own) g.fillText(top.toFixed(1), w - pad.r + 4, pad.t + 4);
    g.strokeStyle = s.colour;
    g.lineWidth = 2;
    g.beginPath();
    history.forEach((p, i) => {
      const y = pad.t + (h - pad.t - pad.b) * (1 - s.value(p) / top);
      if (i === 0) g.moveTo(x(i), y); else g.lineTo(x(i), y);
    });
    g.stroke();
  }
}

async function poll() {
  try {
    const res = await fetch("/admin/dashboard", { cache: "no-store", credentials: "same-origin" });
    if (!res.ok) throw new Error("HTTP " + res.status);
    const d = await res.json();
    d.offset = d.server_ms - Date.now();
    data = d;
    render(d);
  } catch (e) {
    badge($("health"), "unreachable", "bad");
  }
}

poll();
setInterval(poll, 1000);
setInterval(countdown, 250);
