//! What the question parser knows about the data: a gene dictionary (the API's own resolver,
//! plus the symbols for "did you mean") and a term index over set names and GO synonyms, keyed
//! by stemmed words so "signalling pathways" finds "signaling pathway".
//!
//! Built once per server from the store (well under a second on the default data).

use std::collections::HashMap;

use rust_stemmers::{Algorithm, Stemmer};

use crate::domain::{GeneQuery, LibraryName, SetId};
use crate::graphql::AppState;
use crate::store::Resolution;

/// Words that never make a term on their own and are dropped inside term keys: "DNA repair"
/// and "repair of DNA" differ only in them.
const TERM_STOPWORDS: &[&str] = &["of", "the", "a", "an", "in", "to", "and", "by", "for", "on", "with", "from", "via", "into", "or", "as"];

/// Stems that name what a question asks, not which term: a one-word match on these is not a
/// term ("signaling" is a GO term, but "genes like X in signaling" is rare next to "signaling
/// partners").
const NOT_A_TERM_ALONE: &[&str] = &[
    "gene", "protein", "function", "signal", "process", "pathway", "activ", "target", "drug", "partner", "similar",
    "predict", "relat", "interact", "bind", "respons", "regul", "cell", "role", "complex", "develop", "term", "set",
    "behavior", "growth", "local", "transport", "membran", "organ", "structur", "export", "import",
];

/// Library preference when several sets carry the same name (GO BP is what people mean by
/// "a process").
fn library_rank(library: &str) -> u8 {
    match library {
        "GO_BP" => 0,
        "GO_MF" => 1,
        "GO_CC" => 2,
        "PubMed" => 9,
        _ => 5,
    }
}

#[derive(Debug, Clone)]
pub struct TermRef {
    pub id: SetId,
    /// Matched on the set's own name rather than a synonym.
    pub by_name: bool,
    rank: u8,
}

pub struct Lexicon {
    stemmer: Stemmer,
    /// Upper-case symbol → Entrez, for the "symbols only" rule on lower-case words.
    symbols: HashMap<String, u32>,
    /// Symbols in a fixed order, for closest-symbol suggestions.
    symbol_list: Vec<(String, u32)>,
    /// Stemmed content words of a name → the sets so named, best first.
    terms: HashMap<Vec<String>, Vec<TermRef>>,
    /// Every stem of every term key, for knowing a word.
    term_words: Vec<String>,
    /// Every word of every term name (lower case) with its stem, for correcting misspelt words.
    raw_words: Vec<(String, String)>,
    longest_term: usize,
}

impl Lexicon {
    pub fn build(state: &AppState) -> anyhow::Result<Self> {
        let stemmer = Stemmer::create(Algorithm::English);
        let mut symbols = HashMap::new();
        let mut symbol_list = Vec::new();
        for g in state.store.genes() {
            let g = g?;
            if !g.symbol.is_empty() {
                symbols.insert(g.symbol.to_uppercase(), g.entrez);
                symbol_list.push((g.symbol.clone(), g.entrez));
            }
        }
        let synonyms = state.store.term_synonyms()?;
        let mut terms: HashMap<Vec<String>, Vec<TermRef>> = HashMap::new();
        for (library, entries) in &state.sets {
            // Literature sets are named by paper titles: not what a question names.
            if library == "PubMed" {
                continue;
            }
            let Ok(lib) = LibraryName::parse(library) else { continue };
            for e in entries {
                let id = SetId::new(lib.clone(), &*e.term);
                let rank = library_rank(library);
                let key = term_key(&stemmer, &e.name_upper);
                if !key.is_empty() {
                    terms.entry(key).or_default().push(TermRef { id: id.clone(), by_name: true, rank });
                }
                for syn in synonyms.get(&*e.term).into_iter().flatten() {
                    let key = term_key(&stemmer, syn);
                    if !key.is_empty() {
                        terms.entry(key).or_default().push(TermRef { id: id.clone(), by_name: false, rank });
                    }
                }
            }
        }
        for refs in terms.values_mut() {
            refs.sort_by(|a, b| (!a.by_name, a.rank, &a.id).cmp(&(!b.by_name, b.rank, &b.id)));
            refs.dedup_by(|a, b| a.id == b.id);
        }
        let mut raw_words: Vec<(String, String)> = Vec::new();
        for entries in state.sets.iter().filter(|(l, _)| *l != "PubMed").map(|(_, e)| e) {
            for e in entries {
                for w in e.name_upper.split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() >= 5) {
                    let w = w.to_lowercase();
                    let stem = stemmer.stem(&w).into_owned();
                    raw_words.push((w, stem));
                }
            }
        }
        raw_words.sort_unstable();
        raw_words.dedup();
        let mut term_words: Vec<String> = terms.keys().flatten().cloned().collect();
        term_words.sort_unstable();
        term_words.dedup();
        let longest_term = terms.keys().map(Vec::len).max().unwrap_or(0);
        Ok(Self { stemmer, symbols, symbol_list, terms, term_words, raw_words, longest_term })
    }

    pub fn stem(&self, word: &str) -> String {
        self.stemmer.stem(&word.to_lowercase()).into_owned()
    }

    pub fn is_term_stopword(word: &str) -> bool {
        TERM_STOPWORDS.contains(&word.to_lowercase().as_str())
    }

    pub fn is_symbol(&self, token: &str) -> Option<u32> {
        self.symbols.get(&token.to_uppercase()).copied()
    }

    pub fn resolve(&self, state: &AppState, token: &str) -> Resolution {
        match GeneQuery::parse(token) {
            Ok(q) => state.genes.resolve_query(&q),
            Err(_) => Resolution::NotFound,
        }
    }

    /// Up to `n` symbols closest to `token` (edit distance, transpositions counted once).
    pub fn closest_symbols(&self, token: &str, n: usize) -> Vec<String> {
        let up = token.to_uppercase();
        let max = if up.len() <= 3 { 1 } else { 2 };
        let mut scored: Vec<(usize, &str)> = self
            .symbol_list
            .iter()
            .filter(|(s, _)| s.len().abs_diff(up.len()) <= max)
            .map(|(s, _)| (strsim::osa_distance(&s.to_uppercase(), &up), s.as_str()))
            .filter(|(d, _)| *d <= max)
            .collect();
        scored.sort();
        scored.into_iter().take(n).map(|(_, s)| s.to_string()).collect()
    }

    pub fn longest_term(&self) -> usize {
        self.longest_term
    }

    /// The sets named exactly by this sequence of stems, best first.
    pub fn terms_for(&self, stems: &[String]) -> Option<&[TermRef]> {
        let refs = self.terms.get(stems)?;
        if stems.len() == 1 && NOT_A_TERM_ALONE.iter().any(|w| stems[0] == *w) {
            return None;
        }
        Some(refs)
    }

    pub fn knows_term_word(&self, stem: &str) -> bool {
        self.term_words.binary_search_by(|w| w.as_str().cmp(stem)).is_ok()
    }

    /// The term word closest to a misspelt one (within 1 edit, 2 for long words), if unique
    /// enough to trust.
    /// `word` is the word as typed; the answer is the stem of the closest term word.
    pub fn correct_term_word(&self, word: &str) -> Option<&str> {
        let word = word.to_lowercase();
        let max = if word.len() >= 8 { 2 } else { 1 };
        if word.len() < 5 {
            return None;
        }
        let mut best: Option<(usize, &str)> = None;
        for (w, stem) in &self.raw_words {
            if w.len().abs_diff(word.len()) > max || w.as_bytes()[0] != word.as_bytes()[0] {
                continue;
            }
            let d = strsim::osa_distance(w, &word);
            if d <= max && best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, stem));
            }
        }
        best.map(|(_, s)| s)
    }
}

/// A name's stems without term stopwords, split on anything not a letter or digit.
pub fn term_key(stemmer: &Stemmer, name: &str) -> Vec<String> {
    name.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| !TERM_STOPWORDS.contains(&w.as_str()))
        .map(|w| stemmer.stem(&w).into_owned())
        .collect()
}
