//! Every REST operation, one module per spec tag.
//!
//! Each operation is declared once as an [`Operation`] constant (spec operation id, method, path template, retry
//! policy) next to the typed method that calls it; [`OPERATIONS`] lists them all, so coverage against the
//! vendor spec can be counted (by method and path, because the spec repeats a few operation ids).
//!
//! To add an endpoint: declare its `Operation` with [`operation!`], add it to `OPERATIONS`, and write the method
//! on the area's handle: build a [`Call`](crate::transport::Call), hand it to the transport, return the model.

use crate::transport::Operation;

/// Declares an operation constant.
macro_rules! operation {
    ($(#[$doc:meta])* $name:ident = $id:literal, $method:ident $path:literal, $idem:ident) => {
        $(#[$doc])*
        pub const $name: $crate::transport::Operation = $crate::transport::Operation {
            id: $id,
            method: http::Method::$method,
            path: $path,
            idempotency: $crate::transport::Idempotency::$idem,
            authenticated: true,
        };
    };
}

pub mod user_accounts;
pub mod users;

/// The ETNA login call, `POST /token` (run by [`crate::auth::PasswordLogin`]).
pub const GET_TOKEN: Operation = Operation {
    id: "Get_token",
    method: http::Method::POST,
    path: "/token",
    idempotency: crate::transport::Idempotency::NotIdempotent,
    authenticated: false,
};

/// `POST /logout` (run by [`crate::Client::logout`]).
pub const LOGOUT: Operation = Operation {
    id: "Logout",
    method: http::Method::POST,
    path: "/logout",
    idempotency: crate::transport::Idempotency::NotIdempotent,
    authenticated: true,
};

/// Every vendor-spec operation this client implements.
pub static OPERATIONS: &[&Operation] = &[
    &GET_TOKEN,
    &LOGOUT,
    &users::GET_USER_INFO,
    &users::GET_USER_BY_EMAIL,
    &user_accounts::GET_USER_ACCOUNTS,
    &user_accounts::GET_ACCOUNT_BY_ID,
    &user_accounts::GET_ACCOUNT_BALANCE_INFO,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_unique_by_method_and_path() {
        let mut seen = std::collections::HashSet::new();
        for op in OPERATIONS {
            assert!(
                seen.insert((op.method.clone(), op.path)),
                "{} declared twice",
                op.id
            );
        }
    }

    #[test]
    fn every_declared_operation_is_in_the_vendor_spec() {
        let Ok(text) = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/api/autoshares-openapi.json"
        )) else {
            eprintln!("vendor spec not found beside the checkout; skipping");
            return;
        };
        let spec: serde_json::Value = serde_json::from_str(&text).unwrap();
        for op in OPERATIONS {
            let entry = &spec["paths"][op.path][op.method.as_str().to_ascii_lowercase()];
            assert_eq!(
                entry["operationId"].as_str(),
                Some(op.id),
                "{} {} is not {}",
                op.method,
                op.path,
                op.id
            );
        }
    }
}
