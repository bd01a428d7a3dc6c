//! What a member or staff reads when the server refuses or fails: one catalogue of messages,
//! each a variant with its arguments and rendered in Vietnamese (the default) or English.
//!
//! The rules that refuse (core's access rules, the server's checks) build a [`Message`]; only
//! the edge that answers a request renders it, in the language the reader asked for
//! (`Accept-Language`, read by [`Lang::from_accept_language`]). `Display` is the English text,
//! for logs and the command line.

use std::fmt;

use crate::coded::UnknownCode;
use crate::date::DateError;
use crate::ids::IdError;
pub use crate::lang::{Label, Lang};
use crate::protocol::DecodeError;

/// What a refusal is about, as `Unseen` and `NotFound` name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Thing {
    Unit(String),
    Cell(String),
    Member(String),
    Household(String),
    Device(String),
    Document(String),
    /// A staff account, by login.
    Account(String),
    /// A member id or staff login that a code or a phone is for.
    Holder(String),
    /// A staff table, by the name asked for.
    Table(String),
    /// Something the request named, not said which.
    Unnamed,
}

/// Who is refused, in a refusal's words; never where their scope lies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    Member { id: String, role: Label },
    Account { role: Label },
}

/// Which sign-in pause a refusal names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paused {
    /// Sign-in to one login from the caller's address.
    Login,
    /// Every sign-in from the caller's address.
    Address,
    Enrolment,
    Recovery,
    PasswordReset,
}

/// A storage failure that a request ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    Full,
    ReadOnly,
    Unreachable,
}

/// Every message a member or staff reads from the server, with what it needs to be said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    // Scope and roles (core's access rules).
    /// Not there, or outside the reader's scope: the two read alike.
    Unseen(Thing),
    /// Not there (the command line, which has no scope).
    NotFound(Thing),
    NotAssigned {
        household: String,
        who: Who,
    },
    OthersReport {
        doc: String,
    },
    OthersReportWrite {
        doc: String,
        who: Who,
    },
    MemberChangesCell {
        who: Who,
    },
    CommitteeReadsOnly {
        who: Who,
    },
    StaffReadsOnly {
        who: Who,
    },
    MemberChangesDetails {
        who: Who,
    },
    MemberRates {
        who: Who,
    },
    CommitteeRatesOnly {
        who: Who,
    },
    /// `action` is what a staff action is called ("export tables"), in words that follow "may".
    ActionNotAllowed {
        who: Who,
        action: Label,
    },
    /// `who` is boxed to keep every message, and so every error that carries one, small.
    RoleAbove {
        who: Box<Who>,
        action: Label,
        role: Label,
    },

    // Input that did not parse.
    Id(IdError),
    Code(UnknownCode),
    Date(DateError),
    Decode(DecodeError),
    /// A message about one field of a request.
    InField {
        field: String,
        message: Box<Message>,
    },
    /// A body or query of the wrong shape, as the HTTP library words it (English only).
    BadShape(String),

    // Requests.
    NoRoute {
        method: String,
        path: String,
    },
    WrongMethod {
        method: String,
        path: String,
    },
    BodyTooLarge {
        limit: usize,
    },
    BodyUnreadable(String),
    /// `/metrics` on the main address without `--metrics-token`.
    MetricsNotServed,
    /// `/metrics` asked without the operator's token.
    MetricsNeedToken,
    BodyTimeout {
        seconds: u64,
    },
    AnswerTimeout {
        seconds: u64,
    },
    Storage(Storage),
    ServerFailed,
    TooManyTries {
        what: Paused,
        until: String,
        minutes: i64,
    },
    HeaderNotText {
        header: String,
    },
    /// A text field (a label, a name, a header) longer than it may be.
    TextTooLong {
        field: String,
        max: usize,
        has: usize,
    },
    /// A text field with a control or text-direction character, `code` its code point.
    TextHidden {
        field: String,
        code: u32,
    },

    // Staff sessions and accounts.
    NotSignedIn,
    SessionEnded,
    SessionExpired,
    AccountDisabled,
    BadCsrf,
    LoginAndPassword,
    LoginTooLong {
        max: usize,
    },
    WrongPassword,
    WrongPasswordLastTry {
        what: Paused,
        until: String,
    },
    NameInvalid {
        max: usize,
    },
    PasswordTooShort {
        min: usize,
        has: usize,
    },
    PasswordTooLong {
        max: usize,
    },
    NewPasswordLength {
        min: usize,
        max: usize,
    },
    OwnAccountDisable,
    LoginReserved {
        login: String,
    },
    AccountExists {
        login: String,
    },
    LoginReadsAs {
        login: String,
        other: String,
    },
    ResetNeedsBoth,
    ResetCodeWrong,
    ResetCodeUsed,
    ResetCodeExpired,
    ResetAccountDisabled,

    // Phones: enrolment, tokens, recovery.
    ActorNotHex {
        actor: String,
    },
    EnrolCodeUnknown,
    EnrolCodeUsed,
    EnrolCodeExpired,
    EnrolHolderDisabled,
    BearerMissing,
    NotEnrolled,
    PhoneRevoked,
    RecoveryUnknown,
    RecoveryRevoked,
    NoRecoveryWaiting {
        device: String,
    },
    DeviceRevoked {
        device: String,
    },
    RecoveryOutOfScope {
        device: String,
    },
    RecoveryNotAllowed {
        why: Box<Message>,
        device: String,
    },

    // Sync: why a push was refused, as the phone shows it.
    /// Unknown, or outside the phone's scope: the two read alike.
    UnseenDocument {
        doc: String,
    },
    NotACellScope {
        household: String,
    },
    /// A household taken off the phone's member on `day`: what was written before stands.
    /// `why` is rendered already, in the same language.
    SinceLeft {
        why: String,
        day: String,
    },
    InDocument {
        doc: String,
        why: Box<Message>,
    },
    ActorReused,
    /// `reason` is rendered already, in the same language.
    NotKeptForReview {
        reason: String,
        most: i64,
    },
    TooManyPushes {
        max: usize,
        got: usize,
    },
    TooManyHeld {
        named: usize,
        most: usize,
    },

    // Staff views.
    SearchTooLong {
        max: usize,
    },
    SearchTooShort,
    NotACell {
        unit: String,
    },
    ExportFormat {
        given: String,
    },
    HistoryNeedsHousehold,

    // The organisation.
    UnitNotCell {
        unit: String,
        kind: Label,
    },
    UnitNeedsParent,
    UnitNameRequired,
    UnitExists {
        unit: String,
    },
    UnitStays {
        unit: String,
        kind: Label,
        parent: String,
    },
    MemberIdReserved {
        member: String,
        prefix: String,
    },
    MemberExists {
        member: String,
    },
    MemberInOtherCell {
        member: String,
        cell: String,
    },
    MemberInCellAlready {
        member: String,
        cell: String,
    },
    HouseholdExists {
        household: String,
    },
    HouseholdInOtherCell {
        household: String,
    },
    MemberNotOfCell {
        member: String,
        cell: String,
        household: String,
    },
    HouseholdInCellAlready {
        household: String,
        cell: String,
    },
    TopHasNoParent,
    FirstAccountAdmin,
    OrganisationExists {
        units: i64,
    },
    ImportHasErrors {
        errors: usize,
    },
    /// A document's rule, as core's validation words it (English only).
    Invalid(String),
}

/// The words of one language: `say!(lang, "vi", "en")`, each a format string with the same
/// arguments.
macro_rules! say {
    ($lang:expr, $vi:literal, $en:literal $(,)?) => {
        match $lang {
            Lang::Vi => format!($vi),
            Lang::En => format!($en),
        }
    };
}
pub(crate) use say;

impl Thing {
    fn render(&self, lang: Lang) -> String {
        match self {
            Thing::Unit(id) => say!(lang, "đơn vị {id}", "unit {id}"),
            Thing::Cell(id) => say!(lang, "chi bộ {id}", "cell {id}"),
            Thing::Member(id) => say!(lang, "đảng viên {id}", "member {id}"),
            Thing::Household(id) => say!(lang, "hộ {id}", "household {id}"),
            Thing::Device(id) => say!(lang, "thiết bị {id}", "device {id}"),
            Thing::Document(id) => say!(lang, "tài liệu {id}", "document {id}"),
            Thing::Account(login) => say!(lang, "tài khoản “{login}”", "account {login:?}"),
            Thing::Holder(name) => say!(
                lang,
                "đảng viên hay tài khoản “{name}”",
                "member or staff account {name:?}"
            ),
            Thing::Table(name) => say!(lang, "bảng “{name}”", "table {name:?}"),
            Thing::Unnamed => say!(lang, "mục này", "such thing"),
        }
    }
}

impl Who {
    fn render(&self, lang: Lang) -> String {
        match self {
            Who::Member { id, role } => {
                let (vi, en) = (role.vi, role.en.to_lowercase());
                say!(lang, "đảng viên {id} ({vi})", "member {id} ({en})")
            }
            Who::Account { role } => {
                let (vi, en) = (role.vi, with_article(role.en));
                say!(lang, "tài khoản {vi}", "{en} account")
            }
        }
    }
}

/// An English label inside a sentence, after "a" or "an": "an administrator".
fn with_article(label: &str) -> String {
    let word = label.to_lowercase();
    match word.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {word}"),
        _ => format!("a {word}"),
    }
}

/// A word that parse errors name (an id's kind, a date's form), in Vietnamese.
fn noun_vi(word: &str) -> &str {
    match word {
        "member id" | "member" => "mã đảng viên",
        "unit id" | "unit" => "mã đơn vị",
        "household id" => "mã hộ",
        "device id" => "mã thiết bị",
        "note id" => "mã ghi chép",
        "flag id" => "mã kiến nghị",
        "login" => "tên đăng nhập",
        "day" => "ngày",
        "month" => "tháng",
        "yyyy-mm-dd" => "dạng yyyy-mm-dd",
        "yyyy-mm" => "dạng yyyy-mm",
        "a real calendar day" => "một ngày có thật trong lịch",
        "role" => "vai trò",
        "unit kind" => "loại đơn vị",
        "rating" => "xếp loại",
        "flag status" => "trạng thái kiến nghị",
        "member status" => "tình trạng đảng viên",
        "reason for closing" => "lý do đóng hộ",
        "report state" => "trạng thái báo cáo",
        "table" => "bảng",
        "audit action" => "loại thao tác",
        other => other,
    }
}

fn storage(trouble: Storage, lang: Lang) -> &'static str {
    match (lang, trouble) {
        (Lang::Vi, Storage::Full) => "Bộ nhớ của máy chủ đã đầy",
        (Lang::Vi, Storage::ReadOnly) => "Cơ sở dữ liệu của máy chủ chỉ cho đọc",
        (Lang::Vi, Storage::Unreachable) => "Cơ sở dữ liệu của máy chủ không trả lời",
        (Lang::En, Storage::Full) => "the server's storage is full",
        (Lang::En, Storage::ReadOnly) => "the server's database is read-only",
        (Lang::En, Storage::Unreachable) => "the server's database does not answer",
    }
}

fn paused(what: Paused, lang: Lang) -> &'static str {
    match (lang, what) {
        (Lang::Vi, Paused::Login) => "việc đăng nhập vào tài khoản này từ địa chỉ của bạn",
        (Lang::Vi, Paused::Address) => "việc đăng nhập từ địa chỉ của bạn",
        (Lang::Vi, Paused::Enrolment) => "việc kích hoạt từ địa chỉ của bạn",
        (Lang::Vi, Paused::Recovery) => "việc khôi phục từ địa chỉ của bạn",
        (Lang::Vi, Paused::PasswordReset) => "việc đặt lại mật khẩu từ địa chỉ của bạn",
        (Lang::En, Paused::Login) => "sign-in to this login from your address",
        (Lang::En, Paused::Address) => "sign-in from your address",
        (Lang::En, Paused::Enrolment) => "enrolment from your address",
        (Lang::En, Paused::Recovery) => "recovery from your address",
        (Lang::En, Paused::PasswordReset) => "password reset from your address",
    }
}

impl Message {
    /// The message in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        use Message::*;
        match self {
            Unseen(thing) => {
                let thing = thing.render(lang);
                say!(
                    lang,
                    "Không có {thing} trong phạm vi của bạn",
                    "there is no {thing} within your scope"
                )
            }
            NotFound(thing) => {
                let thing = thing.render(lang);
                say!(lang, "Không có {thing}", "there is no {thing}")
            }
            NotAssigned { household, who } => {
                let who = who.render(lang);
                say!(
                    lang,
                    "Hộ {household} không được phân công cho {who}",
                    "household {household} is not assigned to {who}"
                )
            }
            OthersReport { doc } => say!(
                lang,
                "Tài liệu {doc} là báo cáo của đảng viên khác",
                "document {doc} is another member's report"
            ),
            OthersReportWrite { doc, who } => {
                let who = who.render(lang);
                say!(
                    lang,
                    "Tài liệu {doc} là báo cáo của đảng viên khác; {who} chỉ viết báo cáo của mình",
                    "document {doc} is another member's report; {who} writes only their own"
                )
            }
            MemberChangesCell { who } => {
                let who = who.render(lang);
                say!(
                    lang,
                    "{who} không được thay đổi danh sách đảng viên hay việc phân công hộ của chi bộ; việc này do bí thư chi bộ làm",
                    "{who} may not change the cell's roster or assignments; the secretary does"
                )
            }
            CommitteeReadsOnly { who } => {
                let who = who.render(lang);
                say!(
                    lang,
                    "{who} xem tình hình của xã và xếp loại báo cáo; không thay đổi hộ hay chi bộ",
                    "{who} reads the commune and rates reports; it does not change households or cells"
                )
            }
            StaffReadsOnly { who } => {
                let who = who.render(lang);
                say!(
                    lang,
                    "{who} chỉ xem; thay đổi trong tài liệu do các chi bộ thực hiện",
                    "{who} reads; changes to documents come from the cells"
                )
            }
            MemberChangesDetails { who } => {
                let who = who.render(lang);
                say!(
                    lang,
                    "{who} được ghi chép thăm hộ và nêu kiến nghị; thông tin của hộ do bí thư chi bộ sửa",
                    "{who} may write notes and flags; the household's details are changed by the secretary"
                )
            }
            MemberRates { who } => {
                let who = who.render(lang);
                say!(
                    lang,
                    "{who} không được xếp loại báo cáo tháng; chi bộ đánh giá, xếp loại",
                    "{who} may not rate a monthly report; the cell rates it"
                )
            }
            CommitteeRatesOnly { who } => {
                let who = who.render(lang);
                say!(
                    lang,
                    "{who} được xếp loại báo cáo, không được sửa nội dung đảng viên đã viết",
                    "{who} may rate a report, not change what the member wrote"
                )
            }
            ActionNotAllowed { who, action } => {
                let (who, a) = (who.render(lang), action.get(lang));
                say!(lang, "{who} không được {a}", "{who} may not {a}")
            }
            RoleAbove { who, action, role } => {
                let (who, a) = (who.render(lang), action.get(lang));
                let (vi, en) = (role.vi, role.en.to_lowercase());
                say!(
                    lang,
                    "{who} không được {a} cho người có vai trò ({vi}) cao hơn của mình",
                    "{who} may not {a} for someone whose role ({en}) is above their own"
                )
            }

            Id(e) => match (lang, e) {
                (Lang::En, e) => e.to_string(),
                (Lang::Vi, IdError::Empty { kind }) => format!("Chưa nhập {}", noun_vi(kind)),
                (Lang::Vi, IdError::TooLong { kind, value, max }) => {
                    format!("{} “{value}” dài hơn {max} ký tự", capital(noun_vi(kind)))
                }
                (Lang::Vi, IdError::BadCharacter { kind, value }) => format!(
                    "{} “{value}” chỉ được gồm chữ a-z, số 0-9, dấu '-' và '_'",
                    capital(noun_vi(kind))
                ),
                (Lang::Vi, IdError::BadDocId(v)) => format!(
                    "Mã tài liệu “{v}” không có dạng h:<hộ>, c:<chi bộ> hay r:<đảng viên>:<yyyy-mm>"
                ),
                (Lang::Vi, IdError::BadLogin(v)) => format!(
                    "Tên đăng nhập “{v}” chỉ được gồm chữ thường a-z, số, dấu '.', '-' và '_'"
                ),
            },
            Code(e) => match lang {
                Lang::En => e.to_string(),
                Lang::Vi => format!(
                    "“{}” không phải là {} hợp lệ; các giá trị được nhận: {}",
                    e.value,
                    noun_vi(e.what),
                    e.expected
                ),
            },
            Date(e) => match lang {
                Lang::En => e.to_string(),
                Lang::Vi => format!(
                    "“{}” không phải là {} hợp lệ ({})",
                    e.value,
                    noun_vi(e.what),
                    noun_vi(e.expected)
                ),
            },
            Decode(e) => match (lang, e) {
                (Lang::En, e) => e.to_string(),
                (Lang::Vi, DecodeError::NotHosync) => {
                    "Đây không phải là gói tin đồng bộ của hosync (không bắt đầu bằng HSYN)".into()
                }
                (Lang::Vi, DecodeError::UnsupportedVersion { got, supported }) => format!(
                    "Phiên bản giao thức {got} không được hỗ trợ (bên này dùng phiên bản {supported}): hãy cập nhật ứng dụng"
                ),
                (Lang::Vi, DecodeError::TooLarge { size, limit }) => {
                    format!("Gói tin dài {size} byte, vượt giới hạn {limit} byte")
                }
                (Lang::Vi, DecodeError::UnknownEncoding(n)) => {
                    format!("Không rõ cách mã hóa nội dung {n}")
                }
                (Lang::Vi, DecodeError::Corrupt(why)) => format!("Nội dung gói tin bị hỏng: {why}"),
            },
            InField { field, message } => format!("{field}: {}", message.render(lang)),
            BadShape(text) => say!(lang, "Yêu cầu không đúng dạng: {text}", "{text}"),

            NoRoute { method, path } => say!(
                lang,
                "Không có đường dẫn API {method} {path}; danh sách đường dẫn có trong README",
                "no API route {method} {path}; the routes are listed in the README"
            ),
            MetricsNotServed => say!(
                lang,
                "Địa chỉ này không cung cấp số liệu giám sát: khởi động máy chủ với --metrics-bind ĐỊA_CHỈ (một địa chỉ riêng) hoặc --metrics-token MÃ (rồi gửi Authorization: Bearer MÃ)",
                "metrics are not served on this address: start the server with --metrics-bind ADDRESS (an address of their own) or --metrics-token TOKEN (then send Authorization: Bearer TOKEN)"
            ),
            MetricsNeedToken => say!(
                lang,
                "Số liệu giám sát cần mã của người vận hành: gửi Authorization: Bearer MÃ (--metrics-token của máy chủ)",
                "the metrics need the operator's token: send Authorization: Bearer TOKEN (the server's --metrics-token)"
            ),
            WrongMethod { method, path } => say!(
                lang,
                "{path} không nhận phương thức {method}",
                "{path} does not take {method}"
            ),
            BodyTooLarge { limit } => say!(
                lang,
                "Yêu cầu lớn hơn giới hạn {limit} byte",
                "the request is larger than the limit of {limit} bytes"
            ),
            BodyUnreadable(why) => say!(
                lang,
                "Không đọc được nội dung yêu cầu: {why}",
                "the request's body could not be read: {why}"
            ),
            BodyTimeout { seconds } => say!(
                lang,
                "Yêu cầu không đến kịp trong {seconds} giây: đường truyền quá chậm hoặc bị ngắt; chưa có gì được lưu, hãy thử lại",
                "the request did not arrive within {seconds} s: the connection is too slow or stalled; nothing was stored, try again"
            ),
            AnswerTimeout { seconds } => say!(
                lang,
                "Máy chủ cần hơn {seconds} giây để trả lời; chưa có gì được lưu, hãy thử lại sau",
                "the server took longer than {seconds} s to answer; nothing was stored, try again later"
            ),
            Storage(trouble) => {
                let trouble = storage(*trouble, lang);
                say!(
                    lang,
                    "{trouble}: chưa có gì từ yêu cầu này được lưu và không có gì bị mất; hãy thử lại sau",
                    "{trouble}: nothing from this request was stored, and nothing is lost; try again later"
                )
            }
            ServerFailed => say!(
                lang,
                "Máy chủ gặp lỗi khi xử lý yêu cầu; chưa có gì từ yêu cầu này được lưu",
                "the server failed to handle the request; nothing from it was stored"
            ),
            TooManyTries {
                what,
                until,
                minutes,
            } => {
                let what = paused(*what, lang);
                say!(
                    lang,
                    "Quá nhiều lần thử sai: {what} tạm dừng đến {until} ({minutes} phút nữa); hãy thử lại sau",
                    "too many wrong tries: {what} is paused until {until} (in {minutes} min); try again then"
                )
            }
            HeaderNotText { header } => say!(
                lang,
                "{header} không phải là văn bản thường",
                "{header} is not plain text"
            ),
            TextTooLong { field, max, has } => say!(
                lang,
                "{field} quá dài: tối đa {max} ký tự, không phải {has}",
                "{field} is too long: at most {max} characters, not {has}"
            ),
            TextHidden { field, code } => say!(
                lang,
                "{field} không được chứa ký tự điều khiển hay ký tự đổi chiều chữ (có U+{code:04X})",
                "{field} may not contain control or text-direction characters (it has U+{code:04X})"
            ),

            NotSignedIn => say!(
                lang,
                "Chưa đăng nhập: hãy đăng nhập trước",
                "not signed in: sign in first"
            ),
            SessionEnded => say!(
                lang,
                "Phiên làm việc đã kết thúc (đã đăng xuất, hoặc tài khoản đã bị khóa): hãy đăng nhập lại",
                "this session has ended (signed out, or the account was disabled): sign in again"
            ),
            SessionExpired => say!(
                lang,
                "Phiên làm việc đã hết hạn: hãy đăng nhập lại",
                "this session has expired: sign in again"
            ),
            AccountDisabled => say!(
                lang,
                "Tài khoản này đang bị khóa",
                "this account is disabled"
            ),
            BadCsrf => say!(
                lang,
                "Thiếu hoặc sai mã CSRF: hãy gửi giá trị của cookie hosync_csrf trong header X-CSRF-Token",
                "missing or wrong CSRF token: send the hosync_csrf cookie's value in the X-CSRF-Token header"
            ),
            LoginAndPassword => say!(
                lang,
                "Hãy nhập cả tên đăng nhập và mật khẩu",
                "enter both a login and a password"
            ),
            LoginTooLong { max } => say!(
                lang,
                "Tên đăng nhập có nhiều nhất {max} ký tự: hãy kiểm tra lại",
                "a login has at most {max} characters: check what was typed"
            ),
            WrongPassword => say!(
                lang,
                "Sai tên đăng nhập hoặc mật khẩu; hãy kiểm tra lại cả hai rồi thử lại",
                "wrong login or password; check both and try again"
            ),
            WrongPasswordLastTry { what, until } => {
                let what = paused(*what, lang);
                say!(
                    lang,
                    "Sai tên đăng nhập hoặc mật khẩu; đó là lần thử cuối: {what} tạm dừng đến {until}",
                    "wrong login or password; that was the last try for now: {what} is paused until {until}"
                )
            }
            NameInvalid { max } => say!(
                lang,
                "Họ tên có từ 1 đến {max} ký tự và không có ký tự điều khiển",
                "a name has 1 to {max} characters and no control characters"
            ),
            PasswordTooShort { min, has } => say!(
                lang,
                "Mật khẩu cần ít nhất {min} ký tự; mật khẩu này có {has}",
                "a password needs at least {min} characters; this one has {has}"
            ),
            PasswordTooLong { max } => say!(
                lang,
                "Mật khẩu có nhiều nhất {max} ký tự",
                "a password has at most {max} characters"
            ),
            NewPasswordLength { min, max } => say!(
                lang,
                "Mật khẩu mới cần ít nhất {min} và nhiều nhất {max} ký tự",
                "a new password has {min} to {max} characters"
            ),
            OwnAccountDisable => say!(
                lang,
                "Bạn không được khóa tài khoản của chính mình; một người quản lý tài khoản khác có thể làm việc này",
                "you may not disable your own account; another account manager can"
            ),
            LoginReserved { login } => say!(
                lang,
                "Tên đăng nhập “{login}” dành cho dòng lệnh của máy chủ; hãy chọn tên khác",
                "login {login:?} is kept for the server's command line; choose another"
            ),
            AccountExists { login } => say!(
                lang,
                "Đã có tài khoản “{login}”",
                "there is already an account {login:?}"
            ),
            LoginReadsAs { login, other } => say!(
                lang,
                "Tên đăng nhập “{login}” đọc giống “{other}”, tên đã có: hãy chọn tên khác nhau ở nhiều hơn dấu '.' và '-'",
                "login {login:?} reads as {other:?}, which exists: choose one that differs in more than '.' and '-'"
            ),
            ResetNeedsBoth => say!(
                lang,
                "Hãy nhập tên đăng nhập và mã đặt lại mật khẩu",
                "enter the login and the password reset code"
            ),
            ResetCodeWrong => say!(
                lang,
                "Mã đặt lại mật khẩu không đúng với tên đăng nhập này: kiểm tra lại cả hai",
                "the reset code does not match this login: check both"
            ),
            ResetCodeUsed => say!(
                lang,
                "Mã này đã được dùng; hãy xin quản trị một mã mới",
                "this code was already used; ask an administrator for a new one"
            ),
            ResetCodeExpired => say!(
                lang,
                "Mã này đã hết hạn; hãy xin quản trị một mã mới",
                "this code expired; ask an administrator for a new one"
            ),
            ResetAccountDisabled => say!(
                lang,
                "Tài khoản này đang bị khóa; hãy liên hệ quản trị",
                "this account is disabled; contact an administrator"
            ),

            ActorNotHex { actor } => say!(
                lang,
                "Mã tác giả “{actor}” không phải là số thập lục phân",
                "actor {actor:?} is not hexadecimal"
            ),
            EnrolCodeUnknown => say!(
                lang,
                "Mã kích hoạt không đúng: hãy kiểm tra lại đã nhập đúng như được cấp chưa",
                "this enrolment code is not known: check it was typed as given"
            ),
            EnrolCodeUsed => say!(
                lang,
                "Mã kích hoạt này đã được dùng; hãy xin mã mới",
                "this enrolment code was already used; ask for a new one"
            ),
            EnrolCodeExpired => say!(
                lang,
                "Mã kích hoạt này đã hết hạn; hãy xin mã mới",
                "this enrolment code expired; ask for a new one"
            ),
            EnrolHolderDisabled => say!(
                lang,
                "Mã kích hoạt này cấp cho một tài khoản đang bị khóa",
                "this enrolment code is for an account that is disabled"
            ),
            BearerMissing => say!(
                lang,
                "Hãy gửi mã thiết bị của điện thoại trong header Authorization: Bearer …",
                "send the phone's device token as Authorization: Bearer …"
            ),
            NotEnrolled => say!(
                lang,
                "Điện thoại này chưa được kích hoạt trên máy chủ này: hãy kích hoạt bằng mã do bí thư chi bộ cấp",
                "this phone is not enrolled on this server: enrol it with a code from the cell's secretary"
            ),
            PhoneRevoked => say!(
                lang,
                "Thiết bị này đã bị thu hồi, hoặc tài khoản của người dùng đã bị khóa",
                "this phone was revoked or its holder disabled"
            ),
            RecoveryUnknown => say!(
                lang,
                "Máy chủ không biết điện thoại và mã khôi phục này",
                "this phone and recovery secret are not known to this server"
            ),
            RecoveryRevoked => say!(
                lang,
                "Thiết bị này đã bị thu hồi hoặc tài khoản đã bị khóa: không khôi phục được; hãy nhờ bí thư chi bộ kích hoạt lại",
                "this phone was revoked or its holder disabled: it cannot be recovered; ask your cell secretary to enrol it again"
            ),
            NoRecoveryWaiting { device } => say!(
                lang,
                "Thiết bị {device} không có yêu cầu khôi phục nào đang chờ duyệt",
                "there is no recovery waiting for approval for device {device}"
            ),
            DeviceRevoked { device } => say!(
                lang,
                "Thiết bị {device} đã bị thu hồi hoặc tài khoản đã bị khóa: không khôi phục được",
                "device {device} was revoked or its holder disabled: it cannot be recovered"
            ),
            RecoveryOutOfScope { device } => say!(
                lang,
                "Thiết bị {device} không thuộc phạm vi của bạn: bạn không được duyệt khôi phục nó",
                "device {device} is not within your scope: you may not approve its recovery"
            ),
            RecoveryNotAllowed { why, device } => {
                let why = why.render(lang);
                say!(
                    lang,
                    "{why}: bạn không được duyệt khôi phục thiết bị {device}",
                    "{why}: you may not approve the recovery of device {device}"
                )
            }

            UnseenDocument { doc } => say!(
                lang,
                "Tài liệu {doc}: không có tài liệu này trong phạm vi của điện thoại",
                "document {doc}: there is no such document within this phone's scope"
            ),
            NotACellScope { household } => say!(
                lang,
                "Hộ {household}: hộ được thêm vào một chi bộ, mà phạm vi của điện thoại này không phải là chi bộ; bí thư chi bộ thêm hộ",
                "household {household}: a household is added in a cell, and this phone's scope is not one; it is added by a cell's secretary"
            ),
            SinceLeft { why, day } => {
                say!(
                    lang,
                    "{why} từ ngày {day}; những gì đã ghi trước ngày đó được giữ lại",
                    "{why} since {day}; what was written before then is kept"
                )
            }
            InDocument { doc, why } => {
                let why = why.render(lang);
                say!(lang, "Tài liệu {doc}: {why}", "document {doc}: {why}")
            }
            ActorReused => say!(
                lang,
                "Một điện thoại khác đã ghi dưới danh tính của điện thoại này (dữ liệu bị sao chép?): điện thoại ghi lại các sửa đổi dưới một danh tính mới",
                "another phone already wrote under this phone's identity (its data was copied?): the phone makes its edits again under a new one"
            ),
            NotKeptForReview { reason, most } => {
                say!(
                    lang,
                    "{reason}; không giữ lại để xem xét: điện thoại này đã có {most} sửa đổi bị từ chối đang chờ, nên tự giữ sửa đổi này",
                    "{reason}; not kept for review: this phone has {most} refused edits waiting already, and keeps this one itself"
                )
            }
            TooManyPushes { max, got } => say!(
                lang,
                "Mỗi lần đồng bộ gửi tối đa {max} tài liệu, không phải {got}: hãy gửi phần còn lại ở lần sau",
                "a sync pushes at most {max} documents, not {got}: send the rest in the next one"
            ),
            TooManyHeld { named, most } => say!(
                lang,
                "Yêu cầu này kê {named} tài liệu đang giữ; điện thoại thuộc phạm vi này giữ nhiều nhất {most}",
                "this request names {named} documents as held; a phone of this scope holds at most {most}"
            ),

            SearchTooLong { max } => say!(
                lang,
                "Từ tìm kiếm có nhiều nhất {max} ký tự; hãy gõ một phần của tên",
                "a search has at most {max} characters; type part of a name"
            ),
            SearchTooShort => say!(
                lang,
                "Hãy gõ ít nhất hai chữ của tên cần tìm",
                "type at least two letters of a name to search for"
            ),
            NotACell { unit } => say!(
                lang,
                "Đơn vị {unit} không phải là chi bộ",
                "unit {unit} is not a cell"
            ),
            ExportFormat { given } => say!(
                lang,
                "Định dạng “{given}” không phải là json, csv hay xlsx",
                "format {given:?} is not one of: json, csv, xlsx"
            ),
            HistoryNeedsHousehold => say!(
                lang,
                "Bảng lịch sử cần ?household=<mã hộ>",
                "the history table needs ?household=<household id>"
            ),

            UnitNotCell { unit, kind } => {
                let (vi, en) = (kind.vi, with_article(kind.en));
                say!(
                    lang,
                    "Đơn vị {unit} là {vi}; đảng viên và hộ thuộc về chi bộ",
                    "unit {unit} is {en}; members and households belong to a cell"
                )
            }
            UnitNeedsParent => say!(
                lang,
                "Đơn vị cần có đơn vị cấp trên; đơn vị cao nhất được tạo bằng `hosync init`",
                "a unit needs a parent; the top of the tree is made by `hosync init`"
            ),
            UnitNameRequired => say!(
                lang,
                "Cần nhập tên đơn vị và tên cấp (name, level_label)",
                "name and level_label are required"
            ),
            UnitExists { unit } => say!(lang, "Đơn vị {unit} đã có", "unit {unit} exists already"),
            UnitStays { unit, kind, parent } => {
                let (vi, en) = (kind.vi, kind.en.to_lowercase());
                say!(
                    lang,
                    "Đơn vị {unit} giữ nguyên vị trí và loại ({vi}, trực thuộc {parent}); chỉ đổi được tên và tên cấp",
                    "unit {unit} stays where it is in the tree, of the kind it is ({en}, under {parent}); only its name and level label change"
                )
            }
            MemberIdReserved { member, prefix } => say!(
                lang,
                "Mã đảng viên {member} bắt đầu bằng “{prefix}”, tiền tố chỉ dành cho điện thoại của tài khoản cán bộ",
                "member id {member} starts with {prefix:?}, which only staff accounts' phones write under"
            ),
            MemberExists { member } => say!(
                lang,
                "Đảng viên {member} đã có",
                "member {member} exists already"
            ),
            MemberInOtherCell { member, cell } => say!(
                lang,
                "Đảng viên {member} ở chi bộ khác; chuyển sang chi bộ {cell} là chuyển sinh hoạt",
                "member {member} is in another cell; a move to cell {cell} is a transfer"
            ),
            MemberInCellAlready { member, cell } => say!(
                lang,
                "Đảng viên {member} đã ở chi bộ {cell}",
                "member {member} is in cell {cell} already"
            ),
            HouseholdExists { household } => say!(
                lang,
                "Hộ {household} đã có",
                "household {household} exists already"
            ),
            HouseholdInOtherCell { household } => say!(
                lang,
                "Hộ {household} thuộc chi bộ khác; đổi chi bộ là chuyển hộ",
                "household {household} is in another cell; a change of cell is a move"
            ),
            MemberNotOfCell {
                member,
                cell,
                household,
            } => say!(
                lang,
                "Đảng viên {member} không thuộc chi bộ {cell}, nơi có hộ {household}",
                "member {member} is not of cell {cell}, where household {household} is"
            ),
            HouseholdInCellAlready { household, cell } => say!(
                lang,
                "Hộ {household} đã ở chi bộ {cell}",
                "household {household} is in cell {cell} already"
            ),
            TopHasNoParent => say!(
                lang,
                "Đơn vị cao nhất không có cấp trên: đó là chính huyện (hoặc tỉnh)",
                "the top unit has no parent: it is the district (or province) itself"
            ),
            FirstAccountAdmin => say!(
                lang,
                "Tài khoản đầu tiên là quản trị hệ thống của đơn vị cao nhất",
                "the first account is an administrator over the top unit"
            ),
            OrganisationExists { units } => say!(
                lang,
                "Cơ sở dữ liệu này đã có tổ chức ({units} đơn vị); `hosync init` chỉ khởi tạo cơ sở dữ liệu trống",
                "this database holds an organisation already ({units} units); `hosync init` starts only an empty one"
            ),
            ImportHasErrors { errors } => say!(
                lang,
                "Tệp nhập có {errors} lỗi; chưa có gì được áp dụng",
                "the import has {errors} errors; nothing was applied"
            ),
            Invalid(text) => say!(lang, "Không hợp lệ: {text}", "{text}"),
        }
    }
}

/// The word with its first letter a capital, for a noun that opens a sentence.
fn capital(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The English text, for logs and the command line.
impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

impl From<IdError> for Message {
    fn from(e: IdError) -> Self {
        Message::Id(e)
    }
}

impl From<UnknownCode> for Message {
    fn from(e: UnknownCode) -> Self {
        Message::Code(e)
    }
}

impl From<DateError> for Message {
    fn from(e: DateError) -> Self {
        Message::Date(e)
    }
}

impl From<DecodeError> for Message {
    fn from(e: DecodeError) -> Self {
        Message::Decode(e)
    }
}

#[cfg(test)]
mod tests;
