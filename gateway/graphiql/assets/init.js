// Starts GraphiQL with the settings the gateway put on #graphiql. It lives in
// a file, not inline, so the page's Content-Security-Policy can forbid inline
// scripts.
(function () {
  'use strict';
  var el = document.getElementById('graphiql');
  var endpoint = new URL(el.dataset.endpoint, window.location.href).href;
  var props = {
    // The prefilled headers also go to the fetcher: GraphiQL 4 introspects
    // the schema before its Headers editor exists, so without them the
    // first introspection would go out bare. Editor values win over these.
    fetcher: GraphiQL.createFetcher({ url: endpoint, headers: JSON.parse(el.dataset.headers) }),
    defaultQuery: el.dataset.query,
    defaultHeaders: el.dataset.headers,
    // Tokens stay out of localStorage.
    shouldPersistHeaders: false,
    isHeadersEditorEnabled: true,
    defaultEditorToolsVisibility: 'headers',
  };
  el.textContent = '';
  ReactDOM.createRoot(el).render(React.createElement(GraphiQL, props));
})();
