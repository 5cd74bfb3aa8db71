//! Staleness judged on the model and the data together: after `ingest gmt`, `model predict
//! --if-stale` and `index build --if-stale` run again instead of skipping.

use super::helpers::TestDir;

#[test]
fn predictions_and_indexes_are_redone_after_new_data() {
    let t = TestDir::new();
    t.ingest_fixture_orgdb();
    let data = t.dir.path().to_str().unwrap().to_string();
    let model = t.dir.path().join("model");
    let run = |args: &[&str]| t.ok(&[&["--data-dir", data.as_str()], args].concat());
    run(&["train", "--epochs", "1", "--batch-size", "64", "--min-gene-sets", "2", "--out", model.to_str().unwrap()]);
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
}
