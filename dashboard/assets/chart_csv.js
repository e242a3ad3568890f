/* Every chart's data as CSV, on every page: one shared helper instead of a button per page.
 *
 * Each plotly chart (inside a <figure>) gets a "Download chart data (CSV)" button after it. The CSV
 * is built in the browser from the figure's own traces (series name, then x / y / z / locations /
 * lat / lon / text columns as the trace has them), so it is exactly what the chart draws, and no request is made.
 * Cells that a spreadsheet could run as formulas are neutralised as in the server's CSV exports.
 */
(function () {
  "use strict";
  const COLUMNS = ["x", "y", "z", "locations", "lat", "lon", "text"];
  // Plotly keeps numbers from numpy as typed arrays (Float64Array...), which Array.isArray does not count.
  const isList = v => Array.isArray(v) || ArrayBuffer.isView(v);

  function cell(value) {
    if (value === null || value === undefined) { return ""; }
    let text = String(value);
    if (/^[=+\-@\t\r]/.test(text) && isNaN(Number(text))) { text = "'" + text; }
    return /[",\n\r]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  function toCsv(data) {
    const traces = (data || []).filter(t => COLUMNS.some(c => isList(t[c])));
    const cols = COLUMNS.filter(c => traces.some(t => isList(t[c])));
    const lines = [["series", ...cols].join(",")];
    traces.forEach((t, i) => {
      const n = Math.max(...cols.map(c => (isList(t[c]) ? t[c].length : 0)));
      for (let k = 0; k < n; k += 1) {
        lines.push([cell(t.name || "series " + (i + 1)), ...cols.map(c => cell(isList(t[c]) ? t[c][k] : ""))]
          .join(","));
      }
    });
    return lines.join("\r\n") + "\r\n";
  }

  function fileName(gd) {
    const title = (gd.layout && gd.layout.title && (gd.layout.title.text || gd.layout.title)) || gd.id || "chart";
    return String(title).replace(/<[^>]*>/g, "").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "")
      .slice(0, 80) || "chart";
  }

  function download(gd) {
    // _fullData: the traces as drawn, numbers decoded (gd.data may hold them base64-encoded).
    const blob = new Blob(["\ufeff" + toCsv(gd._fullData || gd.data)], {type: "text/csv;charset=utf-8"});
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = fileName(gd) + ".csv";
    document.body.appendChild(link);
    link.click();
    setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 0);
  }

  function decorate() {
    document.querySelectorAll("figure .js-plotly-plot").forEach(gd => {
      const holder = gd.closest(".dash-graph") || gd;
      if (holder.nextElementSibling && holder.nextElementSibling.classList.contains("chart-csv")) { return; }
      if (gd.closest(".sparkline")) { return; }  // the overview cards' 12-month trend lines: decoration
      const button = document.createElement("button");
      button.type = "button";
      button.className = "chart-csv";
      button.textContent = "Download chart data (CSV)";
      button.vvuTarget = gd;
      button.addEventListener("click", () => download(holder.querySelector(".js-plotly-plot") || gd));
      holder.insertAdjacentElement("afterend", button);
    });
  }

  // Tables: every HTML data table (not the server-paged grids, which have their own CSV) gets a
  // "Download table (CSV)" button after it, written from the cells as shown ([c] stays [c]).
  function tableCsv(table) {
    return [...table.rows].map(row => [...row.cells].map(c => cell(c.innerText.trim())).join(",")).join("\r\n") + "\r\n";
  }

  function saveText(text, name) {
    const blob = new Blob(["\ufeff" + text], {type: "text/csv;charset=utf-8"});
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name + ".csv";
    document.body.appendChild(link);
    link.click();
    setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 0);
  }

  function decorateTables() {
    document.querySelectorAll("main table").forEach(table => {
      if (table.closest(".ag-root-wrapper, .js-plotly-plot")) { return; }
      const holder = table.closest(".table-scroll, .areas-table-wrap") || table;
      if (holder.nextElementSibling && holder.nextElementSibling.classList.contains("table-csv")) { return; }
      const caption = table.caption ? table.caption.innerText : "table";
      const name = caption.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 80) || "table";
      const button = document.createElement("button");
      button.type = "button";
      button.className = "chart-csv table-csv";
      button.textContent = "Download table (CSV)";
      button.vvuTarget = table;
      button.addEventListener("click", () => saveText(tableCsv(table), name));
      holder.insertAdjacentElement("afterend", button);
    });
  }

  window.vvuChartCsv = {toCsv: toCsv, tableCsv: tableCsv};
  // Dash replaces a chart or table when its callback answers; its old button goes with it.
  function dropOrphans() {
    document.querySelectorAll("button.chart-csv").forEach(b => {
      if (!b.vvuTarget || !b.vvuTarget.isConnected) { b.remove(); }
    });
  }

  new MutationObserver(() => { window.requestAnimationFrame(() => { dropOrphans(); decorate(); decorateTables(); }); })
    .observe(document.documentElement, {childList: true, subtree: true});
})();
