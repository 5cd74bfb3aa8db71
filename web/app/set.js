// The set page: members, the model's predicted new members, similar sets and the set's AUROC.
import { gqlPartial, GqlError, toTsv, download } from './api.js';
import { html, Link, useAsync, Loading, ErrorBox, DataTable, fmt, geneHref, setHref } from './ui.js';

const SET = `query Set($id: ID!) {
  geneSet(id: $id) { id term name description size pmid url library { name version }
    genes(first: 500) { totalCount nodes { symbol name } } }
}`;
const MODEL = `query SetModel($id: ID!) {
  geneSet(id: $id) { modelAuroc
    predictedMembers(first: 100, newOnly: true) { gene { symbol name } probability zScore rank known }
    similarSets(first: 10) { key cosine geneSet { id name library { name } } } }
}`;

function fieldError(res, field) {
  const errs = res.errors.filter((e) => !e.path || e.path.includes(field));
  return errs.length ? new GqlError(errs) : null;
}

function ModelParts({ id, name }) {
  const { loading, data, error } = useAsync(() => gqlPartial(MODEL, { id }), [id]);
  if (loading) return html`<${Loading} what="Loading the model's predictions" />`;
  if (error) return html`<${ErrorBox} error=${error} what="Model predictions" />`;
  const s = data.data?.geneSet;
  const predicted = s?.predictedMembers;
  const similar = s?.similarSets;
  const tsv = () =>
    download(`${id.replace(/[^A-Za-z0-9_.-]+/g, '_')}_predicted_members.tsv`, toTsv(
      [['symbol', (r) => r.gene.symbol], ['name', (r) => r.gene.name], ['probability', (r) => r.probability], ['z_score', (r) => r.zScore], ['rank', (r) => r.rank]],
      predicted,
    ));
  return html`
    <p class="auroc">Model AUROC for this set: <strong>${s?.modelAuroc == null ? 'not computed' : fmt.auroc(s.modelAuroc)}</strong>
      <span class="muted"> (median ROC AUC recovering hidden halves of the set: how far to trust its predictions)</span></p>
    <section aria-labelledby="h-predicted"><h2 id="h-predicted">Predicted new members</h2>
      ${predicted
        ? html`<${DataTable} id="predicted-members-table" caption=${`Genes the model predicts for ${name}, not yet in it`} columns=${[
            { key: 'rank', label: 'Rank', numeric: true, value: (r) => r.rank },
            { key: 'gene', label: 'Gene', value: (r) => r.gene.symbol, render: (r) => html`<${Link} href=${geneHref(r.gene.symbol)}>${r.gene.symbol}<//> <span class="muted">${r.gene.name}</span>` },
            { key: 'probability', label: 'Probability', numeric: true, value: (r) => r.probability, render: (r) => fmt.p(r.probability) },
            { key: 'z', label: 'z', numeric: true, value: (r) => r.zScore, render: (r) => fmt.z(r.zScore) },
          ]} rows=${predicted} initialSort=${{ key: 'rank', dir: 1 }} filterText=${(r) => `${r.gene.symbol} ${r.gene.name}`} filterLabel="Filter genes"
          toolbar=${html`<button type="button" onClick=${tsv} disabled=${!predicted.length}>Download TSV</button>`} empty="The model predicts no new members." />`
        : html`<${ErrorBox} error=${fieldError(data, 'predictedMembers')} what="Predicted new members" />`}
    </section>
    <section aria-labelledby="h-similar-sets"><h2 id="h-similar-sets">Similar sets</h2>
      ${similar
        ? similar.length
          ? html`<ul class="plain similar-sets">${similar.map((x) => html`<li>${x.geneSet ? html`<${Link} href=${setHref(x.geneSet.id)}>${x.geneSet.name}<//> <span class="muted">${x.geneSet.library.name}</span>` : x.key} <span class="muted">cosine ${fmt.p(x.cosine)}</span></li>`)}</ul>`
          : html`<p>No similar sets.</p>`
        : html`<${ErrorBox} error=${fieldError(data, 'similarSets')} what="Similar sets" />`}
    </section>`;
}

export function SetPage({ id }) {
  const { loading, data, error } = useAsync(() => gqlPartial(SET, { id }), [id]);
  if (loading) return html`<h1>${id}</h1><${Loading} what="Loading gene set" />`;
  if (error) return html`<h1>${id}</h1><${ErrorBox} error=${error} what="Gene set" />`;
  if (data.errors.length && !data.data?.geneSet) return html`<h1>${id}</h1><${ErrorBox} error=${new GqlError(data.errors)} what="Gene set" />`;
  const s = data.data.geneSet;
  if (!s)
    return html`<h1>${id}</h1><div class="notice" role="alert">No gene set has the id <code>${id}</code>. Set ids look like <code>GO_BP:GO:0006914</code> or <code>PubMed:10521396</code>; <${Link} href="/">search sets by name<//>.</div>`;
  const members = s.genes.nodes;
  const external = s.url ?? (s.pmid ? `https://pubmed.ncbi.nlm.nih.gov/${s.pmid}/` : null);
  const externalLabel = s.pmid ? `PubMed ${s.pmid}` : /^GO:/.test(s.term) ? `${s.term} on AmiGO` : 'Source record';
  return html`<article class="set-page">
    <header><h1>${s.name}</h1>
      <p class="muted"><code>${s.id}</code> · ${s.library.name}${s.library.version ? ` ${s.library.version}` : ''} · ${fmt.int(s.size)} genes
        ${external ? html` · <a href=${external} target="_blank" rel="noopener noreferrer">${externalLabel}</a>` : ''}</p>
      ${s.description && html`<p>${s.description}</p>`}
    </header>
    <${ModelParts} id=${s.id} name=${s.name} />
    <section aria-labelledby="h-members"><h2 id="h-members">Members</h2>
      ${s.genes.totalCount > members.length ? html`<p class="muted">First ${members.length} of ${fmt.int(s.genes.totalCount)}, in Entrez order.</p>` : ''}
      <${DataTable} id="members-table" caption=${`Genes in ${s.name}`} pageSize=${50} columns=${[
        { key: 'gene', label: 'Gene', value: (g) => g.symbol, render: (g) => html`<${Link} href=${geneHref(g.symbol)}>${g.symbol}<//>` },
        { key: 'name', label: 'Name', value: (g) => g.name },
      ]} rows=${members} filterText=${(g) => `${g.symbol} ${g.name}`} filterLabel="Filter members" />
    </section>
  </article>`;
}
