//! Who may see and change what. Every role has a scope, a subtree of the organisation; the
//! rules below decide each read and write of a document and each staff action. The server
//! enforces them on every sync and request; they live here, once, so that the phone can tell a
//! member beforehand what the server will say.

use std::fmt;

use crate::docs::{Doc, household, report};
use crate::domain::{Role, coded_enum};
use crate::ids::{DocId, MemberId, UnitId};
use crate::lang::Label;
use crate::messages::{Message, Who};

coded_enum!(
    /// What someone does in the organisation, which decides what they may see and change
    /// within their scope.
    AccessRole, "role", {
        /// Looks after a few households: reads their cell, writes notes and flags on the
        /// households assigned to them, and their own monthly reports.
        Member => ("member", "Đảng viên", "Member"),
        /// Runs a cell: reads and writes all its documents, assigns households, rates reports.
        CellSecretary => ("cell_secretary", "Bí thư chi bộ", "Cell secretary"),
        /// Reads its commune and rates monthly reports.
        CommuneCommittee => ("commune_committee", "Đảng ủy xã", "Commune committee"),
        /// Reads and exports the district, enrols phones and manages accounts.
        DistrictStaff => ("district_staff", "Cán bộ Huyện ủy", "District staff"),
        /// Manages accounts, including other administrators.
        Admin => ("admin", "Quản trị hệ thống", "Administrator"),
    }
);

impl AccessRole {
    /// The role a cell member holds by their role in the cell.
    pub fn of_member(role: Role) -> AccessRole {
        if role.leads_cell() {
            AccessRole::CellSecretary
        } else {
            AccessRole::Member
        }
    }

    fn rank(self) -> u8 {
        match self {
            AccessRole::Member => 0,
            AccessRole::CellSecretary => 1,
            AccessRole::CommuneCommittee => 2,
            AccessRole::DistrictStaff => 3,
            AccessRole::Admin => 4,
        }
    }
}

/// A unit's place in the organisation tree: the ids from the root down to it, written
/// `/d/d-x1/d-x1-c1/`. A scope contains every unit whose path starts with its own.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnitPath(String);

impl UnitPath {
    /// The path of a unit given its ancestors' ids, root first, ending with the unit itself.
    pub fn from_ids<'a>(ids: impl IntoIterator<Item = &'a UnitId>) -> UnitPath {
        let mut path = String::from("/");
        for id in ids {
            path.push_str(id.as_str());
            path.push('/');
        }
        UnitPath(path)
    }

    /// Reads a stored path, checking each step is a unit id.
    pub fn parse(value: &str) -> Result<UnitPath, crate::IdError> {
        let inner = value
            .strip_prefix('/')
            .and_then(|v| v.strip_suffix('/'))
            .ok_or_else(|| crate::IdError::BadDocId(value.to_owned()))?;
        let ids = inner
            .split('/')
            .map(UnitId::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(UnitPath::from_ids(&ids))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The unit this path leads to.
    pub fn unit(&self) -> Option<UnitId> {
        self.0
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .and_then(|id| UnitId::parse(id).ok())
    }

    /// Whether `other` is this unit or lies below it.
    pub fn contains(&self, other: &UnitPath) -> bool {
        other.0.starts_with(&self.0)
    }

    /// The path one level down.
    pub fn child(&self, id: &UnitId) -> UnitPath {
        UnitPath(format!("{}{}/", self.0, id.as_str()))
    }
}

impl fmt::Display for UnitPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Someone acting: a role over a scope, and the member they are when they are one (a phone
/// enrolled for a member, or a staff account tied to none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// What they do in the organisation.
    pub role: AccessRole,
    /// The subtree they work in.
    pub scope: UnitPath,
    /// The member id they write under: a member's, a staff account's phone's, or none for a staff session on the web.
    pub member: Option<MemberId>,
}

/// Why something is refused, in words for the person refused. What lies outside a scope is
/// refused as if it did not exist, without saying where it is, so that a refusal tells nobody
/// what is outside their branch of the organisation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// Outside the principal's scope: to them, as if it were not there.
    #[error("not within your scope")]
    OutOfScope,
    /// Within the scope, but not for this role; the message says why.
    #[error("{0}")]
    NotAllowed(Message),
}

/// What a principal may read, in the form a query filters documents by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadFilter {
    /// Every document of every cell under this unit.
    Subtree(UnitPath),
    /// A member's: the cell's document, the households assigned to `member` and their own
    /// reports, within `cell`. `None` reads the cell's document only (an account that plays a
    /// member without being one of the cell).
    Member {
        cell: UnitPath,
        member: Option<MemberId>,
    },
}

/// Where a document sits, which decides who may see it: its cell, and for a household the
/// member looking after it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocPlace {
    /// The document.
    pub id: DocId,
    /// The cell it belongs to.
    pub cell: UnitPath,
    /// For a household, the member looking after it now.
    pub assignee: Option<MemberId>,
}

impl DocPlace {
    fn owner(&self) -> Option<&MemberId> {
        match &self.id {
            DocId::Report(member, _) => Some(member),
            DocId::Household(_) | DocId::Cell(_) => None,
        }
    }
}

impl Principal {
    fn is(&self, member: Option<&MemberId>) -> bool {
        member.is_some() && self.member.as_ref() == member
    }

    /// Who is refused, in a refusal's words; never where their scope lies.
    fn who(&self) -> Who {
        match &self.member {
            Some(m) => Who::Member {
                id: m.to_string(),
                role: self.role.labels(),
            },
            None => Who::Account {
                role: self.role.labels(),
            },
        }
    }

    fn in_scope(&self, place: &DocPlace) -> Result<(), Denied> {
        if self.scope.contains(&place.cell) {
            Ok(())
        } else {
            Err(Denied::OutOfScope)
        }
    }

    /// What this principal may read, as [`Principal::may_read`] decides it, for a query.
    pub fn read_filter(&self) -> ReadFilter {
        match self.role {
            AccessRole::Member => ReadFilter::Member {
                cell: self.scope.clone(),
                member: self.member.clone(),
            },
            _ => ReadFilter::Subtree(self.scope.clone()),
        }
    }

    /// Whether this principal may hold and read a document.
    pub fn may_read(&self, place: &DocPlace) -> Result<(), Denied> {
        self.in_scope(place)?;
        if self.role != AccessRole::Member {
            return Ok(());
        }
        match &place.id {
            DocId::Cell(_) => Ok(()),
            DocId::Household(_) if self.is(place.assignee.as_ref()) => Ok(()),
            DocId::Household(_) => Err(Denied::NotAllowed(Message::NotAssigned {
                household: place.id.to_string(),
                who: self.who(),
            })),
            DocId::Report(..) if self.is(place.owner()) => Ok(()),
            DocId::Report(..) => Err(Denied::NotAllowed(Message::OthersReport {
                doc: place.id.to_string(),
            })),
        }
    }

    /// Whether this principal may change a document at all; what a change may touch is
    /// checked by [`Principal::may_change`].
    pub fn may_write(&self, place: &DocPlace) -> Result<(), Denied> {
        self.in_scope(place)?;
        let refuse = |why: fn(Who) -> Message| Err(Denied::NotAllowed(why(self.who())));
        match (self.role, &place.id) {
            (AccessRole::CellSecretary, _) => Ok(()),
            (AccessRole::Member, DocId::Household(_)) if self.is(place.assignee.as_ref()) => Ok(()),
            (AccessRole::Member, DocId::Household(_)) => {
                Err(Denied::NotAllowed(Message::NotAssigned {
                    household: place.id.to_string(),
                    who: self.who(),
                }))
            }
            (AccessRole::Member, DocId::Report(..)) if self.is(place.owner()) => Ok(()),
            (AccessRole::Member, DocId::Report(..)) => {
                Err(Denied::NotAllowed(Message::OthersReportWrite {
                    doc: place.id.to_string(),
                    who: self.who(),
                }))
            }
            (AccessRole::Member, DocId::Cell(_)) => {
                refuse(|who| Message::MemberChangesCell { who })
            }
            (AccessRole::CommuneCommittee, DocId::Report(..)) => Ok(()),
            (AccessRole::CommuneCommittee, _) => refuse(|who| Message::CommitteeReadsOnly { who }),
            (AccessRole::DistrictStaff | AccessRole::Admin, _) => {
                refuse(|who| Message::StaffReadsOnly { who })
            }
        }
    }

    /// Checks what a change did to a document this principal may write: a member changes the
    /// notes and flags of a household but not its details, and their report but not the cell's
    /// rating of it; a commune committee changes only the rating.
    pub fn may_change(&self, before: &Guarded, after: &Guarded) -> Result<(), Denied> {
        let refuse = |why: fn(Who) -> Message| Err(Denied::NotAllowed(why(self.who())));
        match (self.role, &before.0, &after.0) {
            (AccessRole::CellSecretary, ..) => Ok(()),
            (AccessRole::Member, Parts::Household(a), Parts::Household(b)) if a != b => {
                refuse(|who| Message::MemberChangesDetails { who })
            }
            (
                AccessRole::Member,
                Parts::Report { rating: a, .. },
                Parts::Report { rating: b, .. },
            ) if a != b => refuse(|who| Message::MemberRates { who }),
            (
                AccessRole::CommuneCommittee,
                Parts::Report { member: a, .. },
                Parts::Report { member: b, .. },
            ) if a != b => refuse(|who| Message::CommitteeRatesOnly { who }),
            _ => Ok(()),
        }
    }

    /// Whether this principal may take a staff action on what lies at `at`.
    pub fn may(&self, action: StaffAction, at: &UnitPath) -> Result<(), Denied> {
        use AccessRole::*;
        if !self.scope.contains(at) {
            return Err(Denied::OutOfScope);
        }
        let allowed = match action {
            StaffAction::ViewHouseholds => self.role != Member,
            StaffAction::Export | StaffAction::ReadAudit => {
                matches!(self.role, DistrictStaff | Admin)
            }
            StaffAction::Enrol | StaffAction::ManageDevices => self.role != Member,
            StaffAction::ManageAccounts => matches!(self.role, DistrictStaff | Admin),
            StaffAction::ManageOrganisation => {
                matches!(self.role, CommuneCommittee | DistrictStaff | Admin)
            }
            StaffAction::ChangeRoles => self.role == Admin,
        };
        if allowed {
            Ok(())
        } else {
            Err(Denied::NotAllowed(Message::ActionNotAllowed {
                who: self.who(),
                action: action.labels(),
            }))
        }
    }

    /// The staff actions this principal may take somewhere in their scope, in the order of
    /// [`StaffAction::ALL`]: what the dashboard offers them, so that it shows only what the
    /// server would allow and restates no rule of its own.
    pub fn allowed_actions(&self) -> Vec<StaffAction> {
        StaffAction::ALL
            .into_iter()
            .filter(|a| self.may(*a, &self.scope).is_ok())
            .collect()
    }

    /// The roles this principal may give accounts within their scope, for the dashboard's forms.
    pub fn grantable_roles(&self) -> Vec<AccessRole> {
        AccessRole::ALL
            .iter()
            .copied()
            .filter(|r| self.may_grant(*r, &self.scope).is_ok())
            .collect()
    }

    /// Whether this principal may take `action` for someone whose role is `role` at `at`
    /// (issue a code for their phone, revoke it, change their account): within the scope, and
    /// never for a role above their own.
    pub fn may_act_for(
        &self,
        action: StaffAction,
        role: AccessRole,
        at: &UnitPath,
    ) -> Result<(), Denied> {
        self.may(action, at)?;
        if role.rank() > self.role.rank() {
            return Err(Denied::NotAllowed(Message::RoleAbove {
                who: Box::new(self.who()),
                action: action.labels(),
                role: role.labels(),
            }));
        }
        Ok(())
    }

    /// Whether this principal may approve that a phone of someone whose role is `role` at `at`
    /// gets its recovery key (its holder forgot the PIN): whoever may enrol a phone for them,
    /// since recovery gives the phone back what a new enrolment would.
    pub fn may_approve_recovery(&self, role: AccessRole, at: &UnitPath) -> Result<(), Denied> {
        self.may_act_for(StaffAction::Enrol, role, at)
    }

    /// Whether this principal may give `role` over `scope` to an account: only within their own
    /// scope, and never a role above their own.
    pub fn may_grant(&self, role: AccessRole, scope: &UnitPath) -> Result<(), Denied> {
        self.may_act_for(StaffAction::ManageAccounts, role, scope)
    }
}

/// What staff do besides reading and writing documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffAction {
    /// The staff views of households, cells and members.
    ViewHouseholds,
    /// Download a table.
    Export,
    /// Issue an enrolment code for a phone.
    Enrol,
    /// List and revoke phones.
    ManageDevices,
    /// Add staff accounts, disable and enable them, reset their passwords.
    ManageAccounts,
    /// Change an account's role or scope.
    ChangeRoles,
    /// Bring units, members and households in (an import), add members, transfer a member or
    /// move a household to another cell.
    ManageOrganisation,
    ReadAudit,
}

impl StaffAction {
    /// Every staff action, in the order the dashboard lists them.
    pub const ALL: [StaffAction; 8] = [
        StaffAction::ViewHouseholds,
        StaffAction::Export,
        StaffAction::Enrol,
        StaffAction::ManageDevices,
        StaffAction::ManageAccounts,
        StaffAction::ChangeRoles,
        StaffAction::ManageOrganisation,
        StaffAction::ReadAudit,
    ];

    /// The action's code on the wire (`GET /api/v1/session` lists them).
    pub fn code(self) -> &'static str {
        match self {
            StaffAction::ViewHouseholds => "view_households",
            StaffAction::Export => "export",
            StaffAction::Enrol => "enrol",
            StaffAction::ManageDevices => "manage_devices",
            StaffAction::ManageAccounts => "manage_accounts",
            StaffAction::ChangeRoles => "change_roles",
            StaffAction::ManageOrganisation => "manage_organisation",
            StaffAction::ReadAudit => "read_audit",
        }
    }

    /// What the action is called, in words that follow "may" ("export tables").
    pub fn labels(self) -> Label {
        let (vi, en) = match self {
            StaffAction::ViewHouseholds => {
                ("xem thông tin các hộ", "see the staff views of households")
            }
            StaffAction::Export => ("xuất bảng", "export tables"),
            StaffAction::Enrol => ("kích hoạt điện thoại", "enrol phones"),
            StaffAction::ManageDevices => ("xem hay thu hồi thiết bị", "list or revoke phones"),
            StaffAction::ManageAccounts => ("quản lý tài khoản", "manage accounts"),
            StaffAction::ChangeRoles => (
                "thay đổi vai trò hay phạm vi của tài khoản",
                "change an account's role or scope",
            ),
            StaffAction::ManageOrganisation => (
                "thay đổi tổ chức (nhập dữ liệu, thêm hay chuyển đảng viên, chuyển hộ)",
                "change the organisation (import, add or transfer members, move households)",
            ),
            StaffAction::ReadAudit => ("xem nhật ký hệ thống", "read the audit log"),
        };
        Label { vi, en }
    }
}

/// The parts of a document that only some roles may change, read cheaply before and after a
/// push to compare them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guarded(Parts);

/// Every value of each guarded field, conflicting ones included, so that a value written
/// beside another phone's (a conflict it loses) counts as a change too.
type Fields = Vec<Vec<String>>;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Parts {
    /// A household's details (head, village, people, livelihood, tags).
    Household(Fields),
    /// A report's parts: what the member wrote and how the cell rated it.
    Report {
        member: Fields,
        rating: Fields,
    },
    Cell,
}

impl Guarded {
    pub fn of(doc: &Doc) -> Guarded {
        let read = |patterns: &[&[&str]]| -> Fields {
            patterns
                .iter()
                .map(|p| crate::docs::every_value(doc, p))
                .collect()
        };
        Guarded(match doc.id() {
            DocId::Household(_) => Parts::Household(read(household::DETAIL_FIELDS)),
            DocId::Report(..) => Parts::Report {
                member: read(report::MEMBER_FIELDS),
                rating: read(report::RATING_FIELDS),
            },
            DocId::Cell(_) => Parts::Cell,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Month;

    fn path(p: &str) -> UnitPath {
        UnitPath::parse(p).expect("path")
    }

    fn member(id: &str) -> MemberId {
        MemberId::parse(id).expect("member")
    }

    #[test]
    fn scopes_are_subtrees_not_prefixes_of_names() {
        let commune = path("/d/d-x1/");
        assert!(commune.contains(&path("/d/d-x1/d-x1-c1/")));
        assert!(commune.contains(&commune));
        // "d-x1" must not contain "d-x10".
        assert!(!commune.contains(&path("/d/d-x10/d-x10-c1/")));
        assert_eq!(commune.unit().map(|u| u.to_string()), Some("d-x1".into()));
        assert!(UnitPath::parse("d/x").is_err());
    }

    #[test]
    fn a_member_reads_only_assigned_households_and_own_reports() {
        let m2 = Principal {
            role: AccessRole::Member,
            scope: path("/d/x1/c1/"),
            member: Some(member("m2")),
        };
        let household = |assignee: Option<&str>| DocPlace {
            id: DocId::parse("h:h1").expect("id"),
            cell: path("/d/x1/c1/"),
            assignee: assignee.map(member),
        };
        assert!(m2.may_read(&household(Some("m2"))).is_ok());
        assert!(m2.may_write(&household(Some("m2"))).is_ok());
        assert!(m2.may_read(&household(Some("m3"))).is_err());
        assert!(m2.may_write(&household(None)).is_err());
        let report = |owner: &str| DocPlace {
            id: DocId::Report(member(owner), Month::parse("2026-10").expect("month")),
            cell: path("/d/x1/c1/"),
            assignee: None,
        };
        assert!(m2.may_write(&report("m2")).is_ok());
        let refusal = m2.may_read(&report("m3")).expect_err("another's report");
        assert!(
            refusal.to_string().contains("another member's report"),
            "{refusal}"
        );
    }

    #[test]
    fn nobody_grants_above_their_own_role_or_outside_their_scope() {
        let staff = Principal {
            role: AccessRole::DistrictStaff,
            scope: path("/d/"),
            member: None,
        };
        assert!(
            staff
                .may_grant(AccessRole::CommuneCommittee, &path("/d/x1/"))
                .is_ok()
        );
        assert!(staff.may_grant(AccessRole::Admin, &path("/d/")).is_err());
        assert!(staff.may_grant(AccessRole::Member, &path("/e/")).is_err());
        // Nor issues a phone's code for an account above them, even inside their scope.
        let above = staff
            .may_act_for(StaffAction::Enrol, AccessRole::Admin, &path("/d/x1/"))
            .expect_err("an admin's phone");
        assert!(matches!(above, Denied::NotAllowed(_)), "{above}");
        let secretary = Principal {
            role: AccessRole::CellSecretary,
            scope: path("/d/x1/c1/"),
            member: Some(member("m1")),
        };
        assert!(
            secretary
                .may_act_for(StaffAction::Enrol, AccessRole::Member, &path("/d/x1/c1/"))
                .is_ok()
        );
        assert!(
            secretary
                .may_act_for(StaffAction::Enrol, AccessRole::Admin, &path("/d/x1/c1/"))
                .is_err()
        );
    }

    #[test]
    fn recovery_is_approved_by_whoever_may_enrol_the_phone() {
        let at = |role, scope: &str, m: &str| Principal {
            role,
            scope: path(scope),
            member: Some(member(m)),
        };
        let cell = path("/d/x1/c1/");
        let secretary = at(AccessRole::CellSecretary, "/d/x1/c1/", "m1");
        assert!(
            secretary
                .may_approve_recovery(AccessRole::Member, &cell)
                .is_ok()
        );
        let other_cell = at(AccessRole::CellSecretary, "/d/x1/c2/", "m9");
        assert_eq!(
            other_cell.may_approve_recovery(AccessRole::Member, &cell),
            Err(Denied::OutOfScope)
        );
        let member_phone = at(AccessRole::Member, "/d/x1/c1/", "m2");
        assert!(matches!(
            member_phone.may_approve_recovery(AccessRole::Member, &cell),
            Err(Denied::NotAllowed(_))
        ));
    }

    #[test]
    fn the_dashboard_offers_what_the_rules_allow() {
        let at = |role, scope: &str| Principal {
            role,
            scope: path(scope),
            member: None,
        };
        let codes = |p: Principal| {
            p.allowed_actions()
                .into_iter()
                .map(StaffAction::code)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            codes(at(AccessRole::Member, "/d/x1/c1/")),
            Vec::<&str>::new()
        );
        assert_eq!(
            codes(at(AccessRole::CellSecretary, "/d/x1/c1/")),
            ["view_households", "enrol", "manage_devices"]
        );
        assert_eq!(
            codes(at(AccessRole::CommuneCommittee, "/d/x1/")),
            [
                "view_households",
                "enrol",
                "manage_devices",
                "manage_organisation"
            ]
        );
        let staff = codes(at(AccessRole::DistrictStaff, "/d/"));
        assert!(staff.contains(&"manage_accounts") && !staff.contains(&"change_roles"));
        assert_eq!(
            codes(at(AccessRole::Admin, "/d/")).len(),
            StaffAction::ALL.len()
        );
    }

    #[test]
    fn what_lies_outside_the_scope_is_refused_without_saying_where() {
        let committee = Principal {
            role: AccessRole::CommuneCommittee,
            scope: path("/d/x1/"),
            member: None,
        };
        let elsewhere = DocPlace {
            id: DocId::parse("h:h20").expect("id"),
            cell: path("/d/x2/c1/"),
            assignee: None,
        };
        assert_eq!(committee.may_read(&elsewhere), Err(Denied::OutOfScope));
        let refusal = committee
            .may(StaffAction::Export, &path("/d/x1/c1/"))
            .expect_err("a committee does not export");
        assert!(!refusal.to_string().contains('/'), "{refusal}");
    }

    #[test]
    fn a_member_reads_by_the_member_filter_whoever_plays_the_role() {
        let account = Principal {
            role: AccessRole::Member,
            scope: path("/d/x1/c1/"),
            member: None,
        };
        assert_eq!(
            account.read_filter(),
            ReadFilter::Member {
                cell: path("/d/x1/c1/"),
                member: None
            }
        );
        let staff = Principal {
            role: AccessRole::DistrictStaff,
            scope: path("/d/"),
            member: None,
        };
        assert_eq!(staff.read_filter(), ReadFilter::Subtree(path("/d/")));
    }
}
