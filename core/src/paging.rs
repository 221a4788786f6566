//! Paged lists: one page, or a stream over all of them; and the one sort option behind the API's five ways of
//! naming it.
//!
//! List endpoints answer with `PagingResult {Result, NextPageLink, PreviousPageLink, TotalCount}` and take a
//! 0-based `pageNumber` with a `pageSize`. The sort parameters differ per endpoint (`sortField`/`desc`,
//! `sortBy`/`isDesc`, `sortBy`/`isAsc`, `propertyName`/`isAscending`, or `sortBy` alone); [`Sort`] says what the
//! caller means and [`SortStyle`] (chosen per operation by the generator) spells it for the endpoint.

use std::collections::VecDeque;
use std::future::Future;

use futures::Stream;
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{Error, Result};

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct Page<T> {
    /// The items of this page.
    #[serde(rename = "Result", default = "Vec::new")]
    pub result: Vec<T>,
    /// Absolute URL of the next page, `None` when there is none (the server sends `""`).
    #[serde(
        rename = "NextPageLink",
        default,
        deserialize_with = "empty_is_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub next_page_link: Option<String>,
    /// Absolute URL of the previous page, `None` when there is none.
    #[serde(
        rename = "PreviousPageLink",
        default,
        deserialize_with = "empty_is_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub previous_page_link: Option<String>,
    /// Total number of items over all pages.
    #[serde(
        rename = "TotalCount",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub total_count: Option<i32>,
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Page {
            result: Vec::new(),
            next_page_link: None,
            previous_page_link: None,
            total_count: None,
        }
    }
}

fn empty_is_none<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|s| !s.is_empty()))
}

/// Which page to ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// 0-based page number.
    pub page_number: i32,
    /// Items per page (the platform documents maxima of 99 or 100 depending on the list).
    pub page_size: i32,
}

impl Default for PageRequest {
    /// Page 0 with 50 items.
    fn default() -> Self {
        PageRequest {
            page_number: 0,
            page_size: 50,
        }
    }
}

impl PageRequest {
    pub(crate) fn validate(&self) -> Result<()> {
        if self.page_number < 0 {
            return Err(Error::validation(
                "page_number",
                "pages are numbered from 0",
            ));
        }
        if !(1..=1000).contains(&self.page_size) {
            return Err(Error::validation(
                "page_size",
                format!("{} is not between 1 and 1000", self.page_size),
            ));
        }
        Ok(())
    }
}

/// A sort order: a field of the listed items and a direction.
///
/// ```
/// use autoshares::paging::Sort;
/// let newest_first = Sort::descending("CreateDate");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sort {
    field: String,
    descending: bool,
}

impl Sort {
    /// Ascending by `field` (a property name of the listed items, e.g. `Id`).
    pub fn ascending(field: impl Into<String>) -> Sort {
        Sort {
            field: field.into(),
            descending: false,
        }
    }

    /// Descending by `field`.
    pub fn descending(field: impl Into<String>) -> Sort {
        Sort {
            field: field.into(),
            descending: true,
        }
    }

    /// The field.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// Whether the order is descending.
    pub fn is_descending(&self) -> bool {
        self.descending
    }

    /// Writes this sort in the endpoint's parameter names.
    pub(crate) fn apply(
        &self,
        style: SortStyle,
        query: &mut Vec<(&'static str, String)>,
    ) -> Result<()> {
        crate::filter::check_field("sort", &self.field)?;
        let f = self.field.clone();
        let d = self.descending;
        match style {
            SortStyle::SortField => query.extend([("sortField", f), ("desc", d.to_string())]),
            SortStyle::SortByIsDesc => query.extend([("sortBy", f), ("isDesc", d.to_string())]),
            SortStyle::SortByIsAsc => query.extend([("sortBy", f), ("isAsc", (!d).to_string())]),
            SortStyle::PropertyName => {
                query.extend([("propertyName", f), ("isAscending", (!d).to_string())])
            }
            SortStyle::SortByOnly => {
                if d {
                    return Err(Error::validation("sort", "this list sorts ascending only"));
                }
                query.push(("sortBy", f))
            }
        }
        Ok(())
    }
}

/// How an endpoint names its sort parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortStyle {
    /// `sortField` + `desc` (orders, positions, securities).
    SortField,
    /// `sortBy` + `isDesc` (transactions, price alerts, ACH, transfers).
    SortByIsDesc,
    /// `sortBy` + `isAsc` (activity).
    SortByIsAsc,
    /// `propertyName` + `isAscending` (all accounts).
    PropertyName,
    /// `sortBy` only (IPO offerings).
    SortByOnly,
}

/// A stream of every item from page `start` on: fetches the next page only when the previous one is consumed,
/// and stops at an empty or short page or when `TotalCount` items were seen.
pub(crate) fn stream_pages<T, F, Fut>(
    start: PageRequest,
    fetch: F,
) -> impl Stream<Item = Result<T>> + Send + 'static
where
    T: Send + 'static,
    F: Fn(i32) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Page<T>>> + Send + 'static,
{
    struct State<T, F> {
        fetch: F,
        next: Option<i32>,
        buffer: VecDeque<T>,
        seen: i64,
        size: i32,
    }
    let state = State {
        fetch,
        next: Some(start.page_number),
        buffer: VecDeque::new(),
        seen: i64::from(start.page_number) * i64::from(start.page_size),
        size: start.page_size,
    };
    futures::stream::unfold(state, |mut st| async move {
        loop {
            if let Some(item) = st.buffer.pop_front() {
                return Some((Ok(item), st));
            }
            let n = st.next?;
            match (st.fetch)(n).await {
                Err(e) => {
                    st.next = None;
                    return Some((Err(e), st));
                }
                Ok(page) => {
                    let got = page.result.len();
                    st.seen += got as i64;
                    let more = got > 0
                        && got as i32 >= st.size
                        && page.total_count.is_none_or(|t| st.seen < i64::from(t));
                    st.next = if more { n.checked_add(1) } else { None };
                    st.buffer.extend(page.result);
                    if st.buffer.is_empty() {
                        return None;
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    #[test]
    fn empty_links_are_none_and_the_envelope_decodes() {
        let p: Page<i32> = serde_json::from_str(
            r#"{"Result":[1,2],"NextPageLink":"","PreviousPageLink":null,"TotalCount":2}"#,
        )
        .unwrap();
        assert_eq!(p.result, vec![1, 2]);
        assert_eq!(p.next_page_link, None);
        assert_eq!(p.total_count, Some(2));
    }

    #[test]
    fn sort_styles_spell_the_direction() {
        let mut q = Vec::new();
        Sort::descending("Date")
            .apply(SortStyle::SortByIsAsc, &mut q)
            .unwrap();
        Sort::descending("Id")
            .apply(SortStyle::PropertyName, &mut q)
            .unwrap();
        assert_eq!(
            q,
            vec![
                ("sortBy", "Date".to_string()),
                ("isAsc", "false".to_string()),
                ("propertyName", "Id".to_string()),
                ("isAscending", "false".to_string())
            ]
        );
        assert!(Sort::ascending("Id; drop")
            .apply(SortStyle::SortField, &mut q)
            .is_err());
    }

    #[tokio::test]
    async fn the_stream_walks_pages_until_the_total() {
        let all: Vec<i32> = (0..25).collect();
        let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let c = calls.clone();
        let s = stream_pages(
            PageRequest {
                page_number: 0,
                page_size: 10,
            },
            move |n| {
                c.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let chunk: Vec<i32> = all.iter().copied().skip(n as usize * 10).take(10).collect();
                async move {
                    Ok(Page {
                        result: chunk,
                        total_count: Some(25),
                        ..Page::default()
                    })
                }
            },
        );
        let got: Vec<i32> = s.map(|r| r.unwrap()).collect().await;
        assert_eq!(got, (0..25).collect::<Vec<_>>());
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 3);
    }
}
