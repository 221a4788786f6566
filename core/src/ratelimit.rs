//! Client-side rate limiting: calls wait their turn instead of turning a burst into 429s.
//!
//! The only published figures are those of the April 2026 AutoShares docs (unverified by older sources):
//! per minute, 10 auth calls, 50 order actions, 120 queries, 200 security lookups, 60 history, watchlist and
//! alert calls, announced by `X-RateLimit-Limit`/`-Remaining`/`-Reset` headers. [`RateLimits::published`]
//! applies them, per category and, for order actions, per trading account; a server's `X-RateLimit-Remaining:
//! 0` with `X-RateLimit-Reset` holds the category until the reset. Each limit is a sliding window: no more than
//! `limit` calls start in any `window`, and a call over the limit waits (it never fails for it).
//!
//! The local sandbox has no limits, so [`RateLimits::none`] is the default there; the other environments use
//! the published figures. Set your own with [`crate::ClientBuilder::rate_limits`].
//!
//! ```
//! use std::time::Duration;
//! use autoshares::ratelimit::{Category, RateLimits};
//! let limits = RateLimits::published().with(Category::Orders, 20).window(Duration::from_secs(60));
//! assert_eq!(limits.limit(Category::Orders), Some(20));
//! ```

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The categories of the published limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// `/token` and `/logout`.
    Auth,
    /// Placing, replacing and cancelling orders (counted per trading account).
    Orders,
    /// Security lookups: `/securities/...` and `/equities/...`.
    Lookups,
    /// Price history, watchlists and price alerts.
    HistoryWatchlistsAlerts,
    /// Every other call.
    Queries,
}

impl Category {
    /// Every category.
    pub const ALL: [Category; 5] = [
        Category::Auth,
        Category::Orders,
        Category::Lookups,
        Category::HistoryWatchlistsAlerts,
        Category::Queries,
    ];

    /// The category of a call by its method and path template (`/v{version}/accounts/{accountId}/orders`).
    pub fn of(method: &http::Method, path: &str) -> Category {
        let p = path.to_ascii_lowercase();
        let writes = matches!(
            *method,
            http::Method::POST | http::Method::PUT | http::Method::DELETE
        );
        if p == "/token" || p == "/logout" {
            Category::Auth
        } else if writes
            && (p.contains("/orders") || p.contains("/syncorders"))
            && !p.contains("/preview/")
        {
            Category::Orders
        } else if p.contains("/securities") || p.contains("/equities") {
            Category::Lookups
        } else if p.contains("/history") || p.contains("/watchlists") || p.contains("/alerts") {
            Category::HistoryWatchlistsAlerts
        } else {
            Category::Queries
        }
    }
}

/// How many calls of each category may start per window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimits {
    limits: HashMap<Category, u32>,
    window: Duration,
}

impl RateLimits {
    /// No client-side limit (the server's 429s are still retried for idempotent calls).
    pub fn none() -> RateLimits {
        RateLimits {
            limits: HashMap::new(),
            window: Duration::from_secs(60),
        }
    }

    /// The figures of the April 2026 docs, per minute.
    pub fn published() -> RateLimits {
        let limits = [
            (Category::Auth, 10),
            (Category::Orders, 50),
            (Category::Queries, 120),
            (Category::Lookups, 200),
            (Category::HistoryWatchlistsAlerts, 60),
        ];
        RateLimits {
            limits: limits.into_iter().collect(),
            window: Duration::from_secs(60),
        }
    }

    /// Sets the limit of one category (calls per window).
    pub fn with(mut self, category: Category, limit: u32) -> RateLimits {
        self.limits.insert(category, limit.max(1));
        self
    }

    /// Sets the window the limits count over (one minute by default).
    pub fn window(mut self, window: Duration) -> RateLimits {
        self.window = window.max(Duration::from_millis(1));
        self
    }

    /// The limit of a category, if it has one.
    pub fn limit(&self, category: Category) -> Option<u32> {
        self.limits.get(&category).copied()
    }
}

#[derive(Default)]
struct Window {
    starts: VecDeque<Instant>,
    held_until: Option<Instant>,
}

/// The limiter of one client: a sliding window per (category, trading account).
pub(crate) struct RateLimiter {
    limits: RateLimits,
    windows: Mutex<HashMap<(Category, Option<i32>), Window>>,
}

impl RateLimiter {
    pub(crate) fn new(limits: RateLimits) -> RateLimiter {
        RateLimiter {
            limits,
            windows: Mutex::new(HashMap::new()),
        }
    }

    fn key(category: Category, account: Option<i32>) -> (Category, Option<i32>) {
        (
            category,
            if category == Category::Orders {
                account
            } else {
                None
            },
        )
    }

    /// Waits until a call of `category` (for `account`) may start, and counts it.
    pub(crate) async fn acquire(&self, category: Category, account: Option<i32>) {
        let Some(limit) = self.limits.limit(category) else {
            return;
        };
        let key = Self::key(category, account);
        loop {
            let wait_until = {
                let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
                let w = windows.entry(key).or_default();
                let now = Instant::now();
                while w
                    .starts
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.limits.window)
                {
                    w.starts.pop_front();
                }
                match w.held_until {
                    Some(t) if t > now => Some(t),
                    _ if w.starts.len() < limit as usize => {
                        w.starts.push_back(now);
                        None
                    }
                    _ => w.starts.front().map(|t| *t + self.limits.window),
                }
            };
            match wait_until {
                None => return,
                Some(t) => {
                    tracing::debug!(
                        ?category,
                        wait_ms = t.saturating_duration_since(Instant::now()).as_millis() as u64,
                        "rate limit: waiting"
                    );
                    tokio::time::sleep_until(t).await;
                }
            }
        }
    }

    /// Takes the server's `X-RateLimit-Remaining` / `X-RateLimit-Reset` into account: none left holds the
    /// category until the reset (seconds from now, or a Unix time).
    pub(crate) fn observe(
        &self,
        category: Category,
        account: Option<i32>,
        headers: &http::HeaderMap,
    ) {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<f64>().ok())
        };
        if number("x-ratelimit-remaining") != Some(0.0) {
            return;
        }
        let Some(reset) = number("x-ratelimit-reset") else {
            return;
        };
        // Large values are Unix times, small ones seconds from now.
        let secs = if reset > 1_000_000_000.0 {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0);
            (reset - now).max(0.0)
        } else {
            reset.max(0.0)
        };
        let until = Instant::now() + Duration::from_secs_f64(secs.min(3600.0));
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        windows
            .entry(Self::key(category, account))
            .or_default()
            .held_until = Some(until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;

    #[test]
    fn categories_follow_the_published_grouping() {
        assert_eq!(Category::of(&Method::POST, "/token"), Category::Auth);
        assert_eq!(
            Category::of(&Method::POST, "/v{version}/accounts/{accountId}/orders"),
            Category::Orders
        );
        assert_eq!(
            Category::of(&Method::GET, "/v{version}/accounts/{accountId}/orders"),
            Category::Queries
        );
        assert_eq!(
            Category::of(
                &Method::POST,
                "/v{version}/accounts/{accountId}/preview/orders"
            ),
            Category::Queries
        );
        assert_eq!(
            Category::of(&Method::GET, "/v{version}/equities/{symbol}"),
            Category::Lookups
        );
        assert_eq!(
            Category::of(&Method::GET, "/v{version}/users/{userId}/watchlists"),
            Category::HistoryWatchlistsAlerts
        );
    }

    #[tokio::test(start_paused = true)]
    async fn no_more_than_the_limit_start_in_any_window() {
        let limiter = RateLimiter::new(
            RateLimits::none()
                .with(Category::Orders, 3)
                .window(Duration::from_secs(10)),
        );
        let t0 = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..7 {
            limiter.acquire(Category::Orders, Some(1)).await;
            starts.push(t0.elapsed());
        }
        // Three at once, three after 10 s, one after 20 s (the clock is paused: no real waiting).
        let secs: Vec<u64> = starts.iter().map(|d| d.as_secs()).collect();
        assert_eq!(secs, vec![0, 0, 0, 10, 10, 10, 20]);
        // Another account has its own window; queries have none here.
        limiter.acquire(Category::Orders, Some(2)).await;
        limiter.acquire(Category::Queries, None).await;
        assert_eq!(t0.elapsed().as_secs(), 20);
    }

    #[tokio::test(start_paused = true)]
    async fn a_server_that_says_none_remain_holds_the_category_until_the_reset() {
        let limiter = RateLimiter::new(RateLimits::published());
        let mut h = http::HeaderMap::new();
        h.insert("x-ratelimit-remaining", "0".parse().unwrap());
        h.insert("x-ratelimit-reset", "5".parse().unwrap());
        limiter.observe(Category::Queries, None, &h);
        let t0 = Instant::now();
        limiter.acquire(Category::Queries, None).await;
        assert_eq!(t0.elapsed().as_secs(), 5);
    }
}
