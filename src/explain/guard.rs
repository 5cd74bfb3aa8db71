//! The guard: an LLM's rewrite may only say what the evidence says. Every GO id, PMID, number,
//! gene symbol (or gene alias) and GO term name in the output must be found in the evidence
//! (or the template written from it); anything else is reported and the rewrite rejected.
//!
//! What counts as found:
//! - a GO id or PMID: the same id appears in the evidence;
//! - a number: an integer of the evidence (a count, rank, Entrez id, PMID), or a rounding of an
//!   evidence value at the precision written (0.9731 may be written 0.97 or 97%; 0.95 may not);
//! - a gene-like token (upper-case letters and digits, or letters with digits like `p53`): a
//!   word of the evidence, or a name of a gene in it; a token naming another catalogue gene, or
//!   an unknown one with digits (an invented gene), is rejected;
//! - a GO term name (of two words or more) written out: it appears in the evidence.

use std::collections::HashSet;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, async_graphql::SimpleObject)]
pub struct GuardReport {
    /// An LLM's output was checked (false for the template itself).
    pub checked: bool,
    pub passed: bool,
    /// The offending tokens.
    pub rejected: Vec<String>,
}

impl GuardReport {
    pub fn unchecked() -> Self {
        Self { checked: false, passed: true, rejected: vec![] }
    }
}

/// What the evidence allows.
pub struct Facts {
    words: HashSet<String>,
    text_upper: String,
    integers: HashSet<u64>,
    floats: Vec<f64>,
    go_ids: HashSet<String>,
    genes: HashSet<u32>,
}

fn go_id_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"GO:\d{7}").expect("valid regex"))
}

fn pmid_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(?i)\bPMIDs?\s*:?\s*(\d+)").expect("valid regex"))
}

fn word_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]|[A-Za-z0-9]").expect("valid regex"))
}

fn number_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // A number not glued to letters (MDM2 is a word, not the number 2).
    RE.get_or_init(|| Regex::new(r"(?:^|[^A-Za-z0-9.\-])(-?\d+(?:,\d{3})*(?:\.\d+)?)(%?)").expect("valid regex"))
}

impl Facts {
    /// Facts from the evidence (as JSON) and texts written from it (the template).
    pub fn new(evidence: &serde_json::Value, texts: &[&str]) -> Self {
        let mut f = Self {
            words: HashSet::new(),
            text_upper: String::new(),
            integers: HashSet::new(),
            floats: Vec::new(),
            go_ids: HashSet::new(),
            genes: HashSet::new(),
        };
        f.walk(evidence, None);
        for t in texts {
            f.add_text(t);
            for (_, n, _) in numbers(t) {
                f.add_number(n);
            }
        }
        f
    }

    fn add_text(&mut self, s: &str) {
        for w in word_re().find_iter(s) {
            self.words.insert(w.as_str().to_uppercase());
        }
        for m in go_id_re().find_iter(s) {
            self.go_ids.insert(m.as_str().to_string());
        }
        self.text_upper.push_str(&s.to_uppercase());
        self.text_upper.push('\n');
    }

    fn add_number(&mut self, n: f64) {
        if n.fract() == 0.0 && n >= 0.0 {
            self.integers.insert(n as u64);
        } else {
            self.floats.push(n);
        }
    }

    fn walk(&mut self, v: &serde_json::Value, key: Option<&str>) {
        match v {
            serde_json::Value::String(s) => self.add_text(s),
            serde_json::Value::Number(n) => {
                if let Some(i) = n.as_u64() {
                    self.integers.insert(i);
                    if key == Some("entrez") {
                        self.genes.insert(i as u32);
                    }
                } else if let Some(x) = n.as_f64() {
                    self.floats.push(x);
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| self.walk(x, key)),
            serde_json::Value::Object(o) => o.iter().for_each(|(k, x)| self.walk(x, Some(k))),
            _ => {}
        }
    }

    /// `written` (with `decimals` places, a percentage or not) is a fact.
    fn number_ok(&self, written: f64, decimals: usize, percent: bool) -> bool {
        if !percent && self.floats.iter().any(|&x| x == written) {
            return true;
        }
        if decimals == 0 && !percent && written >= 0.0 && self.integers.contains(&(written as u64)) {
            return true;
        }
        let scale = 10f64.powi(decimals as i32);
        let round = |x: f64| (x * scale).round() / scale;
        self.floats.iter().any(|&x| {
            let x = if percent { x * 100.0 } else { x };
            // Integers are only roundings of percentages: "1" is no honest rewrite of 0.97.
            (decimals > 0 || percent) && (round(x) - written).abs() < 0.5 / scale
        })
    }
}

/// Numbers in `text`: (written form, value, decimals) with percentages flagged by a trailing
/// `%` in the written form.
fn numbers(text: &str) -> Vec<(String, f64, usize)> {
    let cleaned = go_id_re().replace_all(text, " ");
    number_re()
        .captures_iter(&cleaned)
        .filter_map(|c| {
            let raw = c.get(1)?.as_str();
            let pct = c.get(2).is_some_and(|m| !m.as_str().is_empty());
            let plain = raw.replace(',', "");
            let value: f64 = plain.parse().ok()?;
            let decimals = plain.split_once('.').map_or(0, |(_, d)| d.len());
            Some((format!("{raw}{}", if pct { "%" } else { "" }), value, decimals))
        })
        .collect()
}

/// GO term names for the guard, built once per server from the stored GO libraries.
pub struct TermNames {
    names: Vec<String>,
    matcher: AhoCorasick,
}

impl TermNames {
    /// Names of two words or more (single words such as "binding" are ordinary English).
    pub fn new(names: impl IntoIterator<Item = String>) -> Self {
        let mut names: Vec<String> = names.into_iter().map(|n| n.to_uppercase()).filter(|n| n.contains(' ')).collect();
        names.sort();
        names.dedup();
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&names)
            .expect("term names form a valid automaton");
        Self { names, matcher }
    }

    fn mentioned(&self, upper: &str) -> Vec<&str> {
        let bytes = upper.as_bytes();
        let apart = |i: Option<&u8>| i.is_none_or(|b| !b.is_ascii_alphanumeric());
        self.matcher
            .find_iter(upper)
            .filter(|m| apart(m.start().checked_sub(1).and_then(|i| bytes.get(i))) && apart(bytes.get(m.end())))
            .map(|m| self.names[m.pattern().as_usize()].as_str())
            .collect()
    }
}

/// What the guard may ask of the gene catalogue: the genes a token names (symbol or alias).
pub trait GeneNames {
    fn genes_named(&self, token: &str) -> Vec<u32>;
}

fn gene_like(token: &str) -> bool {
    let letters = token.chars().filter(|c| c.is_ascii_alphabetic()).count();
    let digits = token.chars().any(|c| c.is_ascii_digit());
    let upper = token.chars().filter(|c| c.is_ascii_alphabetic()).all(|c| c.is_ascii_uppercase());
    // Tokens opening with a digit are ordinals and quantities ("3rd", "2-fold"), not genes.
    let word = token.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    word && letters > 0 && token.len() >= 2 && (upper || digits)
}

/// Checks an LLM's `text` against the facts.
pub fn check(text: &str, facts: &Facts, genes: &dyn GeneNames, terms: Option<&TermNames>) -> GuardReport {
    let mut rejected: Vec<String> = Vec::new();
    let mut reject = |s: String| {
        if !rejected.contains(&s) {
            rejected.push(s);
        }
    };
    if text.trim().is_empty() {
        reject("(empty output)".into());
    }
    for m in go_id_re().find_iter(text) {
        if !facts.go_ids.contains(m.as_str()) {
            reject(m.as_str().to_string());
        }
    }
    for c in pmid_re().captures_iter(text) {
        let id = &c[1];
        if !id.parse::<u64>().is_ok_and(|n| facts.integers.contains(&n)) {
            reject(format!("PMID {id}"));
        }
    }
    for (written, value, decimals) in numbers(text) {
        if !facts.number_ok(value, decimals, written.ends_with('%')) {
            reject(written);
        }
    }
    for w in word_re().find_iter(text).map(|m| m.as_str()) {
        if !gene_like(w) || w.starts_with("GO") && w[2..].chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        if w.chars().all(|c| c.is_ascii_digit() || c == '-') || facts.words.contains(&w.to_uppercase()) {
            continue;
        }
        let named = genes.genes_named(w);
        let in_evidence = named.iter().any(|g| facts.genes.contains(g));
        let has_digit = w.chars().any(|c| c.is_ascii_digit());
        if (!named.is_empty() && !in_evidence) || (named.is_empty() && has_digit) {
            reject(w.to_string());
        }
    }
    if let Some(terms) = terms {
        for name in terms.mentioned(&text.to_uppercase()) {
            if !facts.text_upper.contains(name) {
                reject(format!("\"{}\"", name.to_lowercase()));
            }
        }
    }
    GuardReport { checked: true, passed: rejected.is_empty(), rejected }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// TP53 (7157) and MDM2 (4193) are in the evidence; BRCA1 (672) is a catalogue gene that
    /// is not; `p53` is TP53's alias.
    struct Catalogue;
    impl GeneNames for Catalogue {
        fn genes_named(&self, token: &str) -> Vec<u32> {
            match token.to_uppercase().as_str() {
                "TP53" | "P53" => vec![7157],
                "MDM2" => vec![4193],
                "BRCA1" => vec![672],
                _ => vec![],
            }
        }
    }

    fn evidence() -> (serde_json::Value, String) {
        let e = serde_json::json!({
            "identity": {"entrez": 7157, "symbol": "TP53", "name": "tumor protein p53"},
            "predictedFunctions": [{"set": {"term": "GO:0006915", "name": "apoptotic process"}, "probability": 0.9731, "z": 5.27, "rank": 3}],
            "partners": [{"entrez": 4193, "symbol": "MDM2", "probability": 0.912, "z": 6.2}],
            "coReported": [{"pmid": 25691462, "genes": ["MDM2"]}],
            "publicationCount": 11035
        });
        let text = "TP53 (tumor protein p53) is linked to 11,035 papers. Predicted: \"apoptotic process\" (GO:0006915) \
                    (probability 0.97, z 5.3, rank 3). Partner MDM2 (probability 0.91, z 6.2). Co-reported in PMID 25691462 (with MDM2)."
            .to_string();
        (e, text)
    }

    fn terms() -> TermNames {
        TermNames::new(["apoptotic process", "DNA repair", "autophagy", "regulation of apoptotic process"].map(String::from))
    }

    fn run(text: &str) -> GuardReport {
        let (e, t) = evidence();
        check(text, &Facts::new(&e, &[&t]), &Catalogue, Some(&terms()))
    }

    #[test]
    fn faithful_rewrites_pass() {
        let (_, template) = evidence();
        assert!(run(&template).passed, "{:?}", run(&template));
        let r = run("p53, the product of TP53, is cited in 11035 papers. The model ranks it 3rd... rank 3 for apoptotic \
                     process (GO:0006915) with probability 97% (z 5.27); its partner MDM2 is co-reported in PMID:25691462.");
        assert!(r.checked && r.passed, "{r:?}");
    }

    #[test]
    fn planted_hallucinations_are_rejected() {
        let cases = [
            ("TP53 binds BRCA1 in apoptotic process.", "BRCA1"),
            ("TP53 works with the gene ZNF999X.", "ZNF999X"),
            ("TP53 is predicted with probability 0.42.", "0.42"),
            ("TP53 is in 12000 papers.", "12000"),
            ("TP53 is co-reported in PMID 12345678.", "PMID 12345678"),
            ("TP53 is predicted for GO:0006281.", "GO:0006281"),
            ("TP53 takes part in DNA repair.", "\"dna repair\""),
            ("TP53 has probability 1.", "1"),
        ];
        for (text, bad) in cases {
            let r = run(text);
            assert!(!r.passed && r.rejected.iter().any(|x| x == bad), "{text}: expected `{bad}` rejected, got {r:?}");
        }
        assert!(!run("   ").passed, "empty output is rejected");
    }

    #[test]
    fn term_names_inside_longer_evidence_names_pass() {
        assert!(run("TP53 is predicted for apoptotic process.").passed);
        let r = run("TP53 is predicted for regulation of apoptotic process.");
        assert!(!r.passed, "{r:?}");
    }
}
