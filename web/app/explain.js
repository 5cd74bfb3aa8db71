// The gene's explanation in words with its citations. The server streams it (Server-Sent Events
// at /explain/stream: the template answer at once, then an LLM's rewrite token by token when one
// is configured); a server without the stream is asked through GraphQL, and a server without
// explanations at all gets "not available".
import { useState, useEffect } from './vendor/preact-htm.js';
import { gql } from './api.js';
import { html, Loading, ErrorBox, Link, setHref } from './ui.js';

const EXPLAIN = `query Explain($id: String!) { gene(id: $id) { explanation {
  text source model citations { kind id label url } guard { checked passed rejected } } } }`;

function Citations({ citations }) {
  if (!citations?.length) return null;
  return html`<details class="citations" open>
    <summary>Citations (${citations.length})</summary>
    <ul>${citations.map((c) => {
      const label = c.label ? `${c.id}: ${c.label}` : c.id;
      if (c.kind === 'set') return html`<li><${Link} href=${setHref(c.id)}>${label}<//></li>`;
      return html`<li>${c.url ? html`<a href=${c.url} target="_blank" rel="noopener noreferrer">${label}</a>` : label}</li>`;
    })}</ul>
  </details>`;
}

function sourceLabel(exp) {
  if (exp.source === 'template') return 'Written from the evidence by a template (no language model).';
  return `Rewritten by ${exp.source === 'local' ? 'a local language model' : 'an OpenAI-compatible model'}${exp.model ? ` (${exp.model})` : ''}, checked against the evidence.`;
}

export function Explanation({ symbol }) {
  const [state, setState] = useState({ phase: 'loading' });
  useEffect(() => {
    let closed = false;
    let es = null;
    let got = false;
    const fallback = () =>
      gql(EXPLAIN, { id: symbol }).then(
        (d) => !closed && setState({ phase: 'done', exp: d.gene.explanation }),
        (error) => !closed && setState({ phase: 'error', error }),
      );
    if (typeof EventSource === 'undefined') fallback();
    else {
      es = new EventSource(`/explain/stream?gene=${encodeURIComponent(symbol)}`);
      es.addEventListener('template', (e) => {
        got = true;
        setState({ phase: 'streaming', exp: JSON.parse(e.data), text: '' });
      });
      es.addEventListener('token', (e) => {
        got = true;
        const t = JSON.parse(e.data).text ?? '';
        setState((s) => ({ ...s, phase: 'streaming', text: (s.text ?? '') + t }));
      });
      es.addEventListener('done', (e) => {
        es.close();
        setState({ phase: 'done', exp: JSON.parse(e.data) });
      });
      es.onerror = () => {
        es.close();
        if (closed) return;
        if (!got) fallback();
        else setState((s) => (s.phase === 'done' ? s : { ...s, phase: 'done', interrupted: true }));
      };
    }
    return () => {
      closed = true;
      es?.close();
    };
  }, [symbol]);

  let body;
  if (state.phase === 'loading') body = html`<${Loading} what="Writing the explanation" />`;
  else if (state.phase === 'error') body = html`<${ErrorBox} error=${state.error} what="Explanation" />`;
  else {
    const { exp } = state;
    const streaming = state.phase === 'streaming';
    const text = streaming && state.text ? state.text : exp.text;
    const rejected = exp.guard?.checked && !exp.guard.passed;
    body = html`<div class="explanation-text" aria-busy=${streaming ? 'true' : 'false'}>
        ${text.split(/\n{2,}/).map((p) => html`<p>${p}</p>`)}
      </div>
      <p class="muted source">${streaming ? 'A language model is rewriting this…' : sourceLabel(exp)}
        ${rejected ? ` The model's rewrite was rejected (unsupported: ${exp.guard.rejected.join(', ')}); this is the template text.` : ''}
        ${exp.note ? ` ${exp.note}` : ''}${state.interrupted ? ' The stream was interrupted.' : ''}</p>
      <${Citations} citations=${exp.citations} />`;
  }
  return html`<section class="explanation" aria-labelledby="h-explanation"><h2 id="h-explanation">In words</h2>${body}</section>`;
}
