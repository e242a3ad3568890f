/* Server-paged grids (dashboard/components/server_grid.py): when the filter bar changes, drop each
   grid's cached blocks so it asks the server again for rows under the new filters. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  serverGrid: {
    purgeAll: function () {
      document.querySelectorAll(".server-grid[id]").forEach(function (el) {
        window.dash_ag_grid.getApiAsync(el.id).then(function (api) { api.purgeInfiniteCache(); });
      });
      return window.dash_clientside.no_update;
    }
  }
});

/* Printing a server-paged grid. The browser holds only the rows on screen (the server sends a block at
   a time), so a printout cannot hold every row; each grid gets a note, printed above it (hidden on
   screen), that says which rows the printout shows, of how many, and how to get them all: the CSV
   download beside the grid. The note follows the grid's scrolling, sorting and filtering. */
(function () {
  "use strict";

  function noteFor(grid) {
    let note = grid.previousElementSibling;
    if (!note || !note.classList.contains("grid-print-note")) {
      note = document.createElement("p");
      note.className = "print-only grid-print-note";
      grid.insertAdjacentElement("beforebegin", note);
    }
    return note;
  }

  function exportLabel(grid) {
    // The grid's own download button: in its toolbar or block (projects, funding, data quality).
    let scope = grid.parentElement;
    for (let i = 0; i < 4 && scope; i += 1, scope = scope.parentElement) {
      const button = [...scope.querySelectorAll("button:not(.chart-csv)")].find(b => /csv/i.test(b.textContent));
      if (button) { return button.textContent.trim(); }
    }
    return "Download CSV";
  }

  function describe(grid, api) {
    const total = api.getDisplayedRowCount();
    // The rows wholly inside the grid's box: a row cut by its bottom edge is not printed whole.
    const box = (grid.querySelector(".ag-body-viewport") || grid).getBoundingClientRect();
    const whole = [...grid.querySelectorAll(".ag-center-cols-container .ag-row[row-index]")].filter(row => {
      const r = row.getBoundingClientRect();
      return r.height > 0 && r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
    }).map(row => Number(row.getAttribute("row-index")));
    const first = whole.length ? Math.min(...whole) : api.getFirstDisplayedRowIndex();
    const last = Math.min(whole.length ? Math.max(...whole) : api.getLastDisplayedRowIndex(), total - 1);
    const how = `For every row, use “${exportLabel(grid)}” on the page (in the table's sort and filters).`;
    let text;
    if (!api.isLastRowIndexKnown()) {  // the first block has not come yet
      text = `This printout shows the rows on screen, not every row. ${how}`;
    } else if (!total) {
      text = "The table has no rows for these filters.";
    } else if (first <= 0 && last >= total - 1) {
      text = `This printout shows every row of the table (${total.toLocaleString("en-GB")}).`;
    } else {
      text = `This printout shows rows ${(first + 1).toLocaleString("en-GB")} to ${(last + 1).toLocaleString("en-GB")}` +
        ` of ${total.toLocaleString("en-GB")}: the rows on screen. ${how}`;
    }
    const note = noteFor(grid);
    if (note.textContent !== text) { note.textContent = text; }
    grid.dataset.printRows = `${Math.max(first, 0) + 1}-${last + 1}/${total}`;
  }

  function watch() {
    if (!window.dash_ag_grid) { return; }
    document.querySelectorAll(".server-grid[id]").forEach(grid => {
      noteFor(grid);
      if (grid.vvuPrintWatched) { return; }
      grid.vvuPrintWatched = true;
      window.dash_ag_grid.getApiAsync(grid.id).then(api => {
        const update = () => window.requestAnimationFrame(() => describe(grid, api));
        ["modelUpdated", "viewportChanged", "bodyScroll", "filterChanged", "sortChanged"].forEach(
          name => api.addEventListener(name, update));
        update();
      });
    });
  }

  new MutationObserver(() => window.requestAnimationFrame(watch))
    .observe(document.documentElement, {childList: true, subtree: true});
})();
