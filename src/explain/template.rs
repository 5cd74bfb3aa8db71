//! The deterministic template: the evidence as readable sentences. Always available, the
//! default answer, what an LLM rewrites, and what is returned when the guard rejects a rewrite.
//! Numbers are written at fixed precision (probability, AUROC and cosine 2 decimals, z 1,
//! weights 3), which the guard accepts as roundings of the evidence.

use std::fmt::Write as _;

use super::evidence::{CoReport, GeneEvidence, PredictionEvidence, SetRef};

fn quote_set(s: &SetRef) -> String {
    if s.library.starts_with("GO_") {
        format!("\"{}\" ({})", s.name, s.term)
    } else {
        format!("\"{}\" ({})", s.name, s.key)
    }
}

fn list(items: &[String]) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        n => format!("{} and {}", items[..n - 1].join(", "), items[n - 1]),
    }
}

fn papers(reports: &[CoReport]) -> String {
    list(&reports.iter().map(|r| format!("PMID {} (with {})", r.pmid, r.genes.join(", "))).collect::<Vec<_>>())
}

/// A count as the gene page writes it, with thousands separators ("1,046 linked papers"), so
/// the explanation beside it says the same number the same way. The guard reads both forms.
fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(d);
    }
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

/// The gene's explanation, one short paragraph per kind of evidence.
pub fn gene(e: &GeneEvidence) -> String {
    let id = &e.identity;
    let s = &id.symbol;
    let mut out = String::new();
    let mut place = Vec::new();
    if !id.gene_type.is_empty() {
        place.push(id.gene_type.clone());
    }
    match (&id.chromosome, &id.cytoband) {
        (Some(c), Some(b)) => place.push(format!("chromosome {c}, band {b}")),
        (Some(c), None) => place.push(format!("chromosome {c}")),
        _ => {}
    }
    let _ = write!(out, "{s} ({}; Entrez {}", id.name, id.entrez);
    for p in &place {
        let _ = write!(out, "; {p}");
    }
    let _ = write!(out, ") is linked to {} in the default data", plural(e.publication_count as usize, "paper", "papers"));
    match &e.target_family {
        Some(f) => {
            let _ = write!(out, " and is a {f} by its GO molecular function.");
        }
        None => out.push('.'),
    }

    let known: Vec<String> = e.known_sets.iter().map(|k| format!("{} {} sets", count(k.count), k.library)).collect();
    if known.is_empty() {
        let _ = write!(out, "\n\nIt is in no stored gene set.");
    } else {
        let _ = write!(out, "\n\nKnown: it is in {}.", list(&known));
        let examples: Vec<String> = e.known_sets.iter().flat_map(|k| k.examples.iter().map(quote_set)).collect();
        if !examples.is_empty() {
            let _ = write!(out, " Its most specific GO terms include {}.", list(&examples));
        }
    }

    match &e.model_fingerprint {
        None => {
            let _ = write!(out, "\n\nNo model is loaded, so there are no predictions.");
        }
        Some(_) => {
            if let Some(note) = &e.outside_vocabulary {
                let _ = write!(out, "\n\n{note}.");
            }
            if let (true, Some(why)) = (e.predicted_functions.is_empty(), &e.predictions_stale) {
                let _ = write!(out, "\n\nPredicted functions are not shown because {why}.");
            } else if e.predicted_functions.is_empty() {
                let _ = write!(out, "\n\nThe model predicts no GO term it is not already annotated with.");
            } else {
                let f: Vec<String> = e
                    .predicted_functions
                    .iter()
                    .map(|p| {
                        let auroc = p.set_auroc.map(|a| format!("; the term's AUROC {a:.2}")).unwrap_or_default();
                        // Rank 0: a gene outside the vocabulary is in no set's list.
                        let rank = if p.rank > 0 { format!(", rank {}", p.rank) } else { String::new() };
                        format!("{} (probability {:.2}, z {:.1}{rank}{auroc})", quote_set(&p.set), p.probability, p.z)
                    })
                    .collect();
                let _ = write!(out, "\n\nPredicted: the model places {s} in GO terms it is not annotated with: {}.", list(&f));
                if let Some(why) = &e.predictions_stale {
                    let _ = write!(out, " Other predicted functions are not shown because {why}.");
                }
            }
            if !e.partners.is_empty() {
                let p: Vec<String> = e.partners.iter().map(|p| format!("{} (probability {:.2}, z {:.1})", p.symbol, p.probability, p.z)).collect();
                let _ = write!(out, "\n\nIts top predicted partners are {}.", list(&p));
            }
            if !e.similar_genes.is_empty() {
                let p: Vec<String> = e.similar_genes.iter().map(|g| format!("{} (cosine {:.2})", g.symbol, g.cosine)).collect();
                let _ = write!(out, " The genes with the most similar embeddings are {}.", list(&p));
            }
        }
    }
    if !e.co_reported.is_empty() {
        let _ = write!(out, "\n\nCo-reported with its partners in {}.", papers(&e.co_reported));
    }
    out
}

/// Why a gene is (or is not) predicted for a set.
pub fn prediction(e: &PredictionEvidence) -> String {
    let s = &e.identity.symbol;
    let set = quote_set(&e.set);
    let mut out = String::new();
    match &e.prediction {
        Some(p) if p.known => {
            let _ = write!(out, "{s} is already in {set}; the model ranks it {} among the term's listed genes (probability {:.2}, z {:.1}).", p.rank, p.probability, p.z);
        }
        Some(p) => {
            let auroc = p.set_auroc.map(|a| format!("; the term's AUROC is {a:.2}")).unwrap_or_default();
            let _ = write!(out, "{s} is predicted for {set} with probability {:.2}, z {:.1}, rank {}{auroc}.", p.probability, p.z, p.rank);
        }
        None => {
            let _ = write!(out, "{s} is not among the genes the model lists for {set} ({} genes).", count(e.set.size));
        }
    }
    if e.drivers.is_empty() {
        let _ = write!(out, "\n\nNo member of the term gives {s} a positive gene-to-gene weight.");
    } else {
        let d: Vec<String> = e.drivers.iter().map(|d| format!("{} ({:.3})", d.symbol, d.weight)).collect();
        let _ = write!(out, "\n\nThe members that push its score most (gene-to-gene weights) are {}.", list(&d));
    }
    if !e.shared_literature.is_empty() {
        let _ = write!(out, "\n\nIt is co-reported with members in {}.", papers(&e.shared_literature));
    }
    if !e.nearest_members.is_empty() {
        let n: Vec<String> = e.nearest_members.iter().map(|g| format!("{} (cosine {:.2})", g.symbol, g.cosine)).collect();
        let _ = write!(out, "\n\nThe members nearest to it by embedding are {}.", list(&n));
    }
    out
}

/// How much of the evidence the LLM's brief carries: a 1.5B model on one CPU thread reads
/// about 30 prompt tokens a second, so every row costs the reader time, and every number is one
/// more the model may miscopy. The template and the evidence keep everything.
const BRIEF_KNOWN: usize = 3;
const BRIEF_FUNCTIONS: usize = 3;
const BRIEF_GENES: usize = 3;
const BRIEF_PAPERS: usize = 2;

fn names(items: impl IntoIterator<Item = String>, n: usize) -> String {
    items.into_iter().take(n).collect::<Vec<_>>().join(", ")
}

/// The known GO examples, taking each library's most specific term in turn (one BP, one CC,
/// one MF, then the second of each) so a short list still spans what the gene is annotated with.
fn known_examples(e: &GeneEvidence, n: usize) -> Vec<String> {
    let lists: Vec<&[SetRef]> = e.known_sets.iter().map(|k| k.examples.as_slice()).collect();
    let depth = lists.iter().map(|l| l.len()).max().unwrap_or(0);
    (0..depth).flat_map(|i| lists.iter().filter_map(move |l| l.get(i))).take(n).map(|s| s.name.clone()).collect()
}

/// The facts an LLM may rewrite about a gene: a few rows of the evidence, one per line, the
/// fewest numbers that carry the meaning (paper count, prediction probabilities, PMIDs), no
/// ids it need not copy.
pub fn gene_brief(e: &GeneEvidence) -> String {
    let id = &e.identity;
    let mut out = format!("Gene: {} ({})", id.symbol, id.name);
    if !id.gene_type.is_empty() {
        let _ = write!(out, ", {}", id.gene_type);
    }
    if let Some(c) = &id.chromosome {
        let _ = write!(out, ", chromosome {c}");
    }
    let _ = write!(out, "\nPapers: {}", count(e.publication_count as usize));
    if let Some(f) = &e.target_family {
        let _ = write!(out, "\nTarget family: {f}");
    }
    let known = known_examples(e, BRIEF_KNOWN);
    if !known.is_empty() {
        let _ = write!(out, "\nKnown GO terms: {}", known.join("; "));
    }
    if e.model_fingerprint.is_some() {
        if !e.predicted_functions.is_empty() {
            let f: Vec<String> = e.predicted_functions.iter().take(BRIEF_FUNCTIONS).map(|p| format!("{} ({:.2})", p.set.name, p.probability)).collect();
            let _ = write!(out, "\nPredicted GO terms (probability): {}", f.join("; "));
        }
        if !e.partners.is_empty() {
            let _ = write!(out, "\nPredicted partners: {}", names(e.partners.iter().map(|p| p.symbol.clone()), BRIEF_GENES));
        }
        if !e.similar_genes.is_empty() {
            let _ = write!(out, "\nMost similar genes: {}", names(e.similar_genes.iter().map(|g| g.symbol.clone()), BRIEF_GENES));
        }
    }
    if !e.co_reported.is_empty() {
        let _ = write!(out, "\nCo-reported with partners in: {}", names(e.co_reported.iter().map(|c| format!("PMID {}", c.pmid)), BRIEF_PAPERS));
    }
    out
}

/// The facts an LLM may rewrite about one prediction, in the form of [`gene_brief`].
pub fn prediction_brief(e: &PredictionEvidence) -> String {
    let s = &e.identity.symbol;
    let mut out = format!("Gene: {s} ({})\nGO term: {}", e.identity.name, e.set.name);
    match &e.prediction {
        Some(p) if p.known => out.push_str("\nStatus: already annotated with the term"),
        Some(p) => {
            let _ = write!(out, "\nStatus: predicted for the term, probability {:.2}", p.probability);
        }
        None => out.push_str("\nStatus: not predicted for the term"),
    }
    if !e.drivers.is_empty() {
        let _ = write!(out, "\nMembers that raise its score most: {}", names(e.drivers.iter().map(|d| d.symbol.clone()), BRIEF_GENES));
    }
    if !e.shared_literature.is_empty() {
        let _ = write!(out, "\nCo-reported with members in: {}", names(e.shared_literature.iter().map(|c| format!("PMID {}", c.pmid)), BRIEF_PAPERS));
    }
    if !e.nearest_members.is_empty() {
        let _ = write!(out, "\nMembers nearest by embedding: {}", names(e.nearest_members.iter().map(|g| g.symbol.clone()), BRIEF_GENES));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Golden test: the evidence of MCM2 from the fixture model (written by
    /// `UPDATE_GOLDEN=1 cargo test --test api template_explanation`) and its template, byte for
    /// byte (`UPDATE_GOLDEN=1` here rewrites the text after a deliberate template change).
    #[test]
    fn golden_template_of_the_fixture_gene() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/explain");
        let evidence: GeneEvidence = serde_json::from_str(&std::fs::read_to_string(dir.join("MCM2.evidence.json")).unwrap()).unwrap();
        let text = gene(&evidence);
        let golden = dir.join("MCM2.template.txt");
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&golden, &text).unwrap();
        }
        assert_eq!(text, std::fs::read_to_string(&golden).unwrap());
    }

    struct NoCatalogue;
    impl crate::explain::guard::GeneNames for NoCatalogue {
        fn genes_named(&self, _: &str) -> Vec<u32> {
            vec![]
        }
    }

    /// The brief the LLM gets is a short subset of the evidence: written out as if it were
    /// the LLM's answer it passes the guard, and it is well under half the template.
    #[test]
    fn brief_of_the_fixture_gene_is_short_and_within_the_evidence() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/explain");
        let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("MCM2.evidence.json")).unwrap()).unwrap();
        let e: GeneEvidence = serde_json::from_value(json.clone()).unwrap();
        let brief = gene_brief(&e);
        let template = gene(&e);
        assert!(brief.len() * 2 < template.len(), "{brief}");
        let facts = crate::explain::guard::Facts::new(&json, &[&template]);
        let report = crate::explain::guard::check(&brief, &facts, &NoCatalogue, None);
        assert!(report.passed, "{report:?}\n{brief}");
        assert!(brief.starts_with("Gene: MCM2 (minichromosome maintenance complex component 2), protein-coding, chromosome 3\nPapers: 315\n"), "{brief}");
        assert_eq!(brief.lines().find(|l| l.starts_with("Predicted partners")), Some("Predicted partners: MCM7, MCM6, TOP1"));
        // One known term of each library first.
        assert_eq!(brief.lines().find(|l| l.starts_with("Known")).unwrap().split("; ").count(), BRIEF_KNOWN);
    }

    #[test]
    fn counts_carry_thousands_separators_as_on_the_gene_page() {
        assert_eq!([0, 7, 315, 999, 1000, 1046, 11035, 1234567].map(count), ["0", "7", "315", "999", "1,000", "1,046", "11,035", "1,234,567"]);
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/explain");
        let mut e: GeneEvidence = serde_json::from_str(&std::fs::read_to_string(dir.join("MCM2.evidence.json")).unwrap()).unwrap();
        e.publication_count = 1046;
        let text = gene(&e);
        assert!(text.contains("is linked to 1,046 papers in the default data"), "{text}");
        assert!(gene_brief(&e).contains("\nPapers: 1,046\n"));
        e.publication_count = 1;
        assert!(gene(&e).contains("is linked to 1 paper in"));
    }

    #[test]
    fn template_without_a_model_says_so() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/explain");
        let mut e: GeneEvidence = serde_json::from_str(&std::fs::read_to_string(dir.join("MCM2.evidence.json")).unwrap()).unwrap();
        (e.model_fingerprint, e.predicted_functions, e.partners, e.similar_genes, e.co_reported) = (None, vec![], vec![], vec![], vec![]);
        let text = gene(&e);
        assert!(text.contains("No model is loaded") && !text.contains("Predicted:"), "{text}");
        assert!(text.starts_with("MCM2 (minichromosome maintenance complex component 2; Entrez 4171"), "{text}");
    }
}
