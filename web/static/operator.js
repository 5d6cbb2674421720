// The operator's insights page: asks for the counts with the token typed in (kept in memory only),
// draws them as SVG charts (no library, nothing from another site) and offers CSV / JSON exports.
"use strict";
(function () {
  const api = document.body.dataset.api || "/operator/api";
  const SVG = "http://www.w3.org/2000/svg";
  const COLOURS = ["#0b3d91", "#b3261e", "#a84300", "#2e7d32", "#6a1b9a", "#00838f", "#735c00", "#c2185b",
    "#37474f", "#5d4037", "#1565c0", "#558b2f", "#ef6c00", "#4527a0", "#00695c"];
  let token = "";
  let days = 30;

  function $(id) { return document.getElementById(id); }

  function svg(name, attributes, text) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function sum(rows, key) {
    const totals = new Map();
    for (const row of rows) totals.set(row[key], (totals.get(row[key]) || 0) + row.count);
    return [...totals.entries()].sort((a, b) => b[1] - a[1]);
  }

  function empty(target) {
    target.replaceChildren();
    const p = document.createElement("p");
    p.className = "empty";
    p.textContent = "Nothing counted yet.";
    target.append(p);
  }

  // Horizontal bars: one per [label, value]. Short labels sit left of their bar in a compact chart;
  // long ones (the warning signs, whole sentences) sit above a full-width bar.
  function bars(target, entries, colour, long) {
    if (!entries.length) return empty(target);
    const width = long ? 760 : 380, labelWidth = long ? 0 : 90, row = long ? 44 : 26;
    const max = Math.max(...entries.map((entry) => entry[1]));
    const chart = svg("svg", { viewBox: `0 0 ${width} ${entries.length * row + 4}`, role: "img",
      "aria-label": entries.map((entry) => `${entry[0]}: ${entry[1]}`).join(", ") });
    entries.forEach(([label, value], index) => {
      const top = index * row + 2;
      const text = String(label);
      const barY = long ? top + 20 : top;
      if (long) {
        chart.append(svg("text", { x: 0, y: top + 14 }, text.length > 60 ? text.slice(0, 59) + "…" : text));
      } else {
        chart.append(svg("text", { x: labelWidth - 8, y: top + 15, "text-anchor": "end" },
          text.length > 12 ? text.slice(0, 11) + "…" : text));
      }
      const length = Math.max(2, ((width - labelWidth - 50) * value) / max);
      chart.append(svg("rect", { x: labelWidth, y: barY, width: length, height: long ? 16 : row - 8, rx: 3,
        fill: colour || COLOURS[0] }));
      chart.append(svg("text", { x: labelWidth + length + 6, y: barY + (long ? 13 : 14) }, String(value)));
    });
    target.replaceChildren(chart);
  }

  // Stacked columns: one per day, one colour per scam type.
  function stacked(target, legend, rows) {
    const flagged = rows.filter((row) => row.scam_type !== "none");
    legend.replaceChildren();
    if (!flagged.length) return empty(target);
    const dayList = [...new Set(flagged.map((row) => row.day))].sort();
    const types = sum(flagged, "scam_type").map((entry) => entry[0]);
    const byDay = new Map(dayList.map((day) => [day, new Map()]));
    for (const row of flagged) {
      const counts = byDay.get(row.day);
      counts.set(row.scam_type, (counts.get(row.scam_type) || 0) + row.count);
    }
    const totals = dayList.map((day) => [...byDay.get(day).values()].reduce((a, b) => a + b, 0));
    const max = Math.max(...totals);
    const width = 760, height = 260, left = 40, bottom = 40;
    const step = (width - left) / dayList.length;
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img",
      "aria-label": `Verdicts by scam type over ${dayList.length} day(s)` });
    chart.append(svg("line", { x1: left, y1: height - bottom, x2: width, y2: height - bottom, stroke: "#5b6777" }));
    chart.append(svg("text", { x: left - 6, y: 12, "text-anchor": "end" }, String(max)));
    chart.append(svg("text", { x: left - 6, y: height - bottom, "text-anchor": "end" }, "0"));
    dayList.forEach((day, index) => {
      let y = height - bottom;
      types.forEach((type, colour) => {
        const value = byDay.get(day).get(type) || 0;
        if (!value) return;
        const h = ((height - bottom - 16) * value) / max;
        y -= h;
        const rect = svg("rect", { x: left + index * step + step * 0.15, y, width: Math.max(2, step * 0.7), height: h,
          fill: COLOURS[colour % COLOURS.length] });
        rect.append(svg("title", {}, `${day} ${type}: ${value}`));
        chart.append(rect);
      });
      if (dayList.length <= 14 || index % Math.ceil(dayList.length / 10) === 0) {
        chart.append(svg("text", { x: left + index * step + step / 2, y: height - bottom + 16, "text-anchor": "middle" },
          day.slice(5)));
      }
    });
    target.replaceChildren(chart);
    types.forEach((type, colour) => {
      const item = document.createElement("li");
      const swatch = svg("svg", { width: 12, height: 12, class: "swatch", "aria-hidden": "true" });
      swatch.append(svg("rect", { width: 12, height: 12, rx: 2, fill: COLOURS[colour % COLOURS.length] }));
      item.append(swatch, document.createTextNode(type));
      legend.append(item);
    });
  }

  async function get(path) {
    const response = await fetch(`${api}/${path}`, {
      headers: { Authorization: `Bearer ${token}`, Accept: "application/json, text/csv" },
      credentials: "same-origin",
      cache: "no-store",
    });
    if (response.status === 401) throw new Error("The token was not accepted.");
    if (!response.ok) {
      let message = `The service answered ${response.status}.`;
      try { message = (await response.json()).error.message || message; } catch (error) { /* not JSON */ }
      throw new Error(message);
    }
    return response;
  }

  function render(data, review) {
    const rows = data.rows;
    const total = rows.reduce((a, row) => a + row.count, 0);
    $("total").textContent = String(total);
    $("flagged").textContent = String(rows.filter((row) => row.risk === "high" || row.risk === "medium")
      .reduce((a, row) => a + row.count, 0));
    $("unjudged").textContent = String(rows.filter((row) => row.risk === "none").reduce((a, row) => a + row.count, 0));
    stacked($("chart-types"), $("legend-types"), rows);
    bars($("chart-channels"), sum(rows, "channel"), COLOURS[0]);
    bars($("chart-risks"), sum(rows, "risk"), COLOURS[1]);
    bars($("chart-langs"), sum(rows, "lang"), COLOURS[3]);
    bars($("chart-regions"), sum(rows, "region"), COLOURS[5]);
    bars($("chart-signs"), data.signs.slice(0, 10).map((sign) => [sign.sign, sign.count]), COLOURS[2], true);
    const list = $("review");
    list.replaceChildren();
    $("review-note").textContent = review.enabled
      ? `${review.entries.length} message(s), numbers, links and accounts masked; each expires by itself.`
      : "The review queue is off (ANTIFRAUD_REVIEW_QUEUE=false).";
    for (const entry of review.entries.slice(0, 200)) {
      const item = document.createElement("li");
      const meta = document.createElement("div");
      meta.className = "meta";
      meta.textContent = `${entry.day} · ${entry.channel} · ${entry.lang} · ${entry.region}`;
      const text = document.createElement("div");
      text.textContent = entry.text; // data, never markup
      item.append(meta, text);
      list.append(item);
    }
  }

  async function load() {
    $("status").textContent = "Loading…";
    try {
      const data = await (await get(`insights?days=${days}`)).json();
      const review = await (await get("review")).json();
      render(data, review);
      $("report").hidden = false;
      $("status").textContent = `Last ${days} day(s).`;
    } catch (error) {
      $("report").hidden = true;
      $("status").textContent = error.message;
    }
  }

  async function download(path, name) {
    try {
      const blob = await (await get(path)).blob();
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = name;
      document.body.append(link);
      link.click();
      link.remove();
      window.setTimeout(() => URL.revokeObjectURL(link.href), 1000);
    } catch (error) {
      $("status").textContent = error.message;
    }
  }

  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    token = $("token").value.trim();
    days = Number($("days").value) || 30;
    load();
  });
  $("export-csv").addEventListener("click", () => download(`insights.csv?days=${days}`, "antifraud-insights.csv"));
  $("export-json").addEventListener("click", () => download(`insights?days=${days}`, "antifraud-insights.json"));
})();
