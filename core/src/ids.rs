//! Identifiers, parsed once at the edge so that only valid ones travel inward.

use std::fmt;

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("{kind} is empty")]
    Empty { kind: &'static str },
    #[error("{kind} {value:?} is longer than {max} characters")]
    TooLong {
        kind: &'static str,
        value: String,
        max: usize,
    },
    #[error("{kind} {value:?} may only contain a-z, 0-9, '-' and '_'")]
    BadCharacter { kind: &'static str, value: String },
    #[error("document id {0:?} is not of the form h:<household>, c:<cell> or r:<member>:<yyyy-mm>")]
    BadDocId(String),
    #[error("login {0:?} may only contain lower-case letters a-z, digits, '.', '-' and '_'")]
    BadLogin(String),
}

const MAX_ID_LEN: usize = 64;

fn check_slug(kind: &'static str, value: &str) -> Result<(), IdError> {
    if value.is_empty() {
        return Err(IdError::Empty { kind });
    }
    if value.len() > MAX_ID_LEN {
        return Err(IdError::TooLong {
            kind,
            value: value.to_owned(),
            max: MAX_ID_LEN,
        });
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
    if !value.chars().all(allowed) {
        return Err(IdError::BadCharacter {
            kind,
            value: value.to_owned(),
        });
    }
    Ok(())
}

macro_rules! slug_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            pub fn parse(value: &str) -> Result<Self, IdError> {
                check_slug($kind, value)?;
                Ok(Self(value.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }
    };
}

slug_id!(
    /// An organisation unit: the district, a commune committee, an agency bloc, a cell, a village.
    UnitId,
    "unit id"
);
slug_id!(
    /// A party member (đảng viên).
    MemberId,
    "member id"
);
slug_id!(
    /// A household (hộ gia đình).
    HouseholdId,
    "household id"
);
slug_id!(
    /// A visit note (ghi chép thăm hộ) inside a household document.
    NoteId,
    "note id"
);
slug_id!(
    /// A follow-up flag (kiến nghị) inside a household document.
    FlagId,
    "flag id"
);
slug_id!(
    /// A phone or browser that syncs.
    DeviceId,
    "device id"
);

/// The longest staff login: short enough that the member id its phones write under
/// (`staff-` and the login) is a valid one.
pub const MAX_LOGIN_CHARS: usize = MAX_ID_LEN - STAFF_AUTHOR_PREFIX.len();

/// A staff account's login: lower-case letters, digits, `.`, `-` and `_`. Sign-in lower-cases
/// what is typed, so a login with capitals could never sign in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Login(String);

impl Login {
    pub fn parse(value: &str) -> Result<Login, IdError> {
        let allowed = |c: char| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-' || c == '_'
        };
        if value.is_empty() {
            return Err(IdError::Empty { kind: "login" });
        }
        if value.chars().count() > MAX_LOGIN_CHARS {
            return Err(IdError::TooLong {
                kind: "login",
                value: value.chars().take(MAX_LOGIN_CHARS).collect(),
                max: MAX_LOGIN_CHARS,
            });
        }
        if !value.chars().all(allowed) {
            return Err(IdError::BadLogin(value.to_owned()));
        }
        Ok(Login(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether no account may take this login (it would sign as the command line does).
    pub fn is_reserved(&self) -> bool {
        self.author() == MemberId::command_line()
    }

    /// The member id a staff account's phones write under: `staff-` and the login, its dots
    /// made dashes (member ids allow no dots). Accounts are made so that no two read alike.
    pub fn author(&self) -> MemberId {
        MemberId(format!("{STAFF_AUTHOR_PREFIX}{}", self.0.replace('.', "-")))
    }
}

impl fmt::Display for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the member id of a staff account's phone starts with; no member's id may.
pub const STAFF_AUTHOR_PREFIX: &str = "staff-";

impl MemberId {
    /// The id the server's command line signs what it writes into documents with (an
    /// assignment's `by` in an import): no member's, and no account's, since logins are
    /// made to differ from it (see `Login::is_reserved`).
    pub fn command_line() -> MemberId {
        MemberId(format!("{STAFF_AUTHOR_PREFIX}{COMMAND_LINE_LOGIN}"))
    }
}

/// The login no account may take: its author is the command line's.
const COMMAND_LINE_LOGIN: &str = "cli";

impl HouseholdId {
    /// A fresh id for a household a secretary adds on a phone, offline: random enough that
    /// two phones (or a phone and an import) never make the same one.
    pub fn random() -> Self {
        Self(format!(
            "hh-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..20]
        ))
    }
}

impl NoteId {
    /// A fresh id, unique across phones without coordination, so that two notes written on two
    /// offline phones never land on the same key.
    pub fn random() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }
}

impl FlagId {
    /// A fresh id, unique across phones without coordination.
    pub fn random() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }
}

/// The three kinds of field-edited document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocKind {
    Household,
    Cell,
    Report,
}

impl DocKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Household => "household",
            DocKind::Cell => "cell",
            DocKind::Report => "report",
        }
    }
}

/// Names one Automerge document. The id says what the document is about, so a server can place
/// a document a phone created in the organisation tree before reading it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DocId {
    /// `h:<household>`: profile, visit notes and follow-up flags of one household.
    Household(HouseholdId),
    /// `c:<cell>`: roster and household assignments of one cell.
    Cell(UnitId),
    /// `r:<member>:<yyyy-mm>`: one member's monthly report.
    Report(MemberId, crate::Month),
}

impl DocId {
    pub fn parse(value: &str) -> Result<Self, IdError> {
        let bad = || IdError::BadDocId(value.to_owned());
        let (prefix, rest) = value.split_once(':').ok_or_else(bad)?;
        match prefix {
            "h" => Ok(DocId::Household(HouseholdId::parse(rest)?)),
            "c" => Ok(DocId::Cell(UnitId::parse(rest)?)),
            "r" => {
                let (member, month) = rest.rsplit_once(':').ok_or_else(bad)?;
                let month = crate::Month::parse(month).map_err(|_| bad())?;
                Ok(DocId::Report(MemberId::parse(member)?, month))
            }
            _ => Err(bad()),
        }
    }

    pub fn kind(&self) -> DocKind {
        match self {
            DocId::Household(_) => DocKind::Household,
            DocId::Cell(_) => DocKind::Cell,
            DocId::Report(..) => DocKind::Report,
        }
    }
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DocId::Household(h) => write!(f, "h:{h}"),
            DocId::Cell(c) => write!(f, "c:{c}"),
            DocId::Report(m, month) => write!(f, "r:{m}:{}", month.iso()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_ids_round_trip_and_bad_ones_say_why() {
        for id in ["h:hsp-h0001", "c:hsp-x01-c02", "r:m-0042:2026-11"] {
            let parsed = DocId::parse(id).expect(id);
            assert_eq!(parsed.to_string(), id);
        }
        assert!(matches!(DocId::parse("x:1"), Err(IdError::BadDocId(_))));
        assert!(matches!(
            DocId::parse("r:m-1:2026-13"),
            Err(IdError::BadDocId(_))
        ));
        assert!(matches!(
            DocId::parse("h:Bad Id"),
            Err(IdError::BadCharacter {
                kind: "household id",
                ..
            })
        ));
        assert!(matches!(MemberId::parse(""), Err(IdError::Empty { .. })));
    }
}
