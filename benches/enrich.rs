//! ORA over every library of the default store (~37,000 sets) for a 300-gene list, in process,
//! without the result cache. Bar (issue 5): median <= 10 ms.
//!
//! Needs the default store: `genekg ingest default` (data/genekg.db), or GENEKG_DB=path.
//! Run: `cargo bench --bench enrich`.

use criterion::{criterion_group, criterion_main, Criterion};
use rand::seq::SliceRandom;
use rand::SeedableRng;

use genekg::enrich::{EnrichIndex, EnrichRequest, RankOptions};
use genekg::store::Store;

/// 300 distinct genes pooled from random GO_BP sets of 50..500 genes (seed 42): a list with real
/// structure, like a user's.
fn draw_list(store: &Store, size: usize) -> Vec<u32> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
    let sets: Vec<Vec<u32>> = store
        .library_sets("GO_BP")
        .expect("read GO_BP")
        .into_iter()
        .map(|s| s.genes)
        .filter(|g| (50..=500).contains(&g.len()))
        .collect();
    let mut pool: Vec<u32> = Vec::new();
    while {
        pool.sort_unstable();
        pool.dedup();
        pool.len() < 2 * size
    } {
        pool.extend(sets.choose(&mut rng).expect("GO_BP has sets of 50..500 genes"));
    }
    pool.shuffle(&mut rng);
    pool.truncate(size);
    pool
}

fn bench(c: &mut Criterion) {
    let path = std::env::var("GENEKG_DB").unwrap_or_else(|_| "data/genekg.db".into());
    // Store::open creates a missing store: check first, so the bench never leaves one behind.
    let store = std::path::Path::new(&path)
        .exists()
        .then(|| Store::open(&path).ok())
        .flatten()
        .filter(|s| s.library("GO_BP").ok().flatten().is_some());
    let Some(store) = store else {
        eprintln!("enrich bench skipped: no default store at {path} (run `genekg ingest default` or set GENEKG_DB)");
        return;
    };
    let index = EnrichIndex::build(&store, None).expect("build the enrichment index");
    let genes = draw_list(&store, 300);
    let request = EnrichRequest { genes: genes.iter().map(u32::to_string).collect(), ..Default::default() };
    eprintln!("{} sets in {} libraries; {} genes", index.set_count(), index.library_names().len(), genes.len());
    let mut group = c.benchmark_group("enrich");
    group.sample_size(50);
    group.bench_function("ora_all_libraries_300_genes", |b| {
        b.iter_with_large_drop(|| index.enrich_uncached(&request).expect("enrich"))
    });
    // Model-augmented enrichment's engine: every gene of the store ranked by a score.
    let scores: Vec<(genekg::domain::Entrez, f32)> = {
        let hits: std::collections::HashSet<u32> = genes.iter().copied().collect();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut all: Vec<u32> = store.genes().map(|g| g.expect("gene").entrez).collect();
        all.shuffle(&mut rng);
        all.iter().enumerate().map(|(i, &g)| (genekg::domain::Entrez(g), if hits.contains(&g) { 1e6 } else { -(i as f32) })).collect()
    };
    group.sample_size(10);
    group.bench_function("rank_all_libraries_all_genes", |b| {
        b.iter_with_large_drop(|| index.rank_enrich(&scores, &RankOptions::default()).expect("rank"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
