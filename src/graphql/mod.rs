//! The GraphQL schema: one file per object type, merged into one query root so that the model,
//! neighbourhood index, enrichment and language front each add their own `…Queries` object
//! without touching the others. See `limits` for the cost model and `errors` for error codes.

pub mod ask;
pub(crate) mod blocking;
pub mod connection;
pub mod enrichment;
pub mod errors;
pub mod explain;
pub mod gene;
pub mod gene_set;
pub mod library;
pub mod limits;
pub mod loaders;
pub mod meta;
pub mod model;
pub mod query_cache;
pub mod search;
pub mod spec_response;
pub mod state;
pub mod target_family;
pub mod user_gene_set;

use std::sync::Arc;

use async_graphql::{BatchRequest, BatchResponse, Context, EmptySubscription, MergedObject, Schema, SchemaBuilder};

pub use blocking::HeavyPool;
pub use errors::{ApiError, ErrorCode};
pub use loaders::Loaders;
pub use state::AppState;
pub use user_gene_set::ReadOnlyRequest;

#[derive(MergedObject, Default)]
pub struct QueryRoot(
    gene::GeneQueries,
    gene_set::GeneSetQueries,
    library::LibraryQueries,
    user_gene_set::UserGeneSetQueries,
    meta::MetaQueries,
    model::ModelQueries,
    enrichment::EnrichQueries,
    ask::AskQueries,
    explain::ExplainQueries,
);

#[derive(MergedObject, Default)]
pub struct MutationRoot(user_gene_set::UserGeneSetMutations);

pub type GenekgSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, EmptySubscription> {
    Schema::build(QueryRoot::default(), MutationRoot::default(), EmptySubscription)
        .limit_depth(limits::MAX_DEPTH)
        .limit_complexity(limits::MAX_COMPLEXITY)
        .limit_directives(limits::MAX_DIRECTIVES)
        // Also applies the spec's response rules (spec_response).
        .extension(limits::ResponsePolicy::default())
}

pub fn build_schema(state: Arc<AppState>) -> GenekgSchema {
    builder().data(state).finish()
}

/// The schema with no state attached: each request must carry an `Arc<AppState>` (the
/// language front runs its queries this way, see `crate::nl::answer`).
pub fn stateless_schema() -> GenekgSchema {
    builder().finish()
}

/// The schema in SDL, as committed in schema/schema.graphql.
pub fn sdl() -> String {
    builder().finish().sdl()
}

/// The id of the HTTP request an operation came in, for error reports (see `limits`).
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// Runs a (possibly batched) request with one fresh set of loaders shared by its operations.
/// `read_only` says why the request may not run mutations, if it may not (a GET, see
/// [`ReadOnlyRequest`]).
pub async fn execute(
    schema: &GenekgSchema,
    state: &Arc<AppState>,
    request: BatchRequest,
    read_only: Option<ReadOnlyRequest>,
    request_id: Option<RequestId>,
) -> BatchResponse {
    // The state travels with the request (the server's schema holds none, see `http::live`).
    let mut request = request.data(Loaders::new(state.clone())).data(state.clone());
    if let Some(id) = request_id {
        request = request.data(id);
    }
    if let Some(reason) = read_only {
        request = request.data(reason);
    }
    if state.faults.take_panic() {
        panic!("injected fault: a panic while executing a request");
    }
    schema.execute_batch(request).await
}

fn state<'a>(ctx: &Context<'a>) -> Result<&'a Arc<AppState>, ApiError> {
    ctx.data::<Arc<AppState>>().map_err(|e| ApiError::internal(anyhow::anyhow!("{}", e.message)))
}

/// The request's loaders; every caller is about to load, which holds pending batches open
/// (see `loaders`).
fn loaders<'a>(ctx: &Context<'a>) -> Result<&'a Arc<Loaders>, ApiError> {
    let loaders = ctx.data::<Arc<Loaders>>().map_err(|e| ApiError::internal(anyhow::anyhow!("{}", e.message)))?;
    loaders.touch();
    Ok(loaders)
}
