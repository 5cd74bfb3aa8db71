//! GMT files straight into an index, without a store (`genekg enrich --gmt`).
//!
//! Why chunks: a one-shot enrichment of a list against GMT files spends most of its time
//! reading them, and one library (GO BP, 5 MB) is half of the default text. Each file is cut
//! at line ends into pieces of about [`CHUNK_BYTES`] that are parsed in parallel, each with its
//! own gene table borrowed from the text; the tables are merged once at the end.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use super::index::{RawLibrary, RawSet};
use super::{EnrichError, Result};
use crate::ingest::split_gmt_line;

const CHUNK_BYTES: usize = 1 << 20;

/// Libraries read from GMT files: gene names (upper-cased, so matching ignores case) in name
/// order, and per file a library whose genes index into those names.
pub(super) struct GmtLibraries {
    pub names: Vec<String>,
    pub libraries: Vec<RawLibrary>,
}

/// A run of whole lines of one file, parsed: the distinct genes it names and its sets.
struct Chunk<'a> {
    file: usize,
    genes: Vec<Cow<'a, str>>,
    sets: Vec<ParsedSet<'a>>,
}

/// One line's set; `genes` index into its chunk's genes, as written (unsorted, maybe repeated).
struct ParsedSet<'a> {
    term: &'a str,
    /// See [`crate::ingest::GmtFields::name`].
    name: &'a str,
    line: usize,
    genes: Vec<u32>,
}

/// Reads `(library name, path)` pairs. A malformed line or a term written twice is an error
/// naming file and line; a file without sets is an error naming the file.
pub(super) fn read_libraries(files: &[(String, PathBuf)]) -> Result<GmtLibraries> {
    let mut seen = FxHashSet::default();
    if let Some((name, _)) = files.iter().find(|(n, _)| !seen.insert(n)) {
        return Err(EnrichError::Gmt(format!("two files are named library `{name}`; name them apart with NAME=PATH")));
    }
    let texts: Vec<String> = files
        .par_iter()
        .map(|(_, path)| std::fs::read_to_string(path).map_err(|e| EnrichError::Gmt(format!("{}: {e}", path.display()))))
        .collect::<Result<_>>()?;
    let pieces: Vec<(usize, usize, &str)> =
        texts.iter().enumerate().flat_map(|(f, text)| split_at_lines(text).into_iter().map(move |(l, t)| (f, l, t))).collect();
    let mut chunks: Vec<Chunk> =
        pieces.par_iter().map(|&(f, first_line, text)| parse_chunk(f, &files[f].1, first_line, text)).collect::<Result<_>>()?;

    // The sets move out of the chunks while the names stay borrowed from them.
    let mut chunk_sets: Vec<Vec<ParsedSet>> = chunks.iter_mut().map(|c| std::mem::take(&mut c.sets)).collect();
    let mut distinct: FxHashSet<&str> = FxHashSet::default();
    for c in &chunks {
        distinct.extend(c.genes.iter().map(|g| g.as_ref()));
    }
    // Genes numbered in name order, so the index does not depend on the order of the files.
    let mut names: Vec<&str> = distinct.into_iter().collect();
    names.par_sort_unstable();
    let id_of: FxHashMap<&str, u32> = names.iter().enumerate().map(|(i, &n)| (n, i as u32)).collect();

    let libraries = files
        .par_iter()
        .zip(split_by_file(&mut chunk_sets, &chunks, files.len()))
        .map(|((name, path), mine)| {
            let mut line_of: FxHashMap<&str, usize> = FxHashMap::default();
            let mut sets = Vec::with_capacity(mine.iter().map(|(_, s)| s.len()).sum());
            for (chunk, chunk_sets) in mine {
                let global: Vec<u32> = chunk.genes.iter().map(|g| id_of[g.as_ref()]).collect();
                for ParsedSet { term, name: set_name, line, mut genes } in chunk_sets.drain(..) {
                    if let Some(first) = line_of.insert(term, line) {
                        return Err(EnrichError::Gmt(format!(
                            "{} line {line}: term `{term}` was already defined on line {first}",
                            path.display()
                        )));
                    }
                    genes.iter_mut().for_each(|g| *g = global[*g as usize]);
                    // A gene written twice in one set counts once (stored sets are distinct
                    // already, so this is the only place that needs it).
                    genes.sort_unstable();
                    genes.dedup();
                    let term: std::sync::Arc<str> = term.into();
                    let name = if set_name == &*term { term.clone() } else { set_name.into() };
                    sets.push(RawSet { name, term, genes });
                }
            }
            if sets.is_empty() {
                return Err(EnrichError::Gmt(format!("{} holds no gene sets", path.display())));
            }
            Ok(RawLibrary { name: name.clone(), sets })
        })
        .collect::<Result<_>>()?;
    Ok(GmtLibraries { names: names.into_iter().map(str::to_string).collect(), libraries })
}

/// Each file's chunks (in order) with their sets, so files can be assembled in parallel.
fn split_by_file<'c, 'a>(
    sets: &'c mut [Vec<ParsedSet<'a>>],
    chunks: &'c [Chunk<'a>],
    files: usize,
) -> Vec<Vec<(&'c Chunk<'a>, &'c mut Vec<ParsedSet<'a>>)>> {
    let mut by_file: Vec<Vec<_>> = (0..files).map(|_| Vec::new()).collect();
    for (chunk, sets) in chunks.iter().zip(sets.iter_mut()) {
        by_file[chunk.file].push((chunk, sets));
    }
    by_file
}

/// Cuts `text` after a newline roughly every [`CHUNK_BYTES`]; each piece comes with the
/// 1-based number of its first line.
fn split_at_lines(text: &str) -> Vec<(usize, &str)> {
    let mut pieces = Vec::new();
    let (mut start, mut line) = (0, 1);
    while start < text.len() {
        let end = match text[(start + CHUNK_BYTES).min(text.len())..].find('\n') {
            Some(i) => (start + CHUNK_BYTES).min(text.len()) + i + 1,
            None => text.len(),
        };
        let piece = &text[start..end];
        pieces.push((line, piece));
        line += piece.bytes().filter(|&b| b == b'\n').count();
        start = end;
    }
    pieces
}

fn parse_chunk<'a>(file: usize, path: &Path, first_line: usize, text: &'a str) -> Result<Chunk<'a>> {
    let mut chunk = Chunk { file, genes: Vec::new(), sets: Vec::new() };
    let mut local: FxHashMap<Cow<'a, str>, u32> = FxHashMap::default();
    for (i, line) in text.lines().enumerate() {
        let line_no = first_line + i;
        let fields = split_gmt_line(line)
            .map_err(|reason| EnrichError::Gmt(format!("{} line {line_no}: {reason}", path.display())))?;
        let Some(fields) = fields else { continue };
        let mut genes = Vec::new();
        for g in fields.genes() {
            let name: Cow<'a, str> =
                if g.bytes().any(|b| b.is_ascii_lowercase() || !b.is_ascii()) { g.to_uppercase().into() } else { g.into() };
            let id = match local.get(name.as_ref()) {
                Some(&id) => id,
                None => {
                    let id = chunk.genes.len() as u32;
                    chunk.genes.push(name.clone());
                    local.insert(name, id);
                    id
                }
            };
            genes.push(id);
        }
        chunk.sets.push(ParsedSet { term: fields.term, name: fields.name(), line: line_no, genes });
    }
    Ok(chunk)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_end_at_line_ends_and_count_lines() {
        let text: String = (0..300).map(|i| format!("T{i}\td\t{}\n", vec!["GENE"; 2_000 + i].join("\t"))).collect();
        let pieces = split_at_lines(&text);
        assert!(pieces.len() > 2, "{} pieces", pieces.len());
        let mut offset = 0;
        for (first, piece) in &pieces {
            assert!(piece.ends_with('\n'));
            assert_eq!(*first, text[..offset].matches('\n').count() + 1);
            assert!(piece.starts_with(&format!("T{}\t", first - 1)));
            offset += piece.len();
        }
        assert_eq!(offset, text.len());
        assert_eq!(split_at_lines("a\tb\tc"), vec![(1, "a\tb\tc")]);
        assert!(split_at_lines("").is_empty());
    }
}
