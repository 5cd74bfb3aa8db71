//! The stored layout of predicted functions (`store::predictions`): a page read from the rows
//! per gene and library is exactly the slice of the whole list, ordered and filtered as the
//! API promises, across chunk boundaries and libraries; and migration 3 turns the layout of
//! schema version 2 into the same answers.

use genekg::domain::Entrez;
use genekg::model::predictions::functions_of_gene;
use genekg::store::predictions::PredictedSet;
use genekg::store::{FunctionFilter, FunctionRow, SetPrediction, SetPredictions, Store};
use serde::Serialize;

/// A row as the API must list it: library, term, z, set number, known, untitled.
#[derive(Clone, Debug)]
struct Expected {
    library: &'static str,
    term: String,
    z: f32,
    set: u32,
    known: bool,
    untitled: bool,
}

/// Sets of two libraries, each listing genes 1 and 2 with z-scores that tie now and then, so
/// that order, ties and chunks (64 rows) are all exercised. Set numbers follow the run's order.
fn layout() -> Vec<(u32, &'static str, String, bool, Option<f32>, Vec<SetPrediction>)> {
    let mut sets = Vec::new();
    for (l, library) in ["GO_BP", "PubMed"].into_iter().enumerate() {
        for i in 0..150u32 {
            let number = l as u32 * 150 + i;
            let z = ((i * 7 + l as u32 * 3) % 40) as f32 / 4.0 - 2.0;
            let genes = vec![
                SetPrediction { entrez: Entrez(1), probability: 0.5, z, rank: 1 + i % 5, known: i % 3 == 0 },
                SetPrediction { entrez: Entrez(2), probability: 0.25, z: -z, rank: 2, known: false },
            ];
            sets.push((number, library, format!("T{i}"), library == "PubMed" && i % 2 == 0, (i % 4 != 0).then_some(0.75), genes));
        }
    }
    sets
}

fn expected(gene: u32) -> Vec<Expected> {
    let mut rows: Vec<Expected> = layout()
        .into_iter()
        .flat_map(|(set, library, term, untitled, _, genes)| {
            genes.into_iter().filter(|g| g.entrez == Entrez(gene)).map(move |g| Expected {
                library,
                term: term.clone(),
                z: g.z,
                set,
                known: g.known,
                untitled,
            })
        })
        .collect();
    rows.sort_by(|a, b| b.z.total_cmp(&a.z).then(a.set.cmp(&b.set)));
    rows
}

fn same(got: &[FunctionRow], want: &[Expected]) {
    let got: Vec<(String, String, f32)> = got.iter().map(|r| (r.library.clone(), r.term.clone(), r.z)).collect();
    let want: Vec<(String, String, f32)> = want.iter().map(|r| (r.library.to_string(), r.term.clone(), r.z)).collect();
    assert_eq!(got, want);
}

#[test]
fn pages_are_slices_of_the_ordered_filtered_list() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("db")).unwrap();
    let mut writer = store.prediction_writer().unwrap();
    let sets = layout();
    let predicted: Vec<PredictedSet<'_>> = sets
        .iter()
        .map(|(number, library, term, untitled, auroc, genes)| PredictedSet {
            number: *number,
            library,
            term,
            untitled: *untitled,
            predictions: SetPredictions { auroc: *auroc, genes: genes.clone() },
        })
        .collect();
    writer.add_sets(&predicted).unwrap();
    writer.flush().unwrap();
    writer.finish(&serde_json::json!({})).unwrap();

    let filters = [
        FunctionFilter::ALL,
        FunctionFilter { min_z: 1.0, ..FunctionFilter::ALL },
        FunctionFilter { new_only: true, ..FunctionFilter::ALL },
        FunctionFilter { include_untitled: false, ..FunctionFilter::ALL },
        FunctionFilter { min_z: -0.5, new_only: true, include_untitled: false },
    ];
    let libraries: [Option<Vec<String>>; 3] = [None, Some(vec!["PubMed".into()]), Some(vec!["GO_BP".into(), "PubMed".into()])];
    for gene in [1, 2] {
        for f in &filters {
            for libs in &libraries {
                let all: Vec<Expected> = expected(gene)
                    .into_iter()
                    .filter(|r| libs.as_ref().is_none_or(|l| l.iter().any(|l| l == r.library)))
                    .filter(|r| r.z >= f.min_z && (!f.new_only || !r.known) && (f.include_untitled || !r.untitled))
                    .collect();
                assert!(!all.is_empty());
                for (offset, limit) in [(0, 10), (0, 500), (60, 10), (63, 2), (128, 64), (all.len() - 1, 5), (all.len() + 3, 5)] {
                    let (total, page) = store.functions_page(Entrez(gene), libs.as_deref(), f, offset, Some(limit)).unwrap();
                    assert_eq!(total, all.len(), "gene {gene} {f:?} {libs:?}");
                    let end = (offset + limit).min(all.len());
                    same(&page, &all[offset.min(end)..end]);
                }
            }
        }
    }
    // The set's own record and its AUROC travel with each row.
    let (_, top) = store.functions_page(Entrez(1), None, &FunctionFilter::ALL, 0, Some(1)).unwrap();
    let set = sets.iter().find(|s| s.1 == top[0].library && s.2 == top[0].term).unwrap();
    assert_eq!(top[0].set_auroc, set.4);
    assert_eq!(store.set_predictions(&top[0].set_id()).unwrap().unwrap().genes.len(), 2);
}

/// The layout of schema version 2, as it was encoded (postcard, these field orders).
#[derive(Serialize)]
struct OldGeneHit {
    set: u32,
    probability: f32,
    z: f32,
    rank: u32,
    known: bool,
}

#[derive(Serialize)]
struct OldSetIndexEntry {
    id: String,
    auroc: Option<f32>,
}

#[test]
fn migration_3_converts_stored_functions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let sets = layout();
    {
        let store = Store::open(&path).unwrap();
        let index = store.tree("model_set_index").unwrap();
        let genes = store.tree("model_gene_predictions").unwrap();
        let mut by_gene: std::collections::BTreeMap<u32, Vec<OldGeneHit>> = Default::default();
        for (number, library, term, _, auroc, rows) in &sets {
            let entry = OldSetIndexEntry { id: format!("{library}:{term}"), auroc: *auroc };
            index.insert(number.to_be_bytes(), postcard::to_allocvec(&entry).unwrap()).unwrap();
            for r in rows {
                by_gene.entry(r.entrez.0).or_default().push(OldGeneHit {
                    set: *number,
                    probability: r.probability,
                    z: r.z,
                    rank: r.rank,
                    known: r.known,
                });
            }
        }
        for (gene, mut hits) in by_gene {
            hits.sort_by(|a, b| b.z.total_cmp(&a.z));
            genes.insert(gene.to_be_bytes(), postcard::to_allocvec(&hits).unwrap()).unwrap();
        }
        store.tree("meta").unwrap().insert("schema_version", &2u32.to_be_bytes()).unwrap();
        store.flush().unwrap();
    }
    let store = reopen(&path, |p: &std::path::Path| Store::open(p));
    assert_eq!(store.schema_version().unwrap(), 4, "migrated to the latest version");
    for gene in [1, 2] {
        let got = functions_of_gene(&store, Entrez(gene), None, f32::NEG_INFINITY).unwrap();
        let want = expected(gene);
        let got: Vec<(String, f32, bool)> = got.iter().map(|f| (f.set_id.to_string(), f.z, f.known)).collect();
        let want: Vec<(String, f32, bool)> = want.iter().map(|r| (format!("{}:{}", r.library, r.term), r.z, r.known)).collect();
        assert_eq!(got, want, "gene {gene}");
        let bp = functions_of_gene(&store, Entrez(gene), Some("GO_BP"), 0.0).unwrap();
        assert!(!bp.is_empty() && bp.iter().all(|f| f.set_id.library() == "GO_BP" && f.z >= 0.0));
    }
    // The old trees are gone.
    drop(store);
    let names: Vec<String> = sled_tree_names(&path);
    assert!(!names.iter().any(|n| n == "model_gene_predictions" || n == "model_set_index"), "{names:?}");
}

/// Opens a store this process has just closed. sled 0.34 releases its file lock when its
/// background flusher lets go of the database, shortly after the last handle is dropped, so an
/// immediate reopen can meet `WouldBlock` on a loaded machine.
fn reopen<T, E: std::fmt::Debug>(path: &std::path::Path, open: impl Fn(&std::path::Path) -> Result<T, E>) -> T {
    let mut tries = 0;
    loop {
        match open(path) {
            Ok(v) => return v,
            Err(e) if tries < 100 && format!("{e:?}").contains("WouldBlock") => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("opening {}: {e:?}", path.display()),
        }
    }
}

fn sled_tree_names(path: &std::path::Path) -> Vec<String> {
    let db = reopen(path, |p: &std::path::Path| sled::open(p));
    db.tree_names().iter().map(|n| String::from_utf8_lossy(n).into_owned()).collect()
}
