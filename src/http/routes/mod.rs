mod explain;
mod graphiql;
mod graphql;
mod health;
mod metrics;
mod web;

pub use explain::explain_stream;
pub use graphiql::{graphiql_asset, graphiql_page};
pub use graphql::{graphql_get, graphql_post, RequestTimeout};
pub use health::{healthz, readyz};
pub use metrics::metrics;
pub use web::{app_asset, app_page};
