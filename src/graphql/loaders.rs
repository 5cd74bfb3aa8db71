//! DataLoaders for gene sets and gene-to-set memberships. One of each is made per HTTP request
//! (so nothing is cached across requests) and shared by every operation of a batched request;
//! resolvers that run concurrently, such as the nodes of a page, are served by one batched
//! store read instead of one read each. Genes need none: the state holds their records in
//! memory (`search::GeneIndex`).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::futures_util::future::BoxFuture;

use super::state::{ApiMetrics, AppState};
use crate::domain::SetId;
use crate::store::{GeneSet, StoreError};

/// How many scheduler rounds a batch may wait for more keys (see [`wait_until_quiet`]).
const MAX_WAIT_ROUNDS: usize = 1_000;

/// Holds a batch back until the request stops asking for more keys.
///
/// async-graphql's DataLoader waits a fixed time (1 ms by default) for sibling resolvers to
/// add their keys. A fixed wait is both too long (it caps a connection at under 1,000
/// single-gene lookups a second) and too short when many siblings register slowly: its
/// executor yields after every two list items whose own fields are pending, so 100 nested
/// items register over ~50 scheduler rounds. Instead the batch waits for scheduler rounds, not
/// time: it yields until a round passes in which no resolver of this request touched a loader.
/// A lone lookup fires after one round; a long list fires once all its items are in.
async fn wait_until_quiet(activity: &AtomicU64) {
    let mut seen = activity.load(Ordering::Acquire);
    for _ in 0..MAX_WAIT_ROUNDS {
        tokio::task::yield_now().await;
        let now = activity.load(Ordering::Acquire);
        if now == seen {
            return;
        }
        seen = now;
    }
}

pub struct GeneSetLoader(Arc<AppState>);
/// The curated sets a gene belongs to, keyed by the gene's Entrez id.
pub struct MembershipLoader(Arc<AppState>);

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MembershipOf(pub u32);

fn count(metrics: &ApiMetrics, loader: &str, keys: usize) {
    let label = ApiMetrics::label("loader", loader);
    metrics.loader_batches.get_or_create(&label).inc();
    metrics.loader_keys.get_or_create(&label).inc_by(keys as u64);
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

/// The per-request loaders, placed in the request's data. Resolvers reach them through
/// `graphql::loaders(ctx)`, which records the activity batches wait on. Each loader is made on
/// its first use: most requests use one of the three, and every request pays for what it makes.
pub struct Loaders {
    state: Arc<AppState>,
    sets: OnceLock<DataLoader<GeneSetLoader>>,
    memberships: OnceLock<DataLoader<MembershipLoader>>,
    activity: Arc<AtomicU64>,
}

/// Spawns a loader's batch task behind [`wait_until_quiet`].
fn spawner(activity: Arc<AtomicU64>) -> impl Fn(BoxFuture<'static, ()>) + Send + Sync + 'static {
    move |batch| {
        let activity = activity.clone();
        tokio::spawn(async move {
            wait_until_quiet(&activity).await;
            batch.await
        });
    }
}

impl Loaders {
    pub fn new(state: Arc<AppState>) -> Arc<Self> {
        Arc::new(Self {
            state,
            sets: OnceLock::new(),
            memberships: OnceLock::new(),
            activity: Arc::new(AtomicU64::new(0)),
        })
    }

    fn make<L: Send + Sync + 'static>(&self, loader: L) -> DataLoader<L> {
        DataLoader::new(loader, spawner(self.activity.clone())).delay(Duration::ZERO)
    }

    pub fn sets(&self) -> &DataLoader<GeneSetLoader> {
        self.sets.get_or_init(|| self.make(GeneSetLoader(self.state.clone())))
    }

    pub fn memberships(&self) -> &DataLoader<MembershipLoader> {
        self.memberships.get_or_init(|| self.make(MembershipLoader(self.state.clone())))
    }

    /// Notes that a resolver is about to load something.
    pub fn touch(&self) {
        self.activity.fetch_add(1, Ordering::AcqRel);
    }
}
