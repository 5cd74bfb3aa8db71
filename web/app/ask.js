// Answers to questions in words (`ask`): the answer, its data as a table, and the equivalent
// GraphQL query with a button that opens it in GraphiQL.
import { useState, useEffect } from './vendor/preact-htm.js';
import { gql, isMissingOnServer, toTsv, download } from './api.js';
import { html, Link, navigate, Loading, ErrorBox, DataTable, useAsync, geneHref, setHref } from './ui.js';
import { EXAMPLE_QUESTIONS } from './home.js';

const ASK = `query Ask($q: String!) { ask(question: $q) { intent understood answer data graphql examples
  genes { symbol name } terms { id name } } }`;

const cell = (v) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : typeof v === 'number' && !Number.isInteger(v) ? v.toPrecision(4) : String(v));

function AnswerTable({ rows }) {
  if (!Array.isArray(rows) || !rows.length) return null;
  const keys = [...new Set(rows.flatMap((r) => (r && typeof r === 'object' ? Object.keys(r) : [])))];
  const columns = keys.map((k) => ({
    key: k,
    label: k,
    numeric: rows.every((r) => r[k] == null || typeof r[k] === 'number'),
    value: (r) => r[k] ?? null,
    render: (r) => (k === 'symbol' && typeof r[k] === 'string' ? html`<${Link} href=${geneHref(r[k])}>${r[k]}<//>` : cell(r[k])),
  }));
  const tsv = () => download('genekg_answer.tsv', toTsv(keys.map((k) => [k, (r) => cell(r[k])]), rows));
  return html`<${DataTable} id="answer-table" caption="The answer's data" columns=${columns} rows=${rows}
    toolbar=${html`<button type="button" onClick=${tsv}>Download TSV</button>`} />`;
}

function Examples({ list }) {
  return html`<ul class="plain examples">${list.map((x) => html`<li><${Link} href=${`/ask?q=${encodeURIComponent(x)}`}>${x}<//></li>`)}</ul>`;
}

function Answer({ q }) {
  const { loading, data, error } = useAsync(() => gql(ASK, { q }), [q]);
  if (loading) return html`<${Loading} what="Answering" />`;
  if (error && isMissingOnServer(error))
    return html`<p class="notice not-available" role="note">Questions are not available on this server (this build has no <code>ask</code>). The <${Link} href="/">search<//>, gene pages, <${Link} href="/augment">augment<//> and <${Link} href="/enrich">enrichment<//> pages answer the same kinds of question.</p>`;
  if (error) return html`<${ErrorBox} error=${error} what="Question" />`;
  const a = data.ask;
  return html`<section class="answer" aria-labelledby="h-answer"><h2 id="h-answer">Answer</h2>
    ${!a.understood && html`<p class="notice" role="note">The question was not understood. Try one of these:</p><${Examples} list=${a.examples.length ? a.examples : EXAMPLE_QUESTIONS} />`}
    <div class="answer-text">${a.answer.split(/\n{2,}/).map((p) => html`<p>${p}</p>`)}</div>
    ${(a.genes.length > 0 || a.terms.length > 0) && html`<p class="muted">About: ${[
      ...a.genes.map((g) => html`<${Link} href=${geneHref(g.symbol)}>${g.symbol}<//>`),
      ...a.terms.map((t) => html`<${Link} href=${setHref(t.id)}>${t.name}<//>`),
    ].map((x, i) => html`${i ? ', ' : ''}${x}`)} <span class="intent">(intent: ${a.intent})</span></p>`}
    <${AnswerTable} rows=${a.data} />
    ${a.graphql && html`<section aria-labelledby="h-gql"><h3 id="h-gql">The same as a GraphQL query</h3>
      <pre class="graphql" tabindex="0" aria-label="The GraphQL query behind this answer"><code>${a.graphql}</code></pre>
      <a class="button" id="open-graphiql" href=${`/graphiql?query=${encodeURIComponent(a.graphql)}`} target="_blank" rel="noopener">Open in GraphiQL</a></section>`}
  </section>`;
}

export function AskPage({ q }) {
  const [text, setText] = useState(q);
  useEffect(() => setText(q), [q]);
  const submit = (e) => {
    e.preventDefault();
    if (text.trim()) navigate(`/ask?q=${encodeURIComponent(text.trim())}`);
  };
  return html`<h1>Ask</h1>
    <form class="search ask-box" onSubmit=${submit}>
      <label for="ask-input">Question</label>
      <input id="ask-input" type="text" value=${text} onInput=${(e) => setText(e.target.value)} placeholder="e.g. What does TP53 do?" />
      <button type="submit">Ask</button>
    </form>
    ${q ? html`<${Answer} key=${q} q=${q} />` : html`<p>Some questions to try:</p><${Examples} list=${EXAMPLE_QUESTIONS} />`}`;
}
