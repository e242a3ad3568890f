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
