// Starts GraphiQL with the settings the gateway put on #graphiql. It lives in
// a file, not inline, so the page's Content-Security-Policy can forbid inline
// scripts.
(function () {
  'use strict';
  var el = document.getElementById('graphiql');
  var endpoint = new URL(el.dataset.endpoint, window.location.href).href;
  var prefilled = JSON.parse(el.dataset.headers);
  var send = GraphiQL.createFetcher({ url: endpoint });
  var editorSeen = false;
  var props = {
    // GraphiQL 4 introspects the schema before its Headers editor exists,
    // so that first request takes the prefilled headers. From then on the
    // editor's headers are the only ones sent: a header the user deleted
    // (the demo token, say) is not sent behind their back.
    fetcher: function (params, opts) {
      var fromEditor = opts && opts.headers;
      if (fromEditor) {
        editorSeen = true;
      }
      var headers = fromEditor || (editorSeen ? {} : prefilled);
      return send(params, Object.assign({}, opts, { headers: headers }));
    },
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
