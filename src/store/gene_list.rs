//! Gene lists as users give them, resolved with one policy everywhere (enrichment, augment,
//! user sets, similar sets, the CLI and evaluation).
//!
//! The policy: an entry naming exactly one gene is used; an entry naming no gene (`unknown`) or
//! several (`ambiguous`, with its candidates) is reported and left out, never guessed between
//! and never failing the whole list. Only a list in which nothing resolves is an error, and its
//! message names the entries. A single-gene lookup (`gene(id)`) is different on purpose: there
//! the one entry is the whole question, so an ambiguous alias is an error with candidates.

use serde::Serialize;

use super::genes::{GeneResolver, Resolution};

/// How many entries an error message quotes.
const EXAMPLES: usize = 5;

/// An entry that several genes share as an alias; never guessed between.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AmbiguousInput {
    pub input: String,
    /// Entrez ids, sorted.
    pub candidates: Vec<u32>,
}

/// What became of a gene list.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ResolvedList {
    /// Non-empty entries given.
    pub given: usize,
    /// Distinct genes named, in the order first named.
    pub genes: Vec<u32>,
    /// Entries naming no gene (each distinct entry once, in input order).
    pub unknown: Vec<String>,
    pub ambiguous: Vec<AmbiguousInput>,
    /// Entries naming a gene already named by an earlier entry, as given.
    pub duplicates: Vec<String>,
}

impl ResolvedList {
    /// Resolves `raw` entries with `resolve` (blank entries are skipped). Callers with their
    /// own notion of "known" (an enrichment index from GMT files) pass their own lookup.
    pub fn resolve_with<S: AsRef<str>>(raw: &[S], mut resolve: impl FnMut(&str) -> Resolution) -> Self {
        let mut out = ResolvedList::default();
        let mut seen_genes = std::collections::HashSet::new();
        let mut seen_entries = std::collections::HashSet::new();
        for entry in raw.iter().map(|s| s.as_ref().trim()).filter(|s| !s.is_empty()) {
            out.given += 1;
            match resolve(entry) {
                Resolution::Found(id) => {
                    if seen_genes.insert(id) {
                        out.genes.push(id);
                    } else {
                        out.duplicates.push(entry.to_string());
                    }
                }
                Resolution::Ambiguous(candidates) => {
                    if seen_entries.insert(entry.to_string()) {
                        out.ambiguous.push(AmbiguousInput { input: entry.to_string(), candidates });
                    }
                }
                Resolution::NotFound => {
                    if seen_entries.insert(entry.to_string()) {
                        out.unknown.push(entry.to_string());
                    }
                }
            }
        }
        out
    }

    /// Moves genes failing `keep` (e.g. outside an index's gene universe) to `unknown`, under
    /// the entry that named them; `name` gives that entry back.
    pub fn retain_known(&mut self, keep: impl Fn(u32) -> bool, name: impl Fn(u32) -> String) {
        let (kept, dropped): (Vec<u32>, Vec<u32>) = self.genes.iter().partition(|&&g| keep(g));
        self.genes = kept;
        self.unknown.extend(dropped.into_iter().map(name));
    }

    /// The error for a list in which nothing resolved, naming the entries; `None` otherwise.
    pub fn nothing_resolved(&self) -> Option<String> {
        if !self.genes.is_empty() {
            return None;
        }
        if self.given == 0 {
            return Some("the gene list is empty".into());
        }
        let quote = |v: Vec<&str>, total: usize| {
            let more = if total > v.len() { format!(" and {} more", total - v.len()) } else { String::new() };
            format!("{}{more}", v.join(", "))
        };
        let mut parts = Vec::new();
        if !self.unknown.is_empty() {
            let shown = self.unknown.iter().map(String::as_str).take(EXAMPLES).collect();
            parts.push(format!("unknown: {}", quote(shown, self.unknown.len())));
        }
        if !self.ambiguous.is_empty() {
            let shown = self.ambiguous.iter().map(|a| a.input.as_str()).take(EXAMPLES).collect();
            parts.push(format!("ambiguous aliases of several genes: {}", quote(shown, self.ambiguous.len())));
        }
        Some(format!("none of the {} gene entries names exactly one known gene ({})", self.given, parts.join("; ")))
    }

    /// One line per entry left out, for a terminal (empty when all were used).
    pub fn notes(&self, symbol: impl Fn(u32) -> String) -> Vec<String> {
        let mut out: Vec<String> = self.unknown.iter().map(|u| format!("{u}: no gene has this symbol, alias or id; left out")).collect();
        for a in &self.ambiguous {
            let c: Vec<String> = a.candidates.iter().map(|&e| format!("{} (Entrez {e})", symbol(e))).collect();
            out.push(format!("{}: an alias of several genes ({}); left out, name one of them", a.input, c.join(", ")));
        }
        out
    }
}

impl GeneResolver {
    /// Resolves a user's gene list with the one policy (see the module docs).
    pub fn resolve_list<S: AsRef<str>>(&self, raw: &[S]) -> ResolvedList {
        ResolvedList::resolve_with(raw, |e| self.resolve_str(e))
    }
}

/// Splits pasted text into gene entries: commas, whitespace and quoted CSV fields
/// (`"MCM2","MCM3"`) all separate; `#` starts a comment line. Quotes are dropped.
pub fn split_gene_list(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .flat_map(|l| l.split(|c: char| c.is_whitespace() || c == ',' || c == ';'))
        .map(|g| g.trim_matches(|c| c == '"' || c == '\''))
        .filter(|g| !g.is_empty())
        .map(str::to_string)
        .collect()
}

/// Splits every argument with [`split_gene_list`], so `MCM2,MCM3 MCM4` and a quoted CSV line
/// work as command-line arguments too.
pub fn split_gene_args<S: AsRef<str>>(args: &[S]) -> Vec<String> {
    args.iter().flat_map(|a| split_gene_list(a.as_ref())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_lines_blanks_commas_and_quoted_csv() {
        let want = ["MCM2", "MCM3", "MCM4"];
        assert_eq!(split_gene_list("MCM2,MCM3,MCM4"), want);
        assert_eq!(split_gene_list("MCM2\nMCM3\t MCM4\n"), want);
        assert_eq!(split_gene_list("\"MCM2\",\"MCM3\";'MCM4'"), want);
        assert_eq!(split_gene_list("# header\nMCM2, MCM3 ,, MCM4\r\n"), want);
        assert!(split_gene_list(" , \"\" ").is_empty());
    }

    fn lookup(e: &str) -> Resolution {
        match e.to_ascii_uppercase().as_str() {
            "TP53" | "P53" | "7157" => Resolution::Found(7157),
            "MYC" => Resolution::Found(4609),
            "CAP" => Resolution::Ambiguous(vec![10487, 10580]),
            _ => Resolution::NotFound,
        }
    }

    #[test]
    fn reports_unknown_and_ambiguous_and_keeps_order() {
        let r = ResolvedList::resolve_with(&["MYC", "tp53", "CAP", "NOPE", " ", "p53", "NOPE", "CAP"], lookup);
        assert_eq!(r.genes, vec![4609, 7157]);
        assert_eq!(r.given, 7);
        assert_eq!(r.duplicates.len(), 1);
        assert_eq!(r.unknown, vec!["NOPE"]);
        assert_eq!(r.ambiguous, vec![AmbiguousInput { input: "CAP".into(), candidates: vec![10487, 10580] }]);
        assert_eq!(r.nothing_resolved(), None);
    }

    #[test]
    fn nothing_resolved_names_the_entries() {
        let r = ResolvedList::resolve_with(&["NOPE", "CAP"], lookup);
        let msg = r.nothing_resolved().unwrap();
        assert!(msg.contains("NOPE") && msg.contains("CAP") && msg.contains("ambiguous"), "{msg}");
        assert_eq!(ResolvedList::resolve_with::<&str>(&[], lookup).nothing_resolved().unwrap(), "the gene list is empty");
    }

    #[test]
    fn splits_commas_whitespace_and_quoted_csv() {
        assert_eq!(split_gene_list("MCM2,MCM3 MCM4\n# note\n\"ORC1\",'CDC6';TP53"), ["MCM2", "MCM3", "MCM4", "ORC1", "CDC6", "TP53"]);
        assert_eq!(split_gene_args(&["MCM2,MCM3", "MCM4"]), ["MCM2", "MCM3", "MCM4"]);
    }
}
