//! Integrity of a store, for `genekg check`: every record decodes, set members and user-set
//! genes are known genes, the inverted `gene_sets` index is exactly what the sets imply, library
//! records count what their generation holds, nothing is left of an unreferenced generation or
//! prediction run, and the stored predictions agree with themselves (rows, counts, genes). The
//! model and index side (fingerprints) is checked by the command, which can load them.
//!
//! Findings name the tree and the key, so a damaged record can be found and the step that wrote
//! it re-run; at most [`MAX_PER_KIND`] are listed per kind of problem, with a count of the rest.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::predictions::{self, run_tree, FunctionCounts, Partner, SetPredictions, FUNCTION_COUNT_TREE, FUNCTION_TREE, PARTNER_TREE, SET_TREE};
use super::{decode, Gene, GeneSet, Library, Result, Store, UserSet};

pub const MAX_PER_KIND: usize = 20;

/// One problem: where (tree and key) and what.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub place: String,
    pub problem: String,
}

#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct StoreSummary {
    pub schema_version: u32,
    pub genes: usize,
    pub libraries: usize,
    pub sets: usize,
    pub members: u64,
    pub user_sets: usize,
    pub prediction_sets: usize,
    pub prediction_run: Option<u64>,
}

/// Findings of one kind beyond [`MAX_PER_KIND`] are counted, not listed.
#[derive(Default)]
pub struct Findings {
    listed: Vec<Finding>,
    per_kind: HashMap<&'static str, usize>,
}

impl Findings {
    pub fn add(&mut self, kind: &'static str, place: impl Into<String>, problem: impl Into<String>) {
        let n = self.per_kind.entry(kind).or_default();
        *n += 1;
        if *n <= MAX_PER_KIND {
            self.listed.push(Finding { place: place.into(), problem: problem.into() });
        }
    }

    pub fn is_empty(&self) -> bool {
        self.listed.is_empty()
    }

    /// Every listed finding, then one line per kind with more than were listed.
    pub fn into_lines(self) -> Vec<Finding> {
        let mut out = self.listed;
        let mut more: Vec<(&str, usize)> = self.per_kind.into_iter().filter(|(_, n)| *n > MAX_PER_KIND).collect();
        more.sort();
        for (kind, n) in more {
            out.push(Finding { place: kind.to_string(), problem: format!("{} more problems of this kind", n - MAX_PER_KIND) });
        }
        out
    }
}

fn key_text(key: &[u8]) -> String {
    match std::str::from_utf8(key) {
        Ok(s) if s.chars().all(|c| !c.is_control()) => s.to_string(),
        _ => hex::encode(key),
    }
}

impl Store {
    /// Checks the store's own consistency (see the module docs), adding to `found`.
    pub fn check(&self, found: &mut Findings) -> Result<StoreSummary> {
        let mut summary = StoreSummary { schema_version: self.schema_version()?, ..Default::default() };
        let latest = super::migrations::latest();
        if summary.schema_version != latest {
            found.add("schema", "meta/schema_version", format!("schema version {} but this genekg writes {latest}", summary.schema_version));
        }
        for m in super::migrations::MIGRATIONS.iter().filter(|m| m.version <= summary.schema_version) {
            let key = format!("migration:{:04}", m.version);
            if self.meta.get(&key)?.is_none() {
                found.add("schema", format!("meta/{key}"), format!("migration {} ({}) is not recorded as applied", m.version, m.name));
            }
        }

        let known = self.check_genes(found)?;
        summary.genes = known.len();
        self.check_libraries(&known, found, &mut summary)?;
        for kv in self.user_sets.iter() {
            let (k, v) = kv?;
            let place = format!("user_sets/{}", key_text(&k));
            summary.user_sets += 1;
            match decode::<UserSet>("user_sets", &v) {
                Err(e) => found.add("user_sets", place, format!("does not decode: {e}")),
                Ok(u) => {
                    if k.as_ref() != u.id.to_be_bytes() {
                        found.add("user_sets", place.clone(), format!("holds user set {} under another key", u.id));
                    }
                    if let Some(g) = u.genes.iter().find(|g| !known.contains(g)) {
                        found.add("user_sets", place, format!("gene {g} is not a known gene"));
                    }
                }
            }
        }
        self.check_predictions(&known, found, &mut summary)?;
        Ok(summary)
    }

    fn check_genes(&self, found: &mut Findings) -> Result<HashSet<u32>> {
        let mut known = HashSet::new();
        let mut lookups = Vec::new();
        for kv in self.genes.iter() {
            let (k, v) = kv?;
            let place = format!("genes/{}", key_text(&k));
            match k.first() {
                Some(b'g') if k.len() == 5 => match decode::<Gene>("genes", &v) {
                    Ok(g) if g.entrez.to_be_bytes() == k[1..5] => {
                        known.insert(g.entrez);
                    }
                    Ok(g) => found.add("genes", format!("genes/g{}", u32::from_be_bytes(k[1..5].try_into().unwrap())), format!("holds gene {} under another id", g.entrez)),
                    Err(e) => found.add("genes", place, format!("does not decode: {e}")),
                },
                Some(b'k') => lookups.push((place, v)),
                Some(b'p') if k.len() == 1 => {}
                _ => found.add("genes", place, "unknown key"),
            }
        }
        for (place, v) in lookups {
            match decode::<Vec<u32>>("genes", &v) {
                Err(e) => found.add("gene lookup keys", place, format!("does not decode: {e}")),
                Ok(ids) => {
                    if let Some(id) = ids.iter().find(|id| !known.contains(id)) {
                        found.add("gene lookup keys", place, format!("points to gene {id}, which is not in the catalogue"));
                    }
                }
            }
        }
        Ok(known)
    }

    fn check_libraries(&self, known: &HashSet<u32>, found: &mut Findings, summary: &mut StoreSummary) -> Result<()> {
        let mut live: HashMap<u64, String> = HashMap::new();
        // What `gene_sets` must hold: (gene, generation) -> terms.
        let mut expected: BTreeMap<(u32, u64), Vec<String>> = BTreeMap::new();
        for kv in self.libraries.iter() {
            let (k, v) = kv?;
            let name = key_text(&k);
            let lib: Library = match decode("libraries", &v) {
                Ok(l) => l,
                Err(e) => {
                    found.add("libraries", format!("libraries/{name}"), format!("does not decode: {e}"));
                    continue;
                }
            };
            summary.libraries += 1;
            if let Some(other) = live.insert(lib.generation, name.clone()) {
                found.add("libraries", format!("libraries/{name}"), format!("shares generation {} with library {other}", lib.generation));
            }
            let (mut sets, mut members, mut genes) = (0u64, 0u64, HashSet::new());
            for kv in self.sets.scan_prefix(lib.generation.to_be_bytes()) {
                let (k, v) = kv?;
                let term = key_text(&k[8..]);
                let place = format!("sets/{name}:{term} (generation {})", lib.generation);
                let set: GeneSet = match decode("sets", &v) {
                    Ok(s) => s,
                    Err(e) => {
                        found.add("sets", place, format!("does not decode: {e}"));
                        continue;
                    }
                };
                sets += 1;
                members += set.genes.len() as u64;
                if set.term.as_bytes() != &k[8..] {
                    found.add("sets", place.clone(), format!("holds term `{}` under another key", set.term));
                }
                if set.genes.windows(2).any(|w| w[0] >= w[1]) {
                    found.add("sets", place.clone(), "members are not sorted and distinct");
                }
                for &g in &set.genes {
                    genes.insert(g);
                    if !known.contains(&g) {
                        found.add("set members", place.clone(), format!("member {g} is not a known gene"));
                    }
                    expected.entry((g, lib.generation)).or_default().push(set.term.clone());
                }
            }
            if (sets, members, genes.len() as u64) != (lib.sets, lib.members, lib.genes) {
                found.add(
                    "libraries",
                    format!("libraries/{name}"),
                    format!(
                        "records {} sets, {} memberships, {} genes but generation {} holds {sets}, {members}, {}",
                        lib.sets,
                        lib.members,
                        lib.genes,
                        lib.generation,
                        genes.len()
                    ),
                );
            }
            summary.sets += sets as usize;
            summary.members += members;
        }
        for k in self.sets.iter().keys() {
            let k = k?;
            let generation = <[u8; 8]>::try_from(&k[..8.min(k.len())]).map(u64::from_be_bytes).ok();
            if !generation.is_some_and(|g| live.contains_key(&g)) {
                found.add("orphan sets", format!("sets/{}", hex::encode(&k)), "belongs to no library (left by an interrupted ingest)");
            }
        }
        // The inverted index against what the sets imply, both ways.
        for kv in self.gene_sets.iter() {
            let (k, v) = kv?;
            if k.len() != 12 {
                found.add("gene_sets", format!("gene_sets/{}", hex::encode(&k)), "key is not gene + generation");
                continue;
            }
            let gene = u32::from_be_bytes(k[..4].try_into().unwrap());
            let generation = u64::from_be_bytes(k[4..].try_into().unwrap());
            let Some(lib) = live.get(&generation) else {
                found.add("gene_sets", format!("gene_sets/{gene}+{generation}"), "belongs to no library (left by an interrupted ingest)");
                continue;
            };
            let place = format!("gene_sets/{gene} in {lib}");
            let mut terms: Vec<String> = match decode("gene_sets", &v) {
                Ok(t) => t,
                Err(e) => {
                    found.add("gene_sets", place, format!("does not decode: {e}"));
                    continue;
                }
            };
            let mut want = expected.remove(&(gene, generation)).unwrap_or_default();
            terms.sort();
            want.sort();
            if terms != want {
                let extra: Vec<&String> = terms.iter().filter(|t| want.binary_search(t).is_err()).take(3).collect();
                let missing: Vec<&String> = want.iter().filter(|t| terms.binary_search(t).is_err()).take(3).collect();
                found.add("gene_sets", place, format!("does not match the sets: lists {extra:?} that do not contain the gene, lacks {missing:?}"));
            }
        }
        for ((gene, generation), terms) in expected {
            let lib = live.get(&generation).cloned().unwrap_or_default();
            found.add("gene_sets", format!("gene_sets/{gene} in {lib}"), format!("missing: the gene is in {} sets of the library (e.g. {})", terms.len(), terms[0]));
        }
        Ok(())
    }

    fn check_predictions(&self, known: &HashSet<u32>, found: &mut Findings, summary: &mut StoreSummary) -> Result<()> {
        let run = predictions::current_run(self)?;
        summary.prediction_run = run;
        let report = self.meta_json(predictions::META_KEY)?.filter(|r| !r.is_null());
        let tree_names: HashSet<String> = self.trees()?.into_iter().map(|(n, _)| n).collect();
        for base in predictions::TREES {
            for name in tree_names.iter().filter(|n| n.split('@').next() == Some(base)) {
                if *name != run_tree(base, run) {
                    found.add("prediction runs", name.clone(), "prediction tree of no current run (left by an interrupted `model predict`)");
                }
            }
        }
        let Some(report) = report else {
            if run.is_some() {
                found.add("predictions", format!("meta/{}", predictions::RUN_KEY), "a prediction run is current but its report is missing");
            }
            return Ok(());
        };
        let current_data = serde_json::to_value(self.data_versions()?).unwrap_or_default();
        let same_data = report.get("data") == Some(&current_data);
        let sets_tree = self.tree(&run_tree(SET_TREE, run))?;
        for kv in sets_tree.iter() {
            let (k, v) = kv?;
            let id = key_text(&k);
            let place = format!("{}/{id}", run_tree(SET_TREE, run));
            summary.prediction_sets += 1;
            match decode::<SetPredictions>(SET_TREE, &v) {
                Err(e) => found.add("set predictions", place, format!("does not decode: {e}")),
                Ok(p) => {
                    if let Some(g) = p.genes.iter().find(|g| !known.contains(&g.entrez.0)) {
                        found.add("set predictions", place.clone(), format!("lists gene {}, which is not a known gene", g.entrez));
                    }
                    // After a re-ingest a set may be gone; that is staleness, which the command reports.
                    if same_data {
                        let exists = crate::domain::SetId::parse(&id).ok().map(|s| self.gene_set(&s)).transpose()?.flatten().is_some();
                        if !exists {
                            found.add("set predictions", place, "predicts a set the store does not have");
                        }
                    }
                }
            }
        }
        if report.get("sets").and_then(|s| s.as_u64()) != Some(summary.prediction_sets as u64) {
            found.add("predictions", format!("meta/{}", predictions::META_KEY), format!("reports {} sets but the run holds {}", report["sets"], summary.prediction_sets));
        }
        // Rows per (gene, library) against their counts.
        let mut rows: BTreeMap<Vec<u8>, u32> = BTreeMap::new();
        for kv in self.tree(&run_tree(FUNCTION_TREE, run))?.iter() {
            let (k, v) = kv?;
            let place = format!("{}/{}", run_tree(FUNCTION_TREE, run), key_text(&k));
            // Entrez + library + 0 + chunk number.
            if k.len() < 9 || k[k.len() - 5] != 0 {
                found.add("predicted functions", place, "malformed key");
                continue;
            }
            let entrez = u32::from_be_bytes(k[..4].try_into().unwrap());
            if !known.contains(&entrez) {
                found.add("predicted functions", place.clone(), format!("gene {entrez} is not a known gene"));
            }
            match decode::<Vec<predictions::FunctionRow>>(FUNCTION_TREE, &v) {
                Err(e) => found.add("predicted functions", place, format!("does not decode: {e}")),
                Ok(chunk) => *rows.entry(k[..k.len() - 5].to_vec()).or_default() += chunk.len() as u32,
            }
        }
        for kv in self.tree(&run_tree(FUNCTION_COUNT_TREE, run))?.iter() {
            let (k, v) = kv?;
            let place = format!("{}/{}", run_tree(FUNCTION_COUNT_TREE, run), key_text(&k));
            match decode::<FunctionCounts>(FUNCTION_COUNT_TREE, &v) {
                Err(e) => found.add("predicted functions", place, format!("does not decode: {e}")),
                Ok(c) => {
                    let n = rows.remove(k.as_ref()).unwrap_or(0);
                    if c.all != n {
                        found.add("predicted functions", place, format!("counts {} rows but {n} are stored", c.all));
                    }
                }
            }
        }
        for k in rows.keys() {
            found.add("predicted functions", format!("{}/{}", run_tree(FUNCTION_TREE, run), key_text(k)), "rows without a count");
        }
        for kv in self.tree(&run_tree(PARTNER_TREE, run))?.iter() {
            let (k, v) = kv?;
            let place = format!("{}/{}", run_tree(PARTNER_TREE, run), hex::encode(&k));
            match decode::<Vec<Partner>>(PARTNER_TREE, &v) {
                Err(e) => found.add("partners", place, format!("does not decode: {e}")),
                Ok(list) => {
                    if let Some(p) = list.iter().find(|p| !known.contains(&p.entrez.0)) {
                        found.add("partners", place, format!("partner {} is not a known gene", p.entrez));
                    }
                }
            }
        }
        Ok(())
    }
}
