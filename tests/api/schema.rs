//! schema/schema.graphql is generated from the code (`genekg schema --out
//! schema/schema.graphql`); this fails when they drift. `UPDATE_SCHEMA=1` rewrites the file.

#[test]
fn committed_schema_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/schema.graphql");
    let generated = genekg::graphql::sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "schema/schema.graphql is out of date; run `genekg schema --out schema/schema.graphql` (or UPDATE_SCHEMA=1 cargo test --release --test api schema) and commit it"
    );
}
