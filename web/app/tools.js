// Gene-list pages: augment (the genes the model adds to a list) and enrichment (ORA per library,
// beside the model-augmented rank test). The list lives in the URL (?genes=A,B,C), so a result
// can be shared and reloaded.
import { useState, useEffect } from './vendor/preact-htm.js';
import { gql, gqlPartial, GqlError, parseGenes, toTsv, download } from './api.js';
import { html, Link, navigate, Loading, ErrorBox, DataTable, GeneListInput, InputReport, FamilyBadge, fmt, geneHref, setHref } from './ui.js';

const LOOKUP = `query Lookup($genes: [String!]!) { genes(ids: $genes) { query error { code candidates { symbol } } } }`;
const AUGMENT = `query Augment($genes: [String!]!) {
  augment(genes: $genes, first: 200) { modelFingerprint unknownGenes outOfVocabulary { symbol }
    genes { gene { symbol name targetFamily } probability logit } }
}`;

/** Unknown and ambiguous entries from the batch lookup, which names the candidates. */
function lookupReport(lookups) {
  const unknown = lookups.filter((l) => l.error?.code === 'NOT_FOUND' || l.error?.code === 'BAD_INPUT').map((l) => l.query);
  const ambiguous = lookups.filter((l) => l.error?.code === 'AMBIGUOUS_GENE').map((l) => ({ input: l.query, candidates: l.error.candidates }));
  return { unknown, ambiguous };
}

/** The list box, a run button and the run itself, kept in the URL. */
function useListPage(path, initial, run) {
  const [text, setText] = useState(initial.split(',').filter(Boolean).join('\n'));
  const [result, setResult] = useState(null);
  const genes = parseGenes(initial);
  useEffect(() => {
    setText(genes.join('\n'));
    if (!genes.length) return setResult(null);
    let live = true;
    setResult({ loading: true });
    run(genes).then(
      (data) => live && setResult({ data }),
      (error) => live && setResult({ error }),
    );
    return () => {
      live = false;
    };
  }, [initial]);
  const submit = (e) => {
    e.preventDefault();
    const list = parseGenes(text);
    if (!list.length) return setResult({ error: new Error('Paste at least one gene.') });
    navigate(`${path}?genes=${encodeURIComponent(list.join(','))}`);
  };
  return { text, setText, result, submit, genes };
}

export function AugmentPage({ genes: initial }) {
  const run = async (genes) => {
    // augment refuses a list with an ambiguous alias; those are left out and shown.
    const report = lookupReport((await gql(LOOKUP, { genes })).genes);
    const ambiguous = new Set(report.ambiguous.map((a) => a.input));
    const usable = genes.filter((g) => !ambiguous.has(g));
    if (!usable.length) return { genes: [], unknownGenes: [], outOfVocabulary: [], modelFingerprint: '', report };
    return { ...(await gql(AUGMENT, { genes: usable })).augment, report };
  };
  const { text, setText, result, submit, genes } = useListPage('/augment', initial, run);
  const d = result?.data;
  const tsv = () =>
    download('genekg_augment.tsv', toTsv(
      [['rank', (r) => r.rank], ['symbol', (r) => r.gene.symbol], ['name', (r) => r.gene.name], ['probability', (r) => r.probability], ['logit', (r) => r.logit], ['target_family', (r) => r.gene.targetFamily]],
      d.genes.map((r, i) => ({ ...r, rank: i + 1 })),
    ));
  return html`<h1>Augment a gene list</h1>
    <p class="lede">The model scores every gene by how well it fits your list; the best new genes come first.</p>
    <form onSubmit=${submit} class="list-form"><${GeneListInput} value=${text} onInput=${setText} /><button type="submit">Augment</button></form>
    ${result?.loading && html`<${Loading} what=${`Augmenting ${genes.length} genes`} />`}
    ${result?.error && html`<${ErrorBox} error=${result.error} what="Augment" />`}
    ${d && html`<section aria-labelledby="h-aug"><h2 id="h-aug">Predicted additions</h2>
      <${InputReport} unknown=${d.report.unknown} ambiguous=${d.report.ambiguous} outside=${d.outOfVocabulary.map((g) => g.symbol)} />
      <${DataTable} id="augment-table" caption=${`Genes the model adds to ${genes.length} input genes`} rows=${d.genes.map((r, i) => ({ ...r, rank: i + 1 }))}
        columns=${[
          { key: 'rank', label: 'Rank', numeric: true, value: (r) => r.rank },
          { key: 'gene', label: 'Gene', value: (r) => r.gene.symbol, render: (r) => html`<${Link} href=${geneHref(r.gene.symbol)}>${r.gene.symbol}<//> <span class="muted">${r.gene.name}</span>` },
          { key: 'family', label: 'Target family', value: (r) => r.gene.targetFamily, render: (r) => html`<${FamilyBadge} family=${r.gene.targetFamily} />` },
          { key: 'probability', label: 'Probability', numeric: true, value: (r) => r.probability, render: (r) => fmt.p(r.probability) },
        ]} initialSort=${{ key: 'rank', dir: 1 }} filterText=${(r) => `${r.gene.symbol} ${r.gene.name}`} filterLabel="Filter genes"
        toolbar=${html`<button type="button" onClick=${tsv}>Download TSV</button>`} empty="The model adds no genes." />
      <p class="muted">Model <code>${d.modelFingerprint}</code></p>
    </section>`}`;
}

const LIBS = `{ libraries { name } }`;

/** One aliased field per library, so each library gets its own top rows. */
function enrichQuery(libraries) {
  const ora = libraries.map((l, i) => `l${i}: enrich(genes: $genes, libraries: [${JSON.stringify(l)}], first: 25) { ...Ora }`).join('\n');
  return `query Enrich($genes: [String!]!) {
  ${ora}
}
fragment Ora on EnrichmentResult { genesUsed unknownGenes ambiguousGenes { input candidates { symbol } }
  libraries { library backgroundGenes inputGenes setsTested }
  results { totalCount nodes { geneSet { id name } overlapSize setSize pValue log10P fdr oddsRatio overlap { symbol } } } }`;
}
function augmentedQuery(libraries) {
  const rows = libraries.map((l, i) => `l${i}: augmentedEnrichment(genes: $genes, libraries: [${JSON.stringify(l)}], first: 25) { ...Aug }`).join('\n');
  return `query AugmentedEnrichment($genes: [String!]!) {
  ${rows}
}
fragment Aug on AugmentedEnrichmentResult { genesUsed rankedGenes genesOutsideModel { symbol }
  results { totalCount nodes { geneSet { id name } enrichmentScore setSize pValue log10P fdr leadingEdge { symbol } } } }`;
}

/** -log10 p as horizontal bars (the table below holds the same numbers). */
function BarChart({ rows, label }) {
  const top = rows.slice(0, 10);
  if (!top.length) return null;
  const max = Math.max(...top.map((r) => -r.log10P), 1e-9);
  return html`<div class="bars" role="img" aria-label=${`${label}: -log10 p of the top ${top.length} sets, largest ${max.toFixed(1)}`}>
    ${top.map((r) => html`<div class="bar-row"><span class="bar-label" title=${r.geneSet.name}>${r.geneSet.name}</span>
      <span class="bar-track"><span class="bar" style=${`width:${((-r.log10P / max) * 100).toFixed(1)}%`}></span></span>
      <span class="bar-value">${(-r.log10P).toFixed(1)}</span></div>`)}
  </div>`;
}

function LibraryResult({ library, res, kind }) {
  const rows = res.results.nodes;
  const setCol = { key: 'set', label: 'Gene set', value: (r) => r.geneSet.name.toLowerCase(), render: (r) => html`<${Link} href=${setHref(r.geneSet.id)}>${r.geneSet.name}<//>` };
  const num = (key, label, f, show) => ({ key, label, numeric: true, value: f, render: (r) => show(f(r)) });
  const columns = kind === 'ora'
    ? [setCol, num('overlap', 'Overlap', (r) => r.overlapSize, (x) => x), num('size', 'Set size', (r) => r.setSize, (x) => x), num('p', 'p', (r) => r.pValue, fmt.sci), num('fdr', 'FDR', (r) => r.fdr, fmt.sci), num('or', 'Odds ratio', (r) => r.oddsRatio, (x) => (Number.isFinite(x) ? x.toFixed(1) : '∞'))]
    : [setCol, num('es', 'ES', (r) => r.enrichmentScore, fmt.p), num('size', 'Set size', (r) => r.setSize, (x) => x), num('p', 'p', (r) => r.pValue, fmt.sci), num('fdr', 'FDR', (r) => r.fdr, fmt.sci)];
  const what = kind === 'ora' ? 'Over-representation' : 'Model-augmented';
  return html`<div class=${`lib-result ${kind}`}>
    <h4>${library} <span class="muted">(${fmt.int(res.results.totalCount)} sets${kind === 'ora' ? ' with an overlap' : ' tested'})</span></h4>
    <${BarChart} rows=${rows} label=${`${what}, ${library}`} />
    <${DataTable} id=${`${kind}-${library}`} caption=${`${what} in ${library}, top ${rows.length}`} columns=${columns} rows=${rows} pageSize=${10}
      initialSort=${kind === 'ora' ? { key: 'p', dir: 1 } : null} empty="No set." />
  </div>`;
}

export function EnrichPage({ genes: initial }) {
  const run = async (genes) => {
    const libraries = (await gql(LIBS)).libraries.map((l) => l.name);
    const [ora, aug] = await Promise.all([gqlPartial(enrichQuery(libraries), { genes }), gqlPartial(augmentedQuery(libraries), { genes })]);
    if (!ora.data) throw new GqlError(ora.errors);
    return { libraries, ora, aug };
  };
  const { text, setText, result, submit, genes } = useListPage('/enrich', initial, run);
  const d = result?.data;
  const tsv = () => {
    const rows = [];
    d.libraries.forEach((l, i) => {
      for (const r of d.ora.data[`l${i}`].results.nodes) rows.push({ method: 'ora', library: l, ...r });
      for (const r of d.aug.data?.[`l${i}`]?.results.nodes ?? []) rows.push({ method: 'model_augmented', library: l, ...r });
    });
    download('genekg_enrichment.tsv', toTsv(
      [['method', (r) => r.method], ['library', (r) => r.library], ['set_id', (r) => r.geneSet.id], ['set_name', (r) => r.geneSet.name],
        ['set_size', (r) => r.setSize], ['overlap', (r) => r.overlapSize ?? ''], ['enrichment_score', (r) => r.enrichmentScore ?? ''],
        ['p_value', (r) => r.pValue], ['log10_p', (r) => r.log10P], ['fdr', (r) => r.fdr], ['odds_ratio', (r) => r.oddsRatio ?? ''],
        ['genes', (r) => (r.overlap ?? r.leadingEdge).map((g) => g.symbol).join(',')]],
      rows,
    ));
  };
  const first = d && d.ora.data.l0;
  return html`<h1>Enrichment</h1>
    <p class="lede">Which curated sets a gene list over-represents (Fisher's exact test per library), and beside it which sets sit at the top of the model's ranking for the list.</p>
    <form onSubmit=${submit} class="list-form"><${GeneListInput} value=${text} onInput=${setText} /><button type="submit">Run enrichment</button></form>
    ${result?.loading && html`<${Loading} what=${`Testing ${genes.length} genes`} />`}
    ${result?.error && html`<${ErrorBox} error=${result.error} what="Enrichment" />`}
    ${d && html`<section aria-labelledby="h-enrich-results"><h2 id="h-enrich-results">Results</h2>
      ${first && html`<p>${first.genesUsed} of ${genes.length} genes used. <button type="button" onClick=${tsv}>Download TSV</button></p>
        <${InputReport} unknown=${first.unknownGenes} ambiguous=${first.ambiguousGenes} outside=${d.aug.data?.l0?.genesOutsideModel.map((g) => g.symbol) ?? []} />`}
      ${d.libraries.map((l, i) => html`<section class="library-block" aria-labelledby=${`h-lib-${i}`}><h3 id=${`h-lib-${i}`}>${l}</h3>
        <div class="two-col">
          <div><h4 class="method">Over-representation (ORA)</h4><${LibraryResult} library=${l} res=${d.ora.data[`l${i}`]} kind="ora" /></div>
          <div><h4 class="method">Model-augmented</h4>${d.aug.data?.[`l${i}`]
            ? html`<${LibraryResult} library=${l} res=${d.aug.data[`l${i}`]} kind="aug" />`
            : html`<${ErrorBox} error=${new GqlError(d.aug.errors.length ? d.aug.errors : [{ message: 'no answer' }])} what="Model-augmented enrichment" />`}</div>
        </div></section>`)}
    </section>`}`;
}
