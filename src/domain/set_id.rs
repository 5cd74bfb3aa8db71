use std::fmt;

use super::LibraryName;

/// The public id of a gene set: `LIBRARY:term`, e.g. `GO_BP:GO:0006915` or `PubMed:10521396`.
///
/// Library names cannot contain `:`, so the first colon always separates library from term and
/// terms keep whatever colons they have.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SetId {
    pub library: LibraryName,
    pub term: String,
}

impl SetId {
    pub fn new(library: LibraryName, term: impl Into<String>) -> Self {
        Self { library, term: term.into() }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        let (lib, term) = s
            .trim()
            .split_once(':')
            .ok_or_else(|| format!("gene set id `{s}` is not of the form LIBRARY:term"))?;
        if term.is_empty() {
            return Err(format!("gene set id `{s}` has an empty term"));
        }
        Ok(Self { library: LibraryName::parse(lib)?, term: term.to_string() })
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
        s.collect_str(self)
    }
}

impl fmt::Display for SetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.library, self.term)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_colon_splits_library_from_term() {
        let id = SetId::parse("GO_BP:GO:0006915").unwrap();
        assert_eq!(id.library.as_str(), "GO_BP");
        assert_eq!(id.term, "GO:0006915");
        assert_eq!(id.to_string(), "GO_BP:GO:0006915");
        assert!(SetId::parse("GO_BP").is_err());
        assert!(SetId::parse("GO_BP:").is_err());
    }
}
