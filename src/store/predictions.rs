//! Stored model predictions, laid out for the reads the API makes (the trees are in the table
//! of the store's module docs). `crate::model::predictions` computes them; this module is the
//! only one that knows their keys.
//!
//! A gene page asks for "this gene's top 10 predicted sets of GO_BP": a gene's rows of one
//! library are stored in order of descending z, [`CHUNK_ROWS`] to a key (gene, library, chunk
//! number), so that such a page reads one or two keys rather than decoding every prediction of
//! the gene. One key per row would be the most direct, but sled keeps per-key overhead: for the
//! default data's ~10 million rows the store grew fivefold and took minutes to open. Counts per
//! (gene, library) answer `totalCount` without walking the rows. A set's predicted members and a gene's partners are
//! always read whole, so each is one value.
//!
//! Runs: each `genekg model predict` writes its four trees under fresh names (`NAME@RUN`, RUN
//! from [`Store::generate_id`]) while the previous run's stay readable, then makes them current
//! by writing its report and [`RUN_KEY`] in one `meta` batch. A run killed midway leaves trees
//! nothing points to, which [`Store::open`] drops; the previous predictions stay intact until a
//! run completes. A store whose `meta` has no [`RUN_KEY`] (written before runs existed) reads
//! the trees under their plain names.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{decode, encode, Result, Store};
use crate::domain::Entrez;

/// `LIBRARY:term` → [`SetPredictions`].
pub const SET_TREE: &str = "model_set_predictions";
/// Entrez (u32 BE) + library + 0 + chunk number (u32 BE) → up to [`CHUNK_ROWS`] predicted
/// functions, by descending z then set number.
pub const FUNCTION_TREE: &str = "model_gene_functions";
/// Entrez (u32 BE) + library → [`FunctionCounts`].
pub const FUNCTION_COUNT_TREE: &str = "model_gene_function_counts";
/// Entrez (u32 BE) → `Vec<`[`Partner`]`>`, best first.
pub const PARTNER_TREE: &str = "model_partners";
/// `meta` key of the last complete prediction run's report (JSON).
pub const META_KEY: &str = "model_predictions";
/// `meta` key of the current run's number (u64 BE), written in the same batch as the report.
pub const RUN_KEY: &str = "model_predictions_run";
/// The trees of one run.
pub const TREES: [&str; 4] = [SET_TREE, FUNCTION_TREE, FUNCTION_COUNT_TREE, PARTNER_TREE];

/// The name of `tree` in run `run` (`None`: a store from before runs).
pub fn run_tree(tree: &str, run: Option<u64>) -> String {
    match run {
        Some(r) => format!("{tree}@{r}"),
        None => tree.to_string(),
    }
}

/// The current prediction run, if the store records one.
pub fn current_run(store: &Store) -> Result<Option<u64>> {
    match store.meta.get(RUN_KEY)? {
        None => Ok(None),
        Some(v) => <[u8; 8]>::try_from(v.as_ref())
            .map(|b| Some(u64::from_be_bytes(b)))
            .map_err(|_| super::StoreError::Corrupt { tree: "meta", reason: format!("{RUN_KEY} is not a u64") }),
    }
}

/// Drops prediction trees of runs other than the current one: what a killed run left, or a
/// superseded run whose removal was cut short.
pub(crate) fn sweep_orphan_runs(store: &Store) -> Result<usize> {
    let run = current_run(store)?;
    let mut dropped = 0;
    for (name, _) in store.trees()? {
        let Some((base, _)) = name.split_once('@') else {
            // Plain names are the current trees of a store from before runs.
            if run.is_some() && TREES.contains(&name.as_str()) {
                store.drop_tree(&name)?;
                dropped += 1;
            }
            continue;
        };
        if TREES.contains(&base) && Some(name.as_str()) != run.map(|r| run_tree(base, Some(r))).as_deref() {
            tracing::info!(tree = name, "removing prediction trees left by an interrupted or superseded run");
            store.drop_tree(&name)?;
            dropped += 1;
        }
    }
    Ok(dropped)
}
/// Rows per key of [`FUNCTION_TREE`]: a page of 10 to 50 rows reads one or two keys.
pub const CHUNK_ROWS: usize = 64;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetPrediction {
    pub entrez: Entrez,
    pub probability: f32,
    pub z: f32,
    /// 1-based rank among the set's listed genes.
    pub rank: u32,
    /// Already a member of the set.
    pub known: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetPredictions {
    pub auroc: Option<f32>,
    pub genes: Vec<SetPrediction>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Partner {
    pub entrez: Entrez,
    pub probability: f32,
    pub z: f32,
}

/// A set the model predicts a gene belongs to: one row of [`FUNCTION_TREE`], holding what a
/// page shows so that no other record is read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionRow {
    /// Not stored with the row (its key holds it): filled in when rows are read. Runs gather
    /// rows as [`GatheredRow`]s, which have neither library nor term.
    #[serde(skip)]
    pub library: String,
    /// The set's number in its prediction run: orders rows of equal z.
    pub set: u32,
    pub term: String,
    pub probability: f32,
    pub z: f32,
    pub rank: u32,
    pub known: bool,
    pub set_auroc: Option<f32>,
    /// The set is named only by its id (see [`crate::domain::is_untitled_set`]).
    pub untitled: bool,
}

impl FunctionRow {
    /// `LIBRARY:term`. Rows are written under library names that parsed
    /// ([`crate::domain::LibraryName`]), so the library holds no `:`.
    pub fn set_id(&self) -> crate::domain::SetId {
        crate::domain::SetId::join(&self.library, &self.term)
    }
}

/// Rows of one (gene, library), by the filters a page may combine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct FunctionCounts {
    pub all: u32,
    pub titled: u32,
    pub new: u32,
    pub new_titled: u32,
}

impl FunctionCounts {
    pub(crate) fn add(&mut self, known: bool, untitled: bool) {
        self.all += 1;
        self.titled += !untitled as u32;
        self.new += !known as u32;
        self.new_titled += (!known && !untitled) as u32;
    }

    fn matching(&self, f: &FunctionFilter) -> u32 {
        match (f.new_only, f.include_untitled) {
            (false, true) => self.all,
            (false, false) => self.titled,
            (true, true) => self.new,
            (true, false) => self.new_titled,
        }
    }
}

/// Which of a gene's predicted functions to list.
#[derive(Debug, Clone, Copy)]
pub struct FunctionFilter {
    pub min_z: f32,
    pub new_only: bool,
    pub include_untitled: bool,
}

impl FunctionFilter {
    pub const ALL: Self = Self { min_z: f32::NEG_INFINITY, new_only: false, include_untitled: true };

    fn keeps(&self, r: &FunctionRow) -> bool {
        r.z >= self.min_z && (!self.new_only || !r.known) && (self.include_untitled || !r.untitled)
    }
}

/// z as 4 bytes that sort in descending `f32::total_cmp` order.
pub(crate) fn z_key(z: f32) -> [u8; 4] {
    let bits = z.to_bits();
    let ascending = if bits >> 31 == 1 { !bits } else { bits | 0x8000_0000 };
    (!ascending).to_be_bytes()
}

pub(crate) fn library_prefix(entrez: u32, library: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(5 + library.len());
    k.extend_from_slice(&entrez.to_be_bytes());
    k.extend_from_slice(library.as_bytes());
    k
}

/// Rows of one library sort after the library name and a 0 byte, so `GO_BP` never takes in `GO_BP2`.
fn rows_prefix(entrez: u32, library: &str) -> Vec<u8> {
    let mut k = library_prefix(entrez, library);
    k.push(0);
    k
}

/// Where a row sorts among a gene's rows of every library: descending z, then set number.
fn position(z: f32, set: u32) -> [u8; 8] {
    let mut p = [0u8; 8];
    p[..4].copy_from_slice(&z_key(z));
    p[4..].copy_from_slice(&set.to_be_bytes());
    p
}

impl FunctionRow {
    fn position(&self) -> [u8; 8] {
        position(self.z, self.set)
    }
}

/// A [`FunctionRow`] as a run gathers it, without its library and term: the (gene, library)
/// it is gathered under gives the one, its set number the other. Why: a run gathers ~10
/// million rows before writing them, and a `String` per row for the term (plus one per row for
/// the library of the key it was looked up by) were that many allocations, held until the end
/// and faulted in as fresh pages.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GatheredRow {
    /// The set's number in this run ([`PredictedSet::number`]).
    pub set: u32,
    pub probability: f32,
    pub z: f32,
    pub rank: u32,
    pub known: bool,
    pub set_auroc: Option<f32>,
    pub untitled: bool,
}

/// A [`FunctionRow`] as stored, borrowing its term: the same fields in the same order, so
/// the same bytes (`stored_rows_are_function_rows_bytes` holds it to them).
#[derive(Serialize)]
struct StoredRow<'a> {
    set: u32,
    term: &'a str,
    probability: f32,
    z: f32,
    rank: u32,
    known: bool,
    set_auroc: Option<f32>,
    untitled: bool,
}

impl GatheredRow {
    fn stored<'a>(&self, term: &'a str) -> StoredRow<'a> {
        let GatheredRow { set, probability, z, rank, known, set_auroc, untitled } = *self;
        StoredRow { set, term, probability, z, rank, known, set_auroc, untitled }
    }
}

/// Adds one (gene, library)'s counts to `batch`; returns the bytes.
pub(crate) fn count_rows(batch: &mut sled::Batch, entrez: u32, library: &str, rows: &[GatheredRow]) -> u64 {
    let mut c = FunctionCounts::default();
    for r in rows {
        c.add(r.known, r.untitled);
    }
    let (key, value) = (library_prefix(entrez, library), encode(&c));
    let bytes = (key.len() + value.len()) as u64;
    batch.insert(key, value);
    bytes
}

/// Sorts one (gene, library)'s rows and adds their keys and values to `batch`; returns the
/// bytes. `term_of` gives a set's term by its number.
pub(crate) fn write_rows<'a>(batch: &mut sled::Batch, entrez: u32, library: &str, mut rows: Vec<GatheredRow>, term_of: impl Fn(u32) -> &'a str) -> u64 {
    rows.sort_by_key(|r| position(r.z, r.set));
    let mut bytes = 0;
    for (i, chunk) in rows.chunks(CHUNK_ROWS).enumerate() {
        let mut key = rows_prefix(entrez, library);
        key.extend_from_slice(&(i as u32).to_be_bytes());
        let stored: Vec<StoredRow<'_>> = chunk.iter().map(|r| r.stored(term_of(r.set))).collect();
        let value = encode(&stored);
        bytes += (key.len() + value.len()) as u64;
        batch.insert(key, value);
    }
    bytes
}

/// Rows of one (gene, library) in order, each with its position (z, then set number).
struct LibraryRows {
    library: String,
    chunks: sled::Iter,
    /// The current chunk, reversed so that the next row pops off the end.
    pending: Vec<FunctionRow>,
}

impl LibraryRows {
    fn next_row(&mut self) -> Result<Option<([u8; 8], FunctionRow)>> {
        if self.pending.is_empty() {
            let Some(v) = self.chunks.next() else { return Ok(None) };
            let (_, v) = v?;
            self.pending = decode(FUNCTION_TREE, &v)?;
            self.pending.reverse();
        }
        let Some(row) = self.pending.pop() else { return Ok(None) };
        Ok(Some((row.position(), FunctionRow { library: self.library.clone(), ..row })))
    }
}

impl Store {
    /// `name` of the current run.
    pub(crate) fn prediction_tree(&self, name: &str) -> Result<sled::Tree> {
        self.tree(&run_tree(name, current_run(self)?))
    }

    /// Libraries with predicted functions for the gene, by name.
    pub fn function_libraries(&self, entrez: Entrez) -> Result<Vec<String>> {
        self.prediction_tree(FUNCTION_COUNT_TREE)?
            .scan_prefix(entrez.0.to_be_bytes())
            .keys()
            .map(|k| {
                let k = k?;
                String::from_utf8(k[4..].to_vec())
                    .map_err(|e| super::StoreError::Corrupt { tree: FUNCTION_COUNT_TREE, reason: e.to_string() })
            })
            .collect()
    }

    pub fn function_counts(&self, entrez: Entrez, library: &str) -> Result<FunctionCounts> {
        match self.prediction_tree(FUNCTION_COUNT_TREE)?.get(library_prefix(entrez.0, library))? {
            None => Ok(FunctionCounts::default()),
            Some(v) => decode(FUNCTION_COUNT_TREE, &v),
        }
    }

    fn library_rows(&self, tree: &sled::Tree, entrez: Entrez, library: &str) -> LibraryRows {
        LibraryRows { library: library.to_string(), chunks: tree.scan_prefix(rows_prefix(entrez.0, library)), pending: Vec::new() }
    }

    /// The rows `offset..offset + limit` (all from `offset` when `limit` is `None`) of a gene's
    /// predicted functions in `libraries` (every library when `None`) that pass `filter`, by
    /// descending z (ties by set number), and how many rows pass in all. Reads only the rows up
    /// to the page's end (and, with a `min_z`, the rows above it to count them).
    pub fn functions_page(
        &self,
        entrez: Entrez,
        libraries: Option<&[String]>,
        filter: &FunctionFilter,
        offset: usize,
        limit: Option<usize>,
    ) -> Result<(usize, Vec<FunctionRow>)> {
        let libraries = match libraries {
            Some(l) => l.to_vec(),
            None => self.function_libraries(entrez)?,
        };
        let tree = self.prediction_tree(FUNCTION_TREE)?;
        let mut total = 0usize;
        for lib in &libraries {
            total += if filter.min_z == f32::NEG_INFINITY {
                self.function_counts(entrez, lib)?.matching(filter) as usize
            } else {
                // Rows are in descending z: those at or above min_z are a prefix of the range.
                let mut rows = self.library_rows(&tree, entrez, lib);
                let mut n = 0;
                while let Some((_, r)) = rows.next_row()? {
                    if r.z < filter.min_z {
                        break;
                    }
                    n += filter.keeps(&r) as usize;
                }
                n
            };
        }
        let end = limit.map_or(usize::MAX, |l| offset.saturating_add(l));
        let mut heads = Vec::with_capacity(libraries.len());
        for lib in &libraries {
            let mut rows = self.library_rows(&tree, entrez, lib);
            if let Some(head) = rows.next_row()? {
                heads.push((head, rows));
            }
        }
        let mut out = Vec::new();
        let mut seen = 0usize;
        while seen < end {
            // The next row overall is the least position among the libraries' next rows.
            let Some(i) = (0..heads.len()).min_by_key(|&i| heads[i].0 .0) else { break };
            if heads[i].0 .1.z < filter.min_z {
                // This library's remaining rows are lower still.
                heads.swap_remove(i);
                continue;
            }
            let row = match heads[i].1.next_row()? {
                Some(next) => std::mem::replace(&mut heads[i].0, next).1,
                None => heads.swap_remove(i).0 .1,
            };
            if filter.keeps(&row) {
                if seen >= offset {
                    out.push(row);
                }
                seen += 1;
            }
        }
        Ok((total, out))
    }

    /// The listed genes of a set and its AUROC; `None` if it was not predicted.
    pub fn set_predictions(&self, id: &crate::domain::SetId) -> Result<Option<SetPredictions>> {
        self.prediction_tree(SET_TREE)?.get(id.to_string().as_bytes())?.map(|v| decode(SET_TREE, &v)).transpose()
    }

    /// A gene's predicted partners, best first.
    pub fn partners(&self, entrez: Entrez) -> Result<Vec<Partner>> {
        match self.prediction_tree(PARTNER_TREE)?.get(entrez.0.to_be_bytes())? {
            None => Ok(vec![]),
            Some(v) => decode(PARTNER_TREE, &v),
        }
    }

    /// Starts a prediction run in fresh trees (see the module docs); readers keep the current
    /// run's until [`PredictionWriter::finish`].
    pub fn prediction_writer(&self) -> Result<PredictionWriter> {
        let run = self.generate_id()?;
        let tree = |name: &str| self.tree(&run_tree(name, Some(run)));
        let writer = PredictionWriter {
            sets: tree(SET_TREE)?,
            functions: tree(FUNCTION_TREE)?,
            counts_tree: tree(FUNCTION_COUNT_TREE)?,
            partners: tree(PARTNER_TREE)?,
            store: self.clone(),
            run,
            rows: HashMap::new(),
            libraries: Vec::new(),
            terms: Vec::new(),
            bytes: 0,
        };
        for t in [&writer.sets, &writer.functions, &writer.counts_tree, &writer.partners] {
            t.clear()?;
        }
        Ok(writer)
    }
}

/// One set's predictions as [`PredictionWriter::add_sets`] takes them.
pub struct PredictedSet<'a> {
    /// The set's number in this run (orders sets of equal z, as the run met them).
    pub number: u32,
    pub library: &'a str,
    pub term: &'a str,
    pub untitled: bool,
    pub predictions: SetPredictions,
}

/// Function rows of a run, gathered per (gene, library) and not yet written
/// ([`PredictionWriter::take_functions`]).
pub struct GatheredFunctions {
    rows: HashMap<(u32, LibraryNo), Vec<GatheredRow>>,
    libraries: Vec<String>,
    terms: Vec<String>,
    functions: sled::Tree,
    counts: sled::Tree,
}

impl GatheredFunctions {
    /// Writes the rows and their counts, by gene then library name; returns the bytes (keys
    /// plus values).
    pub fn write(self) -> Result<u64> {
        let Self { rows: gathered, libraries, terms, functions, counts: counts_tree } = self;
        let mut gathered: Vec<_> = gathered.into_iter().collect();
        gathered.sort_unstable_by(|((g, a), _), ((h, b), _)| g.cmp(h).then_with(|| libraries[*a as usize].cmp(&libraries[*b as usize])));
        let (mut bytes, mut rows, mut counts) = (0, sled::Batch::default(), sled::Batch::default());
        for (n, ((entrez, library), list)) in gathered.into_iter().enumerate() {
            let library = &libraries[library as usize];
            bytes += count_rows(&mut counts, entrez, library, &list);
            bytes += write_rows(&mut rows, entrez, library, list, |n| terms.get(n as usize).expect("a function row names a set of its run"));
            if n % 4096 == 4095 {
                functions.apply_batch(std::mem::take(&mut rows))?;
            }
        }
        functions.apply_batch(rows)?;
        counts_tree.apply_batch(counts)?;
        Ok(bytes)
    }
}

/// Writes a prediction run (see [`Store::prediction_writer`]).
pub struct PredictionWriter {
    store: Store,
    sets: sled::Tree,
    functions: sled::Tree,
    counts_tree: sled::Tree,
    partners: sled::Tree,
    run: u64,
    /// A gene's rows come from every set: they are gathered here, by gene and library, and
    /// written at the end.
    rows: HashMap<(u32, LibraryNo), Vec<GatheredRow>>,
    /// Library names met so far; a [`LibraryNo`] indexes them.
    libraries: Vec<String>,
    /// Each set's term, by its number in the run.
    terms: Vec<String>,
    bytes: u64,
}

/// A library's place in [`PredictionWriter`]'s list of names.
type LibraryNo = u16;

impl PredictionWriter {
    /// Writes sets and gathers, for each listed gene, its row in the gene's functions.
    pub fn add_sets(&mut self, sets: &[PredictedSet<'_>]) -> Result<()> {
        let mut set_batch = sled::Batch::default();
        for s in sets {
            let value = encode(&s.predictions);
            self.bytes += (s.library.len() + 1 + s.term.len() + value.len()) as u64;
            set_batch.insert(format!("{}:{}", s.library, s.term).as_bytes(), value);
            let number = s.number as usize;
            if self.terms.len() <= number {
                self.terms.resize(number + 1, String::new());
            }
            self.terms[number] = s.term.to_string();
            let library = self.library_no(s.library);
            for g in &s.predictions.genes {
                self.rows.entry((g.entrez.0, library)).or_default().push(GatheredRow {
                    set: s.number,
                    probability: g.probability,
                    z: g.z,
                    rank: g.rank,
                    known: g.known,
                    set_auroc: s.predictions.auroc,
                    untitled: s.untitled,
                });
            }
        }
        self.sets.apply_batch(set_batch)?;
        Ok(())
    }

    fn library_no(&mut self, library: &str) -> LibraryNo {
        let at = self.libraries.iter().position(|l| l == library).unwrap_or_else(|| {
            self.libraries.push(library.to_string());
            self.libraries.len() - 1
        });
        LibraryNo::try_from(at).expect("fewer than 65,536 libraries")
    }

    /// Adds one row to a gene's functions (a gene the model has no column for, whose rows no
    /// set's list gives). `row.set` must be a set this run has added.
    #[cfg(feature = "model")]
    pub(crate) fn add_function(&mut self, entrez: Entrez, library: &str, row: GatheredRow) {
        let library = self.library_no(library);
        self.rows.entry((entrez.0, library)).or_default().push(row);
    }

    pub fn add_partners(&mut self, lists: &[(Entrez, Vec<Partner>)]) -> Result<()> {
        let mut batch = sled::Batch::default();
        for (gene, list) in lists {
            let value = encode(list);
            self.bytes += 4 + value.len() as u64;
            batch.insert(&gene.0.to_be_bytes(), value);
        }
        self.partners.apply_batch(batch)?;
        Ok(())
    }

    /// Genes with at least one predicted function so far.
    pub fn genes_with_functions(&self) -> usize {
        let mut genes: Vec<u32> = self.rows.keys().map(|k| k.0).collect();
        genes.sort_unstable();
        genes.dedup();
        genes.len()
    }

    /// Hands over the rows gathered so far, to be written (by [`GatheredFunctions::write`],
    /// perhaps on another thread) while the run goes on. Their genes must get no more rows:
    /// a gene's rows of one library are written together.
    pub fn take_functions(&mut self) -> GatheredFunctions {
        GatheredFunctions {
            rows: std::mem::take(&mut self.rows),
            libraries: self.libraries.clone(),
            terms: self.terms.clone(),
            functions: self.functions.clone(),
            counts: self.counts_tree.clone(),
        }
    }

    /// Counts bytes written for this run elsewhere (by [`GatheredFunctions::write`]).
    pub fn add_written(&mut self, bytes: u64) {
        self.bytes += bytes;
    }

    /// Writes the gathered rows and their counts and flushes; returns the bytes (keys plus
    /// values) written in all.
    pub fn flush(&mut self) -> Result<u64> {
        self.bytes += self.take_functions().write()?;
        self.store.flush()?;
        Ok(self.bytes)
    }

    /// Records the run's report and number in one batch, which makes the run current, then
    /// drops the previous run's trees.
    pub fn finish(self, report: &serde_json::Value) -> Result<()> {
        // The run's trees must be durable before anything points to them.
        self.store.flush()?;
        let mut batch = sled::Batch::default();
        batch.insert(META_KEY, report.to_string().as_bytes());
        batch.insert(RUN_KEY, &self.run.to_be_bytes());
        self.store.meta.apply_batch(batch)?;
        self.store.flush()?;
        sweep_orphan_runs(&self.store)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows gathered without their terms are stored as the [`FunctionRow`]s they stand for,
    /// byte for byte, and read back as them.
    #[test]
    fn stored_rows_are_function_rows_bytes() {
        let terms = vec!["GO:0006915 apoptotic process".to_string(), String::new(), "t".repeat(300)];
        let gathered = [
            GatheredRow { set: 0, probability: 0.25, z: 3.5, rank: 1, known: false, set_auroc: Some(0.9), untitled: false },
            GatheredRow { set: 2, probability: 1e-7, z: -0.0, rank: 200, known: true, set_auroc: None, untitled: true },
            GatheredRow { set: 1, probability: 1.0, z: f32::INFINITY, rank: 0, known: false, set_auroc: Some(0.5), untitled: true },
        ];
        let rows: Vec<FunctionRow> = gathered
            .iter()
            .map(|g| FunctionRow {
                library: String::new(),
                set: g.set,
                term: terms[g.set as usize].clone(),
                probability: g.probability,
                z: g.z,
                rank: g.rank,
                known: g.known,
                set_auroc: g.set_auroc,
                untitled: g.untitled,
            })
            .collect();
        let stored: Vec<StoredRow<'_>> = gathered.iter().map(|g| g.stored(&terms[g.set as usize])).collect();
        let bytes = encode(&stored);
        assert_eq!(bytes, encode(&rows));
        assert_eq!(decode::<Vec<FunctionRow>>(FUNCTION_TREE, &bytes).unwrap(), rows);
        assert_eq!(position(gathered[1].z, gathered[1].set), rows[1].position());
    }

    #[test]
    fn z_keys_sort_in_descending_z() {
        let zs = [f32::INFINITY, 32.5, 1.645, 0.5, 0.0, -0.0, -0.5, -3.0, f32::NEG_INFINITY];
        let keys: Vec<[u8; 4]> = zs.iter().map(|&z| z_key(z)).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        let mut by_cmp = zs.to_vec();
        by_cmp.sort_by(|a, b| b.total_cmp(a));
        assert_eq!(by_cmp.iter().map(|&z| z_key(z)).collect::<Vec<_>>(), sorted);
    }
}
