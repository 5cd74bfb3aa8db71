//! Bioconductor's org.Hs.eg.db and GO.db SQLite files: the gene catalogue, GO BP/MF/CC sets
//! propagated to ancestor terms, and literature sets (genes per PubMed id).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};
use sha2::{Digest, Sha256};

use super::{IngestError, Progress, Result};
use crate::domain::LibraryName;
use crate::store::{Gene, GeneSet, Library, Store};

/// GO sets keep 5..=2000 genes: smaller ones carry little signal, larger ones are near-roots.
pub const GO_SIZE: (usize, usize) = (5, 2000);
/// Literature sets keep 5..=500 genes: below that a paper names a few genes in passing, above it
/// it is a screen rather than a finding.
pub const PUBMED_SIZE: (usize, usize) = (5, 500);

pub struct OrgDbPaths {
    pub org: PathBuf,
    pub go: PathBuf,
}

fn open(path: &Path) -> Result<Connection> {
    if !path.is_file() {
        return Err(IngestError::Source { file: path.into(), reason: "no such file".into() });
    }
    Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(|e| IngestError::Source { file: path.into(), reason: e.to_string() })
}

/// Runs a query, mapping SQLite errors (a missing table, say) to an error naming the file.
fn query<T>(
    conn: &Connection,
    file: &Path,
    sql: &str,
    mut row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    let err = |e: rusqlite::Error| IngestError::Source { file: file.into(), reason: format!("{e} (in `{sql}`)") };
    let mut stmt = conn.prepare(sql).map_err(err)?;
    let rows = stmt.query_map([], |r| row(r)).map_err(err)?;
    rows.collect::<rusqlite::Result<Vec<T>>>().map_err(err)
}

/// Whether `conn` has a table `name`: tables added in later schema versions (org.Hs.eg.db 3.12
/// has no `genetype`) are read when present rather than failing an older release.
fn has_table(conn: &Connection, name: &str) -> bool {
    conn.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1", [name], |r| r.get::<_, i64>(0))
        .unwrap_or(0)
        > 0
}

fn sha256_file(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).map_err(|source| IngestError::Io { file: path.into(), source })?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).map_err(|source| IngestError::Io { file: path.into(), source })?;
    Ok(hex::encode(h.finalize()))
}

/// Provenance shared by every library from these files: package versions (from the
/// SOURCES.json that scripts/setup.sh writes beside them, when present), file hashes and the
/// source dates recorded in the databases' own `metadata` tables.
fn provenance(paths: &OrgDbPaths, org: &Connection, go: &Connection) -> Result<BTreeMap<String, String>> {
    let mut p = BTreeMap::new();
    for (label, conn, file) in [("org", org, &paths.org), ("go", go, &paths.go)] {
        for (k, v) in query(conn, file, "SELECT name, value FROM metadata", |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
            if k.ends_with("SOURCEDATE") || k == "DBSCHEMA" || k == "ORGANISM" {
                p.insert(format!("{label}.{k}"), v);
            }
        }
        p.insert(format!("{label}.file"), file.display().to_string());
        p.insert(format!("{label}.sha256"), sha256_file(file)?);
    }
    let sources = paths.org.with_file_name("SOURCES.json");
    if let Ok(text) = std::fs::read_to_string(&sources) {
        if let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) {
            for pkg in json["packages"].as_array().into_iter().flatten() {
                if let (Some(name), Some(version)) = (pkg["package"].as_str(), pkg["version"].as_str()) {
                    p.insert(format!("package.{name}"), version.to_string());
                }
            }
        }
    }
    Ok(p)
}

/// Reads the gene catalogue. Returns the genes and the map from org.Hs.eg.db's internal `_id`
/// to Entrez, which every other table is keyed by.
fn read_genes(conn: &Connection, file: &Path) -> Result<(Vec<Gene>, HashMap<i64, u32>)> {
    let mut genes: BTreeMap<i64, Gene> = BTreeMap::new();
    let rows = query(
        conn,
        file,
        "SELECT g._id, g.gene_id, i.symbol, i.gene_name FROM genes g LEFT JOIN gene_info i ON i._id = g._id",
        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?, r.get::<_, Option<String>>(3)?)),
    )?;
    for (id, entrez, symbol, name) in rows {
        let entrez: u32 = entrez
            .parse()
            .map_err(|_| IngestError::Source { file: file.into(), reason: format!("gene_id `{entrez}` is not an Entrez id") })?;
        genes.insert(id, Gene { entrez, symbol: symbol.unwrap_or_default(), name: name.unwrap_or_default(), ..Default::default() });
    }
    let pairs = |sql: &str| query(conn, file, sql, |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)));
    if has_table(conn, "genetype") {
        for (id, v) in pairs("SELECT _id, gene_type FROM genetype")? {
            if let Some(g) = genes.get_mut(&id) { g.gene_type = v; }
        }
    } else {
        tracing::warn!(file = %file.display(), "no genetype table (org.Hs.eg.db before 3.13); gene types not stored");
    }
    for (id, v) in pairs("SELECT _id, chromosome FROM chromosomes")? {
        if let Some(g) = genes.get_mut(&id) { g.chromosome.get_or_insert(v); }
    }
    for (id, v) in pairs("SELECT _id, cytogenetic_location FROM cytogenetic_locations")? {
        if let Some(g) = genes.get_mut(&id) { g.cytoband.get_or_insert(v); }
    }
    for (table, column, pick) in [
        ("alias", "alias_symbol", 0usize),
        ("ensembl", "ensembl_id", 1),
        ("uniprot", "uniprot_id", 2),
        ("omim", "omim_id", 3),
    ] {
        for (id, v) in pairs(&format!("SELECT _id, {column} FROM {table} ORDER BY _id, {column}"))? {
            if let Some(g) = genes.get_mut(&id) {
                let list = match pick {
                    0 => &mut g.aliases,
                    1 => &mut g.ensembl,
                    2 => &mut g.uniprot,
                    _ => &mut g.omim,
                };
                // org.Hs.eg.db lists the symbol itself among the aliases; keep only true aliases.
                if pick == 0 && v.eq_ignore_ascii_case(&g.symbol) {
                    continue;
                }
                list.push(v);
            }
        }
    }
    let to_entrez = genes.iter().map(|(id, g)| (*id, g.entrez)).collect();
    Ok((genes.into_values().collect(), to_entrez))
}

/// One GO ontology as the two databases give it: its terms, each term's descendants and the
/// direct (unpropagated) annotations, kept apart so a share of the annotations can be hidden
/// before propagation ([`go_annotation_holdout`]).
struct GoOntology {
    /// `(_id, go_id, term, definition)`.
    terms: Vec<(i64, String, String, Option<String>)>,
    offspring: HashMap<i64, Vec<i64>>,
    /// `(go_id, entrez)`, sorted and de-duplicated (a gene annotated with several evidence codes
    /// appears once).
    direct: Vec<(String, u32)>,
}

impl GoOntology {
    fn load(go: &Connection, go_file: &Path, org: &Connection, org_file: &Path, ontology: &str, to_entrez: &HashMap<i64, u32>) -> Result<Self> {
        let lower = ontology.to_ascii_lowercase();
        let terms = query(
            go,
            go_file,
            &format!("SELECT _id, go_id, term, definition FROM go_term WHERE ontology = '{ontology}'"),
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, Option<String>>(3)?)),
        )?;
        let mut offspring: HashMap<i64, Vec<i64>> = HashMap::new();
        for (t, o) in query(go, go_file, &format!("SELECT _id, _offspring_id FROM go_{lower}_offspring"), |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))? {
            offspring.entry(t).or_default().push(o);
        }
        let mut direct: Vec<(String, u32)> = query(org, org_file, &format!("SELECT _id, go_id FROM go_{lower}"), |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
            .into_iter()
            .filter_map(|(id, go_id)| to_entrez.get(&id).map(|&e| (go_id, e)))
            .collect();
        direct.sort_unstable();
        direct.dedup();
        Ok(Self { terms, offspring, direct })
    }

    /// Each term's genes: the chosen direct annotations of the term and of all its descendants,
    /// sorted, for every term (sizes unfiltered).
    fn propagate(&self, keep: impl Fn(usize) -> bool) -> HashMap<&str, Vec<u32>> {
        let mut direct: HashMap<&str, Vec<u32>> = HashMap::new();
        for (i, (go_id, gene)) in self.direct.iter().enumerate() {
            if keep(i) {
                direct.entry(go_id.as_str()).or_default().push(*gene);
            }
        }
        let go_id_of: HashMap<i64, &str> = self.terms.iter().map(|(id, go_id, _, _)| (*id, go_id.as_str())).collect();
        self.terms
            .iter()
            .map(|(id, go_id, _, _)| {
                let mut genes: Vec<u32> = direct.get(go_id.as_str()).cloned().unwrap_or_default();
                for o in self.offspring.get(id).into_iter().flatten() {
                    if let Some(d) = go_id_of.get(o).and_then(|g| direct.get(*g)) {
                        genes.extend_from_slice(d);
                    }
                }
                genes.sort_unstable();
                genes.dedup();
                (go_id.as_str(), genes)
            })
            .collect()
    }
}

/// GO sets of one ontology: each term's genes are its own annotations plus those of all its
/// descendants (GO.db's `*_offspring` closure), so a gene annotated to "apoptotic process" is
/// also in "programmed cell death".
fn go_sets(ontology: &GoOntology) -> Vec<GeneSet> {
    let mut members = ontology.propagate(|_| true);
    ontology
        .terms
        .iter()
        .filter_map(|(_, go_id, name, definition)| {
            let genes = members.remove(go_id.as_str()).unwrap_or_default();
            (GO_SIZE.0..=GO_SIZE.1).contains(&genes.len()).then(|| GeneSet {
                term: go_id.clone(),
                name: name.clone(),
                description: definition.clone(),
                genes,
                pmid: None,
                url: Some(format!("https://amigo.geneontology.org/amigo/term/{go_id}")),
            })
        })
        .collect()
}

/// GO term synonyms (labels only; GO.db also lists merged ids there), by GO id. A GO.db without
/// the table gives none rather than failing: questions then match term names only.
fn go_synonyms(go: &Connection, file: &Path) -> Result<HashMap<String, Vec<String>>> {
    if !has_table(go, "go_synonym") {
        tracing::warn!(file = %file.display(), "GO.db has no go_synonym table; term synonyms not stored");
        return Ok(HashMap::new());
    }
    let rows = query(
        go,
        file,
        "SELECT t.go_id, s.synonym FROM go_synonym s JOIN go_term t ON t._id = s._id WHERE s.like_go_id = 0 ORDER BY s.rowid",
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
    )?;
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for (go_id, label) in rows {
        out.entry(go_id).or_default().push(label);
    }
    Ok(out)
}

/// A GO term as a simulated later release would change it: the genes it has without the hidden
/// annotations, and the genes those annotations add to it.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldOutTerm {
    pub term: String,
    pub kept: Vec<u32>,
    pub held_out: Vec<u32>,
}

/// Simulates a GO time split from one release: a seeded random `share` of the direct
/// annotations of `ontology` (BP, MF or CC) is hidden and the rest propagated again. A hidden
/// annotation removes its gene from the term and from every ancestor no other annotation of the
/// gene reaches, as a new annotation in a later release adds it to exactly those. Returns the
/// terms the stored library has (5..=2000 genes in full) that lose at least one gene.
///
/// Why not split the stored (propagated) sets: a gene hidden from a term but left in the
/// term's children is still in the training data under the children's names, which a real
/// later annotation never is.
pub fn go_annotation_holdout(paths: &OrgDbPaths, ontology: &str, share: f64, seed: u64) -> Result<Vec<HeldOutTerm>> {
    use rand::{Rng, SeedableRng};
    let org = open(&paths.org)?;
    let go = open(&paths.go)?;
    let to_entrez = entrez_of_ids(&org, &paths.org)?;
    let ontology = GoOntology::load(&go, &paths.go, &org, &paths.org, ontology, &to_entrez)?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let hidden: Vec<bool> = ontology.direct.iter().map(|_| rng.gen_bool(share)).collect();
    let full = ontology.propagate(|_| true);
    let kept = ontology.propagate(|i| !hidden[i]);
    let mut out: Vec<HeldOutTerm> = full
        .into_iter()
        .filter(|(_, genes)| (GO_SIZE.0..=GO_SIZE.1).contains(&genes.len()))
        .filter_map(|(term, genes)| {
            let kept = kept.get(term).cloned().unwrap_or_default();
            let held_out: Vec<u32> = genes.into_iter().filter(|g| kept.binary_search(g).is_err()).collect();
            (!held_out.is_empty()).then(|| HeldOutTerm { term: term.to_string(), kept, held_out })
        })
        .collect();
    out.sort_by(|a, b| a.term.cmp(&b.term));
    Ok(out)
}

/// org.Hs.eg.db's internal `_id` to Entrez, for readers that need no other gene field.
fn entrez_of_ids(org: &Connection, file: &Path) -> Result<HashMap<i64, u32>> {
    Ok(query(org, file, "SELECT _id, gene_id FROM genes", |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
        .into_iter()
        .filter_map(|(id, gene_id)| gene_id.parse().ok().map(|e| (id, e)))
        .collect())
}

/// A real GO time split: the terms of `old`, and the genes each gained in `new`.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeSplit {
    /// Terms the old release's library has (5..=2000 genes there) that gain at least one gene
    /// the old catalogue knows; `kept` = the old genes, `held_out` = the added ones.
    pub terms: Vec<HeldOutTerm>,
    /// Added memberships left out because the old catalogue has no such gene (a gene first
    /// catalogued later is no prediction a model of the old release could make).
    pub unknown_to_old: usize,
}

/// Compares one ontology (BP, MF or CC) of two releases of org.Hs.eg.db + GO.db, each
/// propagated as the GO libraries are: what a model trained on `old` should predict is what
/// `new` added to its terms.
pub fn go_time_split(old: &OrgDbPaths, new: &OrgDbPaths, ontology: &str) -> Result<TimeSplit> {
    let propagated = |paths: &OrgDbPaths| -> Result<(HashMap<String, Vec<u32>>, std::collections::HashSet<u32>)> {
        let org = open(&paths.org)?;
        let go = open(&paths.go)?;
        let to_entrez = entrez_of_ids(&org, &paths.org)?;
        let genes = to_entrez.values().copied().collect();
        let terms = GoOntology::load(&go, &paths.go, &org, &paths.org, ontology, &to_entrez)?
            .propagate(|_| true)
            .into_iter()
            .map(|(term, genes)| (term.to_string(), genes))
            .collect();
        Ok((terms, genes))
    };
    let (old_terms, old_genes) = propagated(old)?;
    let (mut new_terms, _) = propagated(new)?;
    let mut unknown_to_old = 0;
    let mut terms: Vec<HeldOutTerm> = old_terms
        .into_iter()
        .filter(|(_, genes)| (GO_SIZE.0..=GO_SIZE.1).contains(&genes.len()))
        .filter_map(|(term, kept)| {
            let later = new_terms.remove(&term).unwrap_or_default();
            let added: Vec<u32> = later.into_iter().filter(|g| kept.binary_search(g).is_err()).collect();
            let before = added.len();
            let held_out: Vec<u32> = added.into_iter().filter(|g| old_genes.contains(g)).collect();
            unknown_to_old += before - held_out.len();
            (!held_out.is_empty()).then_some(HeldOutTerm { term, kept, held_out })
        })
        .collect();
    terms.sort_by(|a, b| a.term.cmp(&b.term));
    Ok(TimeSplit { terms, unknown_to_old })
}

/// Every paper of org.Hs.eg.db's `pubmed` table with its distinct genes (ascending), by PMID.
fn papers(org: &Connection, file: &Path, to_entrez: &HashMap<i64, u32>) -> Result<BTreeMap<u32, Vec<u32>>> {
    let mut by_pmid: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for (id, pmid) in query(org, file, "SELECT _id, pubmed_id FROM pubmed", |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
        let (Some(&e), Ok(pmid)) = (to_entrez.get(&id), pmid.parse::<u32>()) else { continue };
        by_pmid.entry(pmid).or_default().push(e);
    }
    for genes in by_pmid.values_mut() {
        genes.sort_unstable();
        genes.dedup();
    }
    Ok(by_pmid)
}

/// Literature sets: the genes NCBI links to one PubMed id.
fn pubmed_sets(papers: &BTreeMap<u32, Vec<u32>>) -> Vec<GeneSet> {
    papers
        .iter()
        .filter(|(_, genes)| (PUBMED_SIZE.0..=PUBMED_SIZE.1).contains(&genes.len()))
        .map(|(&pmid, genes)| GeneSet {
            term: pmid.to_string(),
            name: format!("PMID {pmid}"),
            description: None,
            genes: genes.clone(),
            pmid: Some(pmid),
            url: Some(format!("https://pubmed.ncbi.nlm.nih.gov/{pmid}/")),
        })
        .collect()
}

/// The papers of 2 to 4 genes, too small for the PubMed library, which the model's co-mention
/// path reads (`model::comention`).
fn small_papers(papers: &BTreeMap<u32, Vec<u32>>) -> Vec<(u32, Vec<u32>)> {
    papers.iter().filter(|(_, g)| crate::store::SMALL_PAPER_GENES.contains(&g.len())).map(|(&p, g)| (p, g.clone())).collect()
}

/// A library read from one org.Hs.eg.db gene-to-annotation table. The data carries identifiers
/// only (no pathway or domain names), so a set's name is its identifier with the library's label.
pub struct AnnotationTable {
    pub library: &'static str,
    pub table: &'static str,
    pub column: &'static str,
    /// Sets keep this many genes (inclusive): below, a family or pathway says little about a
    /// gene's neighbours; above, it is a whole superfamily.
    pub size: (usize, usize),
    pub name: fn(&str) -> String,
    pub url: fn(&str) -> String,
    pub source: &'static str,
}

/// The gene-to-annotation tables org.Hs.eg.db ships besides GO and PubMed, ingested as
/// libraries. Its `kegg` table is left out on purpose: it is KEGG's 2011 release (the same in
/// every Bioconductor version since) under KEGG's restrictive terms, which a public server
/// should not redistribute; users with a KEGG licence bring it as a GMT.
pub const ANNOTATION_TABLES: &[AnnotationTable] = &[
    AnnotationTable {
        library: "Pfam",
        table: "pfam",
        column: "pfam_id",
        size: (5, 1000),
        name: |id| format!("Pfam domain {id}"),
        url: |id| format!("https://www.ebi.ac.uk/interpro/entry/pfam/{id}/"),
        source: "org.Hs.eg.db pfam table (Pfam domains of each gene's proteins)",
    },
    AnnotationTable {
        library: "PROSITE",
        table: "prosite",
        column: "prosite_id",
        size: (5, 1000),
        name: |id| format!("PROSITE motif {id}"),
        url: |id| format!("https://prosite.expasy.org/{id}"),
        source: "org.Hs.eg.db prosite table (PROSITE motifs of each gene's proteins)",
    },
    AnnotationTable {
        library: "EC",
        table: "ec",
        column: "ec_number",
        size: (5, 2000),
        name: |id| format!("EC {id}"),
        url: |id| format!("https://enzyme.expasy.org/EC/{id}"),
        source: "org.Hs.eg.db ec table (enzyme classes, each gene also in its number's parent classes)",
    },
];

/// EC numbers a gene with `number` belongs to: the number and its parent classes
/// (`1.1.1.1` -> `1.1.1.1`, `1.1.1.-`, `1.1.-.-`, `1.-.-.-`), so classes gather enough genes to be
/// sets, as GO terms gather their descendants' genes.
fn ec_classes(number: &str) -> Vec<String> {
    let parts: Vec<&str> = number.split('.').collect();
    let known = parts.iter().take_while(|p| **p != "-").count();
    (1..=known)
        .rev()
        .map(|n| {
            let mut levels: Vec<&str> = parts[..n].to_vec();
            levels.resize(parts.len().max(4), "-");
            levels.join(".")
        })
        .collect()
}

/// The sets of one annotation table: genes per identifier (EC numbers propagated to their
/// classes), de-duplicated and size-filtered. A table the file lacks gives `None`.
fn annotation_sets(org: &Connection, file: &Path, to_entrez: &HashMap<i64, u32>, spec: &AnnotationTable) -> Result<Option<Vec<GeneSet>>> {
    if !has_table(org, spec.table) {
        return Ok(None);
    }
    let rows = query(org, file, &format!("SELECT _id, {} FROM {} WHERE {} IS NOT NULL", spec.column, spec.table, spec.column), |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut by_id: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for (id, value) in rows {
        let Some(&gene) = to_entrez.get(&id) else { continue };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let keys = if spec.table == "ec" { ec_classes(value) } else { vec![value.to_string()] };
        for key in keys {
            by_id.entry(key).or_default().push(gene);
        }
    }
    Ok(Some(
        by_id
            .into_iter()
            .filter_map(|(id, mut genes)| {
                genes.sort_unstable();
                genes.dedup();
                (spec.size.0..=spec.size.1).contains(&genes.len()).then(|| GeneSet {
                    term: id.clone(),
                    name: (spec.name)(&id),
                    description: None,
                    genes,
                    pmid: None,
                    url: Some((spec.url)(&id)),
                })
            })
            .collect(),
    ))
}

/// Ingests the [`ANNOTATION_TABLES`] libraries alone (for a store ingested before genekg had
/// them; `genekg ingest default --if-empty` calls this). Tables the file lacks are skipped.
pub fn ingest_annotation_libraries(store: &Store, paths: &OrgDbPaths) -> Result<Vec<Library>> {
    let org = open(&paths.org)?;
    let go = open(&paths.go)?;
    let prov = provenance(paths, &org, &go)?;
    let to_entrez = entrez_of_ids(&org, &paths.org)?;
    annotation_libraries(store, &org, &paths.org, &to_entrez, &prov)
}

fn annotation_libraries(store: &Store, org: &Connection, file: &Path, to_entrez: &HashMap<i64, u32>, prov: &BTreeMap<String, String>) -> Result<Vec<Library>> {
    let version = prov.get("package.r-bioc-org.hs.eg.db").cloned();
    let mut libs = Vec::new();
    for spec in ANNOTATION_TABLES {
        match annotation_sets(org, file, to_entrez, spec)? {
            Some(sets) => libs.push(write_library(store, spec.library, spec.source, sets, prov, &version)?),
            None => tracing::warn!(file = %file.display(), table = spec.table, "no such table; library {} not stored", spec.library),
        }
    }
    Ok(libs)
}

/// Papers per gene: every gene-PubMed link of org.Hs.eg.db, whatever the paper's size (the
/// PubMed library keeps only papers of 5..=500 genes).
fn publication_counts(org: &Connection, file: &Path, to_entrez: &HashMap<i64, u32>) -> Result<Vec<(u32, u32)>> {
    let rows = query(org, file, "SELECT _id, COUNT(DISTINCT pubmed_id) FROM pubmed GROUP BY _id", |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
    })?;
    Ok(rows.into_iter().filter_map(|(id, n)| to_entrez.get(&id).map(|&e| (e, n as u32))).collect())
}

/// Stores the publication counts and the small papers of `paths.org` alone: for a store
/// ingested before genekg kept them (`genekg ingest default --if-empty` calls this instead of a
/// full ingest). Returns the genes counted and the small papers stored.
pub fn ingest_papers(store: &Store, paths: &OrgDbPaths) -> Result<(usize, usize)> {
    let org = open(&paths.org)?;
    let to_entrez = entrez_of_ids(&org, &paths.org)?;
    let prov = serde_json::json!({"source": "org.Hs.eg.db pubmed table", "file": paths.org.display().to_string(), "sha256": sha256_file(&paths.org)?});
    let counts = publication_counts(&org, &paths.org, &to_entrez)?;
    store.set_publication_counts(&counts, &prov)?;
    let small = small_papers(&papers(&org, &paths.org, &to_entrez)?);
    store.set_small_papers(&small, &prov)?;
    Ok((counts.len(), small.len()))
}

fn write_library(store: &Store, name: &str, source: &str, sets: Vec<GeneSet>, provenance: &BTreeMap<String, String>, version: &Option<String>) -> Result<Library> {
    let lib_name = LibraryName::parse(name).expect("built-in library names are valid");
    let progress = Progress::new(format!("store {name}"), sets.len() as u64);
    let mut writer = store.begin_library(&lib_name)?;
    for set in sets {
        writer.add(set)?;
        progress.inc(1);
    }
    let lib = writer.commit(Library {
        name: String::new(),
        version: version.clone(),
        source: source.to_string(),
        generation: 0,
        sets: 0,
        genes: 0,
        members: 0,
        unknown_genes: 0,
        unknown_examples: vec![],
        ambiguous_genes: 0,
        ambiguous_examples: vec![],
        ingested_at: chrono::Utc::now().to_rfc3339(),
        provenance: provenance.clone(),
    })?;
    progress.finish(format!("{name}: {} sets, {} genes, {} memberships", lib.sets, lib.genes, lib.members));
    Ok(lib)
}

/// Ingests the gene catalogue, the GO_BP, GO_MF, GO_CC and PubMed libraries and the
/// [`ANNOTATION_TABLES`] libraries (Pfam, PROSITE, EC). Each library is
/// replaced atomically; re-running gives the same store.
pub fn ingest_orgdb(store: &Store, paths: &OrgDbPaths) -> Result<Vec<Library>> {
    let org = open(&paths.org)?;
    let go = open(&paths.go)?;
    let prov = provenance(paths, &org, &go)?;
    let version = prov.get("package.r-bioc-org.hs.eg.db").cloned();

    let step = Progress::new("genes", 1);
    let (genes, to_entrez) = read_genes(&org, &paths.org)?;
    let n = genes.len();
    let gene_prov = serde_json::json!({
        "source": "org.Hs.eg.db",
        "version": version,
        "ncbi_gene_date": prov.get("org.EGSOURCEDATE"),
        "ensembl_date": prov.get("org.ENSOURCEDATE"),
        "uniprot_date": prov.get("org.UPSOURCEDATE"),
        "sha256": prov.get("org.sha256"),
        "ingested_at": chrono::Utc::now().to_rfc3339(),
    });
    store.upsert_genes(genes, &gene_prov)?;
    let papers_prov = serde_json::json!({"source": "org.Hs.eg.db pubmed table", "sha256": prov.get("org.sha256")});
    let counts = publication_counts(&org, &paths.org, &to_entrez)?;
    store.set_publication_counts(&counts, &papers_prov)?;
    step.inc(1);
    step.finish(format!("{n} genes"));

    let mut libs = Vec::new();
    for (ontology, name) in [("BP", "GO_BP"), ("MF", "GO_MF"), ("CC", "GO_CC")] {
        let sets = go_sets(&GoOntology::load(&go, &paths.go, &org, &paths.org, ontology, &to_entrez)?);
        libs.push(write_library(store, name, "GO.db + org.Hs.eg.db (propagated over GO offspring)", sets, &prov, &version)?);
    }
    store.replace_term_synonyms(&go_synonyms(&go, &paths.go)?)?;
    let papers = papers(&org, &paths.org, &to_entrez)?;
    store.set_small_papers(&small_papers(&papers), &papers_prov)?;
    let sets = pubmed_sets(&papers);
    libs.push(write_library(store, "PubMed", "org.Hs.eg.db gene-PubMed links", sets, &prov, &version)?);
    libs.extend(annotation_libraries(store, &org, &paths.org, &to_entrez, &prov)?);
    Ok(libs)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A (GO:A) has children B and C; gene 1 is annotated to B and to C, gene 2 to B only.
    fn tiny() -> GoOntology {
        let term = |id: i64, go: &str| (id, go.to_string(), go.to_string(), None);
        GoOntology {
            terms: vec![term(1, "A"), term(2, "B"), term(3, "C")],
            offspring: HashMap::from([(1, vec![2, 3])]),
            direct: vec![("B".into(), 1), ("B".into(), 2), ("C".into(), 1)],
        }
    }

    #[test]
    fn ec_numbers_belong_to_their_parent_classes() {
        assert_eq!(ec_classes("1.1.1.1"), ["1.1.1.1", "1.1.1.-", "1.1.-.-", "1.-.-.-"]);
        assert_eq!(ec_classes("3.4.21.-"), ["3.4.21.-", "3.4.-.-", "3.-.-.-"]);
        assert_eq!(ec_classes("2.7.11.n1"), ["2.7.11.n1", "2.7.11.-", "2.7.-.-", "2.-.-.-"]);
    }

    #[test]
    fn hidden_annotation_leaves_ancestors_another_annotation_reaches() {
        let go = tiny();
        let all = go.propagate(|_| true);
        assert_eq!(all["A"], vec![1, 2]);
        // Hide (B, 1): gene 1 leaves B but stays in A through C.
        let without_b1 = go.propagate(|i| i != 0);
        assert_eq!((without_b1["A"].as_slice(), without_b1["B"].as_slice()), (&[1u32, 2][..], &[2u32][..]));
        // Hide (B, 2): gene 2 has no other path, so it leaves A too.
        let without_b2 = go.propagate(|i| i != 1);
        assert_eq!((without_b2["A"].as_slice(), without_b2["B"].as_slice()), (&[1u32][..], &[1u32][..]));
    }
}
