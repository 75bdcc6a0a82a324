// Starts GraphiQL on /graphql. A link ending in #token=<JWT> (the one `siloscope demo`
// prints) pre-fills the Authorization header; the token is then removed from the
// address bar and is never stored by the page.
(function () {
  "use strict";
  var root = document.getElementById("graphiql");
  var match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  var linked = match ? { Authorization: "Bearer " + decodeURIComponent(match[1]) } : {};
  var props = {
    // The linked token goes with every request, the schema's introspection included;
    // the headers editor shows it and what is typed there is sent on top.
    fetcher: GraphiQL.createFetcher({ url: root.getAttribute("data-endpoint"), headers: linked }),
    defaultEditorToolsVisibility: "headers",
    shouldPersistHeaders: false,
    defaultQuery:
      "# The silo handoffs of the whole log, per function.\n" +
      "query Silos {\n" +
      "  siloReport {\n" +
      "    totals { cases handoffs siloHandoffs deferralsToCx pingPongs customerBurden }\n" +
      "    byFunction { function { name isCxTeam } handoffsOut siloHandoffs deferralRate }\n" +
      "  }\n" +
      "}\n",
  };
  if (match) {
    props.headers = JSON.stringify(linked, null, 2);
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  ReactDOM.createRoot(root).render(React.createElement(GraphiQL, props));
})();
