use std::fmt;

/// One gene as a user typed it: a symbol or alias in any case, an Entrez id, an Ensembl gene id
/// or a UniProt accession. Parsing only classifies and normalises; resolving against the store
/// happens in `store::GeneResolver`, which knows about ambiguity.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GeneQuery {
    Entrez(u32),
    Ensembl(String),
    /// A symbol, alias or UniProt accession, upper-cased. These share one key space because users
    /// paste them interchangeably and they do not collide in practice.
    Name(String),
}

impl GeneQuery {
    /// Longest accepted gene string; anything longer is not a gene id and is rejected early.
    pub const MAX_LEN: usize = 100;

    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if t.is_empty() {
            return Err("gene is empty".into());
        }
        if t.len() > Self::MAX_LEN {
            // By characters: a byte cut could split one and panic.
            return Err(format!("gene `{}…` is longer than {} characters", t.chars().take(20).collect::<String>(), Self::MAX_LEN));
        }
        if t.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(format!("gene `{t}` contains whitespace or control characters"));
        }
        if t.bytes().all(|b| b.is_ascii_digit()) {
            return t
                .parse::<u32>()
                .map(GeneQuery::Entrez)
                .map_err(|_| format!("gene id `{t}` is too large for an Entrez id"));
        }
        let up = t.to_ascii_uppercase();
        if up.starts_with("ENSG") && up[4..].bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            // Drop a version suffix: ENSG00000141510.17 and ENSG00000141510 are the same gene.
            let base = up.split('.').next().unwrap_or(&up).to_string();
            return Ok(GeneQuery::Ensembl(base));
        }
        Ok(GeneQuery::Name(up))
    }
}

impl fmt::Display for GeneQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GeneQuery::Entrez(id) => write!(f, "{id}"),
            GeneQuery::Ensembl(s) | GeneQuery::Name(s) => f.write_str(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_ids() {
        assert_eq!(GeneQuery::parse("7157").unwrap(), GeneQuery::Entrez(7157));
        assert_eq!(GeneQuery::parse("tp53").unwrap(), GeneQuery::Name("TP53".into()));
        assert_eq!(
            GeneQuery::parse("ENSG00000141510.17").unwrap(),
            GeneQuery::Ensembl("ENSG00000141510".into())
        );
        assert_eq!(GeneQuery::parse("P04637").unwrap(), GeneQuery::Name("P04637".into()));
        assert!(GeneQuery::parse("  ").is_err());
        assert!(GeneQuery::parse("TP 53").is_err());
        assert!(GeneQuery::parse("99999999999").is_err());
        assert!(GeneQuery::parse(&"A".repeat(200)).is_err());
    }
}
