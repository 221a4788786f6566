//! Typed request and response bodies.
//!
//! `generated.rs` holds every schema of the vendor spec (written by `scripts/gen_api.py`); `balance.rs` the
//! balance map and helpers written by hand. Field names are the spec's exact JSON names (PascalCase on the wire,
//! snake_case in Rust). Money and quantities are [`rust_decimal::Decimal`], decoded exactly from the JSON text
//! (never through `f64`); times are `chrono::DateTime<Utc>` with the API's "no date" sentinels mapped to `None`;
//! enums keep values they do not know. Fields the spec does not mark as always present are `Option`s, so a
//! missing value is never invented.

mod balance;
pub mod common;
pub mod decimal;
pub mod generated;

pub use balance::AccountBalance;
pub use generated::*;

/// User models (kept as a module path for compatibility).
pub mod users {
    pub use super::generated::{Salutation, Suffix, UserInfo};
}

/// Account models (kept as a module path for compatibility).
pub mod accounts {
    pub use super::balance::AccountBalance;
    pub use super::generated::{
        AccessType, Account, AccountPermission, AccountStatus, MarginType, OwnerType, UserAccount,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_info_decodes_the_documented_example_and_tolerates_extras() {
        let json = r#"{"UserId":7125,"FirstName":"John","MiddleName":null,"LastName":"Doe","Login":"jdoe",
            "Email":"j@example.com","Role":1,"AddedDate":"2019-01-22T14:30:03.7168916Z","Salutation":"Mr",
            "Suffix":"Esq","DateOfBirth":"0001-01-01T00:00:00Z","SomethingNew":{"a":1}}"#;
        let u: UserInfo = serde_json::from_str(json).unwrap();
        assert_eq!(u.user_id, 7125);
        assert_eq!(u.salutation, Some(Salutation::Mr));
        assert_eq!(u.suffix, Some(Suffix::Unrecognized("Esq".into())));
        assert_eq!(u.date_of_birth, None);
        assert!(u.added_date.is_some());
    }

    #[test]
    fn order_time_in_force_is_sent_corrected_and_read_in_both_spellings() {
        let o = CreateOrder {
            symbol: Some("AAPL".into()),
            time_in_force: Some(TimeInForce::Day),
            price: Some("10.15".parse().unwrap()),
            ..Default::default()
        };
        let json = serde_json::to_string(&o).unwrap();
        assert!(json.contains(r#""TimeInForce":"Day""#), "{json}");
        assert!(json.contains(r#""Price":10.15"#), "{json}");
        assert!(!json.contains("null"), "absent fields are omitted: {json}");
        let back: CreateOrder =
            serde_json::from_str(r#"{"TimeInforce":"GoodTillCancel"}"#).unwrap();
        assert_eq!(back.time_in_force, Some(TimeInForce::GoodTillCancel));
    }

    #[test]
    fn a_wrong_type_deep_inside_names_the_field() {
        let e = crate::transport::decode::<Vec<UserAccount>>(
            "X",
            br#"[{"Id":1,"Owners":[{"UserId":"seven"}]}]"#,
            "r",
        )
        .unwrap_err();
        assert!(
            matches!(&e, crate::Error::Decode { path, .. } if path == "[0].Owners[0].UserId"),
            "{e:?}"
        );
    }
}
