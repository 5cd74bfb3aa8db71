//! Staleness judged on the model and the data together: after `ingest gmt`, `model predict
//! --if-stale` and `index build --if-stale` run again instead of skipping; `explain` says when
//! the stored predictions are stale, and so does `gene`.

use super::helpers::TestDir;

#[test]
fn predictions_and_indexes_are_redone_after_new_data() {
    let t = TestDir::new();
    t.ingest_fixture_orgdb();
    let data = t.dir.path().to_str().unwrap().to_string();
    let model = t.dir.path().join("model");
    let run = |args: &[&str]| t.ok(&[&["--data-dir", data.as_str()], args].concat());
    let train = |epochs: &str| run(&["train", "--epochs", epochs, "--batch-size", "64", "--min-gene-sets", "2", "--out", model.to_str().unwrap()]);
    train("1");
    // A model without predictions: the explanation says so and names the step, rather than
    // that the model predicts nothing.
    let text = run(&["explain", "MCM2"]);
    assert!(text.contains("Predicted functions are not shown because no predictions are stored: run `genekg model predict`"), "{text}");
    assert!(!text.contains("The model predicts no GO term"), "{text}");
    let predict = ["model", "predict", "--if-stale", "--top-n", "20", "--partners", "5"];
    assert!(run(&predict).contains("\"fingerprint\""), "the first run predicts");
    assert_eq!(run(&predict), "", "a second run with the same model and data skips");
    assert!(run(&["index", "build", "--if-stale"]).contains("\"fingerprint\""), "the first build builds");
    assert_eq!(run(&["index", "build", "--if-stale"]), "", "a second build skips");

    // Same model, new data: both steps are stale.
    let gmt = t.dir.path().join("new.gmt");
    std::fs::write(&gmt, "REPLICATION\tfixture genes\tMCM2\tMCM4\tMCM5\tPOLA1\n").unwrap();
    run(&["ingest", "gmt", "--library", "NEWLIB", gmt.to_str().unwrap()]);
    let report: serde_json::Value = serde_json::from_str(&run(&predict)).expect("predictions redone after ingest");
    assert!(report["data"]["NEWLIB"].is_u64(), "the report records the data it was made from: {report}");
    assert_eq!(run(&predict), "");
    assert!(run(&["index", "build", "--if-stale"]).contains("\"fingerprint\""), "the index is rebuilt after ingest");
    assert_eq!(run(&["index", "build", "--if-stale"]), "");
    let text = run(&["explain", "MCM2"]);
    assert!(!text.contains("not shown"), "current predictions are shown (the explanation made while stale was not kept): {text}");
    let gene = |args: &[&str]| -> serde_json::Value { serde_json::from_str(&run(&[&["gene", "--json", "MCM2"], args].concat())).unwrap() };
    let current = gene(&["--first", "500"]);
    assert_eq!(current["predictions_stale"], serde_json::Value::Null, "{current}");
    assert!(!current["predicted_partners"].as_array().unwrap().is_empty(), "{current}");

    // NEWLIB re-ingested: its predictions are older than its data, the other libraries' are not.
    std::fs::write(&gmt, "REPLICATION\tfixture genes\tMCM2\tMCM4\tMCM6\tPOLA1\n").unwrap();
    run(&["ingest", "gmt", "--library", "NEWLIB", gmt.to_str().unwrap()]);
    let after = gene(&["--first", "500"]);
    assert_eq!(after["predictions_stale"], "predictions for library NEWLIB are older than its data: run `genekg model predict`", "{after}");
    assert!(!after["predicted_partners"].as_array().unwrap().is_empty(), "partners depend on the model alone: {after}");
    let text = run(&["gene", "MCM2"]);
    assert!(text.contains("stale predictions, not shown: predictions for library NEWLIB are older than its data"), "{text}");

    // Another model: the stored predictions (functions and partners) are from the old one.
    train("2");
    let x: serde_json::Value = serde_json::from_str(&run(&["explain", "--json", "MCM2"])).unwrap();
    let why = "the stored predictions are from another model: run `genekg model predict`";
    assert!(x["text"].as_str().unwrap().contains(&format!("Predicted functions are not shown because {why}.")), "{x}");
    assert_eq!(x["evidence"]["predictionsStale"], why);
    assert_eq!(x["evidence"]["predictedFunctions"], serde_json::json!([]));
    assert_eq!(x["evidence"]["partners"], serde_json::json!([]));
    let g = gene(&[]);
    assert_eq!(g["predictions_stale"], why, "{g}");
    assert_eq!((g["predicted_functions"].as_array().unwrap().len(), g["predicted_partners"].as_array().unwrap().len()), (0, 0), "{g}");
}
