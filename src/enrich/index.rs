//! The in-memory enrichment index and its API.

use std::path::PathBuf;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::gmt::{self, GmtLibraries};
use super::cache::{BackgroundKey, CacheKey, ResultCache};
use super::fisher::LogFactorial;
use rayon::prelude::*;

use super::ora::{Hit, Scan, Universe};
use super::query::{resolve_background, resolve_input, GeneLookup, QueryMarks};
use super::rank::{self, RankOptions, RankRow};
use super::{Background, EnrichError, EnrichRequest, EnrichResult, EnrichRow, LibraryBackground, Result};
use crate::domain::{Entrez, SetId};
use crate::store::Store;

/// Cached results: at most this many queries and this many rows over all of them (~100 MB).
const CACHE_ENTRIES: usize = 64;
const CACHE_ROWS: usize = 500_000;
/// Null rungs kept across requests: ~20 per ranking, so the last ~200 rankings (~0.5 MB).
const NULL_CACHE_RUNGS: usize = 4096;

/// Entrez (or, for GMT files, name number) -> dense gene id. Fx rather than SipHash: building
/// an index looks up every membership (~1.5M for the default libraries), and the keys are our
/// own integers, not attacker-chosen strings.
pub(crate) type DenseIds = FxHashMap<u32, u32>;

/// One library's sets as sparse member lists over the dense gene index. Flat arrays rather
/// than a `Vec` per set: one allocation, and the scan walks memory in order.
pub(crate) struct LibraryIndex {
    pub name: Arc<str>,
    pub set_ids: Vec<SetId>,
    pub terms: Vec<Arc<str>>,
    pub names: Vec<Arc<str>>,
    /// Each set's position among all set ids of the index, sorted as strings.
    pub id_order: Vec<u32>,
    pub(super) offsets: Vec<u32>,
    pub(super) members: Vec<u32>,
    /// Bitmap over dense genes: annotated to any set of this library.
    universe: Vec<u64>,
    pub universe_size: usize,
}

impl LibraryIndex {
    pub fn set_count(&self) -> usize {
        self.set_ids.len()
    }

    /// Dense ids of set `i`'s genes, sorted.
    pub fn members(&self, i: usize) -> &[u32] {
        &self.members[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }

    pub fn contains(&self, dense: u32) -> bool {
        self.universe[dense as usize / 64] >> (dense % 64) & 1 == 1
    }

    /// A library from its sets laid out over the dense gene index (`offsets` has one entry more
    /// than there are sets; each set's `members` sorted, all below `genes`). Its `id_order` is
    /// the rank within the library until [`EnrichIndex::from_libraries`] makes it global.
    pub(super) fn from_dense(name: &str, terms: Vec<Arc<str>>, names: Vec<Arc<str>>, offsets: Vec<u32>, members: Vec<u32>, genes: usize) -> Self {
        let mut universe = vec![0u64; genes.div_ceil(64)];
        for &d in &members {
            universe[d as usize / 64] |= 1 << (d % 64);
        }
        let universe_size = universe.iter().map(|w| w.count_ones() as usize).sum();
        let mut by_term: Vec<u32> = (0..terms.len() as u32).collect();
        by_term.sort_unstable_by(|&a, &b| terms[a as usize].cmp(&terms[b as usize]));
        let mut id_order = vec![0; by_term.len()];
        for (rank, &i) in by_term.iter().enumerate() {
            id_order[i as usize] = rank as u32;
        }
        Self {
            name: Arc::from(name),
            set_ids: terms.iter().map(|t| SetId::join(name, t)).collect(),
            terms,
            names,
            id_order,
            offsets,
            members,
            universe,
            universe_size,
        }
    }
}

/// All sets of the chosen libraries in memory, ready for [`enrich`](Self::enrich) and
/// [`rank_enrich`](Self::rank_enrich). Build once at start; queries only read it (plus the
/// internally locked result cache), so it can be shared across threads behind an `Arc`.
pub struct EnrichIndex {
    /// Dense id -> Entrez: every gene of the store, in Entrez order.
    pub(super) entrez: Vec<u32>,
    pub(super) symbols: Arc<[String]>,
    dense_of: DenseIds,
    pub(super) resolver: GeneLookup,
    pub(super) libraries: Vec<LibraryIndex>,
    table: LogFactorial,
    cache: ResultCache,
    /// Null rungs of recent rankings for [`rank_enrich`](Self::rank_enrich).
    null_cache: rank::NullCache,
    /// The sets holding each gene (see [`GeneSets`]), built on first use: one-shot enrichment
    /// from the index file never needs it.
    gene_sets: std::sync::OnceLock<GeneSets>,
}

/// The sets holding each gene, as global set numbers (library `l`'s set `i` is
/// `first_set[l] + i`), sorted: the inverse of the libraries' member lists. A gene page asks
/// which sets a gene shares with each of its partners; reading and decoding both genes' stored
/// memberships (thousands of paper ids for a well-studied gene) cost a millisecond per page;
/// marking one gene's sets and looking up each partner's costs microseconds.
struct GeneSets {
    /// By dense gene id; `offsets[d]..offsets[d + 1]` indexes `sets`.
    offsets: Vec<u32>,
    sets: Vec<u32>,
    /// Global number of each library's first set.
    first_set: Vec<u32>,
    /// Sets over all libraries.
    total: u32,
}

impl GeneSets {
    fn build(genes: usize, libs: &[LibraryIndex]) -> Self {
        let mut first_set = Vec::with_capacity(libs.len());
        let mut counts = vec![0u32; genes + 1];
        let mut total = 0u32;
        for lib in libs {
            first_set.push(total);
            total += lib.set_count() as u32;
            for &d in &lib.members {
                counts[d as usize + 1] += 1;
            }
        }
        for d in 0..genes {
            counts[d + 1] += counts[d];
        }
        let offsets = counts;
        let mut next = offsets.clone();
        let mut sets = vec![0u32; *offsets.last().unwrap_or(&0) as usize];
        // Libraries and their sets in global order, so each gene's list comes out sorted.
        for (l, lib) in libs.iter().enumerate() {
            for i in 0..lib.set_count() {
                for &d in lib.members(i) {
                    sets[next[d as usize] as usize] = first_set[l] + i as u32;
                    next[d as usize] += 1;
                }
            }
        }
        Self { offsets, sets, first_set, total }
    }

    fn of(&self, dense: u32) -> &[u32] {
        &self.sets[self.offsets[dense as usize] as usize..self.offsets[dense as usize + 1] as usize]
    }

    /// (library index, set index within it) of a global set number.
    fn locate(&self, global: u32) -> (usize, usize) {
        let l = self.first_set.partition_point(|&f| f <= global) - 1;
        (l, (global - self.first_set[l]) as usize)
    }
}

/// What two genes share (see [`EnrichIndex::shared_sets_each`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Shared<'a> {
    /// The sets holding both, by library then set, but for the tallied library.
    pub sets: Vec<SharedSet<'a>>,
    /// How many sets of the tallied library hold both.
    pub tallied: usize,
}

/// A set holding two given genes (see [`EnrichIndex::shared_sets`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SharedSet<'a> {
    pub library: &'a str,
    /// `LIBRARY:term`.
    pub id: &'a SetId,
    /// Genes in the set.
    pub size: usize,
}

impl EnrichIndex {
    /// Loads every gene and every set of `libraries` (all libraries when `None`) from the store.
    pub fn build(store: &Store, libraries: Option<&[String]>) -> Result<Self> {
        let started = std::time::Instant::now();
        let mut entrez = Vec::new();
        let mut symbols = Vec::new();
        for g in store.genes() {
            let g = g?;
            entrez.push(g.entrez);
            symbols.push(g.symbol);
        }
        let stored: Vec<String> = store.libraries()?.into_iter().map(|l| l.name).collect();
        let chosen = choose_libraries(libraries, &stored)?;
        let mut raw = Vec::with_capacity(chosen.len());
        for name in chosen {
            let sets = store.library_sets(&name)?;
            raw.push(RawLibrary {
                name,
                sets: sets.into_iter().map(|s| RawSet { term: s.term.into(), name: s.name.into(), genes: s.genes }).collect(),
            });
        }
        let index = Self::assemble(entrez, symbols, GeneLookup::Store(store.resolver()?), raw);
        index.log_ready(started, "built from the store");
        Ok(index)
    }

    /// An index straight from GMT files, without a store: genes are the strings the files hold
    /// (matched case-insensitively, no aliases), each file a library named by its `name`. For
    /// users who bring their own libraries, and for comparing with tools that read GMT files.
    pub fn from_gmt(files: &[(String, PathBuf)]) -> Result<Self> {
        let started = std::time::Instant::now();
        let GmtLibraries { names, libraries } = gmt::read_libraries(files)?;
        // Genes are numbered 0..n by name: dense ids are their own numbers, the libraries come
        // laid out already, and input names are looked up in the symbol table itself.
        let names: Arc<[String]> = names.into();
        let dense_of: DenseIds = (0..names.len() as u32).map(|i| (i, i)).collect();
        let lookup = GeneLookup::Sorted(Arc::clone(&names));
        let index = Self::from_libraries((0..names.len() as u32).collect(), names, dense_of, lookup, libraries);
        index.log_ready(started, "built from GMT files");
        Ok(index)
    }

    /// Lays out the libraries over the dense gene index (`entrez` sorted, one entry per gene).
    fn assemble(entrez: Vec<u32>, symbols: Vec<String>, resolver: GeneLookup, raw: Vec<RawLibrary>) -> Self {
        let dense_of: DenseIds = entrez.iter().enumerate().map(|(i, &e)| (e, i as u32)).collect();
        let dense = |g: u32| dense_of.get(&g).copied();
        let libs: Vec<LibraryIndex> = raw
            .into_par_iter()
            .map(|RawLibrary { name, sets }| {
                let mut offsets = Vec::with_capacity(sets.len() + 1);
                let mut members = Vec::new();
                let (mut terms, mut names) = (Vec::with_capacity(sets.len()), Vec::with_capacity(sets.len()));
                offsets.push(0);
                for set in sets {
                    // Sets only hold genes of the catalogue; one that vanished from it since
                    // the library was ingested cannot be tested and is skipped.
                    members.extend(set.genes.iter().filter_map(|&g| dense(g)));
                    members[*offsets.last().unwrap() as usize..].sort_unstable();
                    offsets.push(u32::try_from(members.len()).expect("under 4 billion memberships per library"));
                    terms.push(set.term);
                    names.push(set.name);
                }
                LibraryIndex::from_dense(&name, terms, names, offsets, members, entrez.len())
            })
            .collect();
        Self::from_libraries(entrez, symbols.into(), dense_of, resolver, libs)
    }

    /// The index over libraries already laid out ([`LibraryIndex::from_dense`]): set ranks made
    /// global, caches empty. Shared by the store, GMT files and the index file (`compact`).
    pub(super) fn from_libraries(entrez: Vec<u32>, symbols: Arc<[String]>, dense_of: DenseIds, resolver: GeneLookup, mut libs: Vec<LibraryIndex>) -> Self {
        // Set ids are `library:term` and library names hold no `:`, so sorted as strings the
        // ids of one library stay together, libraries in the order of `name:`: the global
        // rank is the library's offset plus the rank within it.
        let mut by_library: Vec<usize> = (0..libs.len()).collect();
        by_library.sort_by_cached_key(|&l| format!("{}:", libs[l].name));
        let mut offset = 0u32;
        for l in by_library {
            libs[l].id_order.iter_mut().for_each(|r| *r += offset);
            offset += libs[l].set_count() as u32;
        }
        Self {
            gene_sets: Default::default(),
            table: LogFactorial::new(entrez.len()),
            resolver,
            entrez,
            symbols,
            dense_of,
            libraries: libs,
            cache: ResultCache::new(CACHE_ENTRIES, CACHE_ROWS),
            null_cache: rank::NullCache::new(NULL_CACHE_RUNGS),
        }
    }

    /// Logs the index's size and the time since `started`; `how` says where it came from.
    pub(super) fn log_ready(&self, started: std::time::Instant, how: &str) {
        tracing::info!(
            genes = self.entrez.len(),
            libraries = self.libraries.len(),
            sets = self.set_count(),
            secs = format!("{:.2}", started.elapsed().as_secs_f64()),
            "enrichment index {how}"
        );
    }

    /// Library names in the index, sorted.
    pub fn library_names(&self) -> Vec<&str> {
        self.libraries.iter().map(|l| &*l.name).collect()
    }

    pub fn set_count(&self) -> usize {
        self.libraries.iter().map(LibraryIndex::set_count).sum()
    }

    pub fn gene_count(&self) -> usize {
        self.entrez.len()
    }

    /// The symbol of a gene, for showing overlaps.
    pub fn symbol(&self, gene: Entrez) -> Option<&str> {
        self.dense_of.get(&gene.0).map(|&d| self.symbols[d as usize].as_str())
    }

    /// The member genes of a set, if it is in the index.
    pub fn set_genes(&self, set_id: &SetId) -> Option<Vec<Entrez>> {
        let lib = self.libraries.iter().find(|l| &*l.name == set_id.library())?;
        let i = lib.set_ids.iter().position(|s| s == set_id)?;
        Some(self.entrez_of(lib.members(i)))
    }

    /// Entrez ids of dense gene numbers.
    fn entrez_of(&self, dense: &[u32]) -> Vec<Entrez> {
        dense.iter().map(|&d| Entrez(self.entrez[d as usize])).collect()
    }

    /// The sets holding both genes, by library then set; empty when either gene is not in the
    /// index.
    pub fn shared_sets(&self, a: Entrez, b: Entrez) -> Vec<SharedSet<'_>> {
        self.shared_sets_each(a, &[b], None).pop().map(|s| s.sets).unwrap_or_default()
    }

    /// [`shared_sets`](Self::shared_sets) of `a` with each of `others`, in their order; the sets
    /// of library `tally` are only counted. `a`'s sets are marked once in a bitmap over all
    /// sets (a few kilobytes), so each partner costs one look-up per set it is in, and the
    /// tallied library's look-ups are a branch-free count: a page of partners of a well-studied
    /// gene shares hundreds of papers with each, and only their number is shown.
    pub fn shared_sets_each(&self, a: Entrez, others: &[Entrez], tally: Option<&str>) -> Vec<Shared<'_>> {
        let Some(&da) = self.dense_of.get(&a.0) else { return vec![Shared::default(); others.len()] };
        let gene_sets = self.gene_sets.get_or_init(|| GeneSets::build(self.entrez.len(), &self.libraries));
        let mut marks = vec![0u64; (gene_sets.total as usize).div_ceil(64)];
        for &s in gene_sets.of(da) {
            marks[s as usize / 64] |= 1 << (s % 64);
        }
        let marked = |s: u32| (marks[s as usize / 64] >> (s % 64)) & 1;
        // The tallied library's global set numbers: libraries are laid out one after another.
        let tallied = tally.and_then(|name| self.libraries.iter().position(|l| &*l.name == name)).map(|l| {
            let first = gene_sets.first_set[l];
            first..first + self.libraries[l].set_count() as u32
        });
        let mut hits = Vec::new();
        let mut listed = |sets: &[u32]| -> Vec<SharedSet<'_>> {
            // Kept without a branch per set: whether a set is shared is a coin toss the branch
            // predictor loses, and partners of a well-studied gene are in hundreds of GO terms.
            hits.clear();
            hits.resize(sets.len(), 0);
            let mut n = 0;
            for &s in sets {
                hits[n] = s;
                n += marked(s) as usize;
            }
            hits[..n]
                .iter()
                .map(|&global| {
                    let (l, i) = gene_sets.locate(global);
                    let lib = &self.libraries[l];
                    SharedSet { library: &lib.name, id: &lib.set_ids[i], size: lib.members(i).len() }
                })
                .collect()
        };
        others
            .iter()
            .map(|b| {
                let Some(&db) = self.dense_of.get(&b.0) else { return Shared::default() };
                let sets = gene_sets.of(db);
                let Some(range) = &tallied else { return Shared { sets: listed(sets), tallied: 0 } };
                let (start, end) = (sets.partition_point(|&s| s < range.start), sets.partition_point(|&s| s < range.end));
                let mut shared = listed(&sets[..start]);
                shared.extend(listed(&sets[end..]));
                Shared { sets: shared, tallied: sets[start..end].iter().map(|&s| marked(s) as usize).sum() }
            })
            .collect()
    }

    /// Every set of library `name` (id, member genes), if the index has it.
    pub fn library_sets(&self, name: &str) -> Option<Vec<(SetId, Vec<Entrez>)>> {
        let lib = self.libraries.iter().find(|l| &*l.name == name)?;
        Some((0..lib.set_count()).map(|i| (lib.set_ids[i].clone(), self.entrez_of(lib.members(i)))).collect())
    }

    #[cfg(feature = "model")]
    pub(crate) fn resolver(&self) -> &GeneLookup {
        &self.resolver
    }

    /// Entrez -> dense id, for every gene of the store.
    #[cfg(feature = "model")]
    pub(crate) fn dense_index(&self) -> &DenseIds {
        &self.dense_of
    }

    pub fn clear_cache(&self) {
        self.cache.clear();
    }

    /// Null rungs held for the rank test (see [`rank::NullCache`]).
    pub fn null_rungs_cached(&self) -> usize {
        self.null_cache.len()
    }

    /// Indices of the requested libraries (all when `None`), or an error naming unknown ones.
    pub(crate) fn select_libraries(&self, names: Option<&[String]>) -> Result<Vec<usize>> {
        let all: Vec<String> = self.libraries.iter().map(|l| l.name.to_string()).collect();
        let mut chosen = match names {
            None => (0..self.libraries.len()).collect::<Vec<_>>(),
            Some(names) => {
                check_names(names, &all)?;
                names.iter().map(|n| all.iter().position(|a| a == n.trim()).unwrap()).collect()
            }
        };
        chosen.sort_unstable();
        chosen.dedup();
        if chosen.is_empty() {
            return Err(EnrichError::NoLibraries(if all.is_empty() {
                "the store holds no gene set libraries; ingest some first".into()
            } else {
                "the library list is empty".into()
            }));
        }
        Ok(chosen)
    }

    /// Over-representation analysis of a gene list; see [`EnrichRequest`] and [`EnrichResult`].
    pub fn enrich(&self, req: &EnrichRequest) -> Result<EnrichResult> {
        let min_size = req.min_size.unwrap_or(0);
        let max_size = req.max_size.unwrap_or(usize::MAX);
        if min_size > max_size {
            return Err(EnrichError::SizeRange { min: min_size, max: max_size });
        }
        let libraries = self.select_libraries(req.libraries.as_deref())?;
        let mut input = resolve_input(&req.genes, &self.resolver, &self.dense_of)?;
        let (background_key, custom) = match &req.background {
            Background::LibraryGenes => (BackgroundKey::LibraryGenes, None),
            Background::AllGenes => (BackgroundKey::AllGenes, None),
            Background::Custom(raw) => {
                let (dense, unrecognised) = resolve_background(raw, &self.resolver, &self.dense_of)?;
                input.report.background_unrecognised = unrecognised;
                (BackgroundKey::Custom(dense.clone()), Some(dense))
            }
        };
        let key = CacheKey {
            genes: input.dense.clone(),
            libraries: libraries.clone(),
            background: background_key,
            min_size,
            max_size,
            fdr_scope: req.fdr_scope,
        };
        if let Some(hit) = self.cache.get(&key) {
            return Ok(EnrichResult { input: input.report, libraries: hit.0.clone(), rows: Arc::clone(&hit.1) });
        }
        let (summaries, rows) = self.scan(&input.dense, &libraries, custom.as_deref(), req, min_size, max_size);
        let rows = Arc::new(rows);
        self.cache.put(key, Arc::new((summaries.clone(), Arc::clone(&rows))));
        Ok(EnrichResult { input: input.report, libraries: summaries, rows })
    }

    /// [`enrich`](Self::enrich) without the cache, for benchmarks of the engine itself.
    pub fn enrich_uncached(&self, req: &EnrichRequest) -> Result<EnrichResult> {
        let libraries = self.select_libraries(req.libraries.as_deref())?;
        let mut input = resolve_input(&req.genes, &self.resolver, &self.dense_of)?;
        let custom = match &req.background {
            Background::Custom(raw) => {
                let (dense, unrecognised) = resolve_background(raw, &self.resolver, &self.dense_of)?;
                input.report.background_unrecognised = unrecognised;
                Some(dense)
            }
            _ => None,
        };
        let (min_size, max_size) = (req.min_size.unwrap_or(0), req.max_size.unwrap_or(usize::MAX));
        if min_size > max_size {
            return Err(EnrichError::SizeRange { min: min_size, max: max_size });
        }
        let (libraries, rows) = self.scan(&input.dense, &libraries, custom.as_deref(), req, min_size, max_size);
        Ok(EnrichResult { input: input.report, libraries, rows: Arc::new(rows) })
    }

    fn scan(
        &self,
        query: &[u32],
        libraries: &[usize],
        custom: Option<&[u32]>,
        req: &EnrichRequest,
        min_size: usize,
        max_size: usize,
    ) -> (Vec<LibraryBackground>, Vec<EnrichRow>) {
        let marks = QueryMarks::new(self.entrez.len(), query, custom);
        let universe = match custom {
            Some(genes) => Universe::Custom { genes },
            None if req.background == Background::AllGenes => Universe::AllGenes { genes: self.entrez.len() },
            None => Universe::LibraryGenes,
        };
        let scan = Scan {
            marks: &marks,
            query,
            universe,
            min_size,
            max_size,
            fdr_scope: req.fdr_scope,
            table: &self.table,
            entrez: &self.entrez,
        };
        let mut summaries = Vec::with_capacity(libraries.len());
        let mut hits: Vec<(u32, Hit)> = Vec::new();
        for &l in libraries {
            let (summary, lib_hits) = scan.library(&self.libraries[l]);
            summaries.push(summary);
            hits.extend(lib_hits.into_iter().map(|h| (l as u32, h)));
        }
        // p (log10 p orders like p and stays ordered below f64's range), then set id: a total
        // order, so pages of the result never skip or repeat a set.
        hits.par_sort_unstable_by(|a, b| a.1.ln_p.total_cmp(&b.1.ln_p).then(a.1.id_order.cmp(&b.1.id_order)));
        let rows: Vec<EnrichRow> = hits
            .par_iter()
            .enumerate()
            .with_min_len(256)
            .map(|(i, (l, hit))| scan.row(&self.libraries[*l as usize], hit, i + 1))
            .collect();
        (summaries, rows)
    }

    /// The rank-based running-sum test of every set against genes ranked by `scores` (Entrez,
    /// score; higher = more relevant). See [`rank`] for the statistic and its p-values.
    pub fn rank_enrich(&self, scores: &[(Entrez, f32)], options: &RankOptions) -> Result<Vec<RankRow>> {
        let libraries = self.select_libraries(options.libraries.as_deref())?;
        let libs: Vec<&LibraryIndex> = libraries.iter().map(|&l| &self.libraries[l]).collect();
        rank::run(scores, &libs, &self.dense_of, &self.entrez, options, &self.null_cache)
    }
}

/// A library as read, before it is laid out.
pub(super) struct RawLibrary {
    pub name: String,
    pub sets: Vec<RawSet>,
}

/// `Arc`s because the index keeps them as such, and a GMT set without a description is named
/// by its term: one string.
pub(super) struct RawSet {
    pub term: Arc<str>,
    pub name: Arc<str>,
    pub genes: Vec<u32>,
}

/// The libraries to load: `libraries` (checked against `stored`, sorted, distinct), or every
/// stored one.
pub(super) fn choose_libraries(libraries: Option<&[String]>, stored: &[String]) -> Result<Vec<String>> {
    Ok(match libraries {
        None => stored.to_vec(),
        Some(names) => {
            check_names(names, stored)?;
            let mut v: Vec<String> = names.iter().map(|n| n.trim().to_string()).collect();
            v.sort();
            v.dedup();
            v
        }
    })
}

/// Errors on names that are not libraries of `available`, listing them all.
fn check_names(names: &[String], available: &[String]) -> Result<()> {
    let unknown: Vec<&str> =
        names.iter().map(|n| n.trim()).filter(|n| !available.iter().any(|a| a == n)).collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(EnrichError::UnknownLibraries {
        names: unknown.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "),
        available: if available.is_empty() { "none (the store holds no libraries)".into() } else { available.join(", ") },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(name: &str, sets: &[(&str, &[u32])]) -> RawLibrary {
        RawLibrary {
            name: name.into(),
            sets: sets.iter().map(|(t, g)| RawSet { term: Arc::from(*t), name: Arc::from(*t), genes: g.to_vec() }).collect(),
        }
    }

    #[test]
    fn shared_sets_are_the_sets_holding_both_genes() {
        let entrez = vec![10, 20, 30, 40];
        let symbols = entrez.iter().map(|e| format!("G{e}")).collect();
        let index = EnrichIndex::assemble(
            entrez,
            symbols,
            GeneLookup::Sorted(Arc::from(Vec::new())),
            vec![
                raw("GO_BP", &[("GO:1", &[10, 20, 30]), ("GO:2", &[20, 30]), ("GO:3", &[10, 40])]),
                // 99 is not in the catalogue: skipped, as in enrichment.
                raw("PubMed", &[("1", &[10, 20]), ("2", &[30, 99]), ("3", &[40, 20, 10])]),
            ],
        );
        let ids = |a, b| index.shared_sets(Entrez(a), Entrez(b)).iter().map(|s| (s.library.to_string(), s.id.to_string(), s.size)).collect::<Vec<_>>();
        let own = |s: &str, lib: &str, n| (lib.to_string(), s.to_string(), n);
        assert_eq!(ids(10, 20), vec![own("GO_BP:GO:1", "GO_BP", 3), own("PubMed:1", "PubMed", 2), own("PubMed:3", "PubMed", 3)]);
        assert_eq!(ids(20, 10), ids(10, 20), "symmetric");
        assert_eq!(ids(20, 30), vec![own("GO_BP:GO:1", "GO_BP", 3), own("GO_BP:GO:2", "GO_BP", 2)]);
        assert_eq!(ids(30, 40), vec![]);
        assert_eq!(ids(10, 99), vec![], "a gene outside the catalogue shares nothing");
        let others = [10, 99, 30, 40, 10].map(Entrez);
        let one_by_one: Vec<_> = others.iter().map(|&b| index.shared_sets(Entrez(20), b)).collect();
        let each = index.shared_sets_each(Entrez(20), &others, None);
        assert_eq!(each.iter().map(|s| s.sets.clone()).collect::<Vec<_>>(), one_by_one, "many partners at once, as one by one");
        assert!(each.iter().all(|s| s.tallied == 0), "nothing tallied unless asked");
        let tallied = index.shared_sets_each(Entrez(20), &others, Some("PubMed"));
        for (t, full) in tallied.iter().zip(&one_by_one) {
            let (papers, rest): (Vec<_>, Vec<_>) = full.iter().cloned().partition(|s| s.library == "PubMed");
            assert_eq!((t.sets.clone(), t.tallied), (rest, papers.len()), "PubMed counted, the rest listed");
        }
        assert_eq!(tallied[0].tallied, 2, "G20 and G10 share papers 1 and 3");
        let first = index.shared_sets_each(Entrez(10), &[Entrez(20)], Some("GO_BP"));
        assert_eq!((first[0].sets.len(), first[0].tallied), (2, 1), "a tallied library first in the layout");
        let unknown = index.shared_sets_each(Entrez(10), &[Entrez(20)], Some("KEGG"));
        assert_eq!(unknown[0].sets.len(), 3, "a library not in the index tallies nothing");
        assert_eq!(index.shared_sets_each(Entrez(99), &[Entrez(10), Entrez(20)], None), vec![Shared::default(); 2], "one empty answer per partner");
    }
}
