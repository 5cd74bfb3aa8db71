// The gene page: identity, link-outs, explanation, predicted functions, partners, similar genes
// and the neighbourhood graph. Each part asks for its own fields, so a part the server cannot
// answer (no model, an older build without the language front) says so and the rest still shows.
import { useState, useEffect } from './vendor/preact-htm.js';
import { gql, gqlPartial, GqlError, toTsv, download } from './api.js';
import { html, Link, useAsync, Loading, ErrorBox, NotAvailable, FamilyBadge, DataTable, fmt, geneHref, setHref } from './ui.js';
import { Explanation } from './explain.js';
import { NeighbourhoodGraph } from './graph.js';


const GENE = `query Gene($id: String!) {
  gene(id: $id) { entrez symbol name type chromosome cytoband aliases ensembl uniprot omim targetFamily
    links { openTargets pharos dgidb ncbiGene geneCards uniprot ensembl harmonizome }
    knownSets(first: 1) { totalCount } }
  libraries { name }
}`;
const SUGGEST = `query Suggest($text: String!) { searchGenes(text: $text, first: 8) { gene { symbol name } } }`;
/** `understudied` is the server's one definition (few linked papers), shared with `ask`. */
const PUBS = `query Pubs($id: String!) { gene(id: $id) { publicationCount understudied } }`;
const FUNCTIONS = `query Functions($id: String!, $library: String, $after: String) {
  gene(id: $id) { predictedFunctions(library: $library, first: 500, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { geneSet { id name library { name } } probability zScore rank known setAuroc } } }
}`;
const NEIGHBOURS = `query Neighbours($id: String!) {
  gene(id: $id) {
    predictedPartners(first: 15) { gene { symbol name targetFamily } probability zScore rank known }
    similarGenes(first: 15) { gene { symbol name targetFamily } cosine } }
}`;
/** Rows the predicted-functions table loads at most per library (the TSV has the same rows). */
const MAX_FUNCTION_ROWS = 5000;

const LINKS = [
  ['openTargets', 'Open Targets'],
  ['pharos', 'Pharos'],
  ['dgidb', 'DGIdb'],
  ['ncbiGene', 'NCBI Gene'],
  ['geneCards', 'GeneCards'],
  ['uniprot', 'UniProt'],
  ['ensembl', 'Ensembl'],
  ['harmonizome', 'Harmonizome'],
];

async function loadGene(id) {
  try {
    // The table's first page is asked for at once, beside the gene (GO_BP is its first view).
    functionsPage(id, 'GO_BP', null).catch(() => {});
    const d = await gql(GENE, { id });
    if (d.gene) return d;
    const s = await gql(SUGGEST, { text: id }).catch(() => ({ searchGenes: [] }));
    return { ...d, suggestions: s.searchGenes.map((h) => h.gene) };
  } catch (e) {
    const amb = e instanceof GqlError && e.errors.find((x) => x.extensions?.code === 'AMBIGUOUS_GENE');
    if (amb) return { gene: null, ambiguous: amb.extensions.candidates ?? [], message: amb.message };
    if (!(e instanceof GqlError) || !e.codes.includes('NOT_FOUND')) throw e;
    const s = await gql(SUGGEST, { text: id }).catch(() => ({ searchGenes: [] }));
    return { gene: null, suggestions: s.searchGenes.map((h) => h.gene) };
  }
}

function NotFound({ id, suggestions, ambiguous, message }) {
  const list = ambiguous ?? suggestions ?? [];
  return html`<h1>${id}</h1>
    <div class="notice unknown-gene" role="alert">
      <p>${ambiguous ? message : html`No gene is called <strong>${id}</strong> (by symbol, alias, Entrez, Ensembl or UniProt id).`}</p>
      ${list.length > 0 && html`<p>${ambiguous ? 'Open one of them:' : 'Did you mean:'}</p>
        <ul class="plain suggestions">${list.map((g) => html`<li><${Link} href=${geneHref(g.symbol)}>${g.symbol}<//>${g.name ? html` <span class="muted">${g.name}</span>` : ''}</li>`)}</ul>`}
    </div>`;
}

function Publications({ symbol }) {
  const { loading, data, error } = useAsync(() => gql(PUBS, { id: symbol }), [symbol]);
  if (loading) return html`<span class="muted">counting papers…</span>`;
  if (error) return html`<span class="muted pubs-na">publication count not available on this server</span>`;
  const n = data.gene.publicationCount;
  return html`<span class="pubs">${fmt.int(n)} linked ${n === 1 ? 'paper' : 'papers'}</span>
    ${data.gene.understudied && html` <span class="badge understudied" title="Few papers linked to this gene in this server's data">understudied</span>`}`;
}

function Identity({ gene }) {
  const ids = [
    ['Entrez', [String(gene.entrez)]],
    ['Ensembl', gene.ensembl],
    ['UniProt', gene.uniprot],
    ['OMIM', gene.omim],
    ['Aliases', gene.aliases],
  ];
  return html`<header class="gene-head">
      <h1><span class="symbol">${gene.symbol}</span> <${FamilyBadge} family=${gene.targetFamily} /></h1>
      <p class="gene-name">${gene.name}</p>
      <p class="muted">${gene.type}${gene.chromosome ? ` · chromosome ${gene.chromosome}` : ''}${gene.cytoband ? ` (${gene.cytoband})` : ''} ·
        in ${fmt.int(gene.knownSets.totalCount)} stored sets · <${Publications} symbol=${gene.symbol} /></p>
    </header>
    <dl class="ids">${ids.filter(([, v]) => v.length).map(([k, v]) => html`<dt>${k}</dt><dd>${v.join(', ')}</dd>`)}</dl>
    <ul class="linkouts" aria-label="This gene elsewhere">
      ${LINKS.filter(([k]) => gene.links[k]).map(([k, label]) => html`<li><a class="button" href=${gene.links[k]} target="_blank" rel="noopener noreferrer">${label}</a></li>`)}
    </ul>`;
}

/**
 * The gene's predicted functions in one library, page after page; `onPage` gets the rows so far
 * after each page, so the table shows as soon as the first page arrives. Pages are cached per
 * gene and library for the page's life: the gene query starts the first one (see GenePage).
 */
const functionPages = new Map();
function functionsPage(id, library, after) {
  const key = `${id}\u0000${library}\u0000${after ?? ''}`;
  if (!functionPages.has(key)) {
    if (functionPages.size > 200) functionPages.clear();
    const p = gql(FUNCTIONS, { id, library: library || null, after });
    p.catch(() => functionPages.delete(key));
    functionPages.set(key, p);
  }
  return functionPages.get(key);
}

async function loadFunctions(id, library, onPage) {
  let after = null;
  let nodes = [];
  for (;;) {
    const c = (await functionsPage(id, library, after)).gene.predictedFunctions;
    nodes = nodes.concat(c.nodes);
    const done = !c.pageInfo.hasNextPage || nodes.length >= MAX_FUNCTION_ROWS;
    if (!onPage({ nodes, total: c.totalCount, done }) || done) return;
    after = c.pageInfo.endCursor;
  }
}

function PredictedFunctions({ symbol, libraries }) {
  const initial = libraries.includes('GO_BP') ? 'GO_BP' : '';
  const [library, setLibrary] = useState(initial);
  const [novelOnly, setNovelOnly] = useState(false);
  const [state, setState] = useState({ loading: true });
  useEffect(() => {
    let live = true;
    setState({ loading: true });
    loadFunctions(symbol, library, (data) => live && (setState({ data }), true)).catch((error) => live && setState({ error }));
    return () => {
      live = false;
    };
  }, [symbol, library]);
  const { loading, data, error } = state;
  const columns = [
    { key: 'set', label: 'Gene set', value: (r) => r.geneSet.name.toLowerCase(), render: (r) => html`<${Link} href=${setHref(r.geneSet.id)}>${r.geneSet.name}<//> <span class="muted">${r.geneSet.id}</span>` },
    { key: 'library', label: 'Library', value: (r) => r.geneSet.library.name },
    { key: 'known', label: 'Status', value: (r) => (r.known ? 'known' : 'novel'), render: (r) => html`<span class=${`status ${r.known ? 'known' : 'novel'}`}>${r.known ? 'known' : 'novel'}</span>` },
    { key: 'probability', label: 'Probability', numeric: true, value: (r) => r.probability, render: (r) => fmt.p(r.probability) },
    { key: 'z', label: 'z', numeric: true, value: (r) => r.zScore, render: (r) => fmt.z(r.zScore) },
    { key: 'auroc', label: 'Set AUROC', numeric: true, value: (r) => r.setAuroc, render: (r) => fmt.auroc(r.setAuroc) },
  ];
  const rows = data ? (novelOnly ? data.nodes.filter((r) => !r.known) : data.nodes) : [];
  const tsv = () =>
    download(
      `${symbol}_predicted_functions${library ? `_${library}` : ''}.tsv`,
      toTsv(
        [
          ['set_id', (r) => r.geneSet.id],
          ['set_name', (r) => r.geneSet.name],
          ['library', (r) => r.geneSet.library.name],
          ['known', (r) => r.known],
          ['probability', (r) => r.probability],
          ['z_score', (r) => r.zScore],
          ['rank', (r) => r.rank],
          ['set_auroc', (r) => r.setAuroc ?? ''],
        ],
        rows,
      ),
    );
  const toolbar = html`
    <label>Library <select value=${library} onChange=${(e) => setLibrary(e.target.value)}>
      <option value="">All libraries</option>
      ${libraries.map((l) => html`<option value=${l}>${l}</option>`)}
    </select></label>
    <label class="check"><input type="checkbox" checked=${novelOnly} onChange=${(e) => setNovelOnly(e.target.checked)} /> Novel only</label>
    <button type="button" onClick=${tsv} disabled=${!rows.length}>Download TSV</button>`;
  return html`<section aria-labelledby="h-functions"><h2 id="h-functions">Predicted functions</h2>
    <p class="muted">Sets the model places ${symbol} in (known members marked), by z-score; the set AUROC says how well the model recovers that set.</p>
    ${loading && html`<div class="toolbar">${toolbar}</div><${Loading} what="Loading predicted functions" />`}
    ${error && html`<div class="toolbar">${toolbar}</div><${ErrorBox} error=${error} what="Predicted functions" />`}
    ${data && html`${data.total > data.nodes.length ? html`<p class="muted" role="status">${data.done ? 'First' : 'Loading the rest; first'} ${fmt.int(data.nodes.length)} of ${fmt.int(data.total)} shown.</p>` : ''}
      <${DataTable} id="functions-table" caption=${`Predicted functions of ${symbol}${library ? ` in ${library}` : ''}`} columns=${columns} rows=${rows}
        initialSort=${{ key: 'z', dir: -1 }} filterText=${(r) => `${r.geneSet.name} ${r.geneSet.id}`} filterLabel="Filter sets" toolbar=${toolbar}
        empty=${`The model predicts no ${library || ''} sets for ${symbol}.`} />`}
  </section>`;
}

const geneCell = (g) => html`<${Link} href=${geneHref(g.symbol)}>${g.symbol}<//> <span class="muted">${g.name}</span>`;

function Neighbours({ symbol, gene }) {
  const { loading, data, error } = useAsync(() => gqlPartial(NEIGHBOURS, { id: symbol }), [symbol]);
  const [showGraph, setShowGraph] = useState(false);
  if (loading) return html`<${Loading} what="Loading partners and similar genes" />`;
  if (error) return html`<${ErrorBox} error=${error} what="Partners and similar genes" />`;
  const errFor = (field) => {
    const errs = data.errors.filter((e) => !e.path || e.path.includes(field));
    return errs.length ? new GqlError(errs) : null;
  };
  const partners = data.data?.gene?.predictedPartners;
  const similar = data.data?.gene?.similarGenes;
  const pErr = !partners && errFor('predictedPartners');
  const sErr = !similar && errFor('similarGenes');
  return html`
    <div class="two-col">
      <section aria-labelledby="h-partners"><h2 id="h-partners">Predicted partners</h2>
        <p class="muted">Genes the model predicts from ${symbol} alone.</p>
        ${pErr ? html`<${ErrorBox} error=${pErr} what="Predicted partners" />` : html`<${DataTable} id="partners-table" caption=${`Predicted partners of ${symbol}`} pageSize=${15}
          columns=${[
            { key: 'gene', label: 'Gene', value: (r) => r.gene.symbol, render: (r) => geneCell(r.gene) },
            { key: 'probability', label: 'Probability', numeric: true, value: (r) => r.probability, render: (r) => fmt.p(r.probability) },
            { key: 'z', label: 'z', numeric: true, value: (r) => r.zScore, render: (r) => fmt.z(r.zScore) },
          ]} rows=${partners ?? []} empty="No predicted partners." />`}
      </section>
      <section aria-labelledby="h-similar"><h2 id="h-similar">Similar genes</h2>
        <p class="muted">Nearest genes in the model's embedding space.</p>
        ${sErr ? html`<${ErrorBox} error=${sErr} what="Similar genes" />` : html`<${DataTable} id="similar-table" caption=${`Genes similar to ${symbol}`} pageSize=${15}
          columns=${[
            { key: 'gene', label: 'Gene', value: (r) => r.gene.symbol, render: (r) => geneCell(r.gene) },
            { key: 'cosine', label: 'Cosine', numeric: true, value: (r) => r.cosine, render: (r) => fmt.p(r.cosine) },
          ]} rows=${similar ?? []} empty="No similar genes." />`}
      </section>
    </div>
    <section aria-labelledby="h-graph"><h2 id="h-graph">Neighbourhood graph</h2>
      ${partners || similar
        ? showGraph
          ? html`<${NeighbourhoodGraph} gene=${gene} partners=${(partners ?? []).slice(0, 10)} similar=${(similar ?? []).slice(0, 10)} />`
          : html`<p class="muted">${symbol}, its 10 nearest similar genes and 10 strongest predicted partners; edges weighted by score, nodes coloured by target family.</p>
            <button type="button" id="show-graph" onClick=${() => setShowGraph(true)}>Show neighbourhood graph</button>`
        : html`<${NotAvailable} what="Neighbourhood graph (needs partners or similar genes)" />`}
    </section>`;
}

export function GenePage({ id }) {
  const { loading, data, error } = useAsync(() => loadGene(id), [id]);
  if (loading) return html`<h1>${id}</h1><${Loading} what="Loading gene" />`;
  if (error) return html`<h1>${id}</h1><${ErrorBox} error=${error} what="Gene" />`;
  if (!data.gene) return html`<${NotFound} id=${id} ...${data} />`;
  const gene = data.gene;
  return html`<article class="gene-page">
    <${Identity} gene=${gene} />
    <${Explanation} symbol=${gene.symbol} />
    <${PredictedFunctions} symbol=${gene.symbol} libraries=${data.libraries.map((l) => l.name)} />
    <${Neighbours} symbol=${gene.symbol} gene=${gene} />
  </article>`;
}
