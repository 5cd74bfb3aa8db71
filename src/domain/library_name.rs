use std::fmt;

use serde::{Deserialize, Serialize};

/// A library name such as `GO_BP` or `PubMed`.
///
/// Restricted to `[A-Za-z0-9_.-]` so it can be used inside set ids (`LIBRARY:term`), file names
/// and URLs without escaping.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LibraryName(String);

impl LibraryName {
    pub const MAX_LEN: usize = 64;

    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("library name is empty".into());
        }
        if s.len() > Self::MAX_LEN {
            return Err(format!("library name `{s}` is longer than {} characters", Self::MAX_LEN));
        }
        if let Some(c) = s.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))) {
            return Err(format!("library name `{s}` contains `{c}`; use letters, digits, `_`, `.` or `-`"));
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LibraryName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_usual_names_and_rejects_separators() {
        assert_eq!(LibraryName::parse(" GO_BP ").unwrap().as_str(), "GO_BP");
        assert!(LibraryName::parse("KEGG_2021.Human-v2").is_ok());
        assert!(LibraryName::parse("").is_err());
        assert!(LibraryName::parse("GO:BP").unwrap_err().contains("`:`"));
        assert!(LibraryName::parse("a b").is_err());
        assert!(LibraryName::parse(&"x".repeat(65)).is_err());
    }
}
