//! The neighbourhood indexes built from a model trained on the fixture (430 real genes):
//! recall against exact search, dump -> load keeps answers, and a stale index is refused.

mod support;

use genekg::index::{all_sets, bench, build_indexes, embed_all, AnnParams, Embedder, Neighbourhood, VectorIndex, GENES, SETS};
use genekg::model::{Gsfm, Recipe};

#[test]
fn fixture_indexes_recall_round_trip_and_staleness() {
    let tmp = tempfile::tempdir().unwrap();
    let store = support::fixture_store(tmp.path());
    let model = support::train_served(&store, &tmp.path().join("model"));

    let dir = tmp.path().join("index");
    let report = build_indexes(&store, &model, &dir, AnnParams::default()).unwrap();
    assert_eq!(report.genes, model.gene_embeddings().len(), "one vector per vocabulary gene");
    assert!(report.genes > 300);

    // Recall@10 of the sets index against exact search over the same embeddings.
    let sets: Vec<(String, Vec<f32>)> =
        embed_all(&model, &all_sets(&store).unwrap(), "embed").unwrap().into_iter().map(|(id, v)| (id.to_string(), v)).collect();
    assert_eq!(sets.len(), report.sets);
    let vectors: Vec<Vec<f32>> = sets.iter().map(|(_, v)| v.clone()).collect();
    let index = VectorIndex::load(&dir, SETS, &Embedder::fingerprint(&model)).unwrap();
    let recall = bench::recall_at_k(&index, &vectors, 300, 10, None);
    assert!(recall >= 0.95, "recall@10 {recall}");

    // Dump -> load gives the same top-10 as the index that was built (rebuilt here, same params).
    let built = VectorIndex::build(SETS, &Embedder::fingerprint(&model), sets.clone(), AnnParams::default()).unwrap();
    let redump = tmp.path().join("redump");
    built.save(&redump).unwrap();
    let reloaded = VectorIndex::load(&redump, SETS, &Embedder::fingerprint(&model)).unwrap();
    for (_, v) in sets.iter().take(100) {
        assert_eq!(built.search(v, 10, None, None, None), reloaded.search(v, 10, None, None, None));
    }

    // Queries through the neighbourhood; then a model change makes the index stale.
    let hood = Neighbourhood::load(&store, &model, &dir).unwrap();
    let similar = hood.similar_genes(&store, "MCM2", 5, None).unwrap();
    assert_eq!(similar.len(), 5);
    assert!(similar.iter().all(|n| n.key != genekg::domain::Entrez(4171)), "MCM2 (Entrez 4171) is not its own neighbour");
    let err = hood.similar_genes(&store, "NOT_A_GENE_XYZ", 5, None).unwrap_err().to_string();
    assert!(err.contains("unknown gene"), "{err}");

    let other_dir = tmp.path().join("model2");
    let mut recipe = Recipe::served().at_fixture_scale();
    (recipe.training.epochs, recipe.training.seed) = (1, 7);
    support::train_recipe(&store, recipe, &other_dir);
    let other = Gsfm::load(&other_dir).unwrap();
    let err = Neighbourhood::load(&store, &other, &dir).err().expect("stale index refused").to_string();
    assert!(err.contains("index build"), "{err}");
    let data = store.data_versions().unwrap();
    assert!(!genekg::index::is_current(&dir, &Embedder::fingerprint(&other), &data).unwrap());
    assert!(genekg::index::is_current(&dir, &Embedder::fingerprint(&model), &data).unwrap(), "same model and data: current");
    assert!(!genekg::index::is_current(&dir, &Embedder::fingerprint(&model), &Default::default()).unwrap(), "other data: stale");
    assert!(VectorIndex::read_meta(&dir, GENES).unwrap().is_some());
}
