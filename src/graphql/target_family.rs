//! Druggable target families, read off GO molecular-function membership (the GO_MF library,
//! which is propagated over GO's `is_a`/`part_of` offspring, so a gene annotated to a child term
//! is a member of the parent set).
//!
//! A gene gets the first family in [`FAMILIES`] order whose GO terms contain it: the order goes
//! from the most specific class to the most general, because an ion channel is also a
//! transporter and a kinase is also an enzyme.
//!
//! GO terms used (ids and names from GO.db 3.16, GO release 2022-07-01):
//! - GPCR: GO:0004930 G protein-coupled receptor activity
//! - nuclear receptor: GO:0004879 nuclear receptor activity
//! - ion channel: GO:0005216 ion channel activity
//! - kinase: GO:0004672 protein kinase activity
//! - transporter: GO:0005215 transporter activity
//! - enzyme: the EC top-level classes under GO:0003824 catalytic activity. catalytic activity
//!   itself (5,488 genes), transferase (GO:0016740, 2,242) and hydrolase (GO:0016787, 2,344)
//!   exceed the 2,000-gene cap on stored GO sets, so transferase and hydrolase are represented by
//!   their main children: GO:0016491 oxidoreductase; GO:0016772, GO:0016757, GO:0016746,
//!   GO:0016741, GO:0016765, GO:0016782 and GO:0019787 (transferases of phosphorus-containing,
//!   glycosyl, acyl, one-carbon, alkyl/aryl and sulfur-containing groups, and ubiquitin-like
//!   protein transferases); GO:0016788, GO:0008233, GO:0016817, GO:0016798 and GO:0016810
//!   (hydrolases of ester bonds, peptide bonds, acid anhydrides, glycosyl bonds and non-peptide
//!   C-N bonds); GO:0016829 lyase; GO:0016853 isomerase; GO:0016874 ligase.
//!
//! A term missing from the store (a smaller library, or a GMT without it) simply contributes no
//! genes; the server logs which ones were missing at start.

use std::collections::HashMap;

use crate::domain::{LibraryName, SetId};
use crate::store::Store;

#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetFamily {
    Gpcr,
    NuclearReceptor,
    IonChannel,
    Kinase,
    Transporter,
    Enzyme,
    None,
}

/// Families in precedence order, with the GO_MF terms that define them.
pub const FAMILIES: &[(TargetFamily, &[&str])] = &[
    (TargetFamily::Gpcr, &["GO:0004930"]),
    (TargetFamily::NuclearReceptor, &["GO:0004879"]),
    (TargetFamily::IonChannel, &["GO:0005216"]),
    (TargetFamily::Kinase, &["GO:0004672"]),
    (TargetFamily::Transporter, &["GO:0005215"]),
    (
        TargetFamily::Enzyme,
        &[
            "GO:0016491", "GO:0016772", "GO:0016757", "GO:0016746", "GO:0016741", "GO:0016765", "GO:0016782",
            "GO:0019787", "GO:0016788", "GO:0008233", "GO:0016817", "GO:0016798", "GO:0016810", "GO:0016829",
            "GO:0016853", "GO:0016874",
        ],
    ),
];

impl TargetFamily {
    /// The family in words, for explanations; `None` for no family.
    pub fn words(self) -> Option<&'static str> {
        match self {
            Self::Gpcr => Some("G protein-coupled receptor"),
            Self::NuclearReceptor => Some("nuclear receptor"),
            Self::IonChannel => Some("ion channel"),
            Self::Kinase => Some("protein kinase"),
            Self::Transporter => Some("transporter"),
            Self::Enzyme => Some("enzyme"),
            Self::None => None,
        }
    }
}

const LIBRARY: &str = "GO_MF";

/// Each gene's family, computed once at start.
pub struct TargetFamilies {
    by_gene: HashMap<u32, TargetFamily>,
    pub missing_terms: Vec<&'static str>,
}

impl TargetFamilies {
    pub fn build(store: &Store) -> crate::store::Result<Self> {
        let library = LibraryName::parse(LIBRARY).expect("a valid library name");
        let mut by_gene = HashMap::new();
        let mut missing_terms = Vec::new();
        for (family, terms) in FAMILIES {
            for term in *terms {
                match store.gene_set(&SetId::new(library.clone(), *term))? {
                    Some(set) => {
                        for g in set.genes {
                            // Earlier (more specific) families win.
                            by_gene.entry(g).or_insert(*family);
                        }
                    }
                    None => missing_terms.push(*term),
                }
            }
        }
        if !missing_terms.is_empty() {
            tracing::info!(missing = ?missing_terms, "GO_MF terms for target families not in the store; their genes get no family from them");
        }
        Ok(Self { by_gene, missing_terms })
    }

    pub fn of(&self, entrez: u32) -> TargetFamily {
        self.by_gene.get(&entrez).copied().unwrap_or(TargetFamily::None)
    }
}
