// The one way the dashboard talks to the server: POST /graphql (same origin), plus helpers for
// the errors pages must tell apart (no model, field missing on this server build).

/** A GraphQL answer with errors; `data` holds whatever part succeeded. */
export class GqlError extends Error {
  constructor(errors, data) {
    super(errors.map((e) => e.message).join('; '));
    this.errors = errors;
    this.data = data ?? null;
  }
  get codes() {
    return this.errors.map((e) => e.extensions?.code).filter(Boolean);
  }
}

/** Runs a query; returns {data, errors} so pages can show the parts that succeeded. */
export async function gqlPartial(query, variables = {}) {
  let res;
  try {
    res = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
  } catch (e) {
    throw new Error(`cannot reach the server (${e.message})`);
  }
  let body;
  try {
    body = await res.json();
  } catch {
    throw new Error(`the server answered ${res.status} ${res.statusText} without JSON`);
  }
  return { data: body.data ?? null, errors: body.errors ?? [] };
}

/** Runs a query and throws a GqlError on any error. */
export async function gql(query, variables = {}) {
  const { data, errors } = await gqlPartial(query, variables);
  if (errors.length) throw new GqlError(errors, data);
  return data;
}

const messages = (e) => (e?.errors ?? (e ? [e] : [])).map((x) => x.message ?? String(x));

/** The server build lacks a field or argument the page asked for (an older or newer API). */
export const isMissingOnServer = (e) => messages(e).some((m) => /Unknown (field|argument)/.test(m));

/** The server runs without a trained model. */
export const isNoModel = (e) => messages(e).some((m) => /without a model/.test(m));

/** The server has a model but no neighbourhood index. */
export const isNoIndex = (e) => messages(e).some((m) => /without a neighbourhood index/.test(m));

/** The steps that give a server its model, as scripts/run.sh runs them. */
export const MODEL_STEPS = 'genekg train, then genekg model predict and genekg index build, and restart genekg serve (scripts/run.sh does all of it)';

/** Splits pasted text into gene entries: one per line, comma, semicolon, tab or space. */
export function parseGenes(text) {
  const seen = new Set();
  const out = [];
  for (const g of (text ?? '').split(/[\s,;]+/)) {
    const t = g.trim();
    if (t && !seen.has(t.toUpperCase())) {
      seen.add(t.toUpperCase());
      out.push(t);
    }
  }
  return out;
}

/** Rows as TSV: columns are [header, row => value]; tabs and newlines in values become spaces. */
export function toTsv(columns, rows) {
  const clean = (v) => (v === null || v === undefined ? '' : String(v).replace(/[\t\r\n]+/g, ' '));
  const lines = [columns.map(([h]) => h).join('\t')];
  for (const r of rows) lines.push(columns.map(([, f]) => clean(f(r))).join('\t'));
  return lines.join('\n') + '\n';
}

/** Offers text as a file download. */
export function download(filename, text, type = 'text/tab-separated-values') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
