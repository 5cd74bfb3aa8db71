//! The rule-based question parser: terms first (longest stemmed match of a set name or
//! synonym), then genes among the remaining words (the API's resolver, with the English-word
//! guard below), then the intent from cue words and what was found.
//!
//! The English-word guard: many gene symbols and aliases are also words (SET, CAN, MAX, WAS,
//! IMPACT). A word found in [`COMMON_WORDS`] is read as a gene only when typed in capitals in a
//! question that is not all capitals, and only as a symbol. Any other lower-case word without a
//! digit counts only as an exact symbol ("myc"), never as an alias; tokens with a digit or in
//! capitals may be symbols, aliases ("p53"), Entrez, Ensembl or UniProt ids.

use serde::Serialize;

use super::lexicon::Lexicon;
use super::Intent;
use crate::domain::{LibraryName, SetId};
use crate::graphql::AppState;
use crate::store::Resolution;

/// Function words and question vocabulary; see the module docs for how they guard genes.
const COMMON_WORDS: &[&str] = &[
    "a", "about", "above", "across", "after", "again", "against", "all", "also", "am", "among", "an", "and", "any", "are",
    "as", "ask", "at", "be", "been", "being", "best", "between", "both", "but", "by", "can", "could", "did", "do", "does",
    "doing", "done", "each", "else", "even", "ever", "few", "find", "for", "from", "get", "give", "given", "go", "has",
    "have", "having", "he", "her", "here", "him", "his", "how", "i", "if", "in", "into", "is", "it", "its", "just", "know",
    "known", "least", "less", "like", "list", "little", "low", "make", "many", "may", "me", "might", "more", "most", "much",
    "must", "my", "near", "new", "no", "nor", "not", "now", "of", "off", "on", "one", "only", "or", "other", "our", "out",
    "over", "own", "per", "please", "same", "see", "set", "sets", "she", "should", "show", "so", "some", "such", "tell",
    "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "through", "to", "too",
    "top", "under", "up", "us", "use", "very", "via", "was", "we", "were", "what", "whats", "when", "where", "which",
    "while", "who", "whom", "why", "will", "with", "within", "would", "you", "your", "gene", "genes", "protein",
    "proteins", "function", "functions", "role", "roles", "do", "predicted", "prediction", "predictions", "predict",
    "partner", "partners", "similar", "related", "relation", "relationship", "link", "links", "linked", "connected",
    "connection", "term", "terms", "pathway", "pathways", "process", "processes", "drug", "drugs", "target", "targets",
    "druggable", "family", "enrich", "enrichment", "enriched", "augment", "complete", "extend", "expand", "explain",
    "evidence", "involved", "part", "member", "members", "belong", "belongs", "understudied", "studied", "poorly",
    "characterized", "characterised", "uncharacterized", "understood", "papers", "paper", "publications", "literature",
    "interact", "interacts", "interaction", "interactions", "work", "works", "together", "score", "scores", "common",
    "share", "shared", "does", "play", "plays", "associated", "association", "candidate", "candidates", "novel", "dark",
    "obscure", "first", "closest", "nearest", "neighbours", "neighbors", "embedding", "cell", "cells", "human", "type",
    "kind", "annotation", "annotations", "go", "dna", "rna", "mrna", "id", "ids", "entrez", "ensembl", "uniprot", "ncbi",
    "hello", "hi", "thanks", "weather", "today", "time", "name", "names", "mean", "means", "cancer", "disease", "add",
    "missing", "other", "others", "else", "rest", "max", "min", "impact", "clock", "can", "rest", "act", "acts", "cap",
    "met", "ran", "bad", "fat", "kit", "arc", "aim", "ace", "cat", "pan", "spin", "tank", "wasp", "coil", "dark", "key",
    "net", "bid", "hr", "pc", "via", "pi", "ms", "ii", "iii", "iv", "t", "b", "c", "e", "f", "g", "h", "k", "l", "m", "n",
    "o", "p", "r", "s", "u", "v", "w", "x", "y", "z", "gps", "per", "sex", "fact", "facts", "stop", "start", "met",
    "large", "small", "mass", "cure", "hit", "hits", "pathway", "result", "results", "data", "model", "why", "its",
];

/// Short upper-case words that are not gene symbols a question would name by mistake.
const ACRONYMS: &[&str] = &["DNA", "RNA", "MRNA", "GO", "ID", "MCP", "API", "PMID", "NCBI", "OK", "USA", "BP", "MF", "CC", "GPCR", "PPI", "OMIM", "HGNC", "CRISPR", "KO", "WT", "AI", "LLM", "FDA", "ECM"];

const NUMBER_WORDS: &[(&str, usize)] = &[
    ("one", 1), ("two", 2), ("three", 3), ("four", 4), ("five", 5), ("six", 6), ("seven", 7), ("eight", 8), ("nine", 9),
    ("ten", 10), ("twelve", 12), ("fifteen", 15), ("twenty", 20), ("thirty", 30), ("fifty", 50), ("hundred", 100),
];

const COUNT_BEFORE: &[&str] = &["top", "first", "best", "leading", "strongest", "highest"];
const COUNT_AFTER: &[&str] = &[
    "gene", "genes", "partner", "partners", "term", "terms", "set", "sets", "function", "functions", "result",
    "results", "hit", "hits", "candidate", "candidates", "most", "best", "top", "predicted", "similar", "closest",
    "nearest", "new", "more", "additional", "other", "understudied", "druggable", "pathways", "processes", "neighbours",
    "neighbors", "rows",
];

/// A gene-like word that names no gene.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnknownGene {
    pub text: String,
    /// The nearest symbols (edit distance), best first.
    pub closest: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AmbiguousMention {
    pub text: String,
    pub candidates: Vec<u32>,
}

/// What the parser read from a question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Parsed {
    pub intent: Intent,
    /// Resolved genes, in order of mention, without repeats.
    pub genes: Vec<u32>,
    pub terms: Vec<SetId>,
    pub unknown_genes: Vec<UnknownGene>,
    pub ambiguous_genes: Vec<AmbiguousMention>,
    /// "top 20", "5 genes", "ten partners".
    pub count: Option<usize>,
    /// A cue word chose `intent`. False when the rules only fell back on what the entities
    /// allow (one gene and no cue: its functions) or found nothing: there the configured LLM
    /// may pick the intent instead (see `nl::classify`).
    pub cued: bool,
}

struct Token {
    raw: String,
    lower: String,
}

fn tokenize(question: &str) -> Vec<Token> {
    question
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '/' | '(' | ')' | '[' | ']' | '{' | '}' | '"' | '+' | '&' | '|'))
        .filter_map(|t| {
            let t = t.trim_matches(|c: char| !(c.is_alphanumeric()));
            let t = t.strip_suffix("'s").or_else(|| t.strip_suffix("\u{2019}s")).unwrap_or(t);
            let t = t.trim_matches(|c: char| !(c.is_alphanumeric()));
            (!t.is_empty()).then(|| Token { raw: t.to_string(), lower: t.to_lowercase() })
        })
        .collect()
}

/// Is `word` the cue `cue` (same word, the cue's stem as a prefix, or one typo away)?
fn cue_matches(word: &str, cue: &str) -> bool {
    if word == cue {
        return true;
    }
    if cue.len() >= 4 && word.starts_with(cue) && word.len() <= cue.len() + 4 {
        return true;
    }
    let max = match cue.len() {
        0..=4 => 0,
        5..=7 => 1,
        _ => 2,
    };
    // A typo keeps the first letter ("cofunction" is not "function" misspelt).
    let close = |w: &str| w.len().abs_diff(cue.len()) <= max && strsim::osa_distance(w, cue) <= max;
    max > 0 && word.chars().next() == cue.chars().next() && (close(word) || word.strip_suffix('s').is_some_and(close))
}

struct Cues<'a> {
    words: Vec<&'a str>,
    text: String,
}

impl Cues<'_> {
    fn any(&self, cues: &[&str]) -> bool {
        cues.iter().any(|cue| {
            if cue.contains(' ') {
                self.text.contains(cue)
            } else {
                self.words.iter().any(|w| cue_matches(w, cue))
            }
        })
    }
}

const WHY: &[&str] = &["why", "evidence", "explain", "justify", "reason", "basis", "support"];
const UNDERSTUDIED: &[&str] = &[
    "understudied", "under-studied", "poorly", "uncharacterized", "uncharacterised", "unstudied", "obscure", "dark",
    "novel", "little-known", "less-studied", "lesser", "overlooked", "neglected", "few publications", "few papers",
    "little known", "not well", "least studied", "least-studied", "rarely studied", "unknown function", "understood",
];
const DRUG: &[&str] = &[
    "drug", "druggable", "druggability", "therapeutic", "inhibitor", "inhibitors", "pharos", "dgidb", "open targets",
    "opentargets", "tractable", "tractability", "target family", "drug target", "compound", "medicine", "pharmacolog",
    "targetable", "actionable",
];
const SIMILAR: &[&str] = &["similar", "resembl", "alike", "closest", "nearest", "neighbour", "neighbor", "embedding", "look like", "genes like", "analogous", "comparable"];
const PARTNERS: &[&str] = &[
    "partner", "interact", "interactor", "binds", "bind", "work with", "works with", "together with", "co-function",
    "cofunction", "functional partners", "associated with", "associates", "collaborat", "companion", "cooperat",
    "work together", "goes with", "go with", "coexpress", "co-express",
];
const ENRICH: &[&str] = &[
    "enrich", "over-represent", "overrepresent", "enriched", "in common", "have in common", "share", "shared", "pathways",
    "processes", "terms", "annotations", "functions", "what do", "what are", "represented", "ora", "theme", "themes",
    "characterize", "characterise", "biology", "do these", "are these",
];
const AUGMENT: &[&str] = &[
    "augment", "complete", "completion", "extend", "expand", "missing", "add", "more genes", "what else", "other genes",
    "additional", "further", "similar", "like these", "genes like", "belong with", "fit", "grow", "candidates", "predict more",
    "go with", "goes with", "members", "else",
];
const MEMBERS: &[&str] = &["genes", "members", "which", "list", "involved", "annotated", "participat", "predicted", "part of", "belong"];

fn is_gene_list_question(c: &Cues<'_>) -> bool {
    c.any(AUGMENT) || c.any(ENRICH)
}

/// Words of the question that look like a gene but name none: letters with digits (FOO1), or
/// capitals in a question that is not all capitals.
fn looks_like_gene(raw: &str, shouting: bool) -> bool {
    let has_digit = raw.chars().any(|c| c.is_ascii_digit());
    let has_alpha = raw.chars().any(|c| c.is_ascii_alphabetic());
    let upper = raw.chars().filter(|c| c.is_alphabetic()).all(|c| c.is_uppercase());
    if !has_alpha || raw.len() < 2 || raw.len() > 20 || ACRONYMS.contains(&raw.to_uppercase().as_str()) {
        return false;
    }
    let first_upper = raw.chars().next().is_some_and(|c| c.is_ascii_uppercase());
    (has_digit && (first_upper || raw.chars().next().is_some_and(|c| c.is_ascii_lowercase())) && !raw.contains(':'))
        || (upper && !shouting && raw.len() >= 3)
}

fn parse_count(tokens: &[Token]) -> (Option<usize>, Option<usize>) {
    let number = |t: &Token| -> Option<usize> {
        t.lower.parse::<usize>().ok().or_else(|| NUMBER_WORDS.iter().find(|(w, _)| *w == t.lower).map(|(_, n)| *n))
    };
    for (i, t) in tokens.iter().enumerate() {
        let Some(n) = number(t) else { continue };
        if n == 0 || n > 500 {
            continue;
        }
        let before = i > 0 && COUNT_BEFORE.contains(&tokens[i - 1].lower.as_str());
        let after = tokens.get(i + 1).is_some_and(|next| COUNT_AFTER.contains(&next.lower.as_str()));
        if before || after {
            return (Some(n), Some(i));
        }
    }
    (None, None)
}

/// Reads `question`; never fails (a question it cannot read becomes [`Intent::Unknown`]).
pub fn parse(lex: &Lexicon, state: &AppState, question: &str) -> Parsed {
    let tokens = tokenize(question);
    let letters: Vec<char> = question.chars().filter(|c| c.is_alphabetic()).collect();
    let shouting = letters.len() > 8 && letters.iter().all(|c| c.is_uppercase());
    let (count, count_at) = parse_count(&tokens);
    let mut used = vec![false; tokens.len()];
    if let Some(i) = count_at {
        used[i] = true;
    }

    // Terms named by id (GO:0006281, GO_BP:GO:0006281).
    let mut terms: Vec<SetId> = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        if let Some(id) = set_by_id(state, &t.raw) {
            used[i] = true;
            if !terms.contains(&id) {
                terms.push(id);
            }
        }
    }

    // Terms by name: the longest stemmed n-grams first.
    let mut words: Vec<(usize, String)> = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        if used[i] {
            continue;
        }
        for w in t.raw.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
            if Lexicon::is_term_stopword(w) {
                continue;
            }
            let mut stem = lex.stem(w);
            let alphabetic = w.chars().all(|c| c.is_alphabetic());
            let common = COMMON_WORDS.contains(&w.to_lowercase().as_str());
            if alphabetic && !common && !lex.knows_term_word(&stem) && lex.is_symbol(w).is_none() {
                if let Some(fixed) = lex.correct_term_word(w) {
                    stem = fixed.to_string();
                }
            }
            words.push((i, stem));
        }
    }
    let mut taken = vec![false; words.len()];
    for n in (1..=lex.longest_term().min(words.len())).rev() {
        for start in 0..=words.len() - n {
            if taken[start..start + n].iter().any(|t| *t) {
                continue;
            }
            let stems: Vec<String> = words[start..start + n].iter().map(|(_, s)| s.clone()).collect();
            let Some(refs) = lex.terms_for(&stems) else { continue };
            // A one-word "term" that is a gene symbol typed as one (TP53, MYC) is the gene.
            if n == 1 {
                let raw = &tokens[words[start].0].raw;
                if lex.is_symbol(raw).is_some() && raw.chars().any(|c| c.is_uppercase() || c.is_ascii_digit()) {
                    continue;
                }
            }
            taken[start..start + n].iter_mut().for_each(|t| *t = true);
            for (i, _) in &words[start..start + n] {
                used[*i] = true;
            }
            let id = refs[0].id.clone();
            if !terms.contains(&id) {
                terms.push(id);
            }
        }
    }

    // Genes among the words left.
    let mut genes = Vec::new();
    let mut unknown_genes = Vec::new();
    let mut ambiguous_genes = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        if used[i] {
            continue;
        }
        let raw = t.raw.as_str();
        let numeric = raw.bytes().all(|b| b.is_ascii_digit());
        let prev = i.checked_sub(1).map(|p| tokens[p].lower.as_str());
        if numeric {
            let cued = prev.is_some_and(|p| matches!(p, "gene" | "entrez" | "id" | "geneid" | "ncbi"));
            if !(cued || raw.len() >= 3) {
                continue;
            }
        }
        let common = COMMON_WORDS.contains(&t.lower.as_str());
        let has_digit = raw.chars().any(|c| c.is_ascii_digit());
        let all_upper = raw.chars().filter(|c| c.is_alphabetic()).all(|c| c.is_uppercase());
        let lower_word = !has_digit && raw.chars().all(|c| !c.is_uppercase());
        let resolution = if common {
            // See the module docs: a common word is a gene only as a capitalised symbol.
            match (all_upper && !shouting && raw.len() >= 2, lex.is_symbol(raw)) {
                (true, Some(e)) if !ACRONYMS.contains(&raw) => Resolution::Found(e),
                _ => continue,
            }
        } else if lower_word {
            match lex.is_symbol(raw) {
                Some(e) => Resolution::Found(e),
                None => continue,
            }
        } else {
            lex.resolve(state, raw)
        };
        match resolution {
            Resolution::Found(e) => {
                if !genes.contains(&e) {
                    genes.push(e);
                }
            }
            Resolution::Ambiguous(candidates) => ambiguous_genes.push(AmbiguousMention { text: raw.to_string(), candidates }),
            Resolution::NotFound => {
                if looks_like_gene(raw, shouting) && !numeric {
                    unknown_genes.push(UnknownGene { text: raw.to_string(), closest: lex.closest_symbols(raw, 5) });
                }
            }
        }
    }

    let lowered = question.to_lowercase();
    let cue_words: Vec<&str> = tokens.iter().map(|t| t.lower.as_str()).collect();
    let cues = Cues { words: cue_words, text: format!(" {} ", lowered.split_whitespace().collect::<Vec<_>>().join(" ")) };
    let named = genes.len() + unknown_genes.len() + ambiguous_genes.len();
    let (intent, cued) = classify(&cues, named, !terms.is_empty());
    Parsed { intent, genes, terms, unknown_genes, ambiguous_genes, count, cued }
}

/// Cues of the intents the rules also reach by default, so that a question saying what it
/// wants is never sent to the LLM.
const FUNCTIONS: &[&str] = &["do", "does", "function", "role", "what is", "tell me", "about", "known", "annotat", "involved in", "job", "purpose"];
const RELATION: &[&str] = &["related", "relation", "link", "connect", "between", "compare", "in common", "associat", "together"];

/// The intent and whether a cue chose it (see [`Parsed::cued`]).
fn classify(c: &Cues<'_>, genes: usize, has_term: bool) -> (Intent, bool) {
    if genes >= 3 || (genes == 2 && c.any(&["list", "these genes", "this list", "augment", "enrich", "complete", "gene set"])) {
        return if c.any(AUGMENT) && !c.any(&["enrich", "over-represent", "overrepresent", "in common"]) {
            (Intent::Augment, true)
        } else if is_gene_list_question(c) {
            (Intent::Enrich, true)
        } else if genes >= 3 {
            (Intent::Enrich, false)
        } else {
            (Intent::Relation, true)
        };
    }
    if genes >= 1 && has_term && (c.any(WHY) || c.any(&["predicted for", "predicted to", "predicted in", "is it", "does it"]) || c.any(MEMBERS)) {
        return (Intent::WhyPredicted, true);
    }
    if genes == 0 && has_term && c.any(UNDERSTUDIED) {
        return (Intent::UnderstudiedForTerm, true);
    }
    if genes >= 1 && c.any(DRUG) {
        return (Intent::DrugTargets, true);
    }
    if genes == 2 {
        return (Intent::Relation, c.any(RELATION));
    }
    if genes == 1 {
        if c.any(WHY) && !has_term {
            return (Intent::WhyPredicted, true);
        }
        if c.any(SIMILAR) {
            return (Intent::SimilarGenes, true);
        }
        if c.any(PARTNERS) {
            return (Intent::Partners, true);
        }
        if has_term {
            return (Intent::WhyPredicted, false);
        }
        return (Intent::GeneFunctions, c.any(FUNCTIONS));
    }
    if has_term {
        if c.any(UNDERSTUDIED) {
            return (Intent::UnderstudiedForTerm, true);
        }
        return (Intent::TermGenes, c.any(MEMBERS));
    }
    (Intent::Unknown, false)
}

/// A set named by id: `GO:0006281` (looked up in the GO libraries) or `LIBRARY:term`.
fn set_by_id(state: &AppState, raw: &str) -> Option<SetId> {
    let up = raw.to_uppercase();
    if let Some(rest) = up.strip_prefix("GO:") {
        if rest.len() == 7 && rest.bytes().all(|b| b.is_ascii_digit()) {
            for lib in ["GO_BP", "GO_MF", "GO_CC"] {
                let found = state.sets.get(lib).is_some_and(|entries| entries.iter().any(|e| &*e.term == up));
                if found {
                    return Some(SetId::new(LibraryName::parse(lib).ok()?, up));
                }
            }
        }
        return None;
    }
    let id = SetId::parse(raw).ok()?;
    let lib = state.libraries.keys().find(|l| l.eq_ignore_ascii_case(id.library()))?;
    let found = state.sets.get(lib)?.iter().any(|e| *e.term == *id.term());
    let lib = LibraryName::parse(lib).ok()?;
    found.then(|| SetId::new(lib, id.term()))
}
