/* The filter bar's project select (dashboard/components/filters.py): every project's option comes
   from the list the app shell sent once, rather than with each page's layout. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  filters: {
    projectOptions: function (_id, choices) {
      var options = [{label: "All projects", value: "all"}];
      (choices || []).forEach(function (c) { options.push({label: c[1], value: c[0]}); });
      return options;
    }
  }
});
