use super::*;
use crate::access::{AccessRole, StaffAction};
use crate::domain::UnitKind;
use crate::{Day, MemberId, Month, Role};

#[test]
fn accept_language_picks_vi_or_en() {
    let check = |header: &str, expected: Lang| {
        assert_eq!(Lang::from_accept_language(header), expected, "{header:?}");
    };
    check("", Lang::Vi);
    check("vi", Lang::Vi);
    check("vi-VN", Lang::Vi);
    check("en", Lang::En);
    check("en-US", Lang::En);
    check("EN-gb", Lang::En);
    check("fr-FR, de", Lang::Vi);
    check("*", Lang::Vi);
    check("en-US,en;q=0.9,vi;q=0.8", Lang::En);
    check("vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7", Lang::Vi);
    check("fr;q=1.0, en;q=0.5, vi;q=0.7", Lang::Vi);
    check("fr, en;q=0.3", Lang::En);
    check("en;q=0, vi;q=0.1", Lang::Vi);
    check("en;q=0", Lang::Vi);
    check("vi;q=0.5, en;q=0.5", Lang::Vi);
    check("en;q=garbage, vi;q=0.2", Lang::Vi);
}

/// One of each message, so that every one is rendered by the test below; the match in
/// `variant` makes a new message fail to compile until it is added here.
fn samples() -> Vec<Message> {
    use Message::*;
    let who = Who::Member {
        id: "m1".into(),
        role: AccessRole::Member.labels(),
    };
    let account = Who::Account {
        role: AccessRole::CommuneCommittee.labels(),
    };
    let s = |v: &str| v.to_owned();
    vec![
        Unseen(Thing::Household(s("h1"))),
        Unseen(Thing::Unit(s("d-x1"))),
        Unseen(Thing::Cell(s("d-x1-c1"))),
        Unseen(Thing::Member(s("m1"))),
        Unseen(Thing::Device(s("dev1"))),
        Unseen(Thing::Document(s("h:h1"))),
        Unseen(Thing::Account(s("lan"))),
        Unseen(Thing::Holder(s("lan"))),
        Unseen(Thing::Table(s("nope"))),
        Unseen(Thing::Unnamed),
        NotFound(Thing::Unit(s("d-x1"))),
        NotAssigned {
            household: s("h:h1"),
            who: who.clone(),
        },
        OthersReport {
            doc: s("r:m2:2026-11"),
        },
        OthersReportWrite {
            doc: s("r:m2:2026-11"),
            who: who.clone(),
        },
        MemberChangesCell { who: who.clone() },
        CommitteeReadsOnly {
            who: account.clone(),
        },
        StaffReadsOnly {
            who: account.clone(),
        },
        MemberChangesDetails { who: who.clone() },
        MemberRates { who: who.clone() },
        CommitteeRatesOnly {
            who: account.clone(),
        },
        ActionNotAllowed {
            who: who.clone(),
            action: StaffAction::Export.labels(),
        },
        RoleAbove {
            who: Box::new(account.clone()),
            action: StaffAction::Enrol.labels(),
            role: AccessRole::Admin.labels(),
        },
        Id(MemberId::parse("").expect_err("refused")),
        Id(MemberId::parse("Không").expect_err("refused")),
        Id(MemberId::parse(&"m".repeat(80)).expect_err("refused")),
        Id(crate::DocId::parse("x").expect_err("refused")),
        Id(crate::Login::parse("A B").expect_err("refused")),
        Code(Role::parse("boss").expect_err("refused")),
        Date(Day::parse("2026-13-01").expect_err("refused")),
        Date(Month::parse("11/2026").expect_err("refused")),
        Decode(DecodeError::NotHosync),
        Decode(DecodeError::UnsupportedVersion {
            got: 9,
            supported: 1,
        }),
        Decode(DecodeError::TooLarge { size: 10, limit: 5 }),
        Decode(DecodeError::UnknownEncoding(7)),
        Decode(DecodeError::Corrupt(s("deflate"))),
        InField {
            field: s("on"),
            message: Box::new(Date(Day::parse("x").expect_err("refused"))),
        },
        BadShape(s("missing field `name`")),
        NoRoute {
            method: s("GET"),
            path: s("/api/v1/nope"),
        },
        MetricsNotServed,
        MetricsNeedToken,
        WrongMethod {
            method: s("PUT"),
            path: s("/api/v1/sync"),
        },
        BodyTooLarge { limit: 100 },
        BodyUnreadable(s("reset")),
        BodyTimeout { seconds: 1 },
        AnswerTimeout { seconds: 1 },
        Storage(super::Storage::Full),
        Storage(super::Storage::ReadOnly),
        Storage(super::Storage::Unreachable),
        ServerFailed,
        TooManyTries {
            what: Paused::Login,
            until: s("10:00 20/11/2026"),
            minutes: 5,
        },
        TooManyTries {
            what: Paused::Address,
            until: s("10:00"),
            minutes: 5,
        },
        TooManyTries {
            what: Paused::Enrolment,
            until: s("10:00"),
            minutes: 5,
        },
        TooManyTries {
            what: Paused::Recovery,
            until: s("10:00"),
            minutes: 5,
        },
        TooManyTries {
            what: Paused::PasswordReset,
            until: s("10:00"),
            minutes: 5,
        },
        HeaderNotText {
            header: s("x-hosync-app-version"),
        },
        TextTooLong {
            field: s("x-hosync-app-version"),
            max: 64,
            has: 70,
        },
        TextHidden {
            field: s("label"),
            code: 0x202e,
        },
        NotSignedIn,
        SessionEnded,
        SessionExpired,
        AccountDisabled,
        BadCsrf,
        LoginAndPassword,
        LoginTooLong { max: 64 },
        WrongPassword,
        WrongPasswordLastTry {
            what: Paused::Login,
            until: s("10:00"),
        },
        NameInvalid { max: 200 },
        PasswordTooShort { min: 10, has: 3 },
        PasswordTooLong { max: 200 },
        NewPasswordLength { min: 10, max: 200 },
        OwnAccountDisable,
        LoginReserved { login: s("cli") },
        AccountExists { login: s("lan") },
        LoginReadsAs {
            login: s("a.b"),
            other: s("a-b"),
        },
        ResetNeedsBoth,
        ResetCodeWrong,
        ResetCodeUsed,
        ResetCodeExpired,
        ResetAccountDisabled,
        ActorNotHex { actor: s("zz") },
        EnrolCodeUnknown,
        EnrolCodeUsed,
        EnrolCodeExpired,
        EnrolHolderDisabled,
        BearerMissing,
        NotEnrolled,
        PhoneRevoked,
        RecoveryUnknown,
        RecoveryRevoked,
        NoRecoveryWaiting { device: s("dev1") },
        DeviceRevoked { device: s("dev1") },
        RecoveryOutOfScope { device: s("dev1") },
        RecoveryNotAllowed {
            why: Box::new(ActionNotAllowed {
                who: who.clone(),
                action: StaffAction::Enrol.labels(),
            }),
            device: s("dev1"),
        },
        UnseenDocument { doc: s("h:h9") },
        NotACellScope {
            household: s("h:h9"),
        },
        SinceLeft {
            why: s("h:h1"),
            day: s("20/11/2026"),
        },
        InDocument {
            doc: s("h:h1"),
            why: Box::new(MemberChangesDetails { who: who.clone() }),
        },
        ActorReused,
        NotKeptForReview {
            reason: s("h:h9"),
            most: 50,
        },
        TooManyPushes { max: 100, got: 101 },
        TooManyHeld { named: 9, most: 3 },
        SearchTooLong { max: 100 },
        SearchTooShort,
        NotACell { unit: s("d-x1") },
        ExportFormat { given: s("pdf") },
        HistoryNeedsHousehold,
        UnitNotCell {
            unit: s("d-x1"),
            kind: UnitKind::CommuneCommittee.labels(),
        },
        UnitNeedsParent,
        UnitNameRequired,
        UnitExists { unit: s("d-x1") },
        UnitStays {
            unit: s("d-x1"),
            kind: UnitKind::CommuneCommittee.labels(),
            parent: s("d"),
        },
        MemberIdReserved {
            member: s("staff-x"),
            prefix: s("staff-"),
        },
        MemberExists { member: s("m1") },
        MemberInOtherCell {
            member: s("m1"),
            cell: s("d-x1-c2"),
        },
        MemberInCellAlready {
            member: s("m1"),
            cell: s("d-x1-c1"),
        },
        HouseholdExists { household: s("h1") },
        HouseholdInOtherCell { household: s("h1") },
        MemberNotOfCell {
            member: s("m1"),
            cell: s("d-x1-c1"),
            household: s("h1"),
        },
        HouseholdInCellAlready {
            household: s("h1"),
            cell: s("d-x1-c1"),
        },
        TopHasNoParent,
        FirstAccountAdmin,
        OrganisationExists { units: 3 },
        ImportHasErrors { errors: 2 },
        Invalid(s("profile.people must be a number")),
    ]
}

/// Which message a sample is: the match has no wildcard, so each new message needs a sample.
fn variant(m: &Message) -> &'static str {
    use Message::*;
    match m {
        Unseen(..) => "Unseen",
        NotFound(..) => "NotFound",
        NotAssigned { .. } => "NotAssigned",
        OthersReport { .. } => "OthersReport",
        OthersReportWrite { .. } => "OthersReportWrite",
        MemberChangesCell { .. } => "MemberChangesCell",
        CommitteeReadsOnly { .. } => "CommitteeReadsOnly",
        StaffReadsOnly { .. } => "StaffReadsOnly",
        MemberChangesDetails { .. } => "MemberChangesDetails",
        MemberRates { .. } => "MemberRates",
        CommitteeRatesOnly { .. } => "CommitteeRatesOnly",
        ActionNotAllowed { .. } => "ActionNotAllowed",
        RoleAbove { .. } => "RoleAbove",
        Id(..) => "Id",
        Code(..) => "Code",
        Date(..) => "Date",
        Decode(..) => "Decode",
        InField { .. } => "InField",
        BadShape(..) => "BadShape",
        NoRoute { .. } => "NoRoute",
        MetricsNotServed => "MetricsNotServed",
        MetricsNeedToken => "MetricsNeedToken",
        WrongMethod { .. } => "WrongMethod",
        BodyTooLarge { .. } => "BodyTooLarge",
        BodyUnreadable(..) => "BodyUnreadable",
        BodyTimeout { .. } => "BodyTimeout",
        AnswerTimeout { .. } => "AnswerTimeout",
        Storage(..) => "Storage",
        ServerFailed => "ServerFailed",
        TooManyTries { .. } => "TooManyTries",
        HeaderNotText { .. } => "HeaderNotText",
        TextTooLong { .. } => "TextTooLong",
        TextHidden { .. } => "TextHidden",
        NotSignedIn => "NotSignedIn",
        SessionEnded => "SessionEnded",
        SessionExpired => "SessionExpired",
        AccountDisabled => "AccountDisabled",
        BadCsrf => "BadCsrf",
        LoginAndPassword => "LoginAndPassword",
        LoginTooLong { .. } => "LoginTooLong",
        WrongPassword => "WrongPassword",
        WrongPasswordLastTry { .. } => "WrongPasswordLastTry",
        NameInvalid { .. } => "NameInvalid",
        PasswordTooShort { .. } => "PasswordTooShort",
        PasswordTooLong { .. } => "PasswordTooLong",
        NewPasswordLength { .. } => "NewPasswordLength",
        OwnAccountDisable => "OwnAccountDisable",
        LoginReserved { .. } => "LoginReserved",
        AccountExists { .. } => "AccountExists",
        LoginReadsAs { .. } => "LoginReadsAs",
        ResetNeedsBoth => "ResetNeedsBoth",
        ResetCodeWrong => "ResetCodeWrong",
        ResetCodeUsed => "ResetCodeUsed",
        ResetCodeExpired => "ResetCodeExpired",
        ResetAccountDisabled => "ResetAccountDisabled",
        ActorNotHex { .. } => "ActorNotHex",
        EnrolCodeUnknown => "EnrolCodeUnknown",
        EnrolCodeUsed => "EnrolCodeUsed",
        EnrolCodeExpired => "EnrolCodeExpired",
        EnrolHolderDisabled => "EnrolHolderDisabled",
        BearerMissing => "BearerMissing",
        NotEnrolled => "NotEnrolled",
        PhoneRevoked => "PhoneRevoked",
        RecoveryUnknown => "RecoveryUnknown",
        RecoveryRevoked => "RecoveryRevoked",
        NoRecoveryWaiting { .. } => "NoRecoveryWaiting",
        DeviceRevoked { .. } => "DeviceRevoked",
        RecoveryOutOfScope { .. } => "RecoveryOutOfScope",
        RecoveryNotAllowed { .. } => "RecoveryNotAllowed",
        UnseenDocument { .. } => "UnseenDocument",
        NotACellScope { .. } => "NotACellScope",
        SinceLeft { .. } => "SinceLeft",
        InDocument { .. } => "InDocument",
        ActorReused => "ActorReused",
        NotKeptForReview { .. } => "NotKeptForReview",
        TooManyPushes { .. } => "TooManyPushes",
        TooManyHeld { .. } => "TooManyHeld",
        SearchTooLong { .. } => "SearchTooLong",
        SearchTooShort => "SearchTooShort",
        NotACell { .. } => "NotACell",
        ExportFormat { .. } => "ExportFormat",
        HistoryNeedsHousehold => "HistoryNeedsHousehold",
        UnitNotCell { .. } => "UnitNotCell",
        UnitNeedsParent => "UnitNeedsParent",
        UnitNameRequired => "UnitNameRequired",
        UnitExists { .. } => "UnitExists",
        UnitStays { .. } => "UnitStays",
        MemberIdReserved { .. } => "MemberIdReserved",
        MemberExists { .. } => "MemberExists",
        MemberInOtherCell { .. } => "MemberInOtherCell",
        MemberInCellAlready { .. } => "MemberInCellAlready",
        HouseholdExists { .. } => "HouseholdExists",
        HouseholdInOtherCell { .. } => "HouseholdInOtherCell",
        MemberNotOfCell { .. } => "MemberNotOfCell",
        HouseholdInCellAlready { .. } => "HouseholdInCellAlready",
        TopHasNoParent => "TopHasNoParent",
        FirstAccountAdmin => "FirstAccountAdmin",
        OrganisationExists { .. } => "OrganisationExists",
        ImportHasErrors { .. } => "ImportHasErrors",
        Invalid(..) => "Invalid",
    }
}

/// How many messages `variant` knows; a new one raises it.
const MESSAGES: usize = 100;

#[test]
fn every_message_reads_in_both_languages() {
    let samples = samples();
    let mut seen = std::collections::BTreeSet::new();
    for message in &samples {
        seen.insert(variant(message));
        let vi = message.render(Lang::Vi);
        let en = message.render(Lang::En);
        assert!(
            !vi.trim().is_empty() && !en.trim().is_empty(),
            "{message:?}"
        );
        assert_ne!(vi, en, "{message:?} reads the same in both languages");
        assert_eq!(en, message.to_string(), "Display is the English text");
    }
    assert_eq!(seen.len(), MESSAGES, "a sample of every message: {seen:?}");
}

#[test]
fn vietnamese_uses_the_app_words() {
    let who = Who::Member {
        id: "m1".into(),
        role: AccessRole::Member.labels(),
    };
    let said = Message::NotAssigned {
        household: "h:h1".into(),
        who,
    }
    .render(Lang::Vi);
    assert_eq!(
        said,
        "Hộ h:h1 không được phân công cho đảng viên m1 (Đảng viên)"
    );
    assert_eq!(
        Message::Unseen(Thing::Household("h9".into())).render(Lang::Vi),
        "Không có hộ h9 trong phạm vi của bạn"
    );
    assert_eq!(
        Message::Id(MemberId::parse("").expect_err("refused")).render(Lang::Vi),
        "Chưa nhập mã đảng viên"
    );
}
