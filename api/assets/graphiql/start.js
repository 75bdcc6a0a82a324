// Starts GraphiQL on /graphql. A link ending in #token=<JWT> (the one `siloscope demo`
// prints) pre-fills the Authorization header; the token is then removed from the
// address bar and is never stored by the page: GraphiQL keeps its tabs, history and
// favourites in browser storage, so it gets a storage that drops every `headers`
// value (and any entry that would still hold a credential) before it is written.
(function () {
  "use strict";
  // A bearer token, an Authorization header, a siloscope API key or a JWT.
  var CREDENTIAL = /bearer\s|authorization|\bsk_[0-9a-f]{8,}|eyJ[A-Za-z0-9_-]{8,}/i;
  function withoutHeaders(value) {
    if (Array.isArray(value)) return value.map(withoutHeaders);
    if (value && typeof value === "object") {
      var out = {};
      Object.keys(value).forEach(function (key) {
        if (key !== "headers") out[key] = withoutHeaders(value[key]);
      });
      return out;
    }
    return value;
  }
  var storage = {
    getItem: function (key) { return window.localStorage.getItem(key); },
    removeItem: function (key) { window.localStorage.removeItem(key); },
    clear: function () { window.localStorage.clear(); },
    setItem: function (key, text) {
      if (/headers$/i.test(key)) return;
      var kept = text;
      try { kept = JSON.stringify(withoutHeaders(JSON.parse(text))); } catch (notJson) { /* plain text */ }
      if (CREDENTIAL.test(kept)) {
        window.localStorage.removeItem(key);
        return;
      }
      window.localStorage.setItem(key, kept);
    },
    get length() { return window.localStorage.length; },
    key: function (index) { return window.localStorage.key(index); },
  };
  var root = document.getElementById("graphiql");
  var match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  var linked = match ? { Authorization: "Bearer " + decodeURIComponent(match[1]) } : {};
  var props = {
    // The linked token goes with every request, the schema's introspection included;
    // the headers editor shows it and what is typed there is sent on top.
    fetcher: GraphiQL.createFetcher({ url: root.getAttribute("data-endpoint"), headers: linked }),
    defaultEditorToolsVisibility: "headers",
    shouldPersistHeaders: false,
    storage: storage,
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
