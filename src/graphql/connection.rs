//! Relay cursor connections over lists whose order is fixed by the data (Entrez order, term
//! order, library then term). Cursors are opaque encodings of a position in that order; because
//! the order never changes while the server runs, walking `after: endCursor` visits every item
//! exactly once.

use async_graphql::connection::{Connection, CursorType, Edge, OpaqueCursor};
use async_graphql::{OutputType, SimpleObject};

use super::errors::ApiError;
use super::limits::MAX_PAGE;

/// Extra fields every connection carries.
#[derive(SimpleObject)]
pub struct ConnectionTotals {
    /// Items in the whole list, not just this page.
    pub total_count: usize,
}

pub type Cursor = OpaqueCursor<usize>;
pub type Page<T> = Connection<Cursor, T, ConnectionTotals>;

/// A validated `first`/`after` pair: the slice `offset..offset + limit` of the list.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub offset: usize,
    pub limit: usize,
}

impl PageRequest {
    pub fn parse(first: i32, after: Option<&str>) -> Result<Self, ApiError> {
        if first < 0 || first as usize > MAX_PAGE {
            return Err(ApiError::BadInput(format!("`first` must be between 0 and {MAX_PAGE}, got {first}")));
        }
        let offset = match after {
            None => 0,
            Some(c) => Cursor::decode_cursor(c)
                .map_err(|_| ApiError::BadInput(format!("`after` cursor `{c}` is not a cursor from this list")))?
                .0
                .saturating_add(1),
        };
        Ok(Self { offset, limit: first as usize })
    }

    /// The part of `0..total` this page covers.
    pub fn range(&self, total: usize) -> std::ops::Range<usize> {
        let start = self.offset.min(total);
        start..(start + self.limit).min(total)
    }

    /// Builds the page from the nodes of [`Self::range`], in order.
    pub fn connection<T: OutputType>(&self, total: usize, nodes: Vec<T>) -> Page<T> {
        let range = self.range(total);
        debug_assert_eq!(nodes.len(), range.len());
        let mut page = Connection::with_additional_fields(range.start > 0, range.end < total, ConnectionTotals { total_count: total });
        page.edges
            .extend(nodes.into_iter().enumerate().map(|(i, node)| Edge::new(OpaqueCursor(range.start + i), node)));
        page
    }
}

/// Complexity of a paged or listed field: each of up to `first` items costs its selection.
pub fn list_cost(first: i32, child_complexity: usize) -> usize {
    (first.max(0) as usize).max(1).saturating_mul(child_complexity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cover_the_list_once_and_reject_bad_input() {
        let total = 7;
        let mut after: Option<String> = None;
        let mut seen = vec![];
        loop {
            let p = PageRequest::parse(3, after.as_deref()).unwrap();
            let nodes: Vec<i32> = p.range(total).map(|i| i as i32).collect();
            let c = p.connection(total, nodes);
            seen.extend(c.edges.iter().map(|e| e.node));
            if !c.has_next_page {
                break;
            }
            after = c.edges.last().map(|e| e.cursor.encode_cursor());
        }
        assert_eq!(seen, (0..7).collect::<Vec<_>>());
        assert!(PageRequest::parse(501, None).is_err());
        assert!(PageRequest::parse(-1, None).is_err());
        assert!(PageRequest::parse(10, Some("not a cursor!")).is_err());
    }
}
