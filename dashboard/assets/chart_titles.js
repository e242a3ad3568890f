/* Chart titles that fit their chart: wrapped before the mode bar and the right edge, on every page.
 *
 * Plotly draws a title on one line whatever the width, so on a phone (390 px) a long title ran under
 * the "download image" button at the chart's top right and off the chart's edge. The figure builders
 * cannot know the screen's width, so the browser wraps: after each draw, a title wider than the room
 * left of the mode bar is broken at spaces (measured with the title's own font), the top margin grows
 * to hold the lines, and a wider screen gets the original title back (redrawn with Plotly.react). Only titles are touched; the
 * figure Dash holds is not (a new figure from a callback is wrapped afresh).
 */
(function () {
  "use strict";
  const GAP = 10;  // pixels kept free between the title and the mode bar
  let canvas = null;

  function textWidth(text, font) {
    canvas = canvas || document.createElement("canvas");
    const ctx = canvas.getContext("2d");
    ctx.font = `${font.size || 13}px ${font.family || "sans-serif"}`;
    return ctx.measureText(text).width;
  }

  const plain = html => html.replace(/<[^>]*>/g, "").replace(/&amp;/g, "&").replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">");

  // Break one line of title (plain words, or words inside a single <span ...>) into lines of at most ``room`` px.
  function wrapLine(line, room, font) {
    const span = line.match(/^<span([^>]*)>([\s\S]*)<\/span>$/i);
    const inner = span ? span[2] : line;
    if (/<[^>]*>/.test(inner) || textWidth(plain(inner), font) <= room) { return [line]; }
    const lines = [];
    let current = "";
    inner.split(/ +/).forEach(word => {
      const next = current ? current + " " + word : word;
      if (current && textWidth(plain(next), font) > room) { lines.push(current); current = word; }
      else { current = next; }
    });
    if (current) { lines.push(current); }
    return span ? lines.map(l => `<span${span[1]}>${l}</span>`) : lines;
  }

  function titleOf(gd) {
    const t = gd.layout && gd.layout.title;
    return typeof t === "string" ? t : (t && t.text) || "";
  }

  // Pixels by which a legend placed above the plot (y >= 1, anchored at its bottom) reaches into the title.
  function legendClash(gd, full, shown) {
    const legend = gd.querySelector(".legend");
    const place = full.legend || {};
    if (!legend || !full.showlegend || place.yanchor !== "bottom" || !(place.y >= 1)) { return 0; }
    const l = legend.getBoundingClientRect(), t = shown.getBoundingClientRect();
    if (!l.height || !t.height) { return 0; }
    return Math.max(0, Math.ceil(t.bottom + 4 - l.top));
  }

  function fit(gd) {
    const full = gd._fullLayout;
    const shown = gd.querySelector(".gtitle");
    if (!full || !full.title || !shown || !window.Plotly) { return; }
    const text = titleOf(gd);
    const mine = gd.vvuTitle;
    const t = typeof gd.layout.title === "object" ? gd.layout.title : {};
    const original = mine && text === mine.wrapped ? mine : {text: text, top: full.margin.t, height: gd.layout.height,
      place: {y: t.y, yref: t.yref, yanchor: t.yanchor, pad: t.pad}};
    const bar = gd.querySelector(".modebar");
    const box = gd.getBoundingClientRect();
    const left = Math.max(0, shown.getBoundingClientRect().left - box.left);
    const right = bar && bar.offsetWidth ? bar.getBoundingClientRect().left - box.left - GAP : box.width - GAP;
    const font = full.title.font || {};
    const lines = original.text.split(/<br\s*\/?>/i).flatMap(l => wrapLine(l, right - left, font));
    const wrapped = lines.join("<br>");
    const extra = lines.length - original.text.split(/<br\s*\/?>/i).length;
    // Each added line adds its height to the top margin, so what sits between the title and the plot
    // (a legend at the top, a subtitle) keeps its room. A chart of a set height keeps it: left
    // autosized, it is measured from a parent of no set height and can collapse.
    // A legend between the title and the plot wraps into more rows on a narrow chart and grows up into
    // the title: the margin grows by what they overlap (remembered, so the next draw keeps the room).
    const again = mine && text === mine.wrapped;
    const legendRoom = (again ? mine.legendRoom || 0 : 0) + legendClash(gd, full, shown);
    const top = original.top + Math.max(0, extra) * Math.ceil((font.size || 13) * 1.3) + legendRoom;
    // At most a few redraws per figure: a redraw can move the chart's edges, and the wrap must not
    // chase them for ever.
    const redraws = again ? (mine.redraws || 0) + 1 : 0;
    gd.vvuTitle = Object.assign({}, original, {wrapped: wrapped, redraws: redraws, legendRoom: legendRoom});
    if ((wrapped !== text || top !== full.margin.t) && redraws <= 3) {
      // A wrapped title hangs from the top of the chart, so its lines grow into the added margin.
      // (Plotly anchors a title of several lines by its first line's baseline area: a line's height lower.)
      const drop = Math.ceil((font.size || 13) * 1.1) + 6;
      const place = extra > 0 ? {y: 1 - drop / full.height, yref: "container", yanchor: "top", pad: {t: 0}}
        : original.place;
      const layout = Object.assign({}, gd.layout, {
        title: Object.assign({}, t, {text: wrapped}, place),
        margin: Object.assign({}, gd.layout.margin, {t: top}),
      });
      if (typeof original.height === "number") { Object.assign(layout, {height: original.height, autosize: false}); }
      // Plotly.react, not relayout: a relayout event reaches Dash (relayoutData) while the page's other
      // components are still starting, and a server-paged grid on the same page then never asked for rows.
      window.Plotly.react(gd, gd.data, layout);
    }
  }

  function watch() {
    document.querySelectorAll(".js-plotly-plot").forEach(gd => {
      if (gd.vvuTitleWatched || typeof gd.on !== "function") { return; }
      gd.vvuTitleWatched = true;
      gd.on("plotly_afterplot", () => window.requestAnimationFrame(() => fit(gd)));
      fit(gd);
    });
  }

  window.vvuChartTitles = {fit: fit};
  new MutationObserver(() => window.requestAnimationFrame(watch))
    .observe(document.documentElement, {childList: true, subtree: true});
})();
