//! GMT files (Enrichr, MSigDB): `term<TAB>description<TAB>gene<TAB>gene...` per line.

use std::io::{BufRead, BufReader};
use std::path::Path;

use super::{IngestError, Misses, Progress, Result};
use crate::domain::LibraryName;
use crate::store::{GeneSet, Library, Resolution, Store};

/// One parsed GMT line, genes as written.
#[derive(Debug, Clone, PartialEq)]
pub struct GmtLine {
    pub term: String,
    /// See [`GmtFields::name`].
    pub name: String,
    pub description: Option<String>,
    pub genes: Vec<String>,
}

/// One GMT line split in place: term, description and the gene cells, borrowed from the line
/// (readers that intern genes themselves skip an allocation per gene).
#[derive(Debug, Clone, PartialEq)]
pub struct GmtFields<'a> {
    pub term: &'a str,
    pub description: Option<&'a str>,
    /// The tab-separated gene cells, unsplit: read them with [`genes`](Self::genes).
    cells: &'a str,
}

impl<'a> GmtFields<'a> {
    /// The set's display name: the description column (Enrichr and `genekg export gmt` put the
    /// term's name there), or the term when it is empty or a link (MSigDB puts a URL there).
    pub fn name(&self) -> &'a str {
        match self.description {
            Some(d) if !d.starts_with("http://") && !d.starts_with("https://") => d,
            _ => self.term,
        }
    }

    /// The genes as written: weights (`SYMBOL,1.0`) cut off, blanks trimmed, empty cells skipped.
    /// An iterator rather than a `Vec`: GMT readers look at ~1.5M genes for the default
    /// libraries, and most intern them on the spot.
    pub fn genes(&self) -> impl Iterator<Item = &'a str> + 'a {
        // Byte scans rather than `str::split`: cells are a few bytes long, too short for the
        // setup of a memchr search to pay off. Cutting at ASCII tabs and commas keeps every
        // piece on a UTF-8 boundary.
        let cells = self.cells;
        let mut start = 0;
        std::iter::from_fn(move || {
            while start <= cells.len() {
                let rest = &cells.as_bytes()[start..];
                let end = start + rest.iter().position(|&b| b == b'\t').unwrap_or(rest.len());
                let cell = &cells[start..end];
                start = end + 1;
                let gene = match cell.bytes().position(|b| b == b',') {
                    Some(comma) => &cell[..comma],
                    None => cell,
                };
                let gene = gene.trim();
                if !gene.is_empty() {
                    return Some(gene);
                }
            }
            None
        })
    }
}

/// Splits one line. `Ok(None)` for blank lines and `#` comments.
///
/// Enrichr writes weighted genes as `SYMBOL,1.0`; the weight is dropped. Empty gene cells (a
/// trailing tab) are ignored.
pub fn split_gmt_line(line: &str) -> Result<Option<GmtFields<'_>>, String> {
    let line = line.trim_end_matches(['\r', '\n']);
    if line.trim().is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let mut columns = line.splitn(3, '\t');
    let term = columns.next().unwrap_or("").trim();
    if term.is_empty() {
        return Err("empty term name in the first column".into());
    }
    let Some(description) = columns.next() else {
        return Err(format!("term `{term}` has no tab-separated columns; expected term, description, genes"));
    };
    let description = description.trim();
    let fields = GmtFields {
        term,
        description: (!description.is_empty() && description != "NA").then_some(description),
        cells: columns.next().unwrap_or(""),
    };
    if fields.genes().next().is_none() {
        return Err(format!("term `{term}` lists no genes"));
    }
    Ok(Some(fields))
}

/// Parses one line into owned strings; see [`split_gmt_line`].
pub fn parse_gmt_line(line: &str) -> Result<Option<GmtLine>, String> {
    Ok(split_gmt_line(line)?.map(|f| GmtLine {
        name: f.name().to_string(),
        term: f.term.to_string(),
        description: f.description.map(str::to_string),
        genes: f.genes().map(str::to_string).collect(),
    }))
}

#[derive(Debug, Clone)]
pub struct GmtOptions {
    pub library: LibraryName,
    pub version: Option<String>,
    pub min_size: usize,
    pub max_size: usize,
}

/// Ingests a GMT file as library `opts.library`, replacing any previous version atomically.
/// Sets whose resolved size falls outside `min_size..=max_size` are skipped and counted.
pub fn ingest_gmt(store: &Store, path: &Path, opts: &GmtOptions) -> Result<Library> {
    let file = std::fs::File::open(path).map_err(|source| IngestError::Io { file: path.into(), source })?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    let resolver = store.resolver()?;
    if resolver.gene_count() == 0 {
        return Err(IngestError::Source {
            file: path.into(),
            reason: "the store has no genes yet; ingest a gene catalogue first (genekg ingest default, orgdb or gene-info)".into(),
        });
    }
    let progress = Progress::new(format!("gmt {}", opts.library), total);
    let mut writer = store.begin_library(&opts.library)?;
    let (mut unknown, mut ambiguous) = (Misses::default(), Misses::default());
    let mut skipped_size = 0u64;
    let mut reader = BufReader::new(file);
    let mut buf = Vec::new();
    let mut line_no = 0;
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf).map_err(|source| IngestError::Io { file: path.into(), source })?;
        if n == 0 {
            break;
        }
        line_no += 1;
        progress.inc(n as u64);
        let text = std::str::from_utf8(&buf).map_err(|e| IngestError::malformed(path, line_no, format!("not valid UTF-8 ({e})")))?;
        let Some(parsed) = parse_gmt_line(text).map_err(|r| IngestError::malformed(path, line_no, r))? else {
            continue;
        };
        let mut genes = Vec::with_capacity(parsed.genes.len());
        for g in &parsed.genes {
            match resolver.resolve_str(g) {
                Resolution::Found(id) => genes.push(id),
                Resolution::Ambiguous(_) => ambiguous.add(g),
                Resolution::NotFound => unknown.add(g),
            }
        }
        genes.sort_unstable();
        genes.dedup();
        if genes.len() < opts.min_size.max(1) || genes.len() > opts.max_size {
            skipped_size += 1;
            continue;
        }
        writer
            .add(GeneSet { name: parsed.name, term: parsed.term, description: parsed.description, genes, pmid: None, url: None })
            .map_err(|e| IngestError::malformed(path, line_no, e.to_string()))?;
    }
    if writer.set_count() == 0 {
        return Err(IngestError::Source {
            file: path.into(),
            reason: format!(
                "no gene set with {}..={} known genes ({} unknown gene entries, e.g. {:?}); nothing was changed",
                opts.min_size, opts.max_size, unknown.count, unknown.examples
            ),
        });
    }
    let mut provenance = std::collections::BTreeMap::new();
    provenance.insert("file".into(), path.display().to_string());
    provenance.insert("sets_skipped_by_size".into(), skipped_size.to_string());
    let lib = writer.commit(Library {
        name: String::new(),
        version: opts.version.clone(),
        source: format!("GMT {}", path.display()),
        generation: 0,
        sets: 0,
        genes: 0,
        members: 0,
        unknown_genes: unknown.count,
        unknown_examples: unknown.examples,
        ambiguous_genes: ambiguous.count,
        ambiguous_examples: ambiguous.examples,
        ingested_at: chrono::Utc::now().to_rfc3339(),
        provenance,
    })?;
    let named = |examples: &[String], count: u64| match examples.len() as u64 {
        0 => String::new(),
        n if n < count => format!(" (e.g. {})", examples.join(", ")),
        _ => format!(" ({})", examples.join(", ")),
    };
    progress.finish(format!(
        "{}: {} sets, {} unknown gene entries{}, {} ambiguous{}, {} sets outside size limits",
        lib.name,
        lib.sets,
        lib.unknown_genes,
        named(&lib.unknown_examples, lib.unknown_genes),
        lib.ambiguous_genes,
        named(&lib.ambiguous_examples, lib.ambiguous_genes),
        skipped_size
    ));
    Ok(lib)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_weighted_lines() {
        let l = parse_gmt_line("APOPTOSIS\tsome url\tTP53\tBAX,1.0\t\tCASP3\n").unwrap().unwrap();
        assert_eq!(l.term, "APOPTOSIS");
        assert_eq!(l.description.as_deref(), Some("some url"));
        assert_eq!(l.name, "some url");
        let msigdb = parse_gmt_line("HALLMARK_P53\thttps://www.gsea-msigdb.org/x\tTP53").unwrap().unwrap();
        assert_eq!(msigdb.name, "HALLMARK_P53");
        assert_eq!(parse_gmt_line("GO:0006270\tNA\tMCM2").unwrap().unwrap().name, "GO:0006270");
        assert_eq!(l.genes, vec!["TP53", "BAX", "CASP3"]);
        assert_eq!(parse_gmt_line("  \n").unwrap(), None);
        assert_eq!(parse_gmt_line("# comment").unwrap(), None);
        assert!(parse_gmt_line("\tdesc\tTP53").unwrap_err().contains("empty term"));
        assert!(parse_gmt_line("ONLYTERM").unwrap_err().contains("no tab-separated"));
        assert!(parse_gmt_line("T\tdesc\t\t").unwrap_err().contains("lists no genes"));
        assert_eq!(parse_gmt_line("T\tNA\tA1BG").unwrap().unwrap().description, None);
    }
}
