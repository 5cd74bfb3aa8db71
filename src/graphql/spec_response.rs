//! Restores the GraphQL spec's response rules ("Response" and "Errors": every requested key is
//! present, a failing field is null with an error at its path, a failing non-null field nulls
//! its nearest nullable parent, keys follow the query's selection order), which async-graphql
//! 7.2.1's executor breaks: its `do_resolve_container` (src/resolver_utils/container.rs) collects
//! the fields of an object through a `FuturesUnordered`, so keys arrive in completion order, and
//! on a field error it records the error and drops the key, whatever the field's nullability.
//!
//! The fix sits in async-graphql's `resolve` extension hook, which wraps every field and every
//! list item together with its qualified return type (`Gene`, `[GeneSimilarity!]!`):
//! - a failing position records its error here (with its path) and answers `null` when its type
//!   is nullable; when it is non-null it answers an internal marker error instead and flags its
//!   parent position, which then fails the same way, until a nullable position (or the root,
//!   whose `data` becomes null) absorbs it. The markers are removed from the response.
//! - every object value is rebuilt in the order of its selection set (fragments included).
//!
//! The common path costs one atomic load and one allocation-free order check per object; paths
//! are only formatted when something failed. It runs inside the request policy (`limits`), which
//! owns the one parse hook and hands over the parsed document it caches, so a request neither
//! parses nor copies its document twice; the policy calls these rules directly, not as a second
//! extension, so each field pays for one extension hook, not two.
//!
//! Why per field and not once over the finished response: async-graphql's executor keeps no trace
//! of a failed field but its error, and once any extension is registered (the policy is one) it
//! runs every field through the extension hooks anyway; redoing nullability from the errors'
//! paths afterwards would need the schema's types along each path and a rebuild of the objects
//! async-graphql emptied to `null`, for no saving in the common path.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use async_graphql::extensions::{ExtensionContext, NextExecute, NextResolve, ResolveInfo};
use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, PathSegment, Positioned, QueryPathNode, Response, ServerError, ServerResult, Value};

/// The message of the marker a non-null position returns after recording its real error.
const PROPAGATED: &str = "\u{0}genekg: null propagated to the parent";

/// The rules' state for one request.
#[derive(Default)]
pub struct SpecForRequest {
    /// Set once, by the parse hook, before execution starts.
    doc: OnceLock<Arc<ExecutableDocument>>,
    /// Errors of failed positions, in the order they failed.
    errors: Mutex<Vec<ServerError>>,
    /// Paths (as `QueryPathNode` displays them; "" is the root) whose value must become null
    /// because a non-null child failed.
    nulled: Mutex<HashSet<String>>,
    any_nulled: AtomicBool,
}

fn path_segments(node: &QueryPathNode<'_>) -> Vec<PathSegment> {
    let mut path: Vec<PathSegment> = std::iter::once(node)
        .chain(node.parents())
        .map(|n| match n.segment {
            async_graphql::QueryPathSegment::Name(name) => PathSegment::Field(name.to_string()),
            async_graphql::QueryPathSegment::Index(i) => PathSegment::Index(i),
        })
        .collect();
    path.reverse();
    path
}

impl SpecForRequest {
    /// The request's parsed document, which selection order is read from.
    pub fn set_document(&self, doc: Arc<ExecutableDocument>) {
        // One document per request: a second call would be for the same request text.
        let _ = self.doc.set(doc);
    }

    fn take_nulled(&self, node: &QueryPathNode<'_>) -> bool {
        self.any_nulled.load(Ordering::Acquire) && self.nulled.lock().unwrap_or_else(|e| e.into_inner()).remove(&node.to_string())
    }

    fn null_parent(&self, node: &QueryPathNode<'_>) {
        let parent = node.parent.map(|p| p.to_string()).unwrap_or_default();
        self.nulled.lock().unwrap_or_else(|e| e.into_inner()).insert(parent);
        self.any_nulled.store(true, Ordering::Release);
    }

    fn in_selection_order(&self, value: Value, selection: &Positioned<SelectionSet>) -> Value {
        let Value::Object(map) = value else { return value };
        if in_plain_order(&map, selection) {
            return Value::Object(map);
        }
        let Some(doc) = self.doc.get() else { return Value::Object(map) };
        let mut keys = Vec::with_capacity(map.len());
        response_keys(doc, selection, &mut keys);
        if map.keys().eq(keys.iter().filter(|k| map.contains_key(*k))) {
            return Value::Object(map);
        }
        let mut map = map;
        let mut ordered = IndexMap::with_capacity(map.len());
        for key in keys {
            if let Some(v) = map.shift_remove(&key) {
                ordered.insert(key, v);
            }
        }
        ordered.extend(map);
        Value::Object(ordered)
    }
}

/// Whether `map` holds exactly the fields of `selection`, in its order, when `selection` is
/// plain fields (no fragments, no repeated key): the common case, checked without allocating.
fn in_plain_order(map: &IndexMap<Name, Value>, selection: &Positioned<SelectionSet>) -> bool {
    let items = &selection.node.items;
    items.len() == map.len()
        && items.iter().zip(map.keys()).all(|(item, key)| match &item.node {
            Selection::Field(f) => f.node.response_key().node == *key,
            _ => false,
        })
}

/// The response keys of `selection`, in order of first appearance, fragments expanded. The
/// schema has no interfaces or unions, so every fragment applies to the object it is on.
fn response_keys(doc: &ExecutableDocument, selection: &Positioned<SelectionSet>, out: &mut Vec<Name>) {
    for item in &selection.node.items {
        match &item.node {
            Selection::Field(f) => {
                let key = f.node.response_key().node.clone();
                if !out.contains(&key) {
                    out.push(key);
                }
            }
            Selection::FragmentSpread(s) => {
                if let Some(fragment) = doc.fragments.get(&s.node.fragment_name.node) {
                    response_keys(doc, &fragment.node.selection_set, out);
                }
            }
            Selection::InlineFragment(f) => response_keys(doc, &f.node.selection_set, out),
        }
    }
}

/// The rules' two hooks, called by the request policy's own (`limits::PolicyForRequest`).
impl SpecForRequest {
    pub async fn execute(&self, ctx: &ExtensionContext<'_>, operation_name: Option<&str>, next: NextExecute<'_>) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        response.errors.retain(|e| e.message != PROPAGATED);
        response.errors.append(&mut self.errors.lock().unwrap_or_else(|e| e.into_inner()));
        if self.nulled.lock().unwrap_or_else(|e| e.into_inner()).contains("") {
            response.data = Value::Null;
        } else {
            let operation = self.doc.get().and_then(|doc| match (&doc.operations, operation_name) {
                (DocumentOperations::Single(op), _) => Some(op),
                (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
                (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
                _ => None,
            });
            if let Some(op) = operation {
                let data = std::mem::take(&mut response.data);
                response.data = self.in_selection_order(data, &op.node.selection_set);
            }
        }
        response
    }

    pub async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let node = info.path_node;
        let nullable = !info.return_type.ends_with('!');
        let selection = &info.field.selection_set;
        let result = next.run(ctx, info).await;
        let child_failed = self.take_nulled(node);
        match result {
            Ok(value) if !child_failed => return Ok(value.map(|v| self.in_selection_order(v, selection))),
            Ok(_) => {}
            Err(mut e) => {
                if e.message != PROPAGATED {
                    if e.path.is_empty() {
                        e.path = path_segments(node);
                    }
                    self.errors.lock().unwrap_or_else(|e| e.into_inner()).push(e);
                }
            }
        }
        if nullable {
            Ok(Some(Value::Null))
        } else {
            self.null_parent(node);
            Err(ServerError::new(PROPAGATED, None))
        }
    }
}
