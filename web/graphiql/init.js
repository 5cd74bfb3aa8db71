// Starts GraphiQL against this server's /graphql (same origin; see index.html).
(function () {
  var defaultQuery = [
    '# genekg: a queryable map of what human genes do.',
    '# Press the play button (or Ctrl-Enter) to run; the book icon opens the schema docs.',
    '{',
    '  gene(id: "TP53") {',
    '    symbol',
    '    name',
    '    targetFamily',
    '    links { openTargets ncbiGene }',
    '    knownSets(library: "GO_BP", first: 5) {',
    '      totalCount',
    '      nodes { id name size }',
    '    }',
    '  }',
    '  meta { dataVersion counts { genes geneSets } }',
    '}',
    ''
  ].join('\n');
  // /graphiql?query=... opens that query (the dashboard's answers link here).
  var shared = new URLSearchParams(window.location.search).get('query');
  var fetcher = GraphiQL.createFetcher({ url: new URL('/graphql', window.location.href).toString() });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, shared
      ? { fetcher: fetcher, query: shared, defaultEditorToolsVisibility: true }
      : { fetcher: fetcher, defaultQuery: defaultQuery, defaultEditorToolsVisibility: true })
  );
})();
