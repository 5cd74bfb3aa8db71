// The dashboard in a real browser: headless Debian Chromium driven by playwright-core, against
// `genekg serve` over the fixture data directory that scripts/test-web.sh builds (the fixture
// store, a small model trained on it, predictions and indexes). Every check compares what the
// page shows with what the API answers. A request leaving 127.0.0.1 fails the test; axe-core
// runs on every page; screenshots go to web/tests/artifacts/.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const ARTIFACTS = path.join(here, 'artifacts');
const BIN = process.env.GENEKG_BIN;
const DATA = process.env.GENEKG_DATA;
const BARE = process.env.GENEKG_DATA_BARE; // a store without a model
assert.ok(BIN && DATA && BARE, 'run through scripts/test-web.sh (GENEKG_BIN, GENEKG_DATA, GENEKG_DATA_BARE)');

const servers = [];
let base, bareBase, browser, context, page;
const offsite = [];
const pageErrors = [];

/** Starts `genekg serve` on a free port and returns its base URL (from its first stdout line). */
async function serve(dataDir) {
  const child = spawn(BIN, ['--data-dir', dataDir, 'serve', '--addr', '127.0.0.1:0', '--workers', '2'], {
    env: { ...process.env, RUST_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  servers.push(child);
  const line = await new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`genekg serve exited with ${code}`)));
  });
  const m = line.match(/(http:\/\/127\.0\.0\.1:\d+)\/graphql/);
  assert.ok(m, `no URL in ${line}`);
  return m[1];
}

async function gql(query, variables = {}, at = base) {
  const res = await fetch(`${at}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return res.json();
}

async function hasField(type, field) {
  const d = await gql(`{ __type(name: "${type}") { fields { name } } }`);
  return d.data.__type.fields.some((f) => f.name === field);
}

before(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  [base, bareBase] = await Promise.all([serve(DATA), serve(BARE)]);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'genekg-web-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
  });
  browser = context;
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1') return route.continue();
    offsite.push(url.href);
    return route.abort();
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(10000);
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // A server without the explanation stream answers it 404; the page then asks GraphQL.
    if (m.type() === 'error' && !/explain\/stream/.test(m.location()?.url ?? '') && !/404/.test(m.text())) pageErrors.push(`console: ${m.text()}`);
  });
});

after(async () => {
  await browser?.close();
  for (const s of servers) s.kill('SIGTERM');
});

afterEach(() => {
  assert.deepEqual(offsite.splice(0), [], 'requests left 127.0.0.1');
  assert.deepEqual(pageErrors.splice(0), [], 'errors in the page');
});

/** axe-core on the current page: no serious or critical violation. */
async function axe(name) {
  await page.evaluate(AXE);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`),
    [],
    `accessibility violations on ${name}`,
  );
}

async function shot(name) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Polls until `read()` gives `want` (the page renders after events), then asserts it. */
async function until(read, want, ms = 5000) {
  const end = Date.now() + ms;
  let got;
  while (Date.now() < end) {
    got = await read();
    if (JSON.stringify(got) === JSON.stringify(want)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.deepEqual(got, want);
}

const h1 = () => page.locator('main h1').first();
const cellTexts = (table, col) => page.locator(`${table} tbody tr td:nth-child(${col})`).allInnerTexts();

test('home: server facts, gene autocomplete by keyboard, set search', async () => {
  await page.goto(`${base}/`);
  const meta = (await gql('{ meta { counts { genes geneSets } } }')).data.meta;
  const facts = page.locator('dl.meta');
  await facts.waitFor();
  assert.match(await facts.innerText(), new RegExp(`${meta.counts.genes.toLocaleString('en')} \\(`));
  assert.match(await facts.innerText(), new RegExp(`${meta.counts.geneSets.toLocaleString('en')} in 4 libraries`));
  await axe('home');
  await shot('home');

  // Set search by name.
  await page.fill('#set-search-input', 'cell cycle');
  await page.press('#set-search-input', 'Enter');
  const sets = (await gql('{ geneSets(nameContains: "cell cycle", first: 25) { totalCount nodes { id name } } }')).data.geneSets;
  await page.locator('.set-results').getByText(`${sets.totalCount} sets`).waitFor();
  assert.deepEqual(await page.locator('.set-results li a').allInnerTexts(), sets.nodes.map((s) => s.name));

  // Gene search: the combobox lists searchGenes' hits; arrows and Enter open one.
  const hits = (await gql('{ searchGenes(text: "CDK", first: 8) { gene { symbol } } }')).data.searchGenes.map((h) => h.gene.symbol);
  await page.locator('#gene-search-input').pressSequentially('CDK');
  await page.locator('#gene-search-list li').first().waitFor();
  const shown = (await page.locator('#gene-search-list li strong').allInnerTexts());
  assert.deepEqual(shown, hits);
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.getAttribute('#gene-search-input', 'aria-activedescendant'), 'gene-opt-0');
  await page.keyboard.press('Enter');
  await page.waitForURL(`${base}/gene/${hits[0]}`);
  await page.locator('.gene-head .symbol').getByText(hits[0], { exact: true }).waitFor();
});

test('gene page: identity, link-outs, explanation and the predicted functions table', async () => {
  await page.goto(`${base}/gene/CDK1`);
  const g = (await gql(`{ gene(id: "CDK1") { symbol name targetFamily links { ncbiGene openTargets pharos }
    predictedFunctions(library: "GO_BP", first: 500) { totalCount pageInfo { hasNextPage endCursor } nodes { geneSet { name } probability zScore known } } } }`)).data.gene;
  // Every row, as the page loads them (500 per request): filters and sorts act on all of them.
  for (let pageInfo = g.predictedFunctions.pageInfo; pageInfo.hasNextPage; ) {
    const more = (await gql(`query($after: String) { gene(id: "CDK1") { predictedFunctions(library: "GO_BP", first: 500, after: $after) {
      pageInfo { hasNextPage endCursor } nodes { geneSet { name } probability zScore known } } } }`, { after: pageInfo.endCursor })).data.gene.predictedFunctions;
    g.predictedFunctions.nodes.push(...more.nodes);
    pageInfo = more.pageInfo;
  }
  assert.equal(g.predictedFunctions.nodes.length, g.predictedFunctions.totalCount);
  await page.locator('.gene-name').getByText(g.name).waitFor();
  assert.equal(await page.locator('.gene-head .badge.family').innerText(), 'Kinase');
  assert.equal(g.targetFamily, 'KINASE');
  assert.equal(await page.getByRole('link', { name: 'NCBI Gene' }).getAttribute('href'), g.links.ncbiGene);
  assert.equal(await page.getByRole('link', { name: 'Open Targets' }).getAttribute('href'), g.links.openTargets);

  // Explanation and publication count: shown, or "not available" on a server without them.
  const explanation = page.locator('section.explanation');
  await explanation.locator('.explanation-text, .not-available').first().waitFor();
  const hasExplain = await hasField('Gene', 'explanation');
  assert.equal(await explanation.locator('.explanation-text').count(), hasExplain ? 1 : 0);
  if (hasExplain) assert.ok((await explanation.locator('.explanation-text').innerText()).includes('CDK1'));
  else assert.match(await explanation.innerText(), /not available on this server/);
  await page.locator('.pubs, .pubs-na').first().waitFor();
  if (!(await hasField('Gene', 'publicationCount'))) assert.match(await page.locator('.pubs-na').innerText(), /not available on this server/);

  // The table: GO_BP by default, by descending z, 25 a page.
  const table = '#functions-table';
  await page.locator(`${table} tbody tr`).first().waitFor();
  const status = page.locator(`${table} .page-status`);
  assert.equal(await status.innerText(), `1–25 of ${g.predictedFunctions.totalCount}`);
  const byZ = [...g.predictedFunctions.nodes].sort((a, b) => b.zScore - a.zScore).slice(0, 25);
  assert.deepEqual((await cellTexts(table, 1)).map((t) => t.split('\n')[0].replace(/ GO_BP:.*$/, '')), byZ.map((r) => r.geneSet.name));
  assert.deepEqual(await cellTexts(table, 5), byZ.map((r) => r.zScore.toFixed(2)));
  const known = g.predictedFunctions.nodes.filter((r) => r.known).length;
  assert.ok(known > 0 && known < g.predictedFunctions.nodes.length, 'fixture gene has known and novel predictions');
  await axe('gene');
  await shot('gene');
  if (process.env.UPDATE_SCREENSHOT) await page.screenshot({ path: path.join(here, '..', 'gene-page.png') });

  // Sort by probability from the keyboard: descending, then ascending.
  const probHeader = page.locator(`${table} th button`, { hasText: 'Probability' });
  await probHeader.focus();
  await page.keyboard.press('Enter');
  assert.equal(await page.locator(`${table} th[aria-sort="descending"]`).innerText(), 'Probability ▼');
  const desc = [...g.predictedFunctions.nodes].sort((a, b) => b.probability - a.probability).slice(0, 25).map((r) => r.probability.toFixed(3));
  await until(() => cellTexts(table, 4), desc);
  await page.keyboard.press('Enter');
  const asc = [...g.predictedFunctions.nodes].sort((a, b) => a.probability - b.probability).slice(0, 25).map((r) => r.probability.toFixed(3));
  await until(() => cellTexts(table, 4), asc);

  // Next page.
  await page.locator(`${table} .pager button`, { hasText: 'Next' }).click();
  await until(() => status.innerText(), `26–50 of ${g.predictedFunctions.totalCount}`);

  // Filter by text: only matching sets, counted.
  const word = 'regulation';
  const matching = g.predictedFunctions.nodes.filter((r) => r.geneSet.name.toLowerCase().includes(word));
  assert.ok(matching.length > 0);
  await page.fill(`${table} .table-filter`, word);
  await until(() => status.innerText(), `1–${Math.min(25, matching.length)} of ${matching.length} (filtered from ${g.predictedFunctions.totalCount})`);
  for (const name of await cellTexts(table, 1)) assert.ok(name.toLowerCase().includes(word), name);
  await page.fill(`${table} .table-filter`, '');

  // Novel only.
  await page.getByLabel('Novel only').check();
  const novel = g.predictedFunctions.nodes.filter((r) => !r.known).length;
  await until(() => status.innerText(), `1–${Math.min(25, novel)} of ${novel}`);
  assert.deepEqual([...new Set(await cellTexts(table, 3))], ['novel']);

  // TSV download of what the table holds.
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator(table).getByRole('button', { name: 'Download TSV' }).click()]);
  assert.equal(download.suggestedFilename(), 'CDK1_predicted_functions_GO_BP.tsv');
  const tsv = fs.readFileSync(await download.path(), 'utf8').trimEnd().split('\n');
  assert.equal(tsv[0], 'set_id\tset_name\tlibrary\tknown\tprobability\tz_score\trank\tset_auroc');
  assert.equal(tsv.length - 1, novel);
  assert.ok(tsv.slice(1).every((l) => l.split('\t')[3] === 'false'));
  await page.getByLabel('Novel only').uncheck();

  // Another library.
  const mf = (await gql('{ gene(id: "CDK1") { predictedFunctions(library: "GO_MF", first: 1) { totalCount } } }')).data.gene.predictedFunctions.totalCount;
  await page.selectOption(`${table} select`, 'GO_MF');
  // The whole status, not `of N`: "of 41" would also match the previous library's "of 415".
  await until(() => status.innerText(), `1–${Math.min(25, mf)} of ${mf}`);
  assert.deepEqual([...new Set(await cellTexts(table, 2))], ['GO_MF']);
});

test('gene page: partners, similar genes, and the graph whose node opens its gene', async () => {
  await page.goto(`${base}/gene/CDK1`);
  const g = (await gql('{ gene(id: "CDK1") { predictedPartners(first: 15) { gene { symbol } } similarGenes(first: 15) { gene { symbol } } } }')).data.gene;
  await page.locator('#partners-table tbody tr').first().waitFor();
  assert.deepEqual((await cellTexts('#partners-table', 1)).map((t) => t.split(' ')[0]), g.predictedPartners.map((p) => p.gene.symbol));
  assert.deepEqual((await cellTexts('#similar-table', 1)).map((t) => t.split(' ')[0]), g.similarGenes.map((p) => p.gene.symbol));

  await page.getByRole('button', { name: 'Show neighbourhood graph' }).click();
  await page.waitForFunction(() => window.genekgGraph && window.genekgGraph.nodes().length > 1);
  const expected = new Set(['CDK1', ...g.predictedPartners.slice(0, 10).map((p) => p.gene.symbol), ...g.similarGenes.slice(0, 10).map((p) => p.gene.symbol)]);
  const nodes = await page.evaluate(() => window.genekgGraph.nodes().map((n) => n.id()));
  assert.deepEqual(new Set(nodes), expected);
  const kinase = await page.evaluate(() => window.genekgGraph.$id('CDK1').data('colour'));
  assert.equal(kinase, '#D55E00', 'CDK1 is coloured as a kinase');
  await axe('gene with graph');
  await page.locator('figure.graph').screenshot({ path: path.join(ARTIFACTS, 'gene-graph.png') });

  // A real click on a node's position opens that gene.
  const target = g.similarGenes[0].gene.symbol;
  const pos = await page.evaluate((id) => window.genekgGraph.$id(id).renderedPosition(), target);
  const box = await page.locator('#neighbourhood-graph').boundingBox();
  await page.mouse.click(box.x + pos.x, box.y + pos.y);
  await page.waitForURL(`${base}/gene/${target}`);
  await page.locator('.gene-head .symbol').getByText(target, { exact: true }).waitFor();
  // Back returns to CDK1.
  await page.goBack();
  await page.locator('.gene-head .symbol').getByText('CDK1', { exact: true }).waitFor();
});

test('unknown gene: suggestions; ambiguous alias: candidates', async () => {
  await page.goto(`${base}/gene/CDK`);
  await page.locator('.unknown-gene').waitFor();
  assert.match(await page.locator('.unknown-gene').innerText(), /No gene is called CDK/);
  const hits = (await gql('{ searchGenes(text: "CDK", first: 8) { gene { symbol } } }')).data.searchGenes.map((h) => h.gene.symbol);
  assert.deepEqual((await page.locator('.suggestions li a').allInnerTexts()), hits);
  await axe('unknown gene');
  await shot('gene-unknown');

  const amb = await gql('{ gene(id: "CAF1") { symbol } }');
  assert.equal(amb.errors[0].extensions.code, 'AMBIGUOUS_GENE');
  await page.goto(`${base}/gene/CAF1`);
  await page.locator('.unknown-gene').waitFor();
  assert.deepEqual(await page.locator('.suggestions li a').allInnerTexts(), amb.errors[0].extensions.candidates.map((c) => c.symbol));
});

test('set page: members, predicted new members, similar sets, AUROC, GO link; reload keeps it', async () => {
  const id = 'GO_BP:GO:0007049';
  const s = (await gql(`{ geneSet(id: "${id}") { name size url modelAuroc genes(first: 500) { nodes { symbol } }
    predictedMembers(first: 100, newOnly: true) { gene { symbol } zScore } similarSets(first: 10) { geneSet { name } } } }`)).data.geneSet;
  await page.goto(`${base}/set/${id}`);
  await h1().getByText(s.name, { exact: true }).waitFor();
  await page.locator('#predicted-members-table tbody tr').first().waitFor();
  assert.equal(await page.locator('#members-table .page-status').innerText(), `1–${Math.min(50, s.size)} of ${s.size}`);
  const members = new Set(s.genes.nodes.map((g) => g.symbol));
  const predicted = (await cellTexts('#predicted-members-table', 2)).map((t) => t.split(' ')[0]);
  assert.deepEqual(predicted, s.predictedMembers.slice(0, 25).map((p) => p.gene.symbol));
  assert.ok(predicted.every((p) => !members.has(p)), 'predicted new members are not members');
  assert.deepEqual(await cellTexts('#predicted-members-table', 4), s.predictedMembers.slice(0, 25).map((p) => p.zScore.toFixed(2)));
  assert.deepEqual(await page.locator('.similar-sets li a').allInnerTexts(), s.similarSets.map((x) => x.geneSet.name));
  assert.match(await page.locator('.auroc').innerText(), s.modelAuroc == null ? /not computed/ : new RegExp(s.modelAuroc.toFixed(3)));
  assert.equal(await page.getByRole('link', { name: 'GO:0007049 on AmiGO' }).getAttribute('href'), s.url);
  await axe('set');
  await shot('set');

  await page.reload();
  await h1().getByText(s.name, { exact: true }).waitFor();
  await page.locator('#members-table tbody tr').first().waitFor();

  // A member link opens its gene page.
  const first = s.genes.nodes[0].symbol;
  await page.locator('#members-table tbody tr td a').first().click();
  await page.waitForURL(`${base}/gene/${first}`);
});

test('augment: pasted list, unknown and ambiguous entries, ranked predictions, TSV; deep link reloads', async () => {
  await page.goto(`${base}/`);
  await page.getByRole('link', { name: 'Augment', exact: true }).first().click();
  await page.waitForURL(`${base}/augment`);
  await page.fill('#genes-input', 'CDK1\nCDK2, ATR\nNOTAGENE1 CAF1');
  await page.getByRole('button', { name: 'Augment' }).click();
  await page.waitForURL(/\/augment\?genes=/);
  assert.equal(new URL(page.url()).searchParams.get('genes'), 'CDK1,CDK2,ATR,NOTAGENE1,CAF1');
  await page.locator('#augment-table tbody tr').first().waitFor();
  // The API refuses the ambiguous CAF1; the page leaves it out and says so.
  const a = (await gql('{ augment(genes: ["CDK1","CDK2","ATR","NOTAGENE1"], first: 200) { genes { gene { symbol } probability } } }')).data.augment;
  assert.deepEqual((await cellTexts('#augment-table', 2)).map((t) => t.split(' ')[0]), a.genes.slice(0, 25).map((r) => r.gene.symbol));
  assert.deepEqual(await cellTexts('#augment-table', 4), a.genes.slice(0, 25).map((r) => r.probability.toFixed(3)));
  assert.match(await page.locator('.unknown-genes').innerText(), /Unknown \(1\): NOTAGENE1/);
  assert.match(await page.locator('.ambiguous-genes').innerText(), /Ambiguous \(1\), left out: CAF1 could be CHAF1B, CHAF1A/);
  await axe('augment');
  await shot('augment');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download TSV' }).click()]);
  const tsv = fs.readFileSync(await download.path(), 'utf8').trimEnd().split('\n');
  assert.equal(tsv[0], 'rank\tsymbol\tname\tprobability\tlogit\ttarget_family');
  assert.equal(tsv.length - 1, a.genes.length);
  assert.equal(tsv[1].split('\t')[1], a.genes[0].gene.symbol);

  await page.reload();
  await page.locator('#augment-table tbody tr').first().waitFor();
  assert.equal(await page.inputValue('#genes-input'), 'CDK1\nCDK2\nATR\nNOTAGENE1\nCAF1');
});

test('enrichment: ORA per library with bars, the model-augmented result beside it, TSV', async () => {
  const genes = ['CDK1', 'CDK2', 'ATR', 'CHEK1', 'WEE1'];
  await page.goto(`${base}/enrich?genes=${genes.join(',')}`);
  await page.locator('.lib-result.ora').first().waitFor();
  const ora = (await gql('query($g:[String!]!){ enrich(genes: $g, libraries: ["GO_BP"], first: 25) { results { totalCount nodes { geneSet { name } pValue log10P } } } }', { g: genes })).data.enrich.results;
  const block = page.locator('.library-block').first();
  assert.match(await block.locator('h3').innerText(), /GO_BP/);
  const oraBox = block.locator('.lib-result.ora');
  assert.match(await oraBox.locator('h4').innerText(), new RegExp(`\\(${ora.totalCount} sets with an overlap\\)`));
  const bars = await oraBox.locator('.bar-row .bar-value').allInnerTexts();
  assert.deepEqual(bars, ora.nodes.slice(0, 10).map((r) => (-r.log10P).toFixed(1)));
  assert.deepEqual(await oraBox.locator('tbody td:nth-child(1)').allInnerTexts(), ora.nodes.slice(0, 10).map((r) => r.geneSet.name));
  const aug = (await gql('query($g:[String!]!){ augmentedEnrichment(genes: $g, libraries: ["GO_BP"], first: 25) { results { nodes { geneSet { name } } } } }', { g: genes })).data.augmentedEnrichment.results;
  assert.deepEqual(await block.locator('.lib-result.aug tbody td:nth-child(1)').allInnerTexts(), aug.nodes.slice(0, 10).map((r) => r.geneSet.name));
  assert.equal(await page.locator('.library-block').count(), 4);
  await axe('enrich');
  await shot('enrich');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download TSV' }).click()]);
  const tsv = fs.readFileSync(await download.path(), 'utf8').trimEnd().split('\n');
  assert.equal(tsv[0].split('\t').slice(0, 4).join('\t'), 'method\tlibrary\tset_id\tset_name');
  assert.ok(tsv.some((l) => l.startsWith('ora\tGO_BP\t')) && tsv.some((l) => l.startsWith('model_augmented\tGO_BP\t')));
});

test('ask: the answer, its data and the GraphQL behind it (or "not available" without ask)', async () => {
  await page.goto(`${base}/`);
  await page.fill('#ask-input', 'What does CDK1 do?');
  await page.press('#ask-input', 'Enter');
  await page.waitForURL(`${base}/ask?q=What%20does%20CDK1%20do%3F`);
  await page.locator('section.answer, .not-available').first().waitFor();
  if (await hasField('QueryRoot', 'ask')) {
    const a = (await gql('{ ask(question: "What does CDK1 do?") { answer graphql } }')).data.ask;
    assert.ok((await page.locator('.answer-text').innerText()).includes(a.answer.split('\n')[0].slice(0, 40)));
    if (a.graphql) {
      const href = await page.locator('#open-graphiql').getAttribute('href');
      assert.equal(new URL(href, base).searchParams.get('query'), a.graphql);
    }
  } else {
    assert.match(await page.locator('.not-available').innerText(), /not available on this server/);
  }
  await axe('ask');
  await shot('ask');

  // The "Open in GraphiQL" link's target: GraphiQL opens the query given in ?query=.
  const query = '{ meta { dataVersion } }';
  await page.goto(`${base}/graphiql?query=${encodeURIComponent(query)}`);
  const editor = page.locator('.graphiql-query-editor .CodeMirror-code');
  await editor.waitFor({ timeout: 30000 });
  await until(async () => (await editor.innerText()).replace(/\s+/g, ' ').replace(/^\d+ /, '').trim().includes('meta { dataVersion }'), true);
});

test('a server without a model says what to run', async () => {
  await page.goto(`${bareBase}/gene/CDK1`);
  await page.locator('.gene-head .symbol').getByText('CDK1', { exact: true }).waitFor();
  await page.locator('#h-functions ~ .no-model').waitFor();
  assert.match(await page.locator('#h-functions ~ .no-model').innerText(), /runs without a model.*genekg train/s);
  await page.locator('.no-model', { hasText: 'Predicted partners' }).waitFor();
  // The bare store has no index either; similar genes say that.
  await page.locator('.no-index', { hasText: 'Similar genes' }).waitFor();
  assert.equal(await page.locator('.error').count(), 0, 'a missing model is a notice, not an error');
  await axe('gene without model');
  await shot('gene-no-model');
});
