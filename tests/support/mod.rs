//! What every test binary builds its fixtures with: the fixture files (cut from the real data,
//! see scripts/make_fixtures.py), the store ingested from them through the library API (as
//! `genekg ingest orgdb` does), and the served recipe trained on it with its predictions and
//! indexes. Each binary includes it with `mod support;` (or `#[path]` from a subdirectory).
#![allow(dead_code)] // each binary uses part of it

use std::path::{Path, PathBuf};

use genekg::ingest::{ingest_orgdb, OrgDbPaths};
use genekg::model::train::{train, TrainOptions, TrainReport};
use genekg::model::{Gsfm, Recipe};
use genekg::store::Store;

/// A file under tests/fixtures.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// The fixture org.Hs.eg.db and GO.db, as `genekg ingest orgdb` takes them.
pub fn orgdb_paths() -> OrgDbPaths {
    OrgDbPaths { org: fixture("org.Hs.eg.sqlite"), go: fixture("GO.sqlite") }
}

/// A store at `dir/genekg.db` ingested from the fixture org.Hs.eg.db/GO.db.
pub fn fixture_store(dir: &Path) -> Store {
    let store = Store::open(dir.join("genekg.db")).expect("open store");
    ingest_orgdb(&store, &orgdb_paths()).expect("ingest fixture");
    store
}

/// Trains `recipe` on `store` into `out` (libtorch on two threads, as the machines have).
pub fn train_recipe(store: &Store, recipe: Recipe, out: &Path) -> TrainReport {
    genekg::model::limit_threads(2);
    train(store, &TrainOptions::new(recipe, out)).expect("train fixture model")
}

/// The served recipe at fixture scale (a few seconds), trained on `store` into `out`.
pub fn train_served(store: &Store, out: &Path) -> Gsfm {
    train_recipe(store, Recipe::served().at_fixture_scale(), out);
    Gsfm::load(out).expect("load model")
}

/// A fixture store with the served model, its stored predictions and its neighbourhood
/// indexes, all made through the same library calls as the CLI, in `dir` (`model/`, `index/`).
pub fn served_model_store(dir: &Path) -> (Store, PathBuf, PathBuf) {
    use genekg::model::predictions::{predict_and_store, PredictionOptions};
    let store = fixture_store(dir);
    let (model_dir, index_dir) = (dir.join("model"), dir.join("index"));
    let gsfm = train_served(&store, &model_dir);
    predict_and_store(&store, &gsfm, &PredictionOptions::default()).expect("store predictions");
    genekg::index::build_indexes(&store, &gsfm, &index_dir, genekg::index::AnnParams::default()).expect("build indexes");
    (store, model_dir, index_dir)
}
