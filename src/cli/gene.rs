//! `genekg gene TP53`: everything genekg knows about one gene on one screen, read from the
//! store (catalogue record, links, known sets, and the model's stored predictions), so it
//! answers in milliseconds instead of running the model.

use clap::Args;
use serde_json::json;

use super::Context;
use crate::domain::Entrez;
use crate::graphql::gene::GeneLinks;
use crate::model::predictions::{functions_of_gene, partners_of_gene, prediction_report, PredictionStatus};
use crate::store::{Resolution, Store};

#[derive(Args)]
pub struct GeneArgs {
    /// Symbol, alias, Entrez, Ensembl gene or UniProt id.
    gene: String,
    /// Rows per list (known sets, predicted functions, partners).
    #[arg(long, default_value_t = 10)]
    first: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// What to run when the store holds no predictions.
const NO_PREDICTIONS: &str =
    "no stored predictions: run `genekg model predict` (needs a model: `genekg train`; scripts/run.sh does both)";

fn set_name(store: &Store, set_id: &str) -> String {
    crate::domain::SetId::parse(set_id)
        .ok()
        .and_then(|id| store.gene_set(&id).ok().flatten())
        .map(|s| s.name)
        .unwrap_or_default()
}

/// Set ids with their names, split into named sets and untitled ones (papers, GMT sets named
/// by their id; `domain::is_untitled_set`), each in the given order. Named sets are what a
/// reader scans; untitled ones are shown by id with their count.
fn split_titled(store: &Store, ids: impl IntoIterator<Item = String>) -> (Vec<(String, String)>, Vec<String>) {
    let (mut named, mut untitled) = (Vec::new(), Vec::new());
    for id in ids {
        let name = set_name(store, &id);
        let term = id.split_once(':').map_or(id.as_str(), |(_, t)| t);
        if crate::domain::is_untitled_set(term, &name) {
            untitled.push(id);
        } else {
            named.push((id, name));
        }
    }
    (named, untitled)
}

/// "PMID 1, PMID 2, … (n in all)" for untitled set ids: a paper's id is its link.
fn untitled_line(ids: &[String], first: usize) -> String {
    let shown: Vec<String> = ids
        .iter()
        .take(first)
        .map(|id| match id.split_once(':') {
            Some((lib, t)) if lib == crate::domain::LITERATURE_LIBRARY => format!("PMID {t}"),
            _ => id.clone(),
        })
        .collect();
    let more = if ids.len() > shown.len() { format!(", … ({} in all)", ids.len()) } else { String::new() };
    format!("{}{more}", shown.join(", "))
}

/// Why a gene string named no single gene, in words, naming the candidates of an ambiguous
/// alias (`symbol` looks up a candidate's symbol).
fn unresolved_in_words(raw: &str, resolution: &Resolution, symbol: impl Fn(u32) -> Option<String>) -> String {
    match resolution {
        Resolution::Found(id) => format!("{raw} is gene {id}"),
        Resolution::NotFound => {
            format!("{raw}: no gene has this symbol, alias or id (symbols, aliases, Entrez, Ensembl gene and UniProt ids are read)")
        }
        Resolution::Ambiguous(candidates) => {
            let names: Vec<String> = candidates
                .iter()
                .map(|&c| match symbol(c) {
                    Some(s) => format!("{s} (Entrez {c})"),
                    None => format!("Entrez {c}"),
                })
                .collect();
            format!("{raw}: an alias of {} genes ({}); give the symbol or Entrez id of the one you mean", candidates.len(), names.join(", "))
        }
    }
}

/// Why stored predictions for `library` (`""`: partners, which depend on the model alone) are
/// not shown, judged as the server and `genekg explain` judge them
/// ([`PredictionStatus::stale_reason`]) against the model of the data directory, read by its
/// fingerprint file alone so this command needs no libtorch start.
struct Staleness {
    status: PredictionStatus,
    /// `Err`: the model directory, which holds no model.
    fingerprint: Result<String, std::path::PathBuf>,
}

impl Staleness {
    fn read(ctx: &Context, store: &Store) -> anyhow::Result<Self> {
        let dir = ctx.paths.model_dir();
        let fingerprint = std::fs::read_to_string(dir.join(crate::model::checkpoint::FINGERPRINT)).map(|s| s.trim().to_string()).map_err(|_| dir);
        Ok(Self { status: PredictionStatus::read(store)?, fingerprint })
    }

    fn reason(&self, library: &str) -> Option<String> {
        match &self.fingerprint {
            Ok(fp) => self.status.stale_reason(fp, Some(library)),
            Err(_) => None,
        }
    }

    /// Said beside predictions that could not be judged.
    fn unjudged(&self) -> Option<String> {
        self.fingerprint.as_ref().err().map(|dir| format!("no model in {} to judge the stored predictions by (`--data-dir` names another)", dir.display()))
    }
}

pub fn run(ctx: &Context, args: GeneArgs) -> anyhow::Result<()> {
    let store = ctx.open_store()?;
    let symbol_of = |c: u32| store.gene(c).ok().flatten().map(|g| g.symbol);
    let entrez = match store.resolver()?.resolve_str(args.gene.trim()) {
        Resolution::Found(id) => id,
        other => anyhow::bail!("{}", unresolved_in_words(args.gene.trim(), &other, symbol_of)),
    };
    let gene = store.gene(entrez)?.ok_or_else(|| anyhow::anyhow!("gene {entrez} resolved but has no record"))?;
    let links = GeneLinks::of(&gene);
    let memberships = store.sets_of_gene(entrez)?;
    let known_total: usize = memberships.values().map(Vec::len).sum();
    let predicted = prediction_report(&store)?.is_some();
    let mut functions = if predicted { functions_of_gene(&store, Entrez(entrez), None, f32::NEG_INFINITY)? } else { vec![] };
    let staleness = if predicted { Some(Staleness::read(ctx, &store)?) } else { None };
    // Reasons, each once: libraries whose data changed since the run are named together.
    let mut stale: Vec<String> = Vec::new();
    let mut note = |why: Option<String>| {
        let shown = why.is_none();
        if let Some(why) = why.filter(|w| !stale.contains(w)) {
            stale.push(why);
        }
        shown
    };
    if let Some(s) = &staleness {
        let libraries: std::collections::BTreeSet<String> = functions.iter().map(|f| f.set_id.library().to_string()).collect();
        let current: Vec<String> = libraries.into_iter().filter(|l| note(s.reason(l))).collect();
        functions.retain(|f| current.iter().any(|l| l == f.set_id.library()));
    }
    // Stored by descending z; new ones first is what a reader wants from "what does it do",
    // named sets before papers known only by their PMID.
    let by_id: std::collections::HashMap<String, &crate::model::predictions::GeneFunction> =
        functions.iter().map(|f| (f.set_id.to_string(), f)).collect();
    let (named_functions, untitled_functions) =
        split_titled(&store, functions.iter().filter(|f| !f.known).map(|f| f.set_id.to_string()));
    let new_functions: Vec<(&crate::model::predictions::GeneFunction, &str)> =
        named_functions.iter().take(args.first).map(|(id, name)| (by_id[id.as_str()], name.as_str())).collect();
    let known_split: std::collections::BTreeMap<&String, (Vec<(String, String)>, Vec<String>)> = memberships
        .iter()
        .map(|(lib, terms)| (lib, split_titled(&store, terms.iter().map(|t| format!("{lib}:{t}")))))
        .collect();
    let partners_current = staleness.as_ref().is_some_and(|s| note(s.reason("")));
    let partners = if partners_current { partners_of_gene(&store, Entrez(entrez))? } else { vec![] };
    let unjudged = staleness.as_ref().and_then(Staleness::unjudged);

    if args.json {
        let known: serde_json::Map<String, serde_json::Value> = known_split
            .iter()
            .map(|(lib, (named, untitled))| {
                let sets: Vec<_> = named.iter().take(args.first).map(|(id, name)| json!({"id": id, "name": name})).collect();
                let untitled: Vec<_> = untitled.iter().take(args.first).collect();
                let count = memberships[*lib].len();
                (lib.to_string(), json!({"count": count, "named": named.len(), "sets": sets, "untitled": untitled}))
            })
            .collect();
        let out = json!({
            "gene": gene,
            "links": links,
            "known_sets": {"count": known_total, "libraries": known},
            "predictions_stored": predicted,
            "predictions_stale": (!stale.is_empty()).then(|| stale.join("; ")),
            "predictions_unjudged": unjudged,
            "predicted_functions": new_functions.iter().map(|(f, name)| json!({
                "set_id": f.set_id, "name": name, "z": f.z,
                "probability": f.probability, "rank": f.rank, "set_auroc": f.set_auroc,
            })).collect::<Vec<_>>(),
            "predicted_untitled": {"count": untitled_functions.len(), "set_ids": untitled_functions.iter().take(args.first).collect::<Vec<_>>()},
            "predicted_partners": partners.iter().take(args.first).map(|p| json!({
                "entrez": p.entrez, "symbol": symbol_of(p.entrez.0), "z": p.z, "probability": p.probability,
            })).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        if !predicted {
            eprintln!("{NO_PREDICTIONS}");
        }
        return Ok(());
    }

    let place = match (&gene.chromosome, &gene.cytoband) {
        (_, Some(band)) => format!(", {band}"),
        (Some(chr), None) => format!(", chromosome {chr}"),
        _ => String::new(),
    };
    println!("{}  {}  (Entrez {}, {}{place})", gene.symbol, gene.name, gene.entrez, gene.gene_type);
    let list = |label: &str, v: &[String]| {
        if !v.is_empty() {
            println!("{label:<9} {}", v.join(", "));
        }
    };
    list("aliases", &gene.aliases);
    list("ensembl", &gene.ensembl);
    list("uniprot", &gene.uniprot);
    list("omim", &gene.omim);

    println!("\nlinks");
    let l = &links;
    for (name, url) in [
        ("NCBI Gene", &l.ncbi_gene),
        ("Ensembl", &l.ensembl),
        ("UniProt", &l.uniprot),
        ("Open Targets", &l.open_targets),
        ("Pharos", &l.pharos),
        ("DGIdb", &l.dgidb),
        ("GeneCards", &l.gene_cards),
        ("Harmonizome", &l.harmonizome),
    ] {
        if let Some(url) = url {
            println!("  {name:<13} {url}");
        }
    }

    let per_lib: Vec<String> = memberships.iter().map(|(lib, t)| format!("{lib} {}", t.len())).collect();
    println!("\nknown sets: {known_total} ({})", if per_lib.is_empty() { "none".into() } else { per_lib.join(", ") });
    let shown = args.first.min(5);
    for (lib, (named, untitled)) in &known_split {
        for (id, name) in named.iter().take(shown) {
            println!("  {id:<24} {name}");
        }
        if named.len() > shown {
            println!("  … {} more named sets in {lib}", named.len() - shown);
        }
        if !untitled.is_empty() {
            let what = if lib.as_str() == crate::domain::LITERATURE_LIBRARY { "papers" } else { "untitled sets" };
            println!("  {lib} {what} ({}): {}", untitled.len(), untitled_line(untitled, shown));
        }
    }

    if !predicted {
        println!("\npredicted functions and partners: {NO_PREDICTIONS}");
        return Ok(());
    }
    if !stale.is_empty() {
        println!("\nstale predictions, not shown: {}", stale.join("; "));
    }
    if let Some(why) = &unjudged {
        println!("\n{why}");
    }
    println!("\npredicted functions (named sets not containing {}, by z of the model's score)", gene.symbol);
    if new_functions.is_empty() && stale.is_empty() {
        println!("  none listed (the gene is in no set's top predictions)");
    } else if new_functions.is_empty() {
        println!("  none from current predictions");
    }
    for (f, name) in &new_functions {
        let auroc = f.set_auroc.map(|a| format!("{a:.2}")).unwrap_or_else(|| "-".into());
        println!("  {:<24} z {:>6.2}  p {:.3}  set AUROC {auroc}  {name}", f.set_id.to_string(), f.z, f.probability);
    }
    if !untitled_functions.is_empty() {
        println!("  also predicted, untitled ({}, by z): {}", untitled_functions.len(), untitled_line(&untitled_functions, args.first));
    }
    println!("\npredicted partners (the model's top genes for {} alone)", gene.symbol);
    if !partners_current {
        println!("  not shown: the stored predictions are stale (see above)");
    } else if partners.is_empty() {
        println!("  none stored for this gene (outside the model's vocabulary?)");
    }
    for p in partners.iter().take(args.first) {
        let sym = symbol_of(p.entrez.0).unwrap_or_else(|| p.entrez.to_string());
        println!("  {sym:<12} z {:>6.2}  p {:.3}", p.z, p.probability);
    }
    Ok(())
}
