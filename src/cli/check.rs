//! `genekg check`: the store's integrity (`crate::store::check`) plus what ties it to the model:
//! the model loads, and the stored predictions and both indexes were made from it and from the
//! store's current data. Exits non-zero naming each problem and where it is; a stale step counts,
//! because the server would answer from it.

use clap::Args;

use super::Context;
use crate::index::{sets_mismatch, VectorIndex, GENES, SETS};
use crate::store::check::Findings;

#[derive(Args)]
pub struct CheckArgs {
    /// One JSON object (`ok`, `problems`, `summary`) instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(ctx: &Context, args: CheckArgs) -> anyhow::Result<()> {
    let store = ctx.open_store()?;
    let mut found = Findings::default();
    let summary = store.check(&mut found)?;
    let mut notes = Vec::new();

    let model_dir = ctx.paths.model_dir();
    let model = if model_dir.join(crate::model::checkpoint::CONFIG).exists() || model_dir.join(crate::model::checkpoint::FINGERPRINT).exists() {
        match crate::model::checkpoint::load(&model_dir) {
            Ok(m) => Some(m.fingerprint),
            Err(e) => {
                found.add("model", model_dir.display().to_string(), format!("does not load: {e}"));
                None
            }
        }
    } else {
        notes.push(format!("no model in {}", model_dir.display()));
        None
    };

    let report = crate::model::predictions::prediction_report(&store)?;
    match (&report, &model) {
        (Some(r), Some(fp)) => {
            if &r.fingerprint != fp {
                found.add(
                    "stale predictions",
                    format!("{} meta/model_predictions", store.path().display()),
                    format!("made by model {} but the model is {}: run `genekg model predict`", short(&r.fingerprint), short(fp)),
                );
            } else if let Some(why) = crate::model::predictions::stale_reason(&store, fp, None)? {
                found.add("stale predictions", format!("{} meta/model_predictions", store.path().display()), why);
            }
        }
        (None, Some(_)) => notes.push("no stored predictions (`genekg model predict` stores them)".into()),
        _ => {}
    }

    let index_dir = ctx.paths.index_dir();
    let metas = [GENES, SETS].map(|kind| (kind, VectorIndex::read_meta(&index_dir, kind)));
    if metas.iter().all(|(_, m)| matches!(m, Ok(None))) {
        notes.push(format!("no indexes in {}", index_dir.display()));
    } else {
        for (kind, meta) in metas {
            let place = index_dir.join(format!("{kind}.meta.json")).display().to_string();
            let meta = match meta {
                Ok(Some(m)) => m,
                Ok(None) => {
                    found.add("index", place, format!("the {kind} index is missing beside the other: run `genekg index build`"));
                    continue;
                }
                Err(e) => {
                    found.add("index", place, format!("does not read: {e:#}"));
                    continue;
                }
            };
            match &model {
                Some(fp) if &meta.fingerprint != fp => {
                    found.add("stale index", place, format!("built from model {} but the model is {}: run `genekg index build`", short(&meta.fingerprint), short(fp)));
                    continue;
                }
                None => continue,
                _ => {}
            }
            match VectorIndex::load(&index_dir, kind, &meta.fingerprint) {
                Err(e) => found.add("index", index_dir.join(kind).display().to_string(), format!("does not load: {e:#}")),
                Ok(index) if kind == SETS => {
                    if let Some(why) = sets_mismatch(&store, &index)? {
                        found.add("stale index", place, why);
                    }
                }
                Ok(_) => {}
            }
        }
    }

    check_enrich_index(&store, &mut found, &mut notes)?;

    let ok = found.is_empty();
    let problems = found.into_lines();
    if args.json {
        let out = serde_json::json!({ "ok": ok, "problems": problems, "notes": notes, "summary": summary, "model": model });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else if ok {
        let predictions = match (&report, summary.prediction_sets) {
            (Some(r), n) => format!("predictions for {n} sets from model {}", short(&r.fingerprint)),
            (None, _) => "no predictions".to_string(),
        };
        println!(
            "ok: {} schema {}, {} genes, {} libraries ({} sets, {} memberships), {} user sets; {}{}",
            store.path().display(),
            summary.schema_version,
            summary.genes,
            summary.libraries,
            summary.sets,
            summary.members,
            summary.user_sets,
            predictions,
            if model.is_some() && !notes.iter().any(|n| n.starts_with("no indexes")) { "; indexes match the model" } else { "" }
        );
        for n in &notes {
            println!("note: {n}");
        }
    } else {
        for p in &problems {
            println!("{}: {}", p.place, p.problem);
        }
    }
    if !ok {
        anyhow::bail!("{} problems found in {} (listed on stdout)", problems.len(), store.path().display());
    }
    Ok(())
}

/// The enrichment index file must be the store's current data: `genekg enrich` answers from it
/// without opening the store, trusting only its STALE marker, so a file whose marker was lost
/// would answer from old sets. Missing or marked stale is only a note: the command then reads
/// the store.
fn check_enrich_index(store: &crate::store::Store, found: &mut Findings, notes: &mut Vec<String>) -> anyhow::Result<()> {
    use crate::enrich::compact::{index_dir, manifest, IndexFileError};
    let dir = index_dir(store.path());
    let place = dir.display().to_string();
    match manifest(&dir) {
        Err(IndexFileError::Missing(_)) => notes.push("no enrichment index (`genekg enrich-index` writes it; `genekg enrich` reads the store meanwhile)".into()),
        // Marked stale is the honest state after an ingest (even a killed one): enrich reads the
        // store instead, so it is a note, not damage.
        Err(e @ IndexFileError::Stale { .. }) => notes.push(format!("{e}; `genekg enrich` reads the store meanwhile")),
        Err(e) => found.add("enrichment index", place, e.to_string()),
        Ok(m) => {
            let current = store.data_versions()?;
            let written: crate::store::DataVersions = m.libraries.iter().map(|l| (l.name.clone(), l.generation)).collect();
            let differ = crate::store::changed_libraries(&written, &current);
            if !differ.is_empty() {
                found.add(
                    "stale enrichment index",
                    place,
                    format!("written for other data of {} than the store holds: run `genekg enrich-index`", differ.join(", ")),
                );
            }
        }
    }
    Ok(())
}

fn short(fingerprint: &str) -> &str {
    &fingerprint[..12.min(fingerprint.len())]
}
