use std::fmt;
use std::str::FromStr;

/// An NCBI Entrez Gene id, the key genes are stored and indexed under. A type of its own so a
/// gene key is never mistaken for a set id, a vocabulary column or a count once past the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Entrez(pub u32);

impl fmt::Display for Entrez {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Entrez {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(Entrez)
    }
}

impl From<u32> for Entrez {
    fn from(id: u32) -> Self {
        Entrez(id)
    }
}

impl From<Entrez> for u32 {
    fn from(id: Entrez) -> Self {
        id.0
    }
}
