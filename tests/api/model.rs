//! Model, index and enrichment fields against a real server with a model trained on the fixture.

use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with_model, spawn_app_with_model_then};

/// Fixture genes directly annotated to DNA replication (GO:0006260), one of the fixture's three
/// modules; the other two are extracellular matrix organization and mRNA processing.
const REPLICATION: [&str; 6] = ["MCM2", "MCM4", "MCM5", "POLA1", "POLD1", "RFC3"];

fn with_unknown() -> Vec<&'static str> {
    let mut g = REPLICATION.to_vec();
    g.push("NOT_A_GENE_XYZ");
    g
}

fn code(resp: &serde_json::Value) -> &str {
    resp["errors"][0]["extensions"]["code"].as_str().unwrap_or("")
}

#[tokio::test]
async fn model_fields_end_to_end() {
    let app = spawn_app_with_model().await;

    // augment: the list's completion leans to its own module.
    let r = app
        .query_with(
            "query($g: [String!]!) { augment(genes: $g, first: 10) { genes { gene { symbol knownSets(library: \"GO_BP\", first: 500) { nodes { term } } } probability input } unknownGenes modelFingerprint } }",
            json!({"g": with_unknown()}),
        )
        .await;
    let aug = &r["data"]["augment"];
    assert_eq!(aug["unknownGenes"], json!(["NOT_A_GENE_XYZ"]), "{r}");
    let genes = aug["genes"].as_array().unwrap();
    assert_eq!(genes.len(), 10);
    assert!(genes.iter().all(|g| g["input"] == false && !REPLICATION.contains(&g["gene"]["symbol"].as_str().unwrap())));
    let probs: Vec<f64> = genes.iter().map(|g| g["probability"].as_f64().unwrap()).collect();
    assert!(probs.windows(2).all(|w| w[0] >= w[1]), "augment is ordered by score: {probs:?}");
    let in_replication = genes
        .iter()
        .filter(|g| g["gene"]["knownSets"]["nodes"].as_array().unwrap().iter().any(|s| s["term"] == "GO:0006260"))
        .count();
    // 92 of the fixture's 430 genes are in DNA replication: about 2 of 10 by chance.
    assert!(in_replication >= 5, "only {in_replication} of the top 10 are DNA replication genes: {r}");

    // predictedFunctions: a page, then the next, without repeats; values in range.
    let page = |after: Option<String>| {
        let app = &app;
        async move {
            app.query_with(
                "query($a: String) { gene(id: \"MCM2\") { predictedFunctions(first: 5, after: $a) { totalCount pageInfo { endCursor hasNextPage } nodes { geneSet { id } probability zScore rank known setAuroc } } } }",
                json!({"a": after}),
            )
            .await
        }
    };
    let first = page(None).await;
    let pf = &first["data"]["gene"]["predictedFunctions"];
    assert!(pf["totalCount"].as_u64().unwrap() > 5, "{first}");
    let second = page(pf["pageInfo"]["endCursor"].as_str().map(String::from)).await;
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v["data"]["gene"]["predictedFunctions"]["nodes"].as_array().unwrap().iter().map(|n| n["geneSet"]["id"].as_str().unwrap().to_string()).collect()
    };
    let (a, b) = (ids(&first), ids(&second));
    assert_eq!(a.len(), 5);
    assert!(a.iter().all(|x| !b.contains(x)), "pages repeat: {a:?} {b:?}");
    for n in pf["nodes"].as_array().unwrap() {
        let p = n["probability"].as_f64().unwrap();
        assert!(p > 0.0 && p < 1.0 && n["known"].is_boolean());
    }

    // Partners, similar genes, predicted members, set AUROC, similar sets.
    let r = app
        .query(
            "{ gene(id: \"MCM6\") { predictedPartners(first: 5) { gene { symbol } probability } similarGenes(first: 5) { gene { symbol } cosine } }
               geneSet(id: \"GO_BP:GO:0006260\") { modelAuroc predictedMembers(first: 5, newOnly: true) { gene { symbol } known rank } similarSets(first: 3) { key cosine geneSet { id } } } }",
        )
        .await;
    let g = &r["data"]["gene"];
    assert_eq!(g["predictedPartners"].as_array().unwrap().len(), 5, "{r}");
    let similar = g["similarGenes"].as_array().unwrap();
    assert_eq!(similar.len(), 5);
    assert!(similar.iter().all(|s| s["gene"]["symbol"] != "MCM6"), "a gene is not its own neighbour");
    let set = &r["data"]["geneSet"];
    let auroc = set["modelAuroc"].as_f64().unwrap();
    assert!(auroc > 0.5, "DNA replication should be recoverable: {auroc}");
    assert!(set["predictedMembers"].as_array().unwrap().iter().all(|m| m["known"] == false));
    let sims = set["similarSets"].as_array().unwrap();
    assert_eq!(sims.len(), 3);
    assert!(sims.iter().all(|s| s["key"] != "GO_BP:GO:0006260" && s["geneSet"]["id"] == s["key"]));

    // A registered list is found by similarSets at once.
    let r = app
        .query_with("mutation($g: [String!]!) { addGeneSet(genes: $g, description: \"replication\") { id } }", json!({"g": REPLICATION}))
        .await;
    let id = r["data"]["addGeneSet"]["id"].as_str().unwrap().to_string();
    let r = app.query_with("query($g: [String!]!) { similarSets(genes: $g, first: 3) { key cosine } }", json!({"g": REPLICATION})).await;
    assert_eq!(r["data"]["similarSets"][0]["key"], format!("user:{id}"), "{r}");

    // enrich: ordered by p, unknown genes reported, libraries respected.
    let r = app
        .query_with(
            "query($g: [String!]!) { enrich(genes: $g, libraries: [\"GO_BP\"], first: 5) { genesUsed unknownGenes results { totalCount nodes { geneSet { id } pValue fdr overlapSize rank } } } }",
            json!({"g": with_unknown()}),
        )
        .await;
    let e = &r["data"]["enrich"];
    assert_eq!(e["genesUsed"], 6, "{r}");
    assert_eq!(e["unknownGenes"], json!(["NOT_A_GENE_XYZ"]));
    let rows = e["results"]["nodes"].as_array().unwrap();
    let ps: Vec<f64> = rows.iter().map(|n| n["pValue"].as_f64().unwrap()).collect();
    assert!(ps.windows(2).all(|w| w[0] <= w[1]) && ps[0] < 1e-3, "{ps:?}");
    assert!(rows.iter().all(|n| n["geneSet"]["id"].as_str().unwrap().starts_with("GO_BP:")));

    // augmentedEnrichment: the model's ranking (input genes left out) puts replication sets
    // on top; leading edges hold only genes the model added, in ranking order.
    let r = app
        .query_with(
            "query($g: [String!]!) { augmentedEnrichment(genes: $g, libraries: [\"GO_BP\"], first: 5) { genesUsed unknownGenes rankedGenes results { totalCount nodes { geneSet { id name } enrichmentScore leadingEdge { symbol } setSize pValue fdr rank } } } }",
            json!({"g": with_unknown()}),
        )
        .await;
    let e = &r["data"]["augmentedEnrichment"];
    assert_eq!(e["genesUsed"], 6, "{r}");
    assert_eq!(e["unknownGenes"], json!(["NOT_A_GENE_XYZ"]));
    let rows = e["results"]["nodes"].as_array().unwrap();
    assert_eq!(rows.len(), 5, "{r}");
    let ps: Vec<f64> = rows.iter().map(|n| n["pValue"].as_f64().unwrap()).collect();
    assert!(ps.windows(2).all(|w| w[0] <= w[1]) && ps[0] < 1e-3, "{ps:?}");
    let top = rows[0]["geneSet"]["name"].as_str().unwrap().to_lowercase();
    assert!(top.contains("replication") || top.contains("dna"), "top augmented set: {r}");
    for n in rows {
        let es = n["enrichmentScore"].as_f64().unwrap();
        assert!(es > 0.0 && es <= 1.0);
        assert!(n["leadingEdge"].as_array().unwrap().iter().all(|g| !REPLICATION.contains(&g["symbol"].as_str().unwrap())), "{n}");
    }
    let with_input = app
        .query_with(
            "query($g: [String!]!) { augmentedEnrichment(genes: $g, libraries: [\"GO_BP\"], includeInput: true, first: 1) { rankedGenes } }",
            json!({"g": REPLICATION}),
        )
        .await;
    assert_eq!(
        with_input["data"]["augmentedEnrichment"]["rankedGenes"].as_u64().unwrap(),
        e["rankedGenes"].as_u64().unwrap() + 6,
        "the input genes join the ranking: {with_input}"
    );

    // Bad input.
    let r = app.query("{ augmentedEnrichment(genes: [\"NOT_A_GENE_XYZ\"]) { genesUsed } }").await;
    assert_eq!(code(&r), "BAD_INPUT", "{r}");
    let r = app.query("{ augment(genes: []) { genes { probability } } }").await;
    assert_eq!(code(&r), "BAD_INPUT", "{r}");
    let r = app.query("{ enrich(genes: [\"MCM2\"], libraries: [\"NOPE\"]) { genesUsed } }").await;
    assert_eq!(code(&r), "NOT_FOUND", "{r}");
    let r = app.query("{ enrich(genes: [\"MCM2\"], background: CUSTOM) { genesUsed } }").await;
    assert_eq!(code(&r), "BAD_INPUT", "{r}");
}

#[tokio::test]
async fn model_fields_say_when_there_is_no_model() {
    let app = spawn_app().await;
    let r = app.query("{ augment(genes: [\"MCM2\"]) { genes { probability } } }").await;
    assert_eq!(code(&r), "NOT_FOUND");
    assert!(r["errors"][0]["message"].as_str().unwrap().contains("genekg train"), "{r}");
    let r = app.query("{ gene(id: \"MCM2\") { similarGenes { cosine } } }").await;
    assert_eq!(code(&r), "NOT_FOUND");
    let r = app.query("{ augmentedEnrichment(genes: [\"MCM2\"]) { genesUsed } }").await;
    assert_eq!(code(&r), "NOT_FOUND", "{r}");
    // Enrichment needs no model.
    let r = app.query("{ enrich(genes: [\"MCM2\", \"MCM4\"]) { genesUsed } }").await;
    assert_eq!(r["data"]["enrich"]["genesUsed"], 2, "{r}");
}

/// One gene-list policy: unknown, ambiguous and out-of-vocabulary inputs are reported and left
/// out, and change no score; only a list where nothing resolves fails, naming the entries.
#[tokio::test]
async fn augment_reports_inputs_it_left_out_and_they_change_nothing() {
    // A catalogue gene in no training set, as LOC100128288 is for the default model; its record
    // is org.Hs.eg.db's (Bioconductor 3.16), added after training like a later catalogue update.
    let oov = genekg::store::Gene {
        entrez: 100128288,
        symbol: "LOC100128288".into(),
        name: "uncharacterized LOC100128288".into(),
        chromosome: Some("17".into()),
        ..Default::default()
    };
    let added = oov.clone();
    let app = spawn_app_with_model_then(move |store| {
        let provenance = store.genes_provenance().unwrap().unwrap_or_default();
        store.upsert_genes(vec![added], &provenance).unwrap();
    })
    .await;
    let q = "query($g: [String!]!) { augment(genes: $g, first: 20) { genes { gene { symbol } logit probability } unknownGenes ambiguousGenes { input candidates { symbol } } outOfVocabulary { symbol } } }";
    let plain = app.query_with(q, json!({"g": REPLICATION})).await;
    let mut more = REPLICATION.to_vec();
    more.extend(["CTF", "NOT_A_GENE_XYZ", "LOC100128288"]);
    let mixed = app.query_with(q, json!({"g": more})).await;
    assert!(mixed["errors"].is_null(), "{mixed}");
    let (p, m) = (&plain["data"]["augment"], &mixed["data"]["augment"]);
    assert_eq!(p["genes"], m["genes"], "inputs left out change no score");
    assert_eq!(m["unknownGenes"], json!(["NOT_A_GENE_XYZ"]));
    assert_eq!(m["ambiguousGenes"][0]["input"], "CTF");
    assert_eq!(m["ambiguousGenes"][0]["candidates"].as_array().unwrap().len(), 4);
    assert_eq!(m["outOfVocabulary"], json!([{"symbol": oov.symbol}]));

    let none = app.query_with(q, json!({"g": ["CTF", "NOT_A_GENE_XYZ"]})).await;
    assert_eq!(code(&none), "BAD_INPUT", "{none}");
    let msg = none["errors"][0]["message"].as_str().unwrap();
    assert!(msg.contains("CTF") && msg.contains("NOT_A_GENE_XYZ"), "{msg}");

    let sets = "query($g: [String!]!) { similarSets(genes: $g, first: 3) { key cosine } }";
    let (a, b) = (app.query_with(sets, json!({"g": REPLICATION})).await, app.query_with(sets, json!({"g": more})).await);
    assert!(b["errors"].is_null(), "{b}");
    assert_eq!(a["data"], b["data"], "similarSets leaves out the same inputs");
}

/// Similar genes carry a confidence: the cosine pulled toward the background by the evidence.
#[tokio::test]
async fn similar_genes_have_a_confidence_between_background_and_cosine() {
    let app = spawn_app_with_model().await;
    let background = app.state.neighbourhood.as_ref().unwrap().read().unwrap().evidence.background;
    let r = app.query("{ gene(id: \"MCM2\") { similarGenes(first: 5) { gene { symbol } cosine confidence evidenceSets } } }").await;
    let similar = r["data"]["gene"]["similarGenes"].as_array().unwrap_or_else(|| panic!("{r}"));
    assert_eq!(similar.len(), 5);
    for s in similar {
        let (cos, conf) = (s["cosine"].as_f64().unwrap() as f32, s["confidence"].as_f64().unwrap() as f32);
        assert!(s["evidenceSets"].as_u64().unwrap() > 0, "{s}");
        assert!(conf >= cos.min(background) - 1e-5 && conf <= cos.max(background) + 1e-5, "{s} background {background}");
    }
}

/// After new data is ingested, answers that need predictions or the index for it say which
/// step to run; libraries whose data did not change still answer.
#[tokio::test]
async fn answers_needing_a_step_not_yet_run_name_the_step() {
    let app = spawn_app_with_model_then(|store| {
        let dir = tempfile::tempdir().unwrap();
        let gmt = dir.path().join("new.gmt");
        std::fs::write(&gmt, "REPLICATION\tfixture genes\tMCM2\tMCM4\tMCM5\tPOLA1\n").unwrap();
        let opts = genekg::ingest::GmtOptions {
            library: genekg::domain::LibraryName::parse("NEWLIB").unwrap(),
            version: None,
            min_size: 1,
            max_size: 5000,
        };
        genekg::ingest::ingest_gmt(store, &gmt, &opts).unwrap();
    })
    .await;
    let r = app.query("{ geneSet(id: \"NEWLIB:REPLICATION\") { name predictedMembers(first: 5) { gene { symbol } } } }").await;
    assert_eq!(code(&r), "NOT_FOUND", "{r}");
    let msg = r["errors"][0]["message"].as_str().unwrap();
    assert!(msg.contains("NEWLIB") && msg.contains("genekg model predict"), "{msg}");
    let r = app.query("{ similarSets(genes: [\"MCM2\", \"MCM4\"], library: \"NEWLIB\") { key } }").await;
    assert_eq!(code(&r), "NOT_FOUND", "{r}");
    assert!(r["errors"][0]["message"].as_str().unwrap().contains("genekg index build"), "{r}");

    let r = app.query("{ similarSets(genes: [\"MCM2\", \"MCM4\"], library: \"GO_BP\", first: 2) { key } }").await;
    assert!(r["errors"].is_null(), "{r}");
    let r = app.query("{ geneSet(id: \"GO_BP:GO:0006260\") { predictedMembers(first: 3) { rank } } }").await;
    assert!(r["errors"].is_null(), "{r}");
    assert_eq!(r["data"]["geneSet"]["predictedMembers"].as_array().unwrap().len(), 3, "{r}");
}
