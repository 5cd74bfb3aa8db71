use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use super::LibraryName;

/// The public id of a gene set: `LIBRARY:term`, e.g. `GO_BP:GO:0006915` or `PubMed:10521396`.
///
/// Library names cannot contain `:`, so the first colon always separates library from term and
/// terms keep whatever colons they have.
///
/// Held as the joined text behind an `Arc`: an enrichment result or a page of predictions hands
/// out the same ids again and again, and a clone is then a reference count, not two strings.
/// Ordered by library, then term.
#[derive(Clone)]
pub struct SetId {
    text: Arc<str>,
    /// Bytes of the library name at the start of `text`.
    library_len: u32,
}

impl SetId {
    pub fn new(library: LibraryName, term: impl AsRef<str>) -> Self {
        Self::join(library.as_str(), term.as_ref())
    }

    /// The id of set `term` of a library whose name the caller knows to hold no `:` (a stored
    /// library, or a GMT file named on the command line, which is checked for that).
    pub(crate) fn join(library: &str, term: &str) -> Self {
        debug_assert!(!library.contains(':'), "library name `{library}` holds a `:`");
        let library_len = u32::try_from(library.len()).expect("library names are short");
        Self { text: Arc::from(format!("{library}:{term}")), library_len }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        let (lib, term) = s
            .trim()
            .split_once(':')
            .ok_or_else(|| format!("gene set id `{s}` is not of the form LIBRARY:term"))?;
        if term.is_empty() {
            return Err(format!("gene set id `{s}` has an empty term"));
        }
        Ok(Self::new(LibraryName::parse(lib)?, term))
    }

    /// `LIBRARY:term`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn library(&self) -> &str {
        &self.text[..self.library_len as usize]
    }

    pub fn term(&self) -> &str {
        &self.text[self.library_len as usize + 1..]
    }
}

impl PartialEq for SetId {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for SetId {}

impl Hash for SetId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.text.hash(state)
    }
}

impl PartialOrd for SetId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SetId {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.library(), self.term()).cmp(&(other.library(), other.term()))
    }
}

impl fmt::Debug for SetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SetId({:?})", &*self.text)
    }
}

impl std::str::FromStr for SetId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::parse(s)
    }
}

impl serde::Serialize for SetId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl fmt::Display for SetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_colon_splits_library_from_term() {
        let id = SetId::parse("GO_BP:GO:0006915").unwrap();
        assert_eq!(id.library(), "GO_BP");
        assert_eq!(id.term(), "GO:0006915");
        assert_eq!(id.to_string(), "GO_BP:GO:0006915");
        assert!(SetId::parse("GO_BP").is_err());
        assert!(SetId::parse("GO_BP:").is_err());
    }

    #[test]
    fn ordered_by_library_then_term() {
        // As text `KEGG-2:x` sorts before `KEGG:y` (`-` < `:`); by library it comes after.
        let ids = |v: &[&str]| v.iter().map(|s| SetId::parse(s).unwrap()).collect::<Vec<_>>();
        let mut got = ids(&["KEGG-2:a", "KEGG:y", "GO_BP:GO:2", "GO_BP:GO:10"]);
        got.sort();
        assert_eq!(got, ids(&["GO_BP:GO:10", "GO_BP:GO:2", "KEGG:y", "KEGG-2:a"]));
    }
}
