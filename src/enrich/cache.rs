//! A small least-recently-used cache of ORA results, keyed by the normalised request (resolved
//! gene ids, library indices, background, size limits), so "TP53" and "7157" share an entry.
//! Hand-written because it is a dozen lines over a `VecDeque`; bounded by total rows, since one
//! 1,000-gene query over every library can hold tens of thousands of rows.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use super::{EnrichRow, LibraryBackground};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum BackgroundKey {
    LibraryGenes,
    AllGenes,
    Custom(Vec<u32>),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct CacheKey {
    pub genes: Vec<u32>,
    pub libraries: Vec<usize>,
    pub background: BackgroundKey,
    pub min_size: usize,
    pub max_size: usize,
    pub fdr_scope: super::FdrScope,
}

pub(crate) type Cached = Arc<(Vec<LibraryBackground>, Arc<Vec<EnrichRow>>)>;

pub(crate) struct ResultCache {
    entries: Mutex<VecDeque<(CacheKey, Cached)>>,
    max_entries: usize,
    max_rows: usize,
}

impl ResultCache {
    pub fn new(max_entries: usize, max_rows: usize) -> Self {
        Self { entries: Mutex::new(VecDeque::new()), max_entries, max_rows }
    }

    pub fn get(&self, key: &CacheKey) -> Option<Cached> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let pos = entries.iter().position(|(k, _)| k == key)?;
        let hit = entries.remove(pos)?;
        let value = Arc::clone(&hit.1);
        entries.push_back(hit);
        Some(value)
    }

    pub fn put(&self, key: CacheKey, value: Cached) {
        if self.max_entries == 0 || value.1.len() > self.max_rows {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|(k, _)| *k != key);
        entries.push_back((key, value));
        let rows = |e: &VecDeque<(CacheKey, Cached)>| e.iter().map(|(_, v)| v.1.len()).sum::<usize>();
        while entries.len() > self.max_entries || rows(&entries) > self.max_rows {
            entries.pop_front();
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn clear(&self) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(g: u32) -> CacheKey {
        CacheKey { genes: vec![g], libraries: vec![0], background: BackgroundKey::LibraryGenes, min_size: 0, max_size: 9, fdr_scope: Default::default() }
    }

    fn value(rows: usize) -> Cached {
        let row = EnrichRow {
            set_id: crate::domain::SetId::join("L", "t"), library: "L".into(), term: "t".into(), name: "t".into(), overlap: vec![],
            overlap_size: 0, set_size: 1, p_value: 1.0, log10_p: 0.0, odds_ratio: 1.0, fdr: 1.0, log10_fdr: 0.0, rank: 1,
        };
        Arc::new((vec![], Arc::new(vec![row; rows])))
    }

    #[test]
    fn evicts_least_recently_used_and_bounds_rows() {
        let c = ResultCache::new(2, 10);
        c.put(key(1), value(1));
        c.put(key(2), value(1));
        assert!(c.get(&key(1)).is_some()); // 2 is now the oldest
        c.put(key(3), value(1));
        assert!(c.get(&key(2)).is_none());
        assert!(c.get(&key(1)).is_some() && c.get(&key(3)).is_some());
        c.put(key(4), value(10)); // 10 rows fit only without the older entries
        assert_eq!(c.len(), 1);
        c.put(key(5), value(11)); // too big to keep at all
        assert!(c.get(&key(5)).is_none());
    }
}
