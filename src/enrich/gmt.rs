//! GMT files straight into an index, without a store (`genekg enrich --gmt`).
//!
//! Why chunks: a one-shot enrichment of a list against GMT files spends most of its time
//! reading them, and one library (GO BP, 5 MB) is half of the default text. Each file is cut
//! at line ends into pieces of about [`CHUNK_BYTES`] that are parsed in parallel, each with its
//! own gene table borrowed from the text; the tables are merged once at the end.
//!
//! Why flat arrays: the default libraries hold 37,010 sets and ~1.5M memberships. In a
//! one-shot run's profile (`perf record`, 2026-11-28) a third of the time was the kernel
//! zeroing fresh pages and a tenth growing vectors, and a `Vec` per set, grown gene by gene,
//! then copied into the library's member array, fed both. Each chunk now writes its sets'
//! genes into one array, and each file into its library's member array directly
//! ([`LibraryIndex::from_dense`]).

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use super::index::LibraryIndex;
use super::{EnrichError, Result};
use crate::ingest::split_gmt_line;

const CHUNK_BYTES: usize = 1 << 20;

/// Libraries read from GMT files: gene names (upper-cased, so matching ignores case) in name
/// order, and per file a library laid out over those names' numbers.
pub(super) struct GmtLibraries {
    pub names: Vec<String>,
    pub libraries: Vec<LibraryIndex>,
}

/// A run of whole lines of one file, parsed: the distinct genes it names and its sets.
struct Chunk<'a> {
    file: usize,
    genes: Vec<Cow<'a, str>>,
    sets: Vec<ParsedSet<'a>>,
    /// Every set's genes, one set after the other, as indices into `genes`: as written
    /// (unsorted, maybe repeated).
    members: Vec<u32>,
}

/// One line's set; its genes are `members[start..end]` of its chunk.
struct ParsedSet<'a> {
    term: &'a str,
    /// See [`crate::ingest::GmtFields::name`].
    name: &'a str,
    line: usize,
    start: u32,
    end: u32,
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
    let chunks: Vec<Chunk> =
        pieces.par_iter().map(|&(f, first_line, text)| parse_chunk(f, &files[f].1, first_line, text)).collect::<Result<_>>()?;

    let mut distinct: FxHashSet<&str> =
        FxHashSet::with_capacity_and_hasher(chunks.iter().map(|c| c.genes.len()).max().unwrap_or(0) * 2, Default::default());
    for c in &chunks {
        distinct.extend(c.genes.iter().map(|g| g.as_ref()));
    }
    // Genes numbered in name order, so the index does not depend on the order of the files.
    let mut names: Vec<&str> = distinct.into_iter().collect();
    names.par_sort_unstable();
    let id_of: FxHashMap<&str, u32> = names.iter().enumerate().map(|(i, &n)| (n, i as u32)).collect();

    let mut by_file: Vec<Vec<&Chunk>> = (0..files.len()).map(|_| Vec::new()).collect();
    for c in &chunks {
        by_file[c.file].push(c);
    }
    let libraries = files
        .par_iter()
        .zip(by_file)
        .map(|((name, path), mine)| {
            let set_count: usize = mine.iter().map(|c| c.sets.len()).sum();
            if set_count == 0 {
                return Err(EnrichError::Gmt(format!("{} holds no gene sets", path.display())));
            }
            let mut line_of: FxHashMap<&str, usize> = FxHashMap::with_capacity_and_hasher(set_count, Default::default());
            let mut offsets = Vec::with_capacity(set_count + 1);
            let mut members = Vec::with_capacity(mine.iter().map(|c| c.members.len()).sum());
            let (mut terms, mut set_names) = (Vec::with_capacity(set_count), Vec::with_capacity(set_count));
            offsets.push(0u32);
            // One set's genes at a time, reused across the file's sets.
            let mut set: Vec<u32> = Vec::new();
            for chunk in mine {
                let global: Vec<u32> = chunk.genes.iter().map(|g| id_of[g.as_ref()]).collect();
                for &ParsedSet { term, name: set_name, line, start, end } in &chunk.sets {
                    if let Some(first) = line_of.insert(term, line) {
                        return Err(EnrichError::Gmt(format!(
                            "{} line {line}: term `{term}` was already defined on line {first}",
                            path.display()
                        )));
                    }
                    set.clear();
                    set.extend(chunk.members[start as usize..end as usize].iter().map(|&g| global[g as usize]));
                    // A gene written twice in one set counts once (stored sets are distinct
                    // already, so this is the only place that needs it).
                    set.sort_unstable();
                    set.dedup();
                    members.extend_from_slice(&set);
                    offsets.push(u32::try_from(members.len()).expect("under 4 billion memberships per library"));
                    let term: Arc<str> = term.into();
                    let set_name = if set_name == &*term { term.clone() } else { set_name.into() };
                    terms.push(term);
                    set_names.push(set_name);
                }
            }
            Ok(LibraryIndex::from_dense(name, terms, set_names, offsets, members, names.len()))
        })
        .collect::<Result<_>>()?;
    Ok(GmtLibraries { names: names.into_iter().map(str::to_string).collect(), libraries })
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
    // Sized from the text so neither grows while parsing: a gene cell takes at least a few
    // bytes, and a 1 MB piece of the default libraries names ~10-20 thousand distinct genes.
    let mut chunk = Chunk { file, genes: Vec::new(), sets: Vec::new(), members: Vec::with_capacity(text.len() / 4) };
    let mut local: FxHashMap<Cow<'a, str>, u32> = FxHashMap::with_capacity_and_hasher(text.len() / 64, Default::default());
    for (i, line) in text.lines().enumerate() {
        let line_no = first_line + i;
        let fields = split_gmt_line(line)
            .map_err(|reason| EnrichError::Gmt(format!("{} line {line_no}: {reason}", path.display())))?;
        let Some(fields) = fields else { continue };
        let start = chunk.members.len() as u32;
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
            chunk.members.push(id);
        }
        let end = chunk.members.len() as u32;
        chunk.sets.push(ParsedSet { term: fields.term, name: fields.name(), line: line_no, start, end });
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
