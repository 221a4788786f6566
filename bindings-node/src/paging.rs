//! Paged lists from JS: `{ pageNumber, pageSize, sort: { field, descending } }` on every paged method's options,
//! and `<method>Pages()` async iterators (added in `lib.cjs`, one per entry of the generated `paged.cjs`).

use napi_derive::napi;

/// A sort order: a property name of the listed items (e.g. `'CreateDate'`) and a direction. Core spells it in
/// the endpoint's own parameters (`sortField`/`desc`, `sortBy`/`isDesc`, ...).
#[napi(object, object_to_js = false)]
pub struct SortOptions {
    /// A property name of the listed items, e.g. `'Id'`.
    pub field: String,
    /// Newest/largest first. Default false.
    pub descending: Option<bool>,
}

impl SortOptions {
    pub fn into_core(self) -> autoshares::paging::Sort {
        if self.descending.unwrap_or(false) {
            autoshares::paging::Sort::descending(self.field)
        } else {
            autoshares::paging::Sort::ascending(self.field)
        }
    }
}
