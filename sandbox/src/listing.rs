//! Lists: the query parameters (case-insensitive names), sorting, paging and the `PagingResult`
//! envelope, implemented once for every list endpoint.

use std::collections::HashMap;

use http::Uri;
use serde_json::{json, Value};

use crate::filter::{self, EnumLookup, Filter};
use crate::http::ApiError;
use crate::state::AppState;

/// The query string of a request, with case-insensitive parameter names (as ASP.NET binds them).
#[derive(Clone, Debug, Default)]
pub struct Params(HashMap<String, String>);

impl Params {
    /// Parses a raw query string.
    pub fn parse(query: Option<&str>) -> Params {
        let map = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
            .map(|(k, v)| (k.to_ascii_lowercase(), v.into_owned()))
            .collect();
        Params(map)
    }

    /// A parameter's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    /// Whether every one of these parameters is present.
    pub fn has_all(&self, names: &[&str]) -> bool {
        names.iter().all(|n| self.get(n).is_some())
    }

    /// An int32 parameter; a malformed value is a 422 like ASP.NET model binding.
    pub fn int(&self, name: &str) -> Result<Option<i32>, ApiError> {
        match self.get(name) {
            None | Some("") => Ok(None),
            Some(v) => v.trim().parse().map(Some).map_err(|_| {
                ApiError::invalid(name, format!("The value '{v}' is not valid for {name}."))
            }),
        }
    }

    /// A boolean parameter.
    pub fn boolean(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name) {
            None | Some("") => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => Err(ApiError::invalid(
                name,
                format!("The value '{v}' is not valid for {name}."),
            )),
        }
    }

    /// The parsed `filter` parameter (an invalid expression is 400).
    pub fn filter(&self) -> Result<Filter, ApiError> {
        parse_filter(self.get("filter"))
    }
}

/// Parses an optional filter expression; invalid is 400.
pub fn parse_filter(expr: Option<&str>) -> Result<Filter, ApiError> {
    filter::parse(expr.unwrap_or("")).map_err(|e| ApiError::bad_request(e.to_string()))
}

/// How the missing required paging parameters of a list are answered (CATALOGUE §3.0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MissingParams {
    /// ASP.NET versioning: 404 `UnsupportedApiVersion` naming the method.
    UnsupportedApiVersion,
    /// ASP.NET routing: 404 `No HTTP resource was found ...`.
    RouteNotFound,
}

/// 404 with the configured body unless every required parameter is present.
pub fn require(
    state: &AppState,
    uri: &Uri,
    params: &Params,
    names: &[&str],
    how: MissingParams,
) -> Result<(), ApiError> {
    if params.has_all(names) {
        return Ok(());
    }
    Err(match how {
        MissingParams::RouteNotFound => ApiError::route_not_found(state, uri),
        MissingParams::UnsupportedApiVersion => ApiError::UnsupportedApiVersion {
            version: uri
                .path()
                .trim_start_matches('/')
                .split('/')
                .next()
                .and_then(|v| v.strip_prefix('v'))
                .unwrap_or("1.0")
                .to_string(),
            method: "GET".to_string(),
        },
    })
}

/// Sorts wire items by a field (case-insensitive name; numbers numerically, dates and strings as
/// text); an unknown or empty field keeps the order. `descending` reverses.
pub fn sort(items: &mut [Value], field: Option<&str>, descending: bool) {
    if let Some(name) = field.filter(|f| !f.trim().is_empty()) {
        let name = name.trim();
        items.sort_by(|a, b| {
            let (x, y) = (filter::field(a, name), filter::field(b, name));
            match (x.and_then(filter::number), y.and_then(filter::number)) {
                (Some(x), Some(y)) => x.cmp(&y),
                _ => {
                    let text = |v: Option<&Value>| match v {
                        Some(Value::String(s)) => s.to_lowercase(),
                        Some(other) => other.to_string(),
                        None => String::new(),
                    };
                    text(x).cmp(&text(y))
                }
            }
        });
    }
    if descending {
        items.reverse();
    }
}

/// One page of a list: 0-based page number and page size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    /// 0-based page index.
    pub number: i32,
    /// Items per page (at least 1).
    pub size: i32,
}

/// The `PagingResult` envelope of one page, links absolute and `""` when absent.
pub fn paging_result(state: &AppState, uri: &Uri, items: Vec<Value>, page: Page) -> Value {
    let total = items.len();
    let size = page.size.max(1) as usize;
    let number = page.number.max(0) as usize;
    let result: Vec<Value> = items
        .into_iter()
        .skip(number.saturating_mul(size))
        .take(size)
        .collect();
    let link = |n: usize| {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(
                url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
                    .filter(|(k, _)| !k.eq_ignore_ascii_case("pageNumber")),
            )
            .append_pair("pageNumber", &n.to_string())
            .finish();
        format!("{}{}?{}", state.base_url, uri.path(), query)
    };
    let next = if (number + 1).saturating_mul(size) < total {
        link(number + 1)
    } else {
        String::new()
    };
    let previous = if number > 0 && total > 0 {
        link((number - 1).min(total.div_ceil(size).saturating_sub(1)))
    } else {
        String::new()
    };
    json!({
        "Result": result,
        "NextPageLink": next,
        "PreviousPageLink": previous,
        "TotalCount": total as i32,
    })
}

/// Filter, sort and page wire items in one step.
#[allow(clippy::too_many_arguments)]
pub fn list(
    state: &AppState,
    uri: &Uri,
    items: Vec<Value>,
    filter: &Filter,
    enums: EnumLookup,
    sort_field: Option<&str>,
    descending: bool,
    page: Page,
) -> Value {
    let mut items: Vec<Value> = items
        .into_iter()
        .filter(|i| filter.matches(i, enums))
        .collect();
    sort(&mut items, sort_field, descending);
    paging_result(state, uri, items, page)
}

/// The body of the consolidated POSTs (`ConsolidatedQueryDto`), paging in the body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConsolidatedQuery {
    /// Accounts (empty = every account of the caller).
    pub account_ids: Vec<i32>,
    /// 0-based page.
    pub page_number: i32,
    /// Page size.
    pub page_size: i32,
    /// Sort field.
    pub sort_field: Option<String>,
    /// Descending.
    pub desc: bool,
}

impl ConsolidatedQuery {
    /// Parses the body (case-insensitive names); malformed is a 422 on `dto`.
    pub fn parse(body: &[u8]) -> Result<ConsolidatedQuery, ApiError> {
        let v: Value = serde_json::from_slice(body)
            .map_err(|_| ApiError::invalid("dto", "A non-empty request body is required."))?;
        let get = |k: &str| filter::field(&v, k);
        let int = |k: &str| {
            get(k)
                .and_then(Value::as_i64)
                .map(|n| n.clamp(0, i32::MAX as i64) as i32)
        };
        if !v.is_object() {
            return Err(ApiError::invalid(
                "dto",
                "A non-empty request body is required.",
            ));
        }
        Ok(ConsolidatedQuery {
            account_ids: get("AccountIds")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_i64())
                        .map(|x| x as i32)
                        .collect()
                })
                .unwrap_or_default(),
            page_number: int("PageNumber").unwrap_or(0),
            page_size: int("PageSize").filter(|s| *s > 0).unwrap_or(10),
            sort_field: get("SortField").and_then(Value::as_str).map(str::to_string),
            desc: get("Desc").and_then(Value::as_bool).unwrap_or(false),
        })
    }

    /// The page.
    pub fn page(&self) -> Page {
        Page {
            number: self.page_number,
            size: self.page_size,
        }
    }

    /// The accounts to list: the requested ones (each must be the caller's, else 401), or all
    /// of the caller's.
    pub fn accounts(
        &self,
        dir: &crate::state::Directory,
        caller: crate::http::Caller,
    ) -> Result<Vec<i32>, ApiError> {
        if self.account_ids.is_empty() {
            return Ok(dir
                .accounts
                .values()
                .filter(|a| a.owner_id == caller.user_id)
                .map(|a| a.id)
                .collect());
        }
        for id in &self.account_ids {
            crate::accounts::own_account(dir, caller, *id)?;
        }
        Ok(self.account_ids.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_by_field_names_case_insensitively() {
        let mut items = vec![
            json!({"Id": 2, "Symbol": "b"}),
            json!({"Id": 10, "Symbol": "A"}),
            json!({"Id": 1, "Symbol": "c"}),
        ];
        sort(&mut items, Some("id"), false);
        assert_eq!(items[0]["Id"], 1);
        assert_eq!(items[2]["Id"], 10);
        sort(&mut items, Some("SYMBOL"), true);
        assert_eq!(items[0]["Symbol"], "c");
    }
}
