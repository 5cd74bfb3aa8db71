//! Query limits and the per-request policy applied to every response.
//!
//! Cost model (async-graphql's complexity): each field costs 1 plus its selection; list and page
//! fields cost `first × (their selection)` and `genes(ids)` costs `len(ids) × (its selection)`.
//! A query over the limit is refused during validation, before any resolver runs, with code
//! TOO_COMPLEX. Compared with Open Targets (depth 15, cost 150,000):
//! - depth 15, the same: it is exactly what GraphiQL's own introspection query needs (graphql-js
//!   16: `__schema → types → fields → args → type → 9 × ofType → kind`), and a lower limit would
//!   break every GraphQL tool; cost, not depth, is what bounds the work of cyclic queries such as
//!   `gene → knownSets → genes → knownSets`;
//! - cost 50,000, a third of theirs because our pages are larger (500) and one small server
//!   answers everyone; it allows, for instance, 1,000 genes × 20 fields, or one gene's 500 known sets
//!   with 20 fields each, but not 500 sets × 500 genes.

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextPrepareRequest, NextRequest, NextResolve,
    NextValidation, ResolveInfo,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Response, ServerError, ServerResult, ValidationResult, Value, Variables};

use super::spec_response::SpecForRequest;

use super::errors::{classify, ErrorCode, TOO_COMPLEX_MESSAGE};
use super::query_cache::QueryCache;
use super::RequestId;
use super::state::{ApiMetrics, AppState};

pub const MAX_DEPTH: usize = 15;
pub const MAX_COMPLEXITY: usize = 50_000;
/// Largest `first` of any page or list.
pub const MAX_PAGE: usize = 500;
/// Most ids in one `genes(ids)` call.
pub const MAX_BATCH_IDS: usize = 1_000;
/// Most operations in one batched HTTP request.
pub const MAX_BATCH_OPERATIONS: usize = 20;
/// Most aliased fields in one document. Cost alone lets through a flood of cheap aliased
/// lookups (1,000 × `gene { symbol }` costs 2,000); the dashboard's largest page uses 4, and a
/// client wanting many genes has `genes(ids)`.
pub const MAX_ALIASES: usize = 50;
/// Most directives on one field. Each `@include`/`@skip` is evaluated per field per request, so
/// thousands on one field are work without cost in the complexity count; the dashboard uses
/// none and a real query one or two.
pub const MAX_DIRECTIVES: usize = 10;

/// Deepest bracket nesting (`{`, `[`, `(`) a query text may have. The parser recurses once per
/// level and would overflow a worker's stack, killing the server, long before the depth limit
/// (which runs after parsing) could refuse a 100,000-deep query; so nesting is counted on the
/// text first. GraphiQL's introspection query nests 13 deep.
pub const MAX_NESTING: usize = 64;

/// The deepest bracket nesting of a query text, not counting brackets in strings and comments.
/// Stops counting once past `MAX_NESTING`.
pub fn nesting_depth(query: &str) -> usize {
    let bytes = query.as_bytes();
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i..].starts_with(b"\\\"\"\"") { 4 } else { 1 };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                deepest = deepest.max(depth);
                if deepest > MAX_NESTING {
                    return deepest;
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    deepest
}

/// Refuses a list argument longer than `max`, naming the argument and the limit.
pub fn check_list_len(argument: &str, len: usize, max: usize) -> super::errors::ApiResult<()> {
    if len > max {
        return Err(super::errors::ApiError::BadInput(format!("`{argument}` holds {len} entries; the most accepted is {max}")));
    }
    Ok(())
}

/// Aliased fields in `doc` (operations and fragments, each counted once where written).
fn alias_count(doc: &ExecutableDocument) -> usize {
    use async_graphql::parser::types::{Selection, SelectionSet};
    fn count(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|s| match &s.node {
                Selection::Field(f) => usize::from(f.node.alias.is_some()) + count(&f.node.selection_set.node),
                Selection::InlineFragment(f) => count(&f.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    doc.operations.iter().map(|(_, op)| count(&op.node.selection_set.node)).sum::<usize>()
        + doc.fragments.values().map(|f| count(&f.node.selection_set.node)).sum::<usize>()
}

/// A refusal by one of the limits checked here, coded TOO_COMPLEX like the validator's.
fn too_complex(message: String) -> ServerError {
    let mut e = ServerError::new(message, None);
    let mut ext = async_graphql::ErrorExtensionValues::default();
    ext.set("code", ErrorCode::TooComplex.as_str());
    e.extensions = Some(ext);
    e
}

/// The client-facing text for a refused query: what was exceeded and what to do about it.
pub fn too_complex_message(validator_message: &str) -> String {
    if validator_message == TOO_COMPLEX_MESSAGE {
        format!(
            "query cost exceeds the limit of {MAX_COMPLEXITY} (lists and pages cost `first` × their selection); request smaller pages or fewer fields"
        )
    } else {
        format!("query is nested deeper than the limit of {MAX_DEPTH} levels")
    }
}

/// Classifies errors (see [`classify`]), counts them, and adds two headers to every answer:
/// `x-query-cost` (the validated complexity, as Open Targets does) and `x-data-version`.
/// It also serves parses and validations from the [`QueryCache`], and applies the GraphQL spec's
/// response rules (see `spec_response`) with the document it parsed.
#[derive(Default)]
pub struct ResponsePolicy {
    cache: Arc<QueryCache>,
}

impl ExtensionFactory for ResponsePolicy {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(PolicyForRequest {
            cost: Mutex::new(None),
            validation_key: Mutex::new(None),
            cache: self.cache.clone(),
            spec: SpecForRequest::default(),
            state: Mutex::new(None),
        })
    }
}

struct PolicyForRequest {
    cost: Mutex<Option<usize>>,
    /// Set by `parse_query` when this request's validation may be cached.
    validation_key: Mutex<Option<String>>,
    cache: Arc<QueryCache>,
    spec: SpecForRequest,
    /// The state the request carries (`http::live`): the `request` hook sees only the schema's
    /// data, so `prepare_request` keeps it here.
    state: Mutex<Option<Arc<AppState>>>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for PolicyForRequest {
    async fn prepare_request(&self, ctx: &ExtensionContext<'_>, request: async_graphql::Request, next: NextPrepareRequest<'_>) -> ServerResult<async_graphql::Request> {
        let carried = request.data.get(&std::any::TypeId::of::<Arc<AppState>>()).and_then(|d| d.downcast_ref::<Arc<AppState>>());
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = carried.cloned();
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = match self.cache.parsed(query) {
            Some(doc) => doc,
            None => {
                let nesting = nesting_depth(query);
                if nesting > MAX_NESTING {
                    return Err(too_complex(format!("query nests brackets deeper than the limit of {MAX_NESTING} levels")));
                }
                let doc = Arc::new(next.run(ctx, query, variables).await?);
                self.cache.store_parsed(query, doc.clone());
                doc
            }
        };
        let aliases = alias_count(&doc);
        if aliases > MAX_ALIASES {
            return Err(too_complex(format!(
                "query uses {aliases} aliases; the limit is {MAX_ALIASES} (use `genes(ids: [...])` to fetch many genes at once)"
            )));
        }
        // Most requests carry none; `{}` is what serialising no variables gives.
        let variables_json: std::borrow::Cow<str> =
            if variables.is_empty() { "{}".into() } else { serde_json::to_string(variables).unwrap_or_default().into() };
        *self.validation_key.lock().unwrap_or_else(|e| e.into_inner()) = QueryCache::validation_key(query, &variables_json, &doc);
        self.spec.set_document(doc.clone());
        // The executor takes the document by value: the one copy a request makes.
        Ok(Arc::unwrap_or_clone(doc))
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let key = self.validation_key.lock().unwrap_or_else(|e| e.into_inner()).take();
        let cached = key.as_deref().and_then(|k| self.cache.validated(k));
        let result = match cached {
            Some(v) => Ok(v),
            None => {
                let result = next.run(ctx).await;
                if let (Ok(v), Some(k)) = (&result, key) {
                    self.cache.store_validated(k, *v);
                }
                result
            }
        };
        if let Ok(v) = &result {
            *self.cost.lock().unwrap_or_else(|e| e.into_inner()) = Some(v.complexity);
        }
        result
    }

    async fn execute(&self, ctx: &ExtensionContext<'_>, operation_name: Option<&str>, next: NextExecute<'_>) -> Response {
        self.spec.execute(ctx, operation_name, next).await
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<async_graphql::Value>> {
        self.spec.resolve(ctx, info, next).await
    }

    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        let carried = self.state.lock().unwrap_or_else(|e| e.into_inner()).take();
        let state = carried.as_ref().or(ctx.data_opt::<Arc<AppState>>());
        let request_id = ctx.data_opt::<RequestId>();
        for err in &mut response.errors {
            classify(err);
            if let (Some(id), Some(ext)) = (request_id, err.extensions.as_mut()) {
                if matches!(ext.get("code"), Some(Value::String(c)) if c == ErrorCode::Internal.as_str()) {
                    // Lets a user's report be matched with the server's log line.
                    ext.set("requestId", id.0.as_str());
                }
            }
            if let (Some(state), Some(Value::String(code))) = (state, err.extensions.as_ref().and_then(|e| e.get("code"))) {
                state.metrics.errors.get_or_create(&ApiMetrics::label("code", code)).inc();
            }
        }
        if let Some(cost) = *self.cost.lock().unwrap_or_else(|e| e.into_inner()) {
            response.http_headers.insert("x-query-cost", cost.into());
        }
        if let Some(Ok(version)) = state.map(|s| s.data_version.as_str().try_into()) {
            response.http_headers.insert("x-data-version", version);
        }
        response
    }
}
