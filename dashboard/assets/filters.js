/* The filter bar's project select (dashboard/components/filters.py): every project's option comes
   from the list the app shell sent once, rather than with each page's layout. The first option (no
   project filter) is the one the layout rendered. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  filters: {
    projectOptions: function (_id, choices, current) {
      var options = (current || []).slice(0, 1);
      (choices || []).forEach(function (c) { options.push({label: c[1], value: c[0]}); });
      return options;
    }
  }
});
