//! Every error a client sees carries `extensions.code`, so clients branch on codes rather than
//! on message text. Internal failures are logged in full and reach the client as a fixed
//! message: store paths, sled errors and panics are nobody's business outside the server.

use async_graphql::{ServerError, Value};

/// The codes a client can rely on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    NotFound,
    BadInput,
    AmbiguousGene,
    TooComplex,
    /// A mutation this request may not run (no API token, or a read-only server).
    Forbidden,
    /// The request body is larger than the server takes (HTTP 413).
    PayloadTooLarge,
    /// The request ran past the server's time limit and was stopped (HTTP 503).
    Timeout,
    /// This client address sent more requests than the server's rate limit (HTTP 429).
    RateLimited,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::BadInput => "BAD_INPUT",
            ErrorCode::AmbiguousGene => "AMBIGUOUS_GENE",
            ErrorCode::TooComplex => "TOO_COMPLEX",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            ErrorCode::Timeout => "TIMEOUT",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::Internal => "INTERNAL",
        }
    }
}

/// One gene an ambiguous name could mean.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub entrez: u32,
    pub symbol: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadInput(String),
    #[error("gene `{query}` is an alias of {} genes ({}); use a symbol or an id", candidates.len(), candidates.iter().map(|c| c.symbol.as_str()).collect::<Vec<_>>().join(", "))]
    AmbiguousGene { query: String, candidates: Vec<Candidate> },
    #[error("{0}")]
    Forbidden(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::NotFound(_) => ErrorCode::NotFound,
            ApiError::BadInput(_) => ErrorCode::BadInput,
            ApiError::AmbiguousGene { .. } => ErrorCode::AmbiguousGene,
            ApiError::Forbidden(_) => ErrorCode::Forbidden,
            ApiError::Internal(_) => ErrorCode::Internal,
        }
    }

    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        ApiError::Internal(e.into())
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::internal(e)
    }
}

/// The model's input errors are the client's to fix; libtorch, file and store failures are ours.
impl From<crate::model::ModelError> for ApiError {
    fn from(e: crate::model::ModelError) -> Self {
        use crate::model::ModelError::*;
        match e {
            EmptyInput | AllUnknown { .. } | TooManyGenes { .. } => ApiError::BadInput(e.to_string()),
            e => ApiError::internal(e),
        }
    }
}

/// Enrichment's errors are about its input, except a failing store.
impl From<crate::enrich::EnrichError> for ApiError {
    fn from(e: crate::enrich::EnrichError) -> Self {
        match e {
            crate::enrich::EnrichError::Store(e) => ApiError::internal(e),
            e => ApiError::BadInput(e.to_string()),
        }
    }
}

/// Loader errors are shared between the resolvers waiting on one batch, hence `Arc`.
impl From<std::sync::Arc<crate::store::StoreError>> for ApiError {
    fn from(e: std::sync::Arc<crate::store::StoreError>) -> Self {
        ApiError::Internal(anyhow::anyhow!("{e}"))
    }
}

/// Gives `err` its `code` (and, for ambiguous genes, the candidates) and masks internals.
///
/// Resolvers simply return `ApiError` with `?`; async-graphql keeps the original error as the
/// `source` of the `ServerError`, so it can be classified here in one place, after execution.
/// Errors async-graphql raises itself (syntax, validation, argument coercion) have no source and
/// are the client's to fix: BAD_INPUT, except the limit checks, which are TOO_COMPLEX. Any other
/// error with a source (a store error that slipped through `?`, say) is masked as INTERNAL.
pub fn classify(err: &mut ServerError) {
    if err.extensions.as_ref().is_some_and(|e| e.get("code").is_some()) {
        return;
    }
    let mut extensions = err.extensions.take().unwrap_or_default();
    let code = if let Some(api) = err.source::<ApiError>() {
        if let ApiError::Internal(source) = api {
            // The request span carries the request id, so this line and the client's report meet.
            tracing::error!(error = format!("{source:#}"), path = ?err.path, "internal error while resolving a query");
        }
        if let ApiError::AmbiguousGene { query, candidates } = api {
            extensions.set("query", query.as_str());
            extensions.set("candidates", Value::List(candidates.iter().map(Candidate::to_value).collect()));
        }
        api.code()
    } else if err.message == TOO_COMPLEX_MESSAGE || err.message == TOO_DEEP_MESSAGE {
        err.message = super::limits::too_complex_message(&err.message);
        ErrorCode::TooComplex
    } else if err.message.starts_with(TOO_MANY_DIRECTIVES_PREFIX) {
        // async-graphql's own text names the field and the limit.
        ErrorCode::TooComplex
    } else if err.source.is_some() {
        tracing::error!(error = %err.message, path = ?err.path, "unclassified resolver error");
        err.message = "internal error".into();
        ErrorCode::Internal
    } else {
        ErrorCode::BadInput
    };
    extensions.set("code", code.as_str());
    err.extensions = Some(extensions);
}

/// The messages async-graphql's validator uses for its limits (async-graphql 7.2.1
/// src/validation/mod.rs); a test pins them so an upgrade that changes them fails loudly.
pub const TOO_COMPLEX_MESSAGE: &str = "Query is too complex.";
pub const TOO_DEEP_MESSAGE: &str = "Query is nested too deep.";
pub const TOO_MANY_DIRECTIVES_PREFIX: &str = "The number of directives on the field";

impl Candidate {
    fn to_value(&self) -> Value {
        let mut m = async_graphql::indexmap::IndexMap::new();
        m.insert(async_graphql::Name::new("entrez"), Value::from(self.entrez));
        m.insert(async_graphql::Name::new("symbol"), Value::from(self.symbol.as_str()));
        Value::Object(m)
    }
}

pub type ApiResult<T> = std::result::Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::Pos;

    fn classified(e: async_graphql::Error) -> ServerError {
        let mut se = e.into_server_error(Pos::default());
        se.path = vec![async_graphql::PathSegment::Field("gene".into())];
        classify(&mut se);
        se
    }

    fn code(e: &ServerError) -> String {
        match e.extensions.as_ref().and_then(|x| x.get("code")) {
            Some(Value::String(s)) => s.clone(),
            other => panic!("no code: {other:?}"),
        }
    }

    #[test]
    fn internal_errors_are_masked_and_coded() {
        let e = classified(ApiError::internal(anyhow::anyhow!("sled at /srv/secret/genekg.db: corrupt")).into());
        assert_eq!(e.message, "internal error");
        assert_eq!(code(&e), "INTERNAL");
        // A store error that reached `?` without going through ApiError is masked too.
        let e = classified(crate::store::StoreError::Invalid("/srv/secret/genekg.db".into()).into());
        assert_eq!(e.message, "internal error");
        assert_eq!(code(&e), "INTERNAL");
    }

    #[test]
    fn api_errors_keep_their_message_and_code() {
        let e = classified(ApiError::NotFound("no gene `X`".into()).into());
        assert_eq!((e.message.as_str(), code(&e).as_str()), ("no gene `X`", "NOT_FOUND"));
        let e = classified(
            ApiError::AmbiguousGene { query: "CAP".into(), candidates: vec![Candidate { entrez: 10487, symbol: "CAP1".into() }] }
                .into(),
        );
        assert_eq!(code(&e), "AMBIGUOUS_GENE");
        assert!(e.extensions.unwrap().get("candidates").is_some());
    }

    #[test]
    fn validator_errors_are_bad_input_or_too_complex() {
        let mut e = ServerError::new(TOO_COMPLEX_MESSAGE, None);
        classify(&mut e);
        assert_eq!(code(&e), "TOO_COMPLEX");
        let mut e = ServerError::new(TOO_DEEP_MESSAGE, None);
        classify(&mut e);
        assert_eq!(code(&e), "TOO_COMPLEX");
        let mut e = ServerError::new("Unknown field \"x\" on type \"Query\".", None);
        classify(&mut e);
        assert_eq!(code(&e), "BAD_INPUT");
    }
}
