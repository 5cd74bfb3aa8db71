//! `genekg bench ...`: commands that measure and print figures (never pass/fail).

use std::time::Instant;

use clap::{Args, Subcommand};
use rand::{Rng, SeedableRng};

use super::Context;
use crate::index::bench::{measure, QueryReport};
use crate::index::{all_sets, embed_all, AnnParams, VectorIndex, GENES, SETS};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Recall@10, latency and speed-up over brute force of the HNSW indexes.
    Index(IndexBenchArgs),
    /// Latency of `ask` (rules only, no LLM) over the bundled question corpus: p50 and p99.
    Ask(AskBenchArgs),
    /// Explanation latency (template, cached) and, with --llm, first token, total and the
    /// guard's pass rate.
    Explain(super::explain::ExplainBenchArgs),
}

#[derive(Args)]
pub struct AskBenchArgs {
    /// Passes over the corpus (the first, which builds the lexicon, is not timed).
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Questions, one JSON object per line with a `q` field [default: the bundled corpus].
    #[arg(long)]
    file: Option<std::path::PathBuf>,
    /// One JSON object instead of the line of text (for scripts/bench.sh).
    #[arg(long)]
    json: bool,
}

fn bench_ask(ctx: &Context, args: AskBenchArgs) -> anyhow::Result<()> {
    let text = match &args.file {
        Some(f) => std::fs::read_to_string(f)?,
        None => crate::nl::eval::BUNDLED_CORPUS.to_string(),
    };
    let questions: Vec<String> = crate::nl::eval::read_corpus(&text)?.into_iter().map(|c| c.q).collect();
    let state = super::load_app_state(ctx)?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let started = Instant::now();
    rt.block_on(crate::nl::ask(&state, "What does TP53 do?"))?;
    let first_ms = started.elapsed().as_secs_f64() * 1e3;
    for q in &questions {
        rt.block_on(crate::nl::ask(&state, q))?;
    }
    let mut ms = Vec::new();
    for _ in 0..args.rounds {
        for q in &questions {
            let t = Instant::now();
            rt.block_on(crate::nl::ask(&state, q))?;
            ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms[((ms.len() - 1) as f64 * p).round() as usize];
    if args.json {
        let out = serde_json::json!({
            "questions": questions.len(), "rounds": args.rounds, "p50_ms": at(0.5), "p90_ms": at(0.9),
            "p99_ms": at(0.99), "max_ms": ms[ms.len() - 1], "first_ms": first_ms,
        });
        println!("{out}");
        return Ok(());
    }
    println!(
        "ask (rules, no LLM): {} questions x {} rounds  p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms  (first question, building the lexicon: {first_ms:.0} ms)",
        questions.len(),
        args.rounds,
        at(0.5),
        at(0.9),
        at(0.99),
        ms[ms.len() - 1]
    );
    Ok(())
}

#[derive(Args)]
pub struct IndexBenchArgs {
    /// Queries per measurement (drawn from the indexed vectors).
    #[arg(long, default_value_t = 500)]
    queries: usize,
    /// Also build and measure an index of this many set embeddings (random subsets of real
    /// sets, 70% of each set's genes kept), e.g. 1000000.
    #[arg(long)]
    scale: Option<usize>,
    /// Only the scale run.
    #[arg(long)]
    scale_only: bool,
    /// HNSW links per node (M) for every index built here [default: as `index build`].
    #[arg(long)]
    m: Option<usize>,
    /// HNSW candidate list while building [default: as `index build`].
    #[arg(long)]
    ef_construction: Option<usize>,
    /// Query-time candidate list measured first (then 4x) [default: as `index build`].
    #[arg(long)]
    ef: Option<usize>,
    /// Only the JSON array (the table is left out), for scripts/bench.sh.
    #[arg(long)]
    json: bool,
}

/// Resident memory of this process in bytes (Linux), to measure what an index build adds.
fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok()))
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

fn print_row(name: &str, n: usize, build_secs: f64, mem_mb: f64, r: &QueryReport) {
    println!(
        "{name:<10} {n:>9} {build_secs:>8.1} {mem_mb:>8.0} {:>5} {:>9.4} {:>8.3} {:>8.3} {:>10.3} {:>8.1}",
        r.ef, r.recall_at_10, r.p50_ms, r.p99_ms, r.brute_force_p50_ms, r.speedup
    );
}

fn header() {
    println!(
        "{:<10} {:>9} {:>8} {:>8} {:>5} {:>9} {:>8} {:>8} {:>10} {:>8}",
        "index", "vectors", "build_s", "mem_MB", "ef", "recall@10", "p50_ms", "p99_ms", "brute_p50", "speedup"
    );
}

fn bench_one(
    name: &str,
    items: Vec<(String, Vec<f32>)>,
    fingerprint: &str,
    queries: usize,
    params: AnnParams,
    table: bool,
) -> anyhow::Result<serde_json::Value> {
    let vectors: Vec<Vec<f32>> = items.iter().map(|(_, v)| v.clone()).collect();
    let before = rss_bytes();
    let started = Instant::now();
    let index = VectorIndex::build(name, fingerprint, items, params)?;
    let build_secs = started.elapsed().as_secs_f64();
    let mem_mb = rss_bytes().saturating_sub(before) as f64 / 1e6;
    let mut out = vec![];
    for ef in [params.ef_search, params.ef_search * 4] {
        let r = measure(&index, &vectors, queries, ef);
        if table {
            print_row(name, index.len(), build_secs, mem_mb, &r);
        }
        out.push(r);
    }
    Ok(serde_json::json!({"index": name, "vectors": index.len(), "build_secs": build_secs, "memory_mb": mem_mb, "params": params, "queries": out}))
}

pub fn run(ctx: &Context, cmd: BenchCommand) -> anyhow::Result<()> {
    let a = match cmd {
        BenchCommand::Index(a) => a,
        BenchCommand::Ask(args) => return bench_ask(ctx, args),
        BenchCommand::Explain(a) => return super::explain::bench(ctx, a),
    };
    let store = ctx.open_store()?;
    let model = super::load_model(ctx)?;
    let fp = model.fingerprint();
    let defaults = AnnParams::default();
    let params = AnnParams {
        max_connections: a.m.unwrap_or(defaults.max_connections),
        ef_construction: a.ef_construction.unwrap_or(defaults.ef_construction),
        ef_search: a.ef.unwrap_or(defaults.ef_search),
    };
    let mut results = vec![];
    let table = !a.json;
    if table {
        header();
    }
    if !a.scale_only {
        let genes: Vec<(String, Vec<f32>)> = model.gene_embeddings().into_iter().map(|(e, v)| (e.to_string(), v)).collect();
        results.push(bench_one(GENES, genes, &fp, a.queries, params, table)?);
        let sets = embed_all(&model, &all_sets(&store)?, "embed sets")?.into_iter().map(|(id, v)| (id.to_string(), v)).collect();
        results.push(bench_one(SETS, sets, &fp, a.queries, params, table)?);
    }
    if let Some(n) = a.scale {
        let real = all_sets(&store)?;
        anyhow::ensure!(!real.is_empty(), "the store has no sets to draw from");
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
        let synthetic: Vec<(String, Vec<u32>)> = (0..n)
            .map(|i| {
                let (_, genes) = &real[rng.gen_range(0..real.len())];
                let mut kept: Vec<u32> = genes.iter().copied().filter(|_| rng.gen_bool(0.7)).collect();
                if kept.is_empty() {
                    kept.push(genes[0]);
                }
                (format!("scale:{i}"), kept)
            })
            .collect();
        let items = embed_all(&model, &synthetic, "embed scale sets")?;
        drop(synthetic);
        results.push(bench_one("scale", items, &fp, a.queries.min(200), params, table)?);
    }
    println!("{}", serde_json::to_string(&results)?);
    Ok(())
}
