//! Building blocks shared by every model: forward-compatible string enums and the API's date formats.

/// Declares a string enum that keeps values it does not know.
///
/// The platform adds enum values over time; a client that fails on a new value breaks on a server upgrade.
/// Each generated enum has the listed variants plus `Unrecognized(String)`, which keeps the raw value so it
/// round-trips unchanged.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this SDK version does not know, kept as sent by the server.
            Unrecognized(String),
        }

        impl $name {
            /// Every known value, in the spec's order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),+];

            /// The value as it travels on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $name::Unrecognized(s) => s.as_str(),
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            /// Parses a wire value; unknown values become `Unrecognized`, never an error.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(match s {
                    $( $wire => $name::$variant, )+
                    other => $name::Unrecognized(other.to_owned()),
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                Ok(s.parse().unwrap_or_else(|never| match never {}))
            }
        }
    };
}
pub(crate) use string_enum;

/// ISO-8601 date-times as the REST API writes them: UTC, up to 7 fractional digits, sometimes without the `Z`;
/// `0001-01-01T00:00:00` (with or without `Z`) and `null` mean "no date" and become `None`.
pub mod iso_datetime {
    use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Parses one API date-time string; `Ok(None)` for the empty-date sentinel.
    pub fn parse(s: &str) -> Result<Option<DateTime<Utc>>, String> {
        let s = s.trim();
        if s.is_empty() || s.starts_with("0001-01-01") {
            return Ok(None);
        }
        if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
            return Ok(Some(dt.with_timezone(&Utc)));
        }
        // ASP.NET writes unspecified-kind dates without an offset; the API documents them as UTC.
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
            .map(|n| Some(n.and_utc()))
            .map_err(|e| format!("`{s}` is not an ISO-8601 date-time: {e}"))
    }

    /// `deserialize_with` for `Option<DateTime<Utc>>` fields.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        match Option::<std::borrow::Cow<'de, str>>::deserialize(d)? {
            None => Ok(None),
            Some(s) => parse(&s).map_err(serde::de::Error::custom),
        }
    }

    /// `serialize_with` for `Option<DateTime<Utc>>` fields: RFC 3339 with `Z`, `null` when absent.
    pub fn serialize<S: Serializer>(v: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(dt) => s.serialize_str(&dt.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            None => s.serialize_none(),
        }
    }
}

/// Epoch milliseconds (orders, order details, positions' expiration dates); `-1`, `0001-01-01`
/// (`-62135596800000`) and `null` mean "no date".
pub mod epoch_millis {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    /// `deserialize_with` for `Option<DateTime<Utc>>` sent as epoch milliseconds.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        Ok(Option::<i64>::deserialize(d)?.and_then(|ms| {
            (ms != -1 && ms > -62_135_596_800_000)
                .then(|| DateTime::from_timestamp_millis(ms))
                .flatten()
        }))
    }

    /// `serialize_with`: epoch milliseconds, `null` when absent.
    pub fn serialize<S: Serializer>(v: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(dt) => s.serialize_i64(dt.timestamp_millis()),
            None => s.serialize_none(),
        }
    }
}

/// Unix seconds as int64 (price alerts, news); `-1` and `0001-01-01` (`-62135596800`) mean "no date".
pub mod epoch_secs {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    /// `deserialize_with` for `Option<DateTime<Utc>>` sent as Unix seconds.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        Ok(Option::<i64>::deserialize(d)?.and_then(|s| {
            (s != -1 && s > -62_135_596_800)
                .then(|| DateTime::from_timestamp(s, 0))
                .flatten()
        }))
    }

    /// `serialize_with`: Unix seconds, `null` when absent.
    pub fn serialize<S: Serializer>(v: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(dt) => s.serialize_i64(dt.timestamp()),
            None => s.serialize_none(),
        }
    }
}

/// Unix seconds as int32 (history requests and candles).
pub mod epoch_secs_i32 {
    use chrono::{DateTime, Utc};
    use serde::{Deserializer, Serializer};

    /// `deserialize_with` for `Option<DateTime<Utc>>` sent as int32 Unix seconds.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        super::epoch_secs::deserialize(d)
    }

    /// `serialize_with`: int32 Unix seconds (an error past 2038, which the API cannot express).
    pub fn serialize<S: Serializer>(v: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(dt) => {
                let secs = i32::try_from(dt.timestamp()).map_err(|_| {
                    serde::ser::Error::custom(
                        "the API carries this time as int32 Unix seconds: out of range",
                    )
                })?;
                s.serialize_i32(secs)
            }
            None => s.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    string_enum! {
        /// A test enum.
        pub enum Colour { Red = "Red", Green = "Green" }
    }

    #[test]
    fn unknown_enum_values_round_trip() {
        let c: Vec<Colour> = serde_json::from_str(r#"["Red","Ultraviolet"]"#).unwrap();
        assert_eq!(
            c,
            vec![Colour::Red, Colour::Unrecognized("Ultraviolet".into())]
        );
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"["Red","Ultraviolet"]"#
        );
        assert_eq!(Colour::KNOWN.len(), 2);
    }

    #[test]
    fn dates_with_seven_digits_missing_zone_and_sentinel() {
        let p = iso_datetime::parse;
        assert_eq!(
            p("2019-02-25T13:33:40.9022856Z")
                .unwrap()
                .unwrap()
                .timestamp_nanos_opt(),
            Some(1_551_101_620_902_285_600)
        );
        assert_eq!(
            p("2019-02-25T13:33:40").unwrap(),
            Some(Utc.with_ymd_and_hms(2019, 2, 25, 13, 33, 40).unwrap())
        );
        assert_eq!(p("0001-01-01T00:00:00Z").unwrap(), None);
        assert_eq!(p("0001-01-01T00:00:00").unwrap(), None);
        assert!(p("yesterday").is_err());
    }

    #[test]
    fn epoch_sentinels_are_none() {
        #[derive(serde::Deserialize)]
        struct T {
            #[serde(with = "epoch_millis")]
            ms: Option<chrono::DateTime<Utc>>,
            #[serde(with = "epoch_secs")]
            s: Option<chrono::DateTime<Utc>>,
        }
        let t: T = serde_json::from_str(r#"{"ms":-62135596800000,"s":-1}"#).unwrap();
        assert_eq!((t.ms, t.s), (None, None));
        let t: T = serde_json::from_str(r#"{"ms":1550674384000,"s":1550674384}"#).unwrap();
        assert_eq!(t.ms, t.s);
        assert_eq!(t.s.unwrap().timestamp(), 1_550_674_384);
    }
}
