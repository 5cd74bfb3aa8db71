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

    // predictedPartners: `known` is whether the pairing is on record in a curated library (a set
    // of at most 200 genes holding both, `knownIn` naming the libraries); papers listing both
    // are counted apart; the list ends at the stored count, and a larger `first` is refused.
    let r = app
        .query(
            "{ gene(id: \"MCM6\") { knownSets(first: 500) { nodes { id size } } predictedPartnerCount
               predictedPartners(first: 20) { known knownIn sharedPapers closestSharedSet { id size }
                 gene { knownSets(first: 500) { nodes { id size } } } } } }",
        )
        .await;
    let g = &r["data"]["gene"];
    let sets = |v: &serde_json::Value| -> std::collections::HashMap<String, u64> {
        v["knownSets"]["nodes"].as_array().unwrap().iter().map(|n| (n["id"].as_str().unwrap().to_string(), n["size"].as_u64().unwrap())).collect()
    };
    let own = sets(g);
    let partners = g["predictedPartners"].as_array().unwrap_or_else(|| panic!("{r}"));
    for p in partners {
        let theirs = sets(&p["gene"]);
        let shared: Vec<(&String, u64)> = theirs.iter().filter(|(id, _)| own.contains_key(*id)).map(|(id, &n)| (id, n)).collect();
        let papers = shared.iter().filter(|(id, _)| id.starts_with("PubMed:")).count();
        let curated: Vec<&(&String, u64)> = shared.iter().filter(|(id, _)| !id.starts_with("PubMed:")).collect();
        let known_in: std::collections::BTreeSet<&str> =
            curated.iter().filter(|(_, n)| *n <= 200).map(|(id, _)| id.split_once(':').unwrap().0).collect();
        assert_eq!(p["knownIn"], json!(known_in.iter().collect::<Vec<_>>()), "{p}");
        assert_eq!(p["known"], !known_in.is_empty(), "{p}");
        assert_eq!(p["sharedPapers"], papers, "{p}");
        let closest = curated.iter().map(|(id, n)| (*n, id.as_str())).min();
        assert_eq!(p["closestSharedSet"]["id"].as_str(), closest.map(|c| c.1), "{p}");
    }
    assert!(partners.iter().any(|p| p["known"] == true), "MCM6 shares specific GO terms with some partner: {r}");
    let stored = g["predictedPartnerCount"].as_u64().unwrap();
    assert!(stored >= 20, "{r}");
    let r = app.query(&format!("{{ gene(id: \"MCM6\") {{ predictedPartners(first: {}) {{ rank }} }} }}", stored + 1)).await;
    assert_eq!(code(&r), "BAD_INPUT", "{r}");
    assert!(r["errors"][0]["message"].as_str().unwrap().contains(&format!("{stored} predicted partners are stored")), "{r}");

    // predictedFunctions: untitled literature sets are left out unless asked for; library and
    // newOnly filters; every set links its source.
    let pf = |args: &str| {
        let q = format!("{{ gene(id: \"MCM2\") {{ predictedFunctions({args} first: 500) {{ totalCount nodes {{ known geneSet {{ id name url }} }} }} }} }}");
        let app = &app;
        async move {
            let r = app.query(&q).await;
            assert!(r["errors"].is_null(), "{r}");
            r["data"]["gene"]["predictedFunctions"].clone()
        }
    };
    let default = pf("").await;
    let with_untitled = pf("includeUntitled: true,").await;
    let nodes = |c: &serde_json::Value| c["nodes"].as_array().unwrap().clone();
    assert!(nodes(&default).iter().all(|n| !n["geneSet"]["name"].as_str().unwrap().starts_with("PMID ")), "{default}");
    assert!(nodes(&with_untitled).iter().all(|n| n["geneSet"]["url"].as_str().is_some_and(|u| u.starts_with("https://"))), "{with_untitled}");
    eprintln!("predictedFunctions of MCM2: {} by default, {} with untitled sets", default["totalCount"], with_untitled["totalCount"]);
    assert!(with_untitled["totalCount"].as_u64() > default["totalCount"].as_u64(), "PubMed sets are predicted for MCM2");
    let pubmed = pf("libraries: [\"PubMed\"],").await;
    assert!(pubmed["totalCount"].as_u64().unwrap() > 0 && nodes(&pubmed).iter().all(|n| n["geneSet"]["id"].as_str().unwrap().starts_with("PubMed:")), "{pubmed}");
    let go = pf("libraries: [\"GO_BP\", \"GO_MF\"], newOnly: true,").await;
    assert!(nodes(&go).iter().all(|n| n["known"] == false && ["GO_BP:", "GO_MF:"].iter().any(|p| n["geneSet"]["id"].as_str().unwrap().starts_with(p))), "{go}");
    let all_go = pf("libraries: [\"GO_BP\", \"GO_MF\"],").await;
    assert!(go["totalCount"].as_u64() < all_go["totalCount"].as_u64(), "MCM2's own GO terms are predicted too: {all_go}");

    // A registered list is private: nobody's similarSets lists it, even for the same genes;
    // its owner passes its id to similarSets, augment, enrich and augmentedEnrichment, with the same answers as the
    // genes give.
    let r = app
        .query_with("mutation($g: [String!]!) { addGeneSet(genes: $g, description: \"replication\") { id } }", json!({"g": REPLICATION}))
        .await;
    let id = r["data"]["addGeneSet"]["id"].as_str().unwrap().to_string();
    let by_genes = app
        .query_with(
            "query($g: [String!]!) { similarSets(genes: $g, first: 20) { sets { key cosine geneSet { id } } } augment(genes: $g, first: 5) { genes { gene { symbol } } } enrich(genes: $g, first: 3) { genesUsed results { nodes { geneSet { id } } } } augmentedEnrichment(genes: $g, libraries: [\"GO_BP\"], first: 3) { genesUsed results { nodes { geneSet { id } pValue } } } }",
            json!({"g": REPLICATION}),
        )
        .await;
    let sims = by_genes["data"]["similarSets"]["sets"].as_array().unwrap();
    assert_eq!(sims.len(), 20, "{by_genes}");
    assert!(sims.iter().all(|s| !s["key"].as_str().unwrap().starts_with("user:") && s["geneSet"]["id"] == s["key"]), "{by_genes}");
    let by_id = app
        .query_with(
            "query($id: ID!) { similarSets(userGeneSet: $id, first: 20) { sets { key cosine geneSet { id } } } augment(userGeneSet: $id, first: 5) { genes { gene { symbol } } } enrich(userGeneSet: $id, first: 3) { genesUsed results { nodes { geneSet { id } } } } augmentedEnrichment(userGeneSet: $id, libraries: [\"GO_BP\"], first: 3) { genesUsed results { nodes { geneSet { id } pValue } } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(by_id["data"], by_genes["data"], "{by_id}");
    let r = app.query(&format!("{{ geneSet(id: \"user:{id}\") {{ id }} }}")).await;
    assert_eq!(code(&r), "NOT_FOUND", "{r}");
    assert!(r["errors"][0]["message"].as_str().unwrap().contains(&format!("userGeneSet(id: \"{id}\")")), "{r}");
    let r = app.query_with("query($g: [String!]!) { augment(genes: $g, userGeneSet: \"1\") { unknownGenes } }", json!({"g": REPLICATION})).await;
    assert_eq!(code(&r), "BAD_INPUT", "{r}");
    let r = app.query("{ similarSets { sets { key } } }").await;
    assert_eq!(code(&r), "BAD_INPUT", "{r}");
    let r = app.query("{ enrich(userGeneSet: \"999999999\") { genesUsed } }").await;
    assert_eq!(code(&r), "NOT_FOUND", "{r}");

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
    // Significant sets first, by enrichment score (see docs/enrichment.md).
    let keys: Vec<(bool, f64)> =
        rows.iter().map(|n| (n["fdr"].as_f64().unwrap() > 0.05, -n["enrichmentScore"].as_f64().unwrap())).collect();
    assert!(keys.windows(2).all(|w| w[0] <= w[1]) && !keys[0].0, "{keys:?}");
    assert!(rows[0]["pValue"].as_f64().unwrap() < 0.01, "{r}");
    let top = rows[0]["geneSet"]["name"].as_str().unwrap().to_lowercase();
    assert!(top.contains("replication") || top.contains("dna"), "top augmented set: {r}");
    for n in rows {
        let es = n["enrichmentScore"].as_f64().unwrap();
        assert!(es > 0.0 && es <= 1.0);
        assert!(n["leadingEdge"].as_array().unwrap().iter().all(|g| !REPLICATION.contains(&g["symbol"].as_str().unwrap())), "{n}");
    }
    // The fitted null is kept across requests: asking again about the same list (here a
    // longer page) fits no new rung.
    let cached = app.state.enrich.null_rungs_cached();
    assert!(cached > 0, "the null's rungs are cached");
    let again = app
        .query_with(
            "query($g: [String!]!) { augmentedEnrichment(genes: $g, libraries: [\"GO_BP\"], first: 8) { results { nodes { geneSet { id } pValue } } } }",
            json!({"g": with_unknown()}),
        )
        .await;
    assert!(again["errors"].is_null(), "{again}");
    assert_eq!(app.state.enrich.null_rungs_cached(), cached, "the same ranking reuses its null");
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

    // meta says which model answers, with the evaluation saved for it.
    let meta_query = "{ meta { model { fingerprint trainedAt recipe architecture vocabularySize trainingSets { library sets } evaluation { caseFile method cases medianAuroc meanAveragePrecision } } } augment(genes: [\"MCM2\"], first: 1) { modelFingerprint } }";
    let r = app.query(meta_query).await;
    let m = &r["data"]["meta"]["model"];
    assert_eq!(m["fingerprint"], r["data"]["augment"]["modelFingerprint"], "{r}");
    assert_eq!(m["recipe"]["epochs"], 6, "the fixture model's recipe: {r}");
    assert!(m["trainedAt"].as_str().is_some_and(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok()), "{r}");
    assert!(m["vocabularySize"].as_u64().unwrap() > 100 && !m["trainingSets"].as_array().unwrap().is_empty(), "{r}");
    assert_eq!(m["evaluation"], json!([]), "nothing saved yet: {r}");
    {
        use genekg::model::eval::{self, cases, Method};
        let store = &app.state.store;
        let model = app.state.model.as_ref().unwrap();
        let split = cases::random_split("GO_BP", &store.library_sets("GO_BP").unwrap(), 42, 10);
        let summary = eval::holdout(model, None, Method::Gsfm, &split, false);
        let dir = app.state.model_dir.as_ref().unwrap();
        eval::save_summaries(dir, "go_bp_split.tsv", &[summary.clone()], model.fingerprint(), &[], None).unwrap();
        let r = app.query(meta_query).await;
        let saved = &r["data"]["meta"]["model"]["evaluation"];
        assert_eq!(saved.as_array().map(Vec::len), Some(1), "{r}");
        assert_eq!(saved[0]["caseFile"], "go_bp_split.tsv");
        assert_eq!(saved[0]["method"], "gsfm");
        assert_eq!(saved[0]["cases"], summary.cases);
        assert!((saved[0]["medianAuroc"].as_f64().unwrap() - summary.median_auroc.unwrap()).abs() < 1e-9, "{r}");
        // A summary of another model is not this model's.
        eval::save_summaries(dir, "other.tsv", &[summary], "another-model", &[], None).unwrap();
        let r = app.query(meta_query).await;
        assert_eq!(r["data"]["meta"]["model"]["evaluation"].as_array().map(Vec::len), Some(1), "{r}");
    }

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
async fn a_sets_index_that_no_longer_matches_the_store_names_the_step_to_run() {
    // The index was built while the store had GO_CC; the server starts without it.
    let app = spawn_app_with_model_then(|store| assert!(store.remove_library("GO_CC").unwrap())).await;
    let stale = app.state.neighbourhood.as_ref().unwrap().sets_stale.clone();
    assert!(stale.as_deref().is_some_and(|s| s.contains("GO_CC:") && s.contains("genekg index build")), "{stale:?}");
    let r = app
        .query_with("query($g: [String!]!) { similarSets(genes: $g) { sets { key } } }", json!({"g": REPLICATION}))
        .await;
    assert_eq!(code(&r), "NOT_FOUND", "{r}");
    assert!(r["errors"][0]["message"].as_str().unwrap().contains("genekg index build"), "{r}");
    let r = app.query("{ geneSet(id: \"GO_BP:GO:0006260\") { id similarSets { key } } }").await;
    assert_eq!(code(&r), "NOT_FOUND", "{r}");
    // Gene neighbours depend on the model only and still answer.
    let r = app.query("{ gene(id: \"MCM6\") { similarGenes(first: 3) { cosine } } }").await;
    assert_eq!(r["data"]["gene"]["similarGenes"].as_array().map(Vec::len), Some(3), "{r}");
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
    let r = app.query("{ meta { dataVersion model { fingerprint } } }").await;
    assert!(r["errors"].is_null() && r["data"]["meta"]["model"].is_null(), "{r}");
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

    // similarSets leaves out the same inputs, and says so as augment does.
    let sets = "query($g: [String!]!) { similarSets(genes: $g, first: 3) { sets { key cosine } unknownGenes ambiguousGenes { input } outOfVocabulary { symbol } } }";
    let (a, b) = (app.query_with(sets, json!({"g": REPLICATION})).await, app.query_with(sets, json!({"g": more})).await);
    assert!(b["errors"].is_null(), "{b}");
    let (a, b) = (&a["data"]["similarSets"], &b["data"]["similarSets"]);
    assert_eq!(a["sets"], b["sets"], "inputs left out do not move the list: {a} {b}");
    assert_eq!(a["outOfVocabulary"], json!([]), "{a}");
    assert_eq!(b["unknownGenes"], json!(["NOT_A_GENE_XYZ"]), "{b}");
    assert_eq!(b["ambiguousGenes"], json!([{"input": "CTF"}]), "{b}");
    assert_eq!(b["outOfVocabulary"], json!([{"symbol": oov.symbol}]), "{b}");
}

/// Similar genes carry a confidence: the cosine pulled toward the background by the evidence.
#[tokio::test]
async fn similar_genes_have_a_confidence_between_background_and_cosine() {
    let app = spawn_app_with_model().await;
    let background = app.state.neighbourhood.as_ref().unwrap().evidence.background;
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
    let r = app.query("{ similarSets(genes: [\"MCM2\", \"MCM4\"], library: \"NEWLIB\") { sets { key } } }").await;
    assert_eq!(code(&r), "NOT_FOUND", "{r}");
    assert!(r["errors"][0]["message"].as_str().unwrap().contains("genekg index build"), "{r}");

    // predictedFunctions too: for the new library, or for all libraries (which include it),
    // it names the step; for libraries whose data did not change it answers.
    for args in ["libraries: [\"NEWLIB\"]", "first: 3"] {
        let r = app.query(&format!("{{ gene(id: \"MCM2\") {{ predictedFunctions({args}) {{ totalCount }} }} }}")).await;
        assert_eq!(code(&r), "NOT_FOUND", "{args}: {r}");
        let msg = r["errors"][0]["message"].as_str().unwrap();
        assert!(msg.contains("NEWLIB") && msg.contains("genekg model predict"), "{msg}");
    }
    let r = app.query("{ gene(id: \"MCM2\") { predictedFunctions(libraries: [\"GO_BP\"], first: 3) { totalCount } } }").await;
    assert!(r["errors"].is_null() && r["data"]["gene"]["predictedFunctions"]["totalCount"].as_u64() > Some(0), "{r}");

    // (The sets index is refused as a whole once it does not match the store; stored
    // predictions are judged per library.)
    let r = app.query("{ geneSet(id: \"GO_BP:GO:0006260\") { predictedMembers(first: 3) { rank } } }").await;
    assert!(r["errors"].is_null(), "{r}");
    assert_eq!(r["data"]["geneSet"]["predictedMembers"].as_array().unwrap().len(), 3, "{r}");
}
