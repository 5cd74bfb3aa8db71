//! The state a server answers from, replaceable while it serves (`genekg serve --snapshot`
//! swaps in a new snapshot on SIGHUP).
//!
//! Each request takes the current `Arc<AppState>` once, when it starts, and answers wholly from
//! it: a swap during a request never mixes data of two snapshots into one answer, and the old
//! state (its store, model and indexes) lives until its last request ends.

use std::sync::{Arc, RwLock};

use crate::graphql::AppState;

pub struct LiveState {
    current: RwLock<Arc<AppState>>,
}

impl LiveState {
    pub fn new(state: Arc<AppState>) -> Self {
        Self { current: RwLock::new(state) }
    }

    /// The state to answer one request from.
    pub fn current(&self) -> Arc<AppState> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Makes `state` current; returns the state it replaces.
    pub fn replace(&self, state: Arc<AppState>) -> Arc<AppState> {
        std::mem::replace(&mut *self.current.write().unwrap_or_else(|e| e.into_inner()), state)
    }
}
