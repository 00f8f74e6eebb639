// Starts GraphiQL against this server's /graphql; paste your key into the headers editor.
(function () {
  var fetcher = GraphiQL.createFetcher({ url: new URL("../graphql", window.location.href).toString() });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      defaultHeaders: '{"Authorization": "Bearer YOUR-API-KEY"}',
      defaultQuery: "{\n  stats { totalNodes totalEdges nodes { name count } }\n}\n",
    })
  );
})();
