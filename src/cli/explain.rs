use std::sync::Arc;

use clap::Args;

use super::Context;
use crate::graphql::AppState;
use crate::llm::LlmArgs;

#[derive(Args)]
pub struct ExplainArgs {
    /// The gene: symbol, alias, Entrez, Ensembl or UniProt id.
    gene: String,
    /// Explain why the gene is predicted for this set instead (`LIBRARY:term`, e.g.
    /// GO_BP:GO:0006914).
    #[arg(long)]
    set: Option<String>,
    /// Print the whole explanation (text, evidence, citations, guard) as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    llm: LlmArgs,
}

pub fn run(ctx: &Context, args: ExplainArgs) -> anyhow::Result<()> {
    let store = ctx.open_store()?;
    let llm = args.llm.build()?;
    let state = Arc::new(AppState::load(store)?.with_model(&ctx.paths.model_dir(), &ctx.paths.index_dir())?.with_llm(llm)?);
    let entrez = crate::graphql::gene::resolve_gene(&state, &args.gene).map_err(|e| anyhow::anyhow!("{e}"))?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let answer = rt.block_on(async {
        match &args.set {
            None => crate::explain::gene(&state, entrez, None).await,
            Some(set) => crate::explain::prediction(&state, entrez, set, None).await,
        }
    })?;
    state.store.flush()?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&answer)?);
    } else {
        println!("{}", answer.text);
        if let Some(note) = &answer.note {
            eprintln!("note: {note}");
        }
        if !answer.citations.is_empty() {
            println!();
            for c in &answer.citations {
                println!("[{}] {}{}", c.id, c.label.as_deref().unwrap_or(""), c.url.as_deref().map(|u| format!(" <{u}>")).unwrap_or_default());
            }
        }
    }
    Ok(())
}

#[derive(Args)]
pub struct ExplainBenchArgs {
    /// Genes to explain (spread evenly over the model's vocabulary).
    #[arg(long, default_value_t = 50)]
    genes: usize,
    /// Run only these of the chosen genes (0-based, `A..B`), to split a long LLM run; the
    /// genes are the same for the same `--genes` and model.
    #[arg(long, value_parser = parse_range)]
    range: Option<std::ops::Range<usize>>,
    /// Append one JSON line per LLM rewrite (gene, text, first token, total, guard) to FILE,
    /// to aggregate split runs and to read what the guard rejected.
    #[arg(long, value_name = "FILE")]
    records: Option<std::path::PathBuf>,
    /// One JSON object instead of lines of text (for scripts/bench.sh).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    llm: LlmArgs,
}

fn parse_range(s: &str) -> Result<std::ops::Range<usize>, String> {
    let (a, b) = s.split_once("..").ok_or_else(|| format!("`{s}` is not a range like 0..20"))?;
    let (a, b) = (a.trim().parse::<usize>().map_err(|e| format!("`{a}`: {e}"))?, b.trim().parse::<usize>().map_err(|e| format!("`{b}`: {e}"))?);
    if a >= b {
        return Err(format!("empty range {s}"));
    }
    Ok(a..b)
}

fn percentile(mut v: Vec<f64>, q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q).round() as usize]
}

/// `genekg bench explain`: template and cached explanation latency over N genes, and with an
/// LLM the first-token and total time and the guard's pass rate. Prints figures, never fails
/// on them.
pub fn bench(ctx: &Context, args: ExplainBenchArgs) -> anyhow::Result<()> {
    use std::time::Instant;
    let store = ctx.open_store()?;
    let llm = args.llm.build()?;
    let state = AppState::load(store)?.with_model(&ctx.paths.model_dir(), &ctx.paths.index_dir())?.with_llm(llm.clone())?;
    let vocab: Vec<u32> = state.model.as_ref().map(|m| m.vocab().iter().copied().filter(|&g| g != 0).collect()).unwrap_or_default();
    anyhow::ensure!(!vocab.is_empty(), "bench explain needs a model (DATA_DIR/model)");
    let step = (vocab.len() / args.genes.max(1)).max(1);
    let mut genes: Vec<u32> = vocab.iter().step_by(step).take(args.genes).copied().collect();
    if let Some(r) = &args.range {
        genes = genes.get(r.start..r.end.min(genes.len())).map(<[u32]>::to_vec).unwrap_or_default();
        anyhow::ensure!(!genes.is_empty(), "--range {}..{} selects none of the {} genes", r.start, r.end, args.genes);
    }
    let mut records = match &args.records {
        Some(p) => Some(std::fs::OpenOptions::new().create(true).append(true).open(p).map_err(|e| anyhow::anyhow!("cannot open {}: {e}", p.display()))?),
        None => None,
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let (mut template_ms, mut cached_ms) = (vec![], vec![]);
    for &g in &genes {
        let t = Instant::now();
        crate::explain::gene_template(&state, g)?;
        template_ms.push(t.elapsed().as_secs_f64() * 1e3);
        rt.block_on(crate::explain::gene(&state, g, Some("none")))?;
        let t = Instant::now();
        rt.block_on(crate::explain::gene(&state, g, Some("none")))?;
        cached_ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let mut report = serde_json::json!({
        "genes": genes.len(),
        "template_p50_ms": percentile(template_ms.clone(), 0.5),
        "template_p90_ms": percentile(template_ms.clone(), 0.9),
        "cached_p50_ms": percentile(cached_ms.clone(), 0.5),
        "cached_p90_ms": percentile(cached_ms.clone(), 0.9),
    });
    if !args.json {
        println!("genes {}", genes.len());
        println!("template explanation  p50 {:.2} ms  p90 {:.2} ms", percentile(template_ms.clone(), 0.5), percentile(template_ms, 0.9));
        println!("cached explanation    p50 {:.3} ms  p90 {:.3} ms", percentile(cached_ms.clone(), 0.5), percentile(cached_ms, 0.9));
    }
    if let Some(llm) = llm {
        let (mut first, mut total, mut passed, mut busy) = (vec![], vec![], 0usize, 0usize);
        for &g in &genes {
            let template = crate::explain::gene_template(&state, g)?;
            let started = Instant::now();
            let done = rt.block_on(crate::llm::collect(
                crate::explain::rewrite_stream(&state, &template, llm.as_ref())?,
                started,
                |_| {},
            ));
            match done {
                Ok(c) => {
                    first.extend(c.first_token.map(|d| d.as_secs_f64()));
                    total.push(c.total.as_secs_f64());
                    let x = crate::explain::finish(&state, &template, llm.as_ref(), &c.text);
                    passed += x.guard.passed as usize;
                    if !x.guard.passed {
                        eprintln!("gene {g}: rejected {:?}", x.guard.rejected);
                    }
                    if let Some(f) = records.as_mut() {
                        use std::io::Write as _;
                        let line = serde_json::json!({
                            "entrez": g,
                            "model": llm.model_id(),
                            "firstTokenS": c.first_token.map(|d| d.as_secs_f64()),
                            "totalS": c.total.as_secs_f64(),
                            "generated": c.text,
                            "text": x.text,
                            "guard": x.guard,
                        });
                        writeln!(f, "{line}")?;
                    }
                }
                Err(e) => {
                    busy += 1;
                    eprintln!("gene {g}: {e}");
                }
            }
        }
        report["llm"] = serde_json::json!({
            "model": llm.model_id(),
            "first_token_p50_s": percentile(first.clone(), 0.5),
            "first_token_p90_s": percentile(first.clone(), 0.9),
            "total_p50_s": percentile(total.clone(), 0.5),
            "total_p90_s": percentile(total.clone(), 0.9),
            "guard_passed": passed,
            "failed_generations": busy,
        });
        if !args.json {
            println!("llm {}", llm.model_id());
            println!("first token           p50 {:.2} s  p90 {:.2} s", percentile(first.clone(), 0.5), percentile(first, 0.9));
            println!("total                 p50 {:.2} s  p90 {:.2} s", percentile(total.clone(), 0.5), percentile(total, 0.9));
            println!("guard pass rate       {passed}/{} ({:.0}%), failed generations {busy}", genes.len(), 100.0 * passed as f64 / genes.len() as f64);
        }
    }
    if args.json {
        println!("{report}");
    }
    Ok(())
}
