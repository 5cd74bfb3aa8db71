//! The HTTP server: actix-web around the GraphQL schema, plus the dashboard (web/app), GraphiQL,
//! health, readiness and Prometheus metrics. `startup` assembles the app; each route lives in
//! `routes/`; `telemetry` gives every request its span, request id and metrics and catches panics;
//! `limits` holds the HTTP limits (body size, time, rate) and the shape of HTTP-level errors;
//! `bulk` runs large GraphQL answers off the HTTP workers.

pub mod bulk;
pub mod live;
pub mod limits;
mod metrics;
mod routes;
pub mod startup;
mod telemetry;

pub use live::LiveState;
pub use startup::Application;
