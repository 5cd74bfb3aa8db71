// The start page: gene search, set search, the question box and what this server answers from.
import { useState } from './vendor/preact-htm.js';
import { gql } from './api.js';
import { html, Link, navigate, GeneSearch, useAsync, Loading, ErrorBox, setHref, fmt } from './ui.js';

/** Example questions of the kinds the question front understands (the `ask` query). */
export const EXAMPLE_QUESTIONS = [
  'What does TP53 do?',
  'Which genes are similar to CDK1?',
  'What are the predicted partners of BRCA1?',
  'Which understudied genes are predicted for autophagy?',
  'How are TP53 and MDM2 related?',
];

const META = `{ meta { dataVersion genekgVersion startedAt counts { genes proteinCodingGenes libraries geneSets }
  sources { name date } packages { name version } }
  libraries { name version setCount geneCount } }`;

const SETS = `query Sets($text: String!) { geneSets(nameContains: $text, first: 25) { totalCount nodes { id name size library { name } } } }`;

function SetSearch() {
  const [text, setText] = useState('');
  const [result, setResult] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    const t = text.trim();
    if (!t) return;
    setResult({ loading: true });
    try {
      setResult({ data: (await gql(SETS, { text: t })).geneSets, text: t });
    } catch (error) {
      setResult({ error });
    }
  };
  return html`<form class="search set-search" role="search" onSubmit=${submit}>
      <label for="set-search-input">Gene set name</label>
      <input id="set-search-input" type="search" value=${text} onInput=${(e) => setText(e.target.value)} placeholder="e.g. autophagy, DNA repair" />
      <button type="submit">Find sets</button>
    </form>
    ${result?.loading && html`<${Loading} what="Searching sets" />`}
    ${result?.error && html`<${ErrorBox} error=${result.error} what="Set search" />`}
    ${result?.data && html`<div class="set-results" aria-live="polite">
      <p>${result.data.totalCount === 0 ? `No set name contains “${result.text}”.` : `${fmt.int(result.data.totalCount)} sets${result.data.totalCount > result.data.nodes.length ? `, first ${result.data.nodes.length} shown` : ''}:`}</p>
      <ul class="plain">${result.data.nodes.map((s) => html`<li><${Link} href=${setHref(s.id)}>${s.name}<//> <span class="muted">${s.library.name} · ${s.size} genes</span></li>`)}</ul>
    </div>`}`;
}

function Ask() {
  const [q, setQ] = useState('');
  const submit = (e) => {
    e.preventDefault();
    if (q.trim()) navigate(`/ask?q=${encodeURIComponent(q.trim())}`);
  };
  return html`<form class="search ask-box" onSubmit=${submit}>
      <label for="ask-input">Question</label>
      <input id="ask-input" type="text" value=${q} onInput=${(e) => setQ(e.target.value)} placeholder="Ask about genes, e.g. What does TP53 do?" />
      <button type="submit">Ask</button>
    </form>
    <p class="examples">Examples: ${EXAMPLE_QUESTIONS.map((x, i) => html`${i ? ' · ' : ''}<${Link} href=${`/ask?q=${encodeURIComponent(x)}`}>${x}<//>`)}</p>`;
}

function Meta() {
  const { loading, data, error } = useAsync(() => gql(META), []);
  if (loading) return html`<${Loading} what="Reading what this server holds" />`;
  if (error) return html`<${ErrorBox} error=${error} what="Server information" />`;
  const { meta, libraries } = data;
  return html`<dl class="meta">
      <dt>Genes</dt><dd>${fmt.int(meta.counts.genes)} (${fmt.int(meta.counts.proteinCodingGenes)} protein-coding)</dd>
      <dt>Gene sets</dt><dd>${fmt.int(meta.counts.geneSets)} in ${meta.counts.libraries} libraries: ${libraries.map((l, i) => html`${i ? ', ' : ''}${l.name} (${fmt.int(l.setCount)})`)}</dd>
      <dt>Sources</dt><dd>${meta.sources.map((s, i) => html`${i ? '; ' : ''}${s.name} ${s.date}`)}${meta.packages.length ? html`; packages ${meta.packages.map((p) => `${p.name} ${p.version}`).join(', ')}` : ''}</dd>
      <dt>Data version</dt><dd><code>${meta.dataVersion}</code></dd>
      <dt>Server</dt><dd>genekg ${meta.genekgVersion}, up since ${meta.startedAt}</dd>
    </dl>`;
}

export function Home() {
  return html`<h1>genekg</h1>
    <p class="lede">What human genes do: curated gene sets, and what a gene set foundation model predicts beyond them.</p>
    <section aria-labelledby="h-gene"><h2 id="h-gene">Find a gene</h2><${GeneSearch} autofocus=${true} /></section>
    <section aria-labelledby="h-set"><h2 id="h-set">Find a gene set</h2><${SetSearch} /></section>
    <section aria-labelledby="h-ask"><h2 id="h-ask">Ask a question</h2><${Ask} /></section>
    <section aria-labelledby="h-lists"><h2 id="h-lists">Gene lists</h2>
      <p><${Link} href="/augment">Augment a gene list<//> (the genes the model adds to it) · <${Link} href="/enrich">Enrichment<//> (which sets a list over-represents, with and without the model)</p></section>
    <section aria-labelledby="h-meta"><h2 id="h-meta">What this server answers from</h2><${Meta} /></section>`;
}
