//! Genes outside the model's vocabulary (in too few training sets) get predicted functions,
//! partners and similar genes from the sets they are in, and say so; a gene in no set gets no
//! guesses and says why (docs/model.md, Coverage).

use serde_json::json;

use crate::helpers::{fixture_store, spawn_app_from, TestApp};
use genekg::model::coverage::Memberships;

/// Genes in fewer training sets than this are outside the test model's vocabulary: the
/// fixture's genes are all in 5 or more, so the default threshold would leave none out.
const MIN_GENE_SETS: usize = 40;

/// The fixture server with a model trained on genes in at least [`MIN_GENE_SETS`] training sets
/// (through the same library calls as the CLI), and `gene` added to the catalogue afterwards.
async fn spawn_app_with_small_vocabulary(gene: genekg::store::Gene) -> TestApp {
    use genekg::model::predictions::{predict_and_store, PredictionOptions};
    use genekg::model::train::{train, TrainOptions};
    use genekg::model::{Gsfm, ModelConfig, TrainConfig};
    let dir = tempfile::tempdir().unwrap();
    let store = fixture_store(dir.path());
    let (model_dir, index_dir) = (dir.path().join("model"), dir.path().join("index"));
    genekg::model::limit_threads(2);
    let recipe = TrainConfig {
        epochs: 4,
        batch_size: 64,
        learning_rate: 5e-3,
        min_gene_sets: MIN_GENE_SETS,
        ..TrainConfig::default()
    };
    train(
        &store,
        &TrainOptions {
            recipe,
            architecture: ModelConfig::new(3),
            out_dir: model_dir.clone(),
            resume: false,
            stop_after_epochs: None,
        },
    )
    .unwrap();
    let provenance = store.genes_provenance().unwrap().unwrap_or_default();
    store.upsert_genes(vec![gene], &provenance).unwrap();
    let gsfm = Gsfm::load(&model_dir).unwrap();
    predict_and_store(&store, &gsfm, &PredictionOptions::default()).unwrap();
    genekg::index::build_indexes(
        &store,
        &gsfm,
        &index_dir,
        genekg::index::AnnParams::default(),
    )
    .unwrap();
    let state = genekg::graphql::AppState::load(store)
        .unwrap()
        .with_model(&model_dir, &index_dir)
        .unwrap();
    spawn_app_from(state, dir).await
}

#[tokio::test]
async fn genes_outside_the_vocabulary_are_answered_from_their_sets_and_say_so() {
    // LOC100128288 ("uncharacterized LOC100128288", org.Hs.eg.db 3.16): a real gene in no
    // stored set, added to the catalogue after the model was made.
    let bare = genekg::store::Gene {
        entrez: 100128288,
        symbol: "LOC100128288".into(),
        name: "uncharacterized LOC100128288".into(),
        gene_type: "protein-coding".into(),
        ..Default::default()
    };
    let app = spawn_app_with_small_vocabulary(bare).await;
    let model = app.state.model.clone().unwrap();
    let memberships = Memberships::from_store(&app.state.store).unwrap();
    // Fixture genes in a stored set but in too few training sets for the vocabulary.
    let outside: Vec<u32> = memberships
        .genes()
        .into_iter()
        .filter(|&g| model.vocabulary().column(g).is_none())
        .collect();
    assert!(
        outside.len() >= 5,
        "only {} fixture genes outside the model's vocabulary",
        outside.len()
    );
    eprintln!(
        "{} of {} genes in a stored set are outside the vocabulary",
        outside.len(),
        memberships.genes().len()
    );

    let q = "query($g: String!) { gene(id: $g) { symbol
        modelEvidence { level storedSets libraries summary }
        knownSets(first: 500) { nodes { id } }
        predictedFunctions(first: 50) { totalCount nodes { geneSet { id } probability zScore rank known } }
        predictedPartners(first: 5) { gene { entrez } probability zScore }
        similarGenes(first: 5) { gene { entrez } cosine confidence evidenceSets }
        explanation(llm: \"none\") { text } } }";
    let mut with_functions = 0;
    // Every fourth, at most 12: enough variety, a short test.
    let checked: Vec<u32> = outside.iter().copied().step_by(4).take(12).collect();
    for &g in &checked {
        let r = app.query_with(q, json!({"g": g.to_string()})).await;
        assert!(r["errors"].is_null(), "{r}");
        let gene = &r["data"]["gene"];
        let e = &gene["modelEvidence"];
        let own: Vec<&str> = gene["knownSets"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_str().unwrap())
            .collect();
        assert_eq!(e["level"], "STORED_SETS", "{r}");
        assert_eq!(e["storedSets"].as_u64().unwrap() as usize, own.len(), "{r}");
        assert_eq!(
            e["storedSets"].as_u64().unwrap() as usize,
            memberships.sets_of(g).len(),
            "{r}"
        );
        assert!(
            e["summary"]
                .as_str()
                .unwrap()
                .contains("not in the model's vocabulary"),
            "{r}"
        );

        let partners = gene["predictedPartners"].as_array().unwrap();
        assert_eq!(partners.len(), 5, "{r}");
        assert!(partners.iter().all(|p| model
            .vocabulary()
            .column(p["gene"]["entrez"].as_u64().unwrap() as u32)
            .is_some()));
        let zs: Vec<f64> = partners
            .iter()
            .map(|p| p["zScore"].as_f64().unwrap())
            .collect();
        assert!(
            zs.windows(2).all(|w| w[0] >= w[1]),
            "partners best first: {zs:?}"
        );

        // Placed by its profile's embedding; few sets behind it, so its confidence stays nearer
        // the background than the cosine.
        let hood = app.state.neighbourhood.as_ref().unwrap();
        let background = hood.evidence.background;
        let similar = gene["similarGenes"].as_array().unwrap();
        assert_eq!(similar.len(), 5, "{r}");
        for s in similar {
            let (cos, conf) = (
                s["cosine"].as_f64().unwrap() as f32,
                s["confidence"].as_f64().unwrap() as f32,
            );
            assert!(
                (conf - background).abs() <= (cos - background).abs() + 1e-5,
                "{s} background {background}"
            );
            assert_ne!(s["gene"]["entrez"].as_u64().unwrap() as u32, g);
        }

        // Functions: the sets its profile votes for, by descending z; `known` exactly when the
        // gene is in the set; rank 0 (it is in no set's list).
        let pf = &gene["predictedFunctions"];
        let nodes = pf["nodes"].as_array().unwrap();
        let zs: Vec<f64> = nodes
            .iter()
            .map(|n| n["zScore"].as_f64().unwrap())
            .collect();
        assert!(zs.windows(2).all(|w| w[0] >= w[1]), "{zs:?}");
        for n in nodes {
            let id = n["geneSet"]["id"].as_str().unwrap();
            assert_eq!(n["known"], own.contains(&id), "{n}");
            assert_eq!(n["rank"], 0, "{n}");
            let p = n["probability"].as_f64().unwrap();
            assert!(
                p > 0.0 && p <= 1.0 && n["zScore"].as_f64().unwrap() > 1.645,
                "{n}"
            );
        }
        if pf["totalCount"].as_u64().unwrap() > 0 {
            with_functions += 1;
            assert!(
                nodes.iter().any(|n| n["known"] == true),
                "the gene's own sets are among its votes: {r}"
            );
        }
        let text = gene["explanation"]["text"].as_str().unwrap();
        assert!(text.contains("not in the model's vocabulary"), "{text}");
    }
    assert!(
        with_functions * 2 >= checked.len(),
        "{with_functions} of {} genes outside the vocabulary have functions",
        checked.len()
    );

    // A gene in no stored set: no guesses, and each answer says why.
    let r = app
        .query("{ gene(id: \"LOC100128288\") { modelEvidence { level storedSets summary } } }")
        .await;
    let e = &r["data"]["gene"]["modelEvidence"];
    assert_eq!(
        (e["level"].as_str(), e["storedSets"].as_u64()),
        (Some("NONE"), Some(0)),
        "{r}"
    );
    assert!(
        e["summary"].as_str().unwrap().contains("no evidence"),
        "{r}"
    );
    for field in [
        "predictedFunctions { totalCount }",
        "predictedPartners { rank }",
        "similarGenes { cosine }",
    ] {
        let r = app
            .query(&format!("{{ gene(id: \"LOC100128288\") {{ {field} }} }}"))
            .await;
        assert_eq!(
            r["errors"][0]["extensions"]["code"], "NOT_FOUND",
            "{field}: {r}"
        );
        let msg = r["errors"][0]["message"].as_str().unwrap();
        assert!(
            msg.contains("LOC100128288") && msg.contains("no stored gene set"),
            "{field}: {msg}"
        );
    }
    let r = app
        .query("{ gene(id: \"LOC100128288\") { explanation(llm: \"none\") { text } } }")
        .await;
    let text = r["data"]["gene"]["explanation"]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"));
    assert!(text.contains("no evidence"), "{text}");
}
