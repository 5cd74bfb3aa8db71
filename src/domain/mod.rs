//! Newtypes that parse user input once, at the edge, so the rest of the code can trust them.
mod entrez;
mod gene_query;
mod library_name;
mod set_id;

pub use entrez::Entrez;
pub use gene_query::GeneQuery;
pub use library_name::LibraryName;
pub use set_id::SetId;

/// The library of literature sets (one per paper, from org.Hs.eg.db's gene-PubMed links):
/// co-mention, not curation, so answers that speak of curated knowledge count it apart.
pub const LITERATURE_LIBRARY: &str = "PubMed";

/// A set named only by its id: a literature set is named "PMID n" (org.Hs.eg.db has no paper
/// titles), a GMT set may repeat its term. Such sets say nothing to a reader scanning a list,
/// so answers show named sets first and these by id.
pub fn is_untitled_set(term: &str, name: &str) -> bool {
    let name = name.trim();
    name.is_empty()
        || name.eq_ignore_ascii_case(term)
        || name.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("PMID ")) && name[5..].eq_ignore_ascii_case(term)
}
