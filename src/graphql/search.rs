//! The in-memory gene index behind `gene`, `genes` and `searchGenes`: exact resolution (the
//! store's own resolver rules, so the API and ingest agree on what a name means) plus sorted
//! prefix lists for autocomplete. Built once at start; 77,614 genes take well under a second.
//!
//! It also keeps every gene's record, and the API reads genes from here, not from the store:
//! the records are already decoded to build the index, they cannot change while a state serves
//! (a re-ingest or a new snapshot is a new state, see `http::live`), and a page's genes then
//! cost a map lookup each instead of a batched store read and its decoding (about 10% of a
//! plain gene lookup's server time went to the loader's task and the store read).

use std::collections::HashMap;
use std::sync::Arc;

use crate::store::{Gene, GeneResolver, Resolution, Store};

/// What a search hit matched on, best first.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MatchKind {
    /// The text is the gene's symbol, Entrez, Ensembl or UniProt id.
    Exact,
    SymbolPrefix,
    Alias,
    AliasPrefix,
    /// Every word of the text starts a word of the gene's name.
    Name,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    pub entrez: u32,
    pub kind: MatchKind,
    /// The symbol, alias or name that matched, as stored.
    pub matched: String,
}

pub struct GeneIndex {
    resolver: GeneResolver,
    /// Upper-cased key, Entrez; sorted so a prefix is one contiguous range.
    symbols: Vec<(Box<str>, u32)>,
    aliases: Vec<(Box<str>, u32, Box<str>)>,
    name_words: Vec<(Box<str>, u32)>,
    records: HashMap<u32, Arc<Gene>>,
    protein_coding: usize,
}

fn is_protein_coding(gene: &Gene) -> bool {
    gene.gene_type == "protein-coding"
}

fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(|w| w.to_uppercase())
}

/// The contiguous range of `list` whose keys start with `prefix`.
fn prefix_range<'a, T>(list: &'a [T], key: impl Fn(&T) -> &str, prefix: &str) -> &'a [T] {
    let start = list.partition_point(|e| key(e) < prefix);
    let len = list[start..].partition_point(|e| key(e).starts_with(prefix));
    &list[start..start + len]
}

impl GeneIndex {
    pub fn build(store: &Store) -> crate::store::Result<Self> {
        let resolver = store.resolver()?;
        let mut symbols = Vec::new();
        let mut aliases = Vec::new();
        let mut name_words = Vec::new();
        let mut records = HashMap::new();
        let mut protein_coding = 0;
        for gene in store.genes() {
            let g = gene?;
            if !g.symbol.is_empty() {
                symbols.push((g.symbol.to_uppercase().into_boxed_str(), g.entrez));
            }
            for a in &g.aliases {
                aliases.push((a.to_uppercase().into_boxed_str(), g.entrez, a.clone().into_boxed_str()));
            }
            let mut seen: Vec<String> = words(&g.name).collect();
            seen.sort();
            seen.dedup();
            name_words.extend(seen.into_iter().map(|w| (w.into_boxed_str(), g.entrez)));
            protein_coding += is_protein_coding(&g) as usize;
            records.insert(g.entrez, Arc::new(g));
        }
        symbols.sort_unstable();
        aliases.sort_unstable();
        name_words.sort_unstable();
        Ok(Self { resolver, symbols, aliases, name_words, records, protein_coding })
    }

    pub fn resolve(&self, raw: &str) -> Resolution {
        self.resolver.resolve_str(raw)
    }

    pub fn resolve_query(&self, query: &crate::domain::GeneQuery) -> Resolution {
        self.resolver.resolve(query)
    }

    /// The gene whose symbol is `text` (any case), if one is.
    pub fn by_symbol(&self, text: &str) -> Option<u32> {
        let upper = text.to_uppercase();
        self.symbols.binary_search_by(|(s, _)| (**s).cmp(upper.as_str())).ok().map(|i| self.symbols[i].1)
    }

    /// A user's gene list, with the one gene-list policy (`store::ResolvedList`).
    pub fn resolve_list(&self, raw: &[String]) -> crate::store::ResolvedList {
        self.resolver.resolve_list(raw)
    }

    pub fn symbol(&self, entrez: u32) -> Option<&str> {
        self.records.get(&entrez).map(|g| g.symbol.as_str())
    }

    /// The stored record of a gene.
    pub fn gene(&self, entrez: u32) -> Option<&Arc<Gene>> {
        self.records.get(&entrez)
    }

    pub fn gene_count(&self) -> usize {
        self.records.len()
    }

    pub fn protein_coding_count(&self) -> usize {
        self.protein_coding
    }

    /// Autocomplete: exact ids first, then symbol prefixes, aliases, alias prefixes and name
    /// words. Within a kind, protein-coding genes come first, then shorter symbols, then
    /// alphabetical order, so the result is deterministic and `TP5` offers TP53 before TP53BP1.
    pub fn search(&self, text: &str, limit: usize) -> Vec<SearchHit> {
        let text = text.trim();
        let upper = text.to_uppercase();
        if upper.is_empty() || limit == 0 {
            return vec![];
        }
        let mut best: HashMap<u32, (MatchKind, String)> = HashMap::new();
        let mut offer = |entrez: u32, kind: MatchKind, matched: &str| {
            let e = best.entry(entrez).or_insert_with(|| (kind, matched.to_string()));
            if kind < e.0 {
                *e = (kind, matched.to_string());
            }
        };
        if let Resolution::Found(entrez) = self.resolve(text) {
            offer(entrez, MatchKind::Exact, text);
        }
        for (_, entrez) in prefix_range(&self.symbols, |e| &e.0, &upper) {
            let symbol = self.symbol(*entrez).unwrap_or_default();
            let kind = if symbol.eq_ignore_ascii_case(text) { MatchKind::Exact } else { MatchKind::SymbolPrefix };
            offer(*entrez, kind, symbol);
        }
        for (key, entrez, alias) in prefix_range(&self.aliases, |e| &e.0, &upper) {
            let kind = if **key == *upper { MatchKind::Alias } else { MatchKind::AliasPrefix };
            offer(*entrez, kind, alias);
        }
        let query_words: Vec<String> = words(text).collect();
        if let Some(first) = query_words.first() {
            for (_, entrez) in prefix_range(&self.name_words, |e| &e.0, first) {
                let Some(s) = self.records.get(entrez) else { continue };
                // One word is settled by the range itself; only longer texts need the check.
                let name_words: Vec<String> =
                    if query_words.len() > 1 { words(&s.name).collect() } else { vec![] };
                if query_words[1..].iter().all(|q| name_words.iter().any(|w| w.starts_with(q.as_str()))) {
                    offer(*entrez, MatchKind::Name, &s.name);
                }
            }
        }
        let mut hits: Vec<SearchHit> =
            best.into_iter().map(|(entrez, (kind, matched))| SearchHit { entrez, kind, matched }).collect();
        let key = |h: &SearchHit| {
            let s = self.records.get(&h.entrez);
            (
                h.kind,
                !s.is_some_and(|s| is_protein_coding(s)),
                s.map_or(usize::MAX, |s| s.symbol.len()),
                s.map(|s| s.symbol.clone()),
                h.entrez,
            )
        };
        hits.sort_by_cached_key(key);
        hits.truncate(limit);
        hits
    }
}
