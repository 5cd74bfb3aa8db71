//! DataLoaders for genes, gene sets and gene-to-set memberships. One pair is made per HTTP request (so nothing is cached
//! across requests) and shared by every operation of a batched request; resolvers that run
//! concurrently, such as 100 aliased `gene` fields or the nodes of a page, are served by one
//! batched store read instead of one read each.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, Loader};

use super::state::{ApiMetrics, AppState};
use crate::domain::SetId;
use crate::store::{Gene, GeneSet, StoreError};

/// How long a loader waits for sibling resolvers before reading. async-graphql's default is
/// 1 ms, which would cap a connection at under 1,000 single-gene lookups a second. Siblings
/// register within a few polls of the executor (it yields every 32 list items), and every
/// resolver reaches its loader without store work of its own, so 200 µs batches as well.
pub const LOADER_DELAY: Duration = Duration::from_micros(200);

pub struct GeneLoader(Arc<AppState>);
pub struct GeneSetLoader(Arc<AppState>);
/// The curated sets a gene belongs to, keyed by Entrez (a newtype so the loader's key type
/// differs from [`GeneLoader`]'s).
pub struct MembershipLoader(Arc<AppState>);

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MembershipOf(pub u32);

fn count(metrics: &ApiMetrics, loader: &str, keys: usize) {
    let label = ApiMetrics::label("loader", loader);
    metrics.loader_batches.get_or_create(&label).inc();
    metrics.loader_keys.get_or_create(&label).inc_by(keys as u64);
}

impl Loader<u32> for GeneLoader {
    type Value = Arc<Gene>;
    type Error = Arc<StoreError>;

    async fn load(&self, keys: &[u32]) -> Result<HashMap<u32, Self::Value>, Self::Error> {
        count(&self.0.metrics, "gene", keys.len());
        let mut out = HashMap::with_capacity(keys.len());
        for &k in keys {
            if let Some(g) = self.0.store.gene(k).map_err(Arc::new)? {
                out.insert(k, Arc::new(g));
            }
        }
        Ok(out)
    }
}

impl Loader<SetId> for GeneSetLoader {
    type Value = Arc<GeneSet>;
    type Error = Arc<StoreError>;

    async fn load(&self, keys: &[SetId]) -> Result<HashMap<SetId, Self::Value>, Self::Error> {
        count(&self.0.metrics, "gene_set", keys.len());
        let mut out = HashMap::with_capacity(keys.len());
        for k in keys {
            if let Some(s) = self.0.store.gene_set(k).map_err(Arc::new)? {
                out.insert(k.clone(), Arc::new(s));
            }
        }
        Ok(out)
    }
}

impl Loader<MembershipOf> for MembershipLoader {
    /// Set ids by library name.
    type Value = Arc<BTreeMap<String, Vec<String>>>;
    type Error = Arc<StoreError>;

    async fn load(&self, keys: &[MembershipOf]) -> Result<HashMap<MembershipOf, Self::Value>, Self::Error> {
        count(&self.0.metrics, "membership", keys.len());
        let mut out = HashMap::with_capacity(keys.len());
        for &k in keys {
            out.insert(k, Arc::new(self.0.store.sets_of_gene(k.0).map_err(Arc::new)?));
        }
        Ok(out)
    }
}

/// The per-request loaders, placed in the request's data.
pub struct Loaders {
    pub genes: DataLoader<GeneLoader>,
    pub sets: DataLoader<GeneSetLoader>,
    pub memberships: DataLoader<MembershipLoader>,
}

impl Loaders {
    pub fn new(state: Arc<AppState>) -> Arc<Self> {
        Arc::new(Self {
            genes: DataLoader::new(GeneLoader(state.clone()), tokio::spawn).delay(LOADER_DELAY),
            sets: DataLoader::new(GeneSetLoader(state.clone()), tokio::spawn).delay(LOADER_DELAY),
            memberships: DataLoader::new(MembershipLoader(state), tokio::spawn).delay(LOADER_DELAY),
        })
    }
}
