//! Users (`Users_*` operations).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::common::{iso_datetime, string_enum};

string_enum! {
    /// How a user is addressed.
    pub enum Salutation {
        /// None.
        NoSalutation = "NoSalutation",
        /// Mr.
        Mr = "Mr",
        /// Mrs.
        Mrs = "Mrs",
        /// Ms.
        Ms = "Ms",
        /// Dr.
        Dr = "Dr",
        /// Sir.
        Sir = "Sir",
        /// Madam.
        Madam = "Madam",
    }
}

string_enum! {
    /// Name suffix.
    pub enum Suffix {
        /// None.
        NoSuffix = "NoSuffix",
        /// Jr.
        Jr = "Jr",
        /// Sr.
        Sr = "Sr",
        /// II.
        Second = "Second",
        /// III.
        Third = "Third",
        /// IV.
        Fourth = "Fourth",
    }
}

/// A user's profile (`UserInfoModel`), as returned by `GET /v1.0/users/{userId}/info`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserInfo {
    /// Internal user id (not a trading-account id).
    pub user_id: i32,
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Middle name.
    #[serde(default)]
    pub middle_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Login name.
    #[serde(default)]
    pub login: Option<String>,
    /// E-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// Role number (platform-defined).
    #[serde(default)]
    pub role: Option<i32>,
    /// When the user was created.
    #[serde(default, with = "iso_datetime")]
    pub added_date: Option<DateTime<Utc>>,
    /// Salutation.
    #[serde(default)]
    pub salutation: Option<Salutation>,
    /// Suffix.
    #[serde(default)]
    pub suffix: Option<Suffix>,
    /// Date of birth.
    #[serde(default, with = "iso_datetime")]
    pub date_of_birth: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_documented_example_and_tolerates_extras() {
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
}
