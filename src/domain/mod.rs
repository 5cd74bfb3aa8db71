//! Newtypes that parse user input once, at the edge, so the rest of the code can trust them.
mod gene_query;
mod library_name;
mod set_id;

pub use gene_query::GeneQuery;
pub use library_name::LibraryName;
pub use set_id::SetId;
