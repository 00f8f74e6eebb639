// Starts GraphiQL against this server's /graphql: signed in (the session's cookie and CSRF token), or with
// your key pasted into the headers editor.
(function () {
  var meta = document.querySelector('meta[name="crimegraph-csrf"]');
  var csrf = meta ? meta.getAttribute("content") : "";
  var fetcher = GraphiQL.createFetcher({ url: new URL("../graphql", window.location.href).toString() });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      defaultHeaders: csrf ? JSON.stringify({ "X-Crimegraph-CSRF": csrf }) : '{"Authorization": "Bearer YOUR-API-KEY"}',
      defaultQuery: "{\n  stats { totalNodes totalEdges nodes { name count } }\n}\n",
    })
  );
})();
