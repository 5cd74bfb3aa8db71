// The dashboard's entry: the layout and the router. Every page has a URL the server answers with
// this app (src/http/routes/web.rs), so links can be shared and reloaded.
import { render, useState, useEffect, useRef } from './vendor/preact-htm.js';
import { html, Link } from './ui.js';
import { Home } from './home.js';
import { GenePage } from './gene.js';
import { SetPage } from './set.js';
import { AugmentPage, EnrichPage } from './tools.js';
import { AskPage } from './ask.js';

function route(path, params) {
  let m;
  if (path === '/' || path === '') return { title: 'genekg', page: html`<${Home} />` };
  if ((m = path.match(/^\/gene\/(.+)$/))) {
    const id = decodeURIComponent(m[1]);
    return { title: `${id} · genekg`, page: html`<${GenePage} key=${id} id=${id} />` };
  }
  if ((m = path.match(/^\/set\/(.+)$/))) {
    const id = decodeURIComponent(m[1]);
    return { title: `${id} · genekg`, page: html`<${SetPage} key=${id} id=${id} />` };
  }
  if (path === '/augment') return { title: 'Augment · genekg', page: html`<${AugmentPage} genes=${params.get('genes') ?? ''} />` };
  if (path === '/enrich') return { title: 'Enrichment · genekg', page: html`<${EnrichPage} genes=${params.get('genes') ?? ''} />` };
  if (path === '/ask') return { title: 'Ask · genekg', page: html`<${AskPage} q=${params.get('q') ?? ''} />` };
  return { title: 'Not found · genekg', page: html`<h1>Page not found</h1><p>No page at <code>${path}</code>. <${Link} href="/">Go to the start page<//>.</p>` };
}

function App() {
  const [loc, setLoc] = useState(location.pathname + location.search);
  const main = useRef(null);
  const first = useRef(true);
  useEffect(() => {
    const update = () => setLoc(location.pathname + location.search);
    window.addEventListener('popstate', update);
    window.addEventListener('genekg:navigate', update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener('genekg:navigate', update);
    };
  }, []);
  const { title, page } = route(location.pathname, new URLSearchParams(location.search));
  useEffect(() => {
    document.title = title;
    // After in-app navigation, move focus to the new page (screen readers announce it).
    if (!first.current) main.current?.focus();
    first.current = false;
  }, [loc]);
  const nav = [
    ['/', 'Search'],
    ['/augment', 'Augment'],
    ['/enrich', 'Enrichment'],
    ['/ask', 'Ask'],
  ];
  const here = location.pathname;
  return html`
    <a class="skip" href="#main">Skip to content</a>
    <header class="top">
      <${Link} href="/" class="brand">genekg<//>
      <nav aria-label="Main">
        <ul>
          ${nav.map(([href, label]) => html`<li><${Link} href=${href} aria-current=${here === href ? 'page' : undefined}>${label}<//></li>`)}
          <li><a href="/graphiql">GraphiQL</a></li>
        </ul>
      </nav>
    </header>
    <main id="main" tabindex="-1" ref=${main}>${page}</main>
    <footer><p>genekg: a queryable map of what human genes do. Everything on this page comes from this server's <a href="/graphiql">GraphQL API</a>.</p></footer>
  `;
}

const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
