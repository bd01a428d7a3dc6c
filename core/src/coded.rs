//! Coded values: a stable code for storage and the wire and a label for people, and the error
//! of a code that is none of them.

/// A value read from a document or a request that is not one of the known codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a valid {what}; expected one of: {expected}")]
pub struct UnknownCode {
    pub what: &'static str,
    pub value: String,
    pub expected: String,
}

/// An enum of coded values: a stable code for storage and the wire, and a label for people in
/// Vietnamese and English; `parse` refuses an unknown code, naming the ones it knows. The
/// server defines its own coded values (the audit log's actions) with it too.
#[macro_export]
macro_rules! coded_enum {
    ($(#[$doc:meta])* $name:ident, $what:literal, { $($(#[$vdoc:meta])* $variant:ident => ($code:literal, $vi:literal, $en:literal)),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable code stored in documents and sent on the wire.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// What a member or staff reads in Vietnamese: documents' history and the
            /// import template, which stay Vietnamese whoever reads them.
            pub fn label_vi(self) -> &'static str {
                match self { $($name::$variant => $vi),+ }
            }

            /// What a member or staff reads in both languages.
            pub fn labels(self) -> $crate::lang::Label {
                match self { $($name::$variant => $crate::lang::Label { vi: $vi, en: $en }),+ }
            }

            /// What a reader of `lang` reads.
            pub fn label(self, lang: $crate::lang::Lang) -> &'static str {
                self.labels().get(lang)
            }

            pub fn parse(value: &str) -> Result<Self, $crate::coded::UnknownCode> {
                match value {
                    $($code => Ok($name::$variant),)+
                    _ => Err($crate::coded::UnknownCode {
                        what: $what,
                        value: value.to_owned(),
                        expected: [$($code),+].join(", "),
                    }),
                }
            }
        }
    };
}
pub use coded_enum;
