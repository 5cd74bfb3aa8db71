// The neighbourhood graph: a gene, its similar genes and its predicted partners, drawn with
// cytoscape (loaded only when the graph is opened, so other pages stay small).
import { useEffect, useRef, useState } from './vendor/preact-htm.js';
import { html, navigate, geneHref, FAMILY_COLOUR, familyLabel } from './ui.js';

export function NeighbourhoodGraph({ gene, partners, similar }) {
  const box = useRef(null);
  const [error, setError] = useState(null);
  const nodes = new Map([[gene.symbol, { ...gene, role: 'centre' }]]);
  for (const p of partners) if (!nodes.has(p.gene.symbol)) nodes.set(p.gene.symbol, { ...p.gene, role: 'partner' });
  for (const s of similar) if (!nodes.has(s.gene.symbol)) nodes.set(s.gene.symbol, { ...s.gene, role: 'similar' });
  const edges = [
    ...partners.map((p) => ({ id: `p-${p.gene.symbol}`, source: gene.symbol, target: p.gene.symbol, weight: p.probability, kind: 'partner' })),
    ...similar.map((s) => ({ id: `s-${s.gene.symbol}`, source: gene.symbol, target: s.gene.symbol, weight: Math.max(0, s.cosine), kind: 'similar' })),
  ].filter((e) => e.source !== e.target);
  useEffect(() => {
    let cy = null;
    let live = true;
    import('./vendor/cytoscape.esm.min.js').then(
      ({ default: cytoscape }) => {
        if (!live) return;
        cy = cytoscape({
          container: box.current,
          elements: [
            ...[...nodes.values()].map((n) => ({ data: { id: n.symbol, label: n.symbol, colour: FAMILY_COLOUR[n.targetFamily] ?? FAMILY_COLOUR.NONE, role: n.role } })),
            ...edges.map((e) => ({ data: { ...e, width: 1 + 7 * Math.min(1, e.weight) } })),
          ],
          style: [
            { selector: 'node', style: { 'background-color': 'data(colour)', label: 'data(label)', 'font-size': 11, color: '#1a1a1a', 'text-valign': 'bottom', 'text-margin-y': 3, width: 22, height: 22, 'border-width': 1, 'border-color': '#333' } },
            { selector: 'node[role = "centre"]', style: { width: 36, height: 36, 'font-weight': 'bold', 'font-size': 14, 'border-width': 3 } },
            { selector: 'edge', style: { width: 'data(width)', 'line-color': '#9aa5b1', 'curve-style': 'bezier', opacity: 0.8 } },
            { selector: 'edge[kind = "similar"]', style: { 'line-style': 'dashed', 'line-color': '#7a6fb0' } },
          ],
          layout: { name: 'concentric', concentric: (n) => (n.data('role') === 'centre' ? 2 : 1), levelWidth: () => 1, minNodeSpacing: 30, animate: false },
          wheelSensitivity: 0.3,
        });
        cy.on('tap', 'node', (e) => {
          const id = e.target.id();
          if (id !== gene.symbol) navigate(geneHref(id));
        });
        // The test drives real clicks on nodes; it reads their positions from here.
        window.genekgGraph = cy;
      },
      (e) => live && setError(e),
    );
    return () => {
      live = false;
      cy?.destroy();
      if (window.genekgGraph === cy) window.genekgGraph = null;
    };
  }, [gene.symbol]);
  const families = [...new Set([...nodes.values()].map((n) => n.targetFamily ?? 'NONE'))];
  const others = [...nodes.values()].filter((n) => n.role !== 'centre');
  return html`<figure class="graph">
    ${error ? html`<p class="error" role="alert">The graph library did not load: ${error.message}</p>` : ''}
    <div ref=${box} id="neighbourhood-graph" class="graph-box" role="img"
      aria-label=${`Graph of ${gene.symbol} with ${partners.length} predicted partners (solid edges) and ${similar.length} similar genes (dashed edges); the same genes are listed below and in the tables above.`}></div>
    <figcaption>
      <ul class="legend" aria-label="Node colours">${families.map((f) => html`<li><span class="swatch" style=${`background:${FAMILY_COLOUR[f] ?? FAMILY_COLOUR.NONE}`}></span>${familyLabel(f)}</li>`)}
        <li><span class="line solid"></span>predicted partner (width: probability)</li><li><span class="line dashed"></span>similar gene (width: cosine)</li></ul>
      <p>Click a node to open its gene. Genes in the graph: ${others.map((n, i) => html`${i ? ', ' : ''}<a href=${geneHref(n.symbol)} onClick=${(e) => { e.preventDefault(); navigate(geneHref(n.symbol)); }}>${n.symbol}</a>`)}</p>
    </figcaption>
  </figure>`;
}
