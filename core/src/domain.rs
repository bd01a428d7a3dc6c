//! The vocabulary of household responsibility: organisation units, roles, statuses, ratings.
//! English in code; what people read is a label in Vietnamese or English (`label`).

use crate::ids::{IdError, UnitId};

pub use crate::coded::{UnknownCode, coded_enum};

coded_enum!(
    /// Why a household was closed: it is kept, with its notes, but looked after no more.
    ClosedReason, "reason for closing", {
        /// The family moved out of the village.
        MovedAway => ("moved_away", "Chuyển đi nơi khác", "Moved away"),
        /// It joined another household.
        Merged => ("merged", "Nhập vào hộ khác", "Merged into another household"),
        /// Anything else, said in the detail.
        Other => ("other", "Lý do khác", "Other reason"),
    }
);

coded_enum!(
    /// The four levels of the monthly rating (xếp loại), self-given and given by the cell.
    Rating, "rating", {
        Excellent => ("excellent", "Hoàn thành xuất sắc nhiệm vụ", "Excellently completed duties"),
        Good => ("good", "Hoàn thành tốt nhiệm vụ", "Well completed duties"),
        Completed => ("completed", "Hoàn thành nhiệm vụ", "Completed duties"),
        NotCompleted => ("not_completed", "Không hoàn thành nhiệm vụ", "Did not complete duties"),
    }
);

coded_enum!(
    /// Where a follow-up flag (kiến nghị cần giải quyết) stands.
    FlagStatus, "flag status", {
        Open => ("open", "Mới", "New"),
        /// Reported up to the commune or district (báo cáo cấp trên).
        Escalated => ("escalated", "Đã báo cáo cấp trên", "Escalated"),
        Resolved => ("resolved", "Đã giải quyết", "Resolved"),
    }
);

coded_enum!(
    /// A member's role in their cell.
    Role, "role", {
        Member => ("member", "Đảng viên", "Member"),
        Secretary => ("secretary", "Bí thư chi bộ", "Secretary"),
        DeputySecretary => ("deputy_secretary", "Phó bí thư chi bộ", "Deputy secretary"),
        CommitteeMember => ("committee_member", "Chi ủy viên", "Cell committee member"),
    }
);

coded_enum!(
    /// The kind of an organisation unit. The tree may be of any depth; the kind says what a
    /// unit is, its level label what that level is called locally.
    UnitKind, "unit kind", {
        Province => ("province", "Tỉnh ủy", "Provincial committee"),
        District => ("district", "Huyện ủy", "District committee"),
        CommuneCommittee => ("commune", "Đảng bộ xã, thị trấn", "Commune committee"),
        AgencyBloc => ("agency_bloc", "Đảng bộ khối cơ quan", "Agency bloc"),
        GrassrootsCell => ("grassroots_cell", "Chi bộ cơ sở", "Grassroots cell"),
        Cell => ("cell", "Chi bộ", "Cell"),
        Village => ("village", "Thôn, bản, tổ dân phố", "Village, residential group"),
    }
);

impl FlagStatus {
    /// The statuses a flag may be moved to from this one, as the app offers them: an open flag
    /// is escalated or resolved, an escalated one resolved, and a resolved one opened again.
    pub fn moves(self) -> &'static [FlagStatus] {
        match self {
            FlagStatus::Open => &[FlagStatus::Escalated, FlagStatus::Resolved],
            FlagStatus::Escalated => &[FlagStatus::Resolved],
            FlagStatus::Resolved => &[FlagStatus::Open],
        }
    }
}

impl Role {
    /// Secretaries and their deputies run the cell: they assign households, rate reports and
    /// settle conflicts.
    pub fn leads_cell(self) -> bool {
        matches!(self, Role::Secretary | Role::DeputySecretary)
    }
}

impl UnitKind {
    /// Units whose members meet as one cell and hold households.
    pub fn holds_members(self) -> bool {
        matches!(self, UnitKind::Cell | UnitKind::GrassrootsCell)
    }
}

/// Whether a member takes part in activities as usual.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberStatus {
    Active,
    /// Đi làm ăn xa: working away from residence, and where.
    WorkingAway {
        place: String,
    },
    /// Miễn sinh hoạt: exempt for age or health, and why.
    Exempt {
        reason: String,
    },
}

impl MemberStatus {
    pub fn code(&self) -> &'static str {
        match self {
            MemberStatus::Active => "active",
            MemberStatus::WorkingAway { .. } => "working_away",
            MemberStatus::Exempt { .. } => "exempt",
        }
    }

    /// The place or reason that goes with the status, empty when active.
    pub fn detail(&self) -> &str {
        match self {
            MemberStatus::Active => "",
            MemberStatus::WorkingAway { place } => place,
            MemberStatus::Exempt { reason } => reason,
        }
    }

    pub fn label_vi(&self) -> &'static str {
        self.labels().vi
    }

    /// What a member or staff reads in both languages.
    pub fn labels(&self) -> crate::lang::Label {
        let (vi, en) = match self {
            MemberStatus::Active => ("Đang sinh hoạt", "Active"),
            MemberStatus::WorkingAway { .. } => ("Đi làm ăn xa", "Working away"),
            MemberStatus::Exempt { .. } => ("Miễn sinh hoạt", "Exempt"),
        };
        crate::lang::Label { vi, en }
    }

    /// What a reader of `lang` reads.
    pub fn label(&self, lang: crate::lang::Lang) -> &'static str {
        self.labels().get(lang)
    }

    pub fn parse(code: &str, detail: &str) -> Result<Self, UnknownCode> {
        match code {
            "active" => Ok(MemberStatus::Active),
            "working_away" => Ok(MemberStatus::WorkingAway {
                place: detail.to_owned(),
            }),
            "exempt" => Ok(MemberStatus::Exempt {
                reason: detail.to_owned(),
            }),
            _ => Err(UnknownCode {
                what: "member status",
                value: code.to_owned(),
                expected: "active, working_away, exempt".to_owned(),
            }),
        }
    }
}

/// One node of the organisation tree (server-authoritative, never merged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgUnit {
    pub id: UnitId,
    pub parent: Option<UnitId>,
    pub kind: UnitKind,
    /// What this level is called here ("xã", "thôn", "tổ dân phố"…), so that a province that
    /// runs on two tiers fits without code changes.
    pub level_label: String,
    pub name: String,
}

impl OrgUnit {
    pub fn new(
        id: &str,
        parent: Option<&str>,
        kind: UnitKind,
        level_label: &str,
        name: &str,
    ) -> Result<Self, IdError> {
        Ok(OrgUnit {
            id: UnitId::parse(id)?,
            parent: parent.map(UnitId::parse).transpose()?,
            kind,
            level_label: level_label.to_owned(),
            name: name.to_owned(),
        })
    }
}

/// Folds a Vietnamese name for search: lower case, no diacritics, đ as d, so that
/// "nguyen van a" finds "Nguyễn Văn A".
pub fn fold_for_search(text: &str) -> String {
    text.chars()
        .map(fold_char)
        .collect::<String>()
        .to_lowercase()
}

fn fold_char(c: char) -> char {
    const GROUPS: &[(&str, char)] = &[
        ("àáảãạăằắẳẵặâầấẩẫậ", 'a'),
        ("ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ", 'a'),
        ("èéẻẽẹêềếểễệ", 'e'),
        ("ÈÉẺẼẸÊỀẾỂỄỆ", 'e'),
        ("ìíỉĩị", 'i'),
        ("ÌÍỈĨỊ", 'i'),
        ("òóỏõọôồốổỗộơờớởỡợ", 'o'),
        ("ÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ", 'o'),
        ("ùúủũụưừứửữự", 'u'),
        ("ÙÚỦŨỤƯỪỨỬỮỰ", 'u'),
        ("ỳýỷỹỵ", 'y'),
        ("ỲÝỶỸỴ", 'y'),
        ("đĐ", 'd'),
    ];
    if c.is_ascii() {
        return c;
    }
    GROUPS
        .iter()
        .find(|(group, _)| group.contains(c))
        .map(|&(_, base)| base)
        .unwrap_or(c)
}

/// Checks a short text a person typed that is kept and shown to others (a device's label, a
/// name): trimmed, at most `max_chars` characters, and without control characters (NUL, line
/// breaks, tabs…) or the bidirectional embedding, override and isolate characters (U+202A to
/// U+202E, U+2066 to U+2069), which make text display in an order other than stored and so can
/// disguise what it says. Returns the trimmed text, or why not in words naming `field`.
pub fn check_plain_text(
    field: &str,
    value: &str,
    max_chars: usize,
) -> Result<String, crate::messages::Message> {
    let text = value.trim();
    let chars = text.chars().count();
    if chars > max_chars {
        return Err(crate::messages::Message::TextTooLong {
            field: field.to_owned(),
            max: max_chars,
            has: chars,
        });
    }
    let hidden = |c: char| {
        c.is_control()
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    };
    if let Some(c) = text.chars().find(|&c| hidden(c)) {
        return Err(crate::messages::Message::TextHidden {
            field: field.to_owned(),
            code: u32::from(c),
        });
    }
    Ok(text.to_owned())
}

/// The given name, by which Vietnamese lists sort (the last word of "Nguyễn Văn An").
pub fn given_name(full_name: &str) -> &str {
    full_name.split_whitespace().last().unwrap_or(full_name)
}

/// What a list of people sorts by, on the phone and in the staff views alike: the given name,
/// then the whole name, both folded, so that "Đức" comes among the D's and "an" beside "An".
pub fn name_order(full_name: &str) -> (String, String) {
    (
        fold_for_search(given_name(full_name)),
        fold_for_search(full_name),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_and_unknown_ones_name_the_choices() {
        for &r in Rating::ALL {
            assert_eq!(Rating::parse(r.code()), Ok(r));
        }
        assert_eq!(Rating::Excellent.label_vi(), "Hoàn thành xuất sắc nhiệm vụ");
        assert_eq!(Rating::NotCompleted.label_vi(), "Không hoàn thành nhiệm vụ");
        let err = Rating::parse("great").expect_err("not a rating");
        assert!(
            err.to_string()
                .contains("excellent, good, completed, not_completed")
        );
        for &s in FlagStatus::ALL {
            assert_eq!(FlagStatus::parse(s.code()), Ok(s));
        }
    }

    #[test]
    fn plain_text_is_trimmed_bounded_and_without_hidden_characters() {
        let check = |value: &str, expected: Result<&str, &str>| {
            assert_eq!(
                check_plain_text("label", value, 12).map_err(|e| e.to_string()),
                expected.map(str::to_owned).map_err(str::to_owned),
                "{value:?}"
            );
        };
        check("  Máy của Lan ", Ok("Máy của Lan"));
        check("", Ok(""));
        check("Điện thoại", Ok("Điện thoại"));
        check(
            "Điện thoại Lan",
            Err("label is too long: at most 12 characters, not 14"),
        );
        let hidden = "label may not contain control or text-direction characters";
        for (value, code) in [
            ("a\0b", "0000"),
            ("a\nb", "000A"),
            ("a\tb", "0009"),
            ("a\u{7f}b", "007F"),
            ("a\u{202e}b", "202E"),
            ("a\u{202a}b", "202A"),
            ("a\u{2066}b", "2066"),
            ("a\u{2069}b", "2069"),
        ] {
            check(value, Err(&format!("{hidden} (it has U+{code})")));
        }
        // Marks and joiners that shape Vietnamese and other scripts are kept.
        check("a\u{200d}b\u{200f}", Ok("a\u{200d}b\u{200f}"));
    }

    #[test]
    fn search_folds_diacritics() {
        assert_eq!(fold_for_search("Nguyễn Văn Đức"), "nguyen van duc");
        assert_eq!(fold_for_search("Giàng Seo Pủa"), "giang seo pua");
        assert_eq!(given_name("Triệu Thị Mây"), "Mây");
    }

    #[test]
    fn names_sort_by_the_given_name_folded_then_the_whole_name() {
        let mut names = vec![
            "Nguyễn Văn Đức",
            "Lê Thị Bình",
            "Giàng Seo Pủa",
            "Trần  Ánh",
            "Hoàng Văn an",
            "Nguyễn Văn An",
        ];
        names.sort_by_key(|n| name_order(n));
        assert_eq!(
            names,
            [
                "Hoàng Văn an",
                "Nguyễn Văn An",
                "Trần  Ánh",
                "Lê Thị Bình",
                "Nguyễn Văn Đức",
                "Giàng Seo Pủa",
            ]
        );
        assert_eq!(name_order(" Mây "), ("may".into(), " may ".into()));
    }

    #[test]
    fn each_flag_status_moves_to_others_only() {
        for &status in FlagStatus::ALL {
            assert!(!status.moves().is_empty(), "{status:?} can be moved on");
            assert!(
                !status.moves().contains(&status),
                "{status:?} moves elsewhere"
            );
        }
        assert_eq!(FlagStatus::Resolved.moves(), [FlagStatus::Open]);
    }
}
