use std::io::Read;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use clap::Args;

use super::Context;
use crate::domain::Entrez;
use crate::enrich::compact::{self, IndexFileError};
use crate::enrich::{Background, EnrichIndex, EnrichRequest, EnrichResult, EnrichRow, FdrScope};
#[cfg(feature = "model")]
use crate::enrich::{AugmentedRequest, AugmentedResult};

#[derive(Args)]
pub struct EnrichArgs {
    /// File with one gene per line or separated by spaces, tabs or commas (`-` reads stdin).
    /// Symbols, aliases, Entrez, Ensembl gene and UniProt ids are accepted.
    #[arg(long)]
    genes: PathBuf,
    /// Comma-separated library names (default: every library in the store, or every --gmt file).
    #[arg(long, alias = "library", value_delimiter = ',')]
    libraries: Option<Vec<String>>,
    /// Read the sets from the store's trees rather than its enrichment index file (the same
    /// answers, slower; see `genekg enrich-index`).
    #[arg(long, conflicts_with = "gmt")]
    from_store: bool,
    /// Test the sets of these GMT files instead of the store's (comma-separated `PATH` or
    /// `NAME=PATH`; a library is named by its file stem unless NAME is given). Genes are matched
    /// by the names the files use, ignoring case; the store is not opened.
    #[arg(long, value_delimiter = ',', conflicts_with = "augmented")]
    gmt: Option<Vec<String>>,
    /// `library` (the tested library's genes, as Enrichr), `all` (every stored gene) or a file
    /// of background genes.
    #[arg(long, default_value = "library")]
    background: String,
    /// Sets with fewer genes in the background are not tested.
    #[arg(long)]
    min_size: Option<usize>,
    /// Sets with more genes in the background are not tested.
    #[arg(long)]
    max_size: Option<usize>,
    /// What the FDR divides by: every set `tested` in the library, or only the sets with an
    /// `overlapping` gene (Enrichr's and gseapy's convention, for comparisons).
    #[arg(long, default_value = "tested", value_parser = ["tested", "overlapping"])]
    fdr_scope: String,
    /// Print at most this many sets (all with --first 0).
    #[arg(long, default_value_t = 20)]
    first: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Model-augmented enrichment: rank every gene by the model's score for the list and run
    /// GSEA's weighted running-sum test on that ranking against random sets of each size
    /// (blitzGSEA's null; instead of Fisher's test on the overlap). Sees function even when the list overlaps a set in no gene. `--background` and
    /// `--fdr-scope` belong to the overlap test and are refused with it.
    #[arg(long, conflicts_with_all = ["background", "fdr_scope"])]
    augmented: bool,
    /// With --augmented: keep the input genes in the ranking (they top it and make the test
    /// repeat the overlap; the reference site keeps them).
    #[arg(long, requires = "augmented")]
    include_input: bool,
    /// With --augmented: model directory [default: DATA_DIR/model].
    #[arg(long, requires = "augmented")]
    model: Option<PathBuf>,
}

/// Gene entries of a list file, split by `store::split_gene_list` (whitespace, commas, quoted
/// CSV; `#` starts a comment line).
pub(super) fn read_gene_list(path: &PathBuf) -> anyhow::Result<Vec<String>> {
    let mut text = String::new();
    if path.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut text).context("reading genes from stdin")?;
    } else {
        text = std::fs::read_to_string(path).with_context(|| format!("reading gene list {}", path.display()))?;
    }
    Ok(crate::store::split_gene_list(&text))
}

pub fn run(ctx: &Context, args: EnrichArgs) -> anyhow::Result<()> {
    #[cfg(not(feature = "model"))]
    if args.augmented {
        anyhow::bail!("--augmented needs the model, and this binary is built without it (genekg-lite); run `genekg enrich --augmented`");
    }
    let genes = read_gene_list(&args.genes)?;
    if args.gmt.is_some() && args.background == "all" {
        anyhow::bail!(
            "--background all means every gene of the store's catalogue, and --gmt does not read the store; \
             use --background library (the GMT files' genes) or --background FILE"
        );
    }
    let background = match args.background.as_str() {
        "library" => Background::LibraryGenes,
        "all" => Background::AllGenes,
        file => Background::Custom(read_gene_list(&PathBuf::from(file)).context("--background")?),
    };
    let index = match &args.gmt {
        Some(files) => EnrichIndex::from_gmt(&gmt_libraries(files)?)?,
        None => store_index(ctx, args.libraries.as_deref(), args.from_store)?,
    };
    #[cfg(feature = "model")]
    if args.augmented {
        let model = crate::model::Gsfm::load(&args.model.clone().unwrap_or_else(|| ctx.paths.model_dir()))?;
        return run_augmented(&index, &model, genes, &args);
    }
    let started = Instant::now();
    let result = index.enrich(&EnrichRequest {
        genes,
        libraries: args.libraries,
        background,
        min_size: args.min_size,
        max_size: args.max_size,
        fdr_scope: if args.fdr_scope == "overlapping" { FdrScope::SetsWithOverlap } else { FdrScope::SetsTested },
    })?;
    tracing::info!(ms = format!("{:.2}", started.elapsed().as_secs_f64() * 1e3), sets = result.rows.len(), "enrichment done");
    let shown = if args.first == 0 { result.rows.len() } else { args.first.min(result.rows.len()) };
    if args.json {
        write_json(&index, &result, shown, args.gmt.is_some())?;
    } else {
        print_table(&index, &result, shown);
    }
    // The process ends here: freeing the index and the rows one by one would only delay the
    // exit (by ~7 ms for the default libraries).
    std::mem::forget(index);
    std::mem::forget(result);
    Ok(())
}

/// The store's libraries: from its enrichment index file when that is current (no sled lock,
/// no copy beside a server, a few megabytes read), else from the store itself, saying why and
/// what to run.
fn store_index(ctx: &Context, libraries: Option<&[String]>, from_store: bool) -> anyhow::Result<EnrichIndex> {
    if !from_store {
        match compact::load(&compact::index_dir(&ctx.paths.db), libraries) {
            Ok(index) => return Ok(index),
            Err(IndexFileError::Enrich(e)) => return Err(e.into()),
            // No store at all: opening it below says so.
            Err(e) if ctx.paths.db.join("conf").is_file() => eprintln!("note: {e}; reading the store instead (slower)"),
            Err(_) => {}
        }
    }
    Ok(EnrichIndex::build(&ctx.open_store()?, libraries)?)
}

#[derive(Args)]
pub struct EnrichIndexArgs {
    /// Only report whether the index is present and current (exit status 1 when it is not).
    #[arg(long)]
    check: bool,
}

/// `genekg enrich-index`: writes the index from the store (beside a running server, from a
/// copy of it), or with `--check` reports on it.
pub fn run_index(ctx: &Context, args: EnrichIndexArgs) -> anyhow::Result<()> {
    let dir = compact::index_dir(&ctx.paths.db);
    if args.check {
        let manifest = compact::manifest(&dir)?;
        let libraries: Vec<String> = manifest.libraries.iter().map(|l| format!("{} ({} sets)", l.name, l.sets)).collect();
        println!("enrichment index at {} is current: {} genes; {}; built {}", dir.display(), manifest.genes, libraries.join(", "), manifest.built_at);
        return Ok(());
    }
    let store = ctx.open_store()?;
    let manifest = compact::rebuild(&store, &ctx.paths.db)?;
    let bytes: u64 = manifest.genes_bytes + manifest.libraries.iter().map(|l| l.bytes).sum::<u64>();
    println!(
        "enrichment index written to {}: {} genes, {} libraries, {} sets, {:.1} MB",
        dir.display(),
        manifest.genes,
        manifest.libraries.len(),
        manifest.libraries.iter().map(|l| l.sets).sum::<usize>(),
        bytes as f64 / 1e6
    );
    Ok(())
}

/// `--gmt` values as (library name, path).
fn gmt_libraries(values: &[String]) -> anyhow::Result<Vec<(String, PathBuf)>> {
    values
        .iter()
        .map(|v| {
            let (name, path) = match v.split_once('=') {
                Some((name, path)) => (name.trim().to_string(), PathBuf::from(path)),
                None => {
                    let path = PathBuf::from(v);
                    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("").to_string();
                    (stem, path)
                }
            };
            if name.is_empty() || name.contains(':') {
                anyhow::bail!("--gmt {v}: the library name must be non-empty and without `:` (use NAME=PATH)");
            }
            Ok((name, path))
        })
        .collect()
}

#[cfg(feature = "model")]
fn run_augmented(index: &EnrichIndex, model: &crate::model::Gsfm, genes: Vec<String>, args: &EnrichArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let result = index.augmented_enrich(
        model,
        &AugmentedRequest {
            genes,
            libraries: args.libraries.clone(),
            min_size: args.min_size,
            max_size: args.max_size,
            include_input: args.include_input,
        },
    )?;
    tracing::info!(ms = format!("{:.2}", started.elapsed().as_secs_f64() * 1e3), sets = result.rows.len(), "augmented enrichment done");
    let shown = if args.first == 0 { result.rows.len() } else { args.first.min(result.rows.len()) };
    if args.json {
        let rows: Vec<serde_json::Value> = result.rows[..shown]
            .iter()
            .map(|r| {
                let mut v = serde_json::to_value(r)?;
                v["leading_edge_symbols"] = symbols(index, &r.leading_edge).into();
                Ok(v)
            })
            .collect::<anyhow::Result<_>>()?;
        let out = serde_json::json!({
            "input": result.input,
            "outside_model": result.outside_model,
            "ranked_genes": result.ranked_genes,
            "total_sets": result.rows.len(),
            "rows": rows,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_augmented(index, &result, shown);
    }
    Ok(())
}

#[cfg(feature = "model")]
fn print_augmented(index: &EnrichIndex, result: &AugmentedResult, shown: usize) {
    let input = &result.input;
    eprintln!("{} genes used of {} given; {} genes ranked by the model", input.genes.len(), input.given, result.ranked_genes);
    print_input_report(index, input);
    if !result.outside_model.is_empty() {
        let names = symbols(index, &result.outside_model);
        eprintln!("outside the model's vocabulary (not read by it): {}", names.join(", "));
    }
    println!("{:>5}  {:<24} {:>6} {:>6} {:>6} {:>10} {:>10}  name | leading edge", "rank", "set", "size", "ES", "NES", "p", "fdr");
    for r in &result.rows[..shown] {
        let lead: Vec<&str> = r.leading_edge.iter().take(10).map(|&g| index.symbol(g).unwrap_or("?")).collect();
        let more = if r.leading_edge.len() > 10 { format!(" +{}", r.leading_edge.len() - 10) } else { String::new() };
        println!(
            "{:>5}  {:<24} {:>6} {:>6.3} {:>6.2} {:>10} {:>10}  {} | {}{}",
            r.rank,
            r.set_id,
            r.set_size,
            r.es,
            r.nes,
            sci(r.log10_p),
            sci(r.log10_fdr),
            r.name,
            lead.join(","),
            more
        );
    }
    if shown < result.rows.len() {
        eprintln!("{} more sets tested (use --first 0 for all)", result.rows.len() - shown);
    }
}

/// One result row as printed: the row's fields plus overlap symbols. Genes read from GMT files
/// have no Entrez ids (the index numbers them internally), so then `overlap` is left out.
#[derive(serde::Serialize)]
struct JsonRow<'a> {
    rank: usize,
    set_id: &'a str,
    library: &'a str,
    term: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    overlap: Option<&'a [Entrez]>,
    overlap_symbols: Vec<&'a str>,
    overlap_size: usize,
    set_size: usize,
    p_value: f64,
    log10_p: f64,
    odds_ratio: f64,
    fdr: f64,
    log10_fdr: f64,
}

/// Genes as the index names them (symbols, or the GMT files' names).
fn symbols<'a>(index: &'a EnrichIndex, genes: &[Entrez]) -> Vec<&'a str> {
    genes.iter().map(|&g| index.symbol(g).unwrap_or("?")).collect()
}

fn json_row<'a>(index: &'a EnrichIndex, r: &'a EnrichRow, from_gmt: bool) -> JsonRow<'a> {
    JsonRow {
        rank: r.rank,
        set_id: r.set_id.as_str(),
        library: &r.library,
        term: &r.term,
        name: &r.name,
        overlap: (!from_gmt).then_some(r.overlap.as_slice()),
        overlap_symbols: symbols(index, &r.overlap),
        overlap_size: r.overlap_size,
        set_size: r.set_size,
        p_value: r.p_value,
        log10_p: r.log10_p,
        odds_ratio: r.odds_ratio,
        fdr: r.fdr,
        log10_fdr: r.log10_fdr,
    }
}

/// Writes the result as one compact JSON object (`input`, `libraries`, `total_sets`, `rows`
/// cut to `shown`): rows are serialised straight to bytes, never through a JSON tree.
fn write_json(index: &EnrichIndex, result: &EnrichResult, shown: usize, from_gmt: bool) -> anyhow::Result<()> {
    use rayon::prelude::*;
    use std::io::Write;
    // Rows are serialised in parallel blocks, then written in order: a 1,000-gene list against
    // the default libraries writes ~25,000 rows (9 MB), and on one core that took as long as
    // reading and indexing the libraries.
    let blocks: Vec<Vec<u8>> = result.rows[..shown]
        .par_chunks(1024)
        .enumerate()
        .map(|(b, rows)| {
            let mut buf = Vec::with_capacity(rows.len() * 256);
            for (i, r) in rows.iter().enumerate() {
                if b > 0 || i > 0 {
                    buf.push(b',');
                }
                serde_json::to_writer(&mut buf, &json_row(index, r, from_gmt))?;
            }
            Ok(buf)
        })
        .collect::<Result<_, serde_json::Error>>()?;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    out.write_all(b"{\"input\":")?;
    if from_gmt {
        // Input genes by the names the files use.
        let mut input = serde_json::to_value(&result.input)?;
        input["genes"] = symbols(index, &result.input.genes).into();
        serde_json::to_writer(&mut out, &input)?;
    } else {
        serde_json::to_writer(&mut out, &result.input)?;
    }
    out.write_all(b",\"libraries\":")?;
    serde_json::to_writer(&mut out, &result.libraries)?;
    write!(out, ",\"total_sets\":{},\"rows\":[", result.rows.len())?;
    for block in &blocks {
        out.write_all(block)?;
    }
    out.write_all(b"]}\n")?;
    out.flush()?;
    Ok(())
}

/// The entries of the input that were not used, each named (to stderr).
fn print_input_report(index: &EnrichIndex, input: &crate::enrich::InputReport) {
    if !input.unknown.is_empty() {
        eprintln!("unknown ({}): {}", input.unknown.len(), input.unknown.join(", "));
    }
    for a in &input.ambiguous {
        let names: Vec<String> =
            a.candidates.iter().map(|&g| format!("{} ({g})", index.symbol(Entrez(g)).unwrap_or("?"))).collect();
        eprintln!("ambiguous: {} could be {}", a.input, names.join(", "));
    }
    if !input.duplicates.is_empty() {
        eprintln!("duplicates ignored ({}): {}", input.duplicates.len(), input.duplicates.join(", "));
    }
    if !input.background_unrecognised.is_empty() {
        let names = &input.background_unrecognised;
        eprintln!("background entries not recognised ({}): {}", names.len(), names.join(", "));
    }
}

fn print_table(index: &EnrichIndex, result: &EnrichResult, shown: usize) {
    let input = &result.input;
    eprintln!("{} genes used of {} given", input.genes.len(), input.given);
    print_input_report(index, input);
    for l in &result.libraries {
        eprintln!(
            "{}: {} of the input genes in a background of {}; {} sets tested",
            l.library, l.input_genes, l.background_genes, l.sets_tested
        );
    }
    println!("{:>5}  {:<24} {:>9} {:>10} {:>10} {:>9}  name | genes", "rank", "set", "overlap", "p", "fdr", "odds");
    for r in &result.rows[..shown] {
        let genes = symbols(index, &r.overlap);
        println!(
            "{:>5}  {:<24} {:>9} {:>10} {:>10} {:>9.2}  {} | {}",
            r.rank,
            r.set_id,
            format!("{}/{}", r.overlap_size, r.set_size),
            sci(r.log10_p),
            sci(r.log10_fdr),
            r.odds_ratio,
            r.name,
            genes.join(",")
        );
    }
    if shown < result.rows.len() {
        eprintln!("{} more sets with an overlap (use --first 0 for all)", result.rows.len() - shown);
    }
}

/// Formats 10^log10 in scientific notation without underflowing below 1e-308.
fn sci(log10: f64) -> String {
    if log10 > -300.0 {
        return format!("{:.2e}", 10f64.powf(log10));
    }
    let exp = log10.floor();
    format!("{:.2}e{}", 10f64.powf(log10 - exp), exp as i64)
}
