//! NCBI gene_info files (`Homo_sapiens.gene_info`): one gene per line, tab-separated, with a
//! `#tax_id GeneID Symbol ...` header. Columns are found by header name, not position, because
//! NCBI has added columns over the years.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;

use super::{IngestError, Progress, Result};
use crate::store::Store;

#[derive(Debug, Clone, serde::Serialize)]
pub struct GeneInfoReport {
    pub genes: usize,
    pub other_species_skipped: usize,
}

/// `-` is gene_info's empty value.
fn cell(s: &str) -> Option<&str> {
    let s = s.trim();
    (!s.is_empty() && s != "-").then_some(s)
}

fn list(s: &str) -> Vec<String> {
    cell(s).map(|s| s.split('|').map(str::to_string).collect()).unwrap_or_default()
}

/// Ingests the genes of `tax_id` (None: every row) into the catalogue. New values win; fields the
/// file lacks (UniProt, for one) keep what the store had.
pub fn ingest_gene_info(store: &Store, path: &Path, tax_id: Option<u32>) -> Result<GeneInfoReport> {
    let file = std::fs::File::open(path).map_err(|source| IngestError::Io { file: path.into(), source })?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    let progress = Progress::new("gene_info", total);
    let mut lines = BufReader::new(file).lines();
    let header = match lines.next() {
        Some(h) => h.map_err(|source| IngestError::Io { file: path.into(), source })?,
        None => return Err(IngestError::malformed(path, 1, "empty file; expected a `#tax_id\tGeneID\tSymbol…` header")),
    };
    if !header.starts_with("#tax_id") && !header.starts_with("tax_id") {
        return Err(IngestError::malformed(path, 1, "first line is not a gene_info header (`#tax_id\tGeneID\tSymbol…`)"));
    }
    let columns: HashMap<&str, usize> =
        header.trim_start_matches('#').split('\t').enumerate().map(|(i, c)| (c.trim(), i)).collect();
    let col = |name: &str| columns.get(name).copied();
    let need = |name: &str| {
        col(name).ok_or_else(|| IngestError::malformed(path, 1, format!("header has no `{name}` column")))
    };
    let (c_tax, c_id, c_symbol) = (need("tax_id")?, need("GeneID")?, need("Symbol")?);
    let (c_syn, c_xref, c_chr, c_map) = (col("Synonyms"), col("dbXrefs"), col("chromosome"), col("map_location"));
    let (c_desc, c_type, c_full) = (col("description"), col("type_of_gene"), col("Full_name_from_nomenclature_authority"));
    let width = columns.len();

    let mut genes = Vec::new();
    let mut skipped = 0;
    for (i, line) in lines.enumerate() {
        let line_no = i + 2;
        let line = line.map_err(|e| IngestError::malformed(path, line_no, format!("unreadable line ({e})")))?;
        progress.inc(line.len() as u64 + 1);
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != width {
            return Err(IngestError::malformed(path, line_no, format!("expected {width} tab-separated columns as in the header, found {}", f.len())));
        }
        let tax: u32 = f[c_tax].trim().parse().map_err(|_| IngestError::malformed(path, line_no, format!("tax_id `{}` is not a number", f[c_tax])))?;
        if tax_id.is_some_and(|t| t != tax) {
            skipped += 1;
            continue;
        }
        let entrez: u32 = f[c_id].trim().parse().map_err(|_| IngestError::malformed(path, line_no, format!("GeneID `{}` is not a number", f[c_id])))?;
        let symbol = cell(f[c_symbol]).ok_or_else(|| IngestError::malformed(path, line_no, "empty Symbol"))?;
        let get = |c: Option<usize>| c.and_then(|c| cell(f[c])).map(str::to_string);
        let mut gene = store.gene(entrez)?.unwrap_or_default();
        gene.entrez = entrez;
        gene.symbol = symbol.to_string();
        if let Some(name) = get(c_full).or_else(|| get(c_desc)) {
            gene.name = name;
        }
        if let Some(t) = get(c_type) {
            gene.gene_type = t;
        }
        gene.chromosome = get(c_chr).or(gene.chromosome);
        gene.cytoband = get(c_map).or(gene.cytoband);
        let aliases = c_syn.map(|c| list(f[c])).unwrap_or_default();
        if !aliases.is_empty() {
            gene.aliases = aliases;
        }
        let xrefs = c_xref.map(|c| list(f[c])).unwrap_or_default();
        let ensembl: Vec<String> = xrefs.iter().filter_map(|x| x.strip_prefix("Ensembl:")).map(str::to_string).collect();
        let omim: Vec<String> = xrefs.iter().filter_map(|x| x.strip_prefix("MIM:")).map(str::to_string).collect();
        if !ensembl.is_empty() {
            gene.ensembl = ensembl;
        }
        if !omim.is_empty() {
            gene.omim = omim;
        }
        genes.push(gene);
    }
    if genes.is_empty() {
        return Err(IngestError::Source {
            file: path.into(),
            reason: format!("no genes{} in the file; nothing was changed", tax_id.map(|t| format!(" of tax_id {t}")).unwrap_or_default()),
        });
    }
    let provenance = serde_json::json!({
        "source": "NCBI gene_info",
        "file": path.display().to_string(),
        "ingested_at": chrono::Utc::now().to_rfc3339(),
    });
    let n = store.upsert_genes(genes, &provenance)?;
    progress.finish(format!("{n} genes upserted, {skipped} rows of other species skipped"));
    Ok(GeneInfoReport { genes: n, other_species_skipped: skipped })
}
