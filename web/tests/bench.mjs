// Benchmark (not a test): time until the gene page shows its predicted-functions table, in
// headless Chromium with a cold cache each run, and the dashboard's size as served (gzip).
// Run with scripts/bench-web.sh, which starts the server on the default data.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

const base = process.env.GENEKG_URL;
const gene = process.env.GENE ?? 'TP53';
const runs = Number(process.env.RUNS ?? 7);
if (!base) throw new Error('GENEKG_URL is not set (run scripts/bench-web.sh)');

// Size: every file the start page and the gene page load, compressed as the server sends it.
const files = ['/', '/assets/style.css', '/assets/main.js', '/assets/api.js', '/assets/ui.js', '/assets/home.js', '/assets/gene.js',
  '/assets/explain.js', '/assets/graph.js', '/assets/set.js', '/assets/tools.js', '/assets/ask.js', '/assets/vendor/preact-htm.js'];
let app = 0;
for (const f of files) app += zlib.gzipSync(Buffer.from(await (await fetch(base + f)).arrayBuffer()), { level: 6 }).length;
const graph = zlib.gzipSync(Buffer.from(await (await fetch(`${base}/assets/vendor/cytoscape.esm.min.js`)).arrayBuffer()), { level: 6 }).length;
console.log(`bundle (gzip): app ${(app / 1024).toFixed(1)} KB without the graph library; cytoscape ${(graph / 1024).toFixed(1)} KB, loaded when the graph is opened`);

const times = [];
for (let i = 0; i < runs; i++) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'genekg-bench-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const t0 = Date.now();
  await page.goto(`${base}/gene/${gene}`);
  await page.locator('#functions-table tbody tr').first().waitFor({ timeout: 60000 });
  times.push(Date.now() - t0);
  await ctx.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
times.sort((a, b) => a - b);
if (process.env.BENCH_JSON) {
  fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify({ gene, runs, app_gzip_kb: app / 1024, graph_gzip_kb: graph / 1024,
    median_ms: times[times.length >> 1], min_ms: times[0], max_ms: times[times.length - 1] }));
}
console.log(`gene page ${gene} until its table shows (cold cache, ${runs} runs): median ${times[times.length >> 1]} ms, min ${times[0]} ms, max ${times[times.length - 1]} ms`);
