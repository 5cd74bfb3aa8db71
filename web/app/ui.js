// Shared pieces of every page: navigation, async state, messages, the sortable table, the gene
// search box, the gene list input and the target-family badge.
import { html, useState, useEffect, useRef, useMemo } from './vendor/preact-htm.js';
import { gql, isMissingOnServer, isNoModel, isNoIndex, MODEL_STEPS } from './api.js';

export { html };

/** Client-side navigation: pushes the URL and tells the app (main.js) to render it. */
export function navigate(href, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  window.dispatchEvent(new Event('genekg:navigate'));
}

/** An in-app link: a real <a href> (opens in a new tab, copyable) that navigates in place. */
export function Link({ href, children, ...rest }) {
  const onClick = (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return html`<a href=${href} onClick=${onClick} ...${rest}>${children}</a>`;
}

export const geneHref = (symbol) => `/gene/${encodeURIComponent(symbol)}`;
export const setHref = (id) => `/set/${encodeURIComponent(id).replace(/%3A/g, ':')}`;

/** Runs `fn` when `deps` change; {loading, data, error}. Stale answers are dropped. */
export function useAsync(fn, deps) {
  const [state, setState] = useState({ loading: true, data: null, error: null });
  useEffect(() => {
    let live = true;
    setState({ loading: true, data: null, error: null });
    Promise.resolve()
      .then(fn)
      .then(
        (data) => live && setState({ loading: false, data, error: null }),
        (error) => live && setState({ loading: false, data: null, error }),
      );
    return () => {
      live = false;
    };
  }, deps);
  return state;
}

export function Loading({ what = 'Loading' }) {
  return html`<p class="loading" role="status">${what}…</p>`;
}

/** An error as the user can act on it: no model, a field this server lacks, or the message. */
export function ErrorBox({ error, what }) {
  if (isNoModel(error)) return html`<${NoModel} what=${what} />`;
  if (isNoIndex(error))
    return html`<div class="notice no-index" role="note"><strong>${what ? `${what}: ` : ''}this server has no neighbourhood index.</strong> Run genekg index build and restart genekg serve.</div>`;
  if (isMissingOnServer(error)) return html`<${NotAvailable} what=${what} />`;
  return html`<div class="error" role="alert"><strong>${what ? `${what}: ` : ''}error.</strong> ${error?.message ?? String(error)}</div>`;
}

export function NoModel({ what }) {
  return html`<div class="notice no-model" role="note">
    <strong>${what ? `${what}: ` : ''}this server runs without a model.</strong> Predictions, partners,
    similar genes and augment need one: run ${MODEL_STEPS}.
  </div>`;
}

export function NotAvailable({ what }) {
  return html`<p class="notice not-available" role="note">${what ? `${what}: ` : ''}not available on this server.</p>`;
}

const FAMILY_LABEL = {
  GPCR: 'GPCR',
  NUCLEAR_RECEPTOR: 'Nuclear receptor',
  ION_CHANNEL: 'Ion channel',
  KINASE: 'Kinase',
  TRANSPORTER: 'Transporter',
  ENZYME: 'Enzyme',
  NONE: 'No target family',
};
/** Node and badge colours per target family (colour-blind-safe Okabe-Ito palette). */
export const FAMILY_COLOUR = {
  GPCR: '#E69F00',
  NUCLEAR_RECEPTOR: '#56B4E9',
  ION_CHANNEL: '#009E73',
  KINASE: '#D55E00',
  TRANSPORTER: '#0072B2',
  ENZYME: '#CC79A7',
  NONE: '#8a8a8a',
};
export const familyLabel = (f) => FAMILY_LABEL[f] ?? f;

export function FamilyBadge({ family }) {
  return html`<span class=${`badge family family-${(family ?? 'NONE').toLowerCase()}`} title="Druggable target family (from GO molecular function)">${familyLabel(family)}</span>`;
}

export const fmt = {
  p: (x) => (x === null || x === undefined ? '–' : x.toFixed(3)),
  z: (x) => (x === null || x === undefined ? '–' : x.toFixed(2)),
  auroc: (x) => (x === null || x === undefined ? '–' : x.toFixed(3)),
  sci: (x) => (x === null || x === undefined ? '–' : x === 0 ? '0' : x < 1e-3 ? x.toExponential(2) : x.toPrecision(3)),
  int: (x) => (x === null || x === undefined ? '–' : x.toLocaleString('en')),
};

/**
 * A table sorted by clicking its column headers, filtered by a text box and paged.
 * columns: [{key, label, value: row => sortable value, render?: row => cell, numeric?}]
 */
export function DataTable({ id, caption, columns, rows, pageSize = 25, initialSort, filterText, filterLabel = 'Filter', toolbar, empty = 'No rows.' }) {
  const [sort, setSort] = useState(initialSort ?? null); // {key, dir: 1|-1}
  const [filter, setFilter] = useState('');
  const [page, setPage] = useState(0);
  useEffect(() => setPage(0), [rows]);
  const filtered = useMemo(() => {
    const f = filter.trim().toLowerCase();
    if (!f || !filterText) return rows;
    return rows.filter((r) => filterText(r).toLowerCase().includes(f));
  }, [rows, filter]);
  const sorted = useMemo(() => {
    if (!sort) return filtered;
    const col = columns.find((c) => c.key === sort.key);
    const v = col.value;
    return [...filtered].sort((a, b) => {
      const x = v(a), y = v(b);
      if (x === y) return 0;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return (x < y ? -1 : 1) * sort.dir;
    });
  }, [filtered, sort]);
  const pages = Math.max(1, Math.ceil(sorted.length / pageSize));
  const at = Math.min(page, pages - 1);
  const shown = sorted.slice(at * pageSize, (at + 1) * pageSize);
  const toggle = (c) => setSort(sort?.key === c.key ? { key: c.key, dir: -sort.dir } : { key: c.key, dir: c.numeric ? -1 : 1 });
  return html`<div class="table-wrap" id=${id}>
    <div class="toolbar">
      ${filterText && html`<label>${filterLabel} <input type="search" value=${filter} onInput=${(e) => { setFilter(e.target.value); setPage(0); }} class="table-filter" /></label>`}
      ${toolbar}
    </div>
    <table>
      <caption>${caption}</caption>
      <thead><tr>
        ${columns.map((c) => html`<th scope="col" class=${c.numeric ? 'num' : ''} aria-sort=${sort?.key === c.key ? (sort.dir > 0 ? 'ascending' : 'descending') : 'none'}>
          <button type="button" class="sort" onClick=${() => { toggle(c); setPage(0); }}>${c.label}<span aria-hidden="true">${sort?.key === c.key ? (sort.dir > 0 ? ' ▲' : ' ▼') : ''}</span></button>
        </th>`)}
      </tr></thead>
      <tbody>
        ${shown.length === 0 && html`<tr><td colspan=${columns.length} class="empty">${rows.length ? 'No rows match the filter.' : empty}</td></tr>`}
        ${shown.map((r) => html`<tr>${columns.map((c) => html`<td class=${c.numeric ? 'num' : ''}>${c.render ? c.render(r) : c.value(r)}</td>`)}</tr>`)}
      </tbody>
    </table>
    <nav class="pager" aria-label=${`${caption} pages`}>
      <button type="button" disabled=${at === 0} onClick=${() => setPage(at - 1)}>Previous</button>
      <span class="page-status" aria-live="polite">${sorted.length ? `${at * pageSize + 1}–${at * pageSize + shown.length} of ${sorted.length}` : '0 rows'}${sorted.length !== rows.length ? ` (filtered from ${rows.length})` : ''}</span>
      <button type="button" disabled=${at >= pages - 1} onClick=${() => setPage(at + 1)}>Next</button>
    </nav>
  </div>`;
}

const SEARCH = `query Search($text: String!) { searchGenes(text: $text, first: 8) { gene { symbol name } matchedOn matchedText } }`;

/** Gene search with autocomplete (ARIA combobox: arrows move, Enter opens, Escape closes). */
export function GeneSearch({ label = 'Gene', autofocus = false }) {
  const [text, setText] = useState('');
  const [hits, setHits] = useState([]);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const input = useRef(null);
  useEffect(() => {
    if (autofocus) input.current?.focus();
  }, []);
  useEffect(() => {
    const t = text.trim();
    if (!t) {
      setHits([]);
      return;
    }
    let live = true;
    const timer = setTimeout(() => {
      gql(SEARCH, { text: t }).then(
        (d) => {
          if (!live) return;
          setHits(d.searchGenes);
          setOpen(true);
          setActive(-1);
        },
        () => live && setHits([]),
      );
    }, 120);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [text]);
  const go = (symbol) => {
    setOpen(false);
    navigate(geneHref(symbol));
  };
  const onKey = (e) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setOpen(true);
      setActive(Math.min(active + 1, hits.length - 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive(Math.max(active - 1, 0));
    } else if (e.key === 'Escape') {
      setOpen(false);
    }
  };
  const submit = (e) => {
    e.preventDefault();
    if (open && active >= 0 && hits[active]) go(hits[active].gene.symbol);
    else if (text.trim()) go(text.trim());
  };
  const expanded = open && hits.length > 0;
  return html`<form class="search gene-search" role="search" onSubmit=${submit}>
    <label for="gene-search-input">${label}</label>
    <div class="combo">
      <input id="gene-search-input" ref=${input} type="text" role="combobox" autocomplete="off" spellcheck="false"
        aria-autocomplete="list" aria-expanded=${expanded ? 'true' : 'false'} aria-controls="gene-search-list"
        aria-activedescendant=${expanded && active >= 0 ? `gene-opt-${active}` : undefined}
        placeholder="Symbol, alias, Entrez, Ensembl or UniProt id (e.g. TP53)"
        value=${text} onInput=${(e) => setText(e.target.value)} onKeyDown=${onKey}
        onBlur=${() => setTimeout(() => setOpen(false), 150)} />
      <ul id="gene-search-list" role="listbox" aria-label="Matching genes" hidden=${!expanded}>
        ${hits.map((h, i) => html`<li id=${`gene-opt-${i}`} role="option" aria-selected=${i === active ? 'true' : 'false'}
            class=${i === active ? 'active' : ''} onMouseDown=${(e) => { e.preventDefault(); go(h.gene.symbol); }}>
          <strong>${h.gene.symbol}</strong> <span class="muted">${h.gene.name}</span>
          ${h.matchedOn !== 'EXACT' && h.matchedOn !== 'SYMBOL_PREFIX' ? html` <span class="muted">(${h.matchedOn.toLowerCase().replace('_', ' ')}: ${h.matchedText})</span>` : ''}
        </li>`)}
      </ul>
    </div>
    <button type="submit">Open gene</button>
  </form>`;
}

/** A textarea for gene lists with a file upload beside it (the file's text fills the box). */
export function GeneListInput({ value, onInput, id = 'genes-input' }) {
  const onFile = async (e) => {
    const f = e.target.files?.[0];
    if (f) onInput(await f.text());
  };
  return html`<div class="gene-list-input">
    <label for=${id}>Genes (one per line, or separated by commas or spaces)</label>
    <textarea id=${id} rows="8" spellcheck="false" value=${value} onInput=${(e) => onInput(e.target.value)}></textarea>
    <label class="file">Or upload a text file <input type="file" accept=".txt,.tsv,.csv,.gmt,text/plain" onChange=${onFile} /></label>
  </div>`;
}

/** Unknown and ambiguous entries of a submitted list, as the server reported them. */
export function InputReport({ unknown = [], ambiguous = [], outside = [] }) {
  if (!unknown.length && !ambiguous.length && !outside.length) return null;
  return html`<div class="notice input-report" role="note">
    ${unknown.length > 0 && html`<p class="unknown-genes"><strong>Unknown (${unknown.length}):</strong> ${unknown.join(', ')}</p>`}
    ${ambiguous.length > 0 && html`<p class="ambiguous-genes"><strong>Ambiguous (${ambiguous.length}), left out:</strong> ${ambiguous.map((a, i) => html`${i ? '; ' : ''}${a.input} could be ${a.candidates.map((c, j) => html`${j ? ', ' : ''}<${Link} href=${geneHref(c.symbol)}>${c.symbol}<//>`)}`)}</p>`}
    ${outside.length > 0 && html`<p class="outside-model"><strong>Outside the model's vocabulary (${outside.length}):</strong> ${outside.join(', ')}</p>`}
  </div>`;
}
