//! The demo data: a district shaped like Hoàng Su Phì (seed 003), generated deterministically
//! from a seed, through the same documents and storage path as phones' edits.

use anyhow::Context;
use hosync_core::docs::{cell, household, report};
use hosync_core::{
    Day, Doc, DocId, FlagStatus, HouseholdId, MemberId, MemberStatus, Month, OrgUnit, Rating, Role,
    UnitId, UnitKind,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::{Db, store};

/// How big a district to make.
#[derive(Debug, Clone)]
pub struct DemoShape {
    pub communes: usize,
    pub cells_per_commune: usize,
    /// Members per cell, inclusive range.
    pub members_per_cell: (usize, usize),
    /// Months of history, ending with the current one.
    pub months: usize,
    pub seed: u64,
}

impl DemoShape {
    /// One commune, three cells, about 60 households and four months of history.
    pub fn small() -> Self {
        DemoShape {
            communes: 1,
            cells_per_commune: 3,
            members_per_cell: (8, 12),
            months: 4,
            seed: 3,
        }
    }
}

/// What was made, and whom to try it as.
#[derive(Debug, Default, Clone)]
pub struct DemoSummary {
    pub district: String,
    pub cells: Vec<String>,
    pub members: usize,
    pub households: usize,
    pub notes: usize,
    pub flags: usize,
    pub reports: usize,
    /// A member with households, their name and cell.
    pub sample_member: (String, String, String),
    /// The secretary of the same cell.
    pub sample_secretary: (String, String),
}

const FAMILY: &[&str] = &[
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Giàng", "Sùng", "Vàng", "Lý", "Lù", "Triệu",
    "Thào", "Chảo", "Đặng", "Bàn", "Nông", "Lò", "Hầu", "Má",
];
const MIDDLE_MALE: &[&str] = &[
    "Văn", "Seo", "Mí", "A", "Láo", "Quang", "Xuân", "Đức", "Minh", "Tiến",
];
const MIDDLE_FEMALE: &[&str] = &["Thị", "Thị", "Thị", "Mỷ", "Kim", "Thu"];
const GIVEN_MALE: &[&str] = &[
    "An", "Pủa", "Chứ", "Sính", "Dín", "Lềnh", "Tả", "Nhìa", "Súa", "Tuấn", "Hùng", "Thắng", "Chư",
    "Páo", "Phù", "Sinh", "Vần", "Quyết", "Khánh", "Chẩn",
];
const GIVEN_FEMALE: &[&str] = &[
    "Mây", "Bình", "Hương", "Lan", "Dung", "Sua", "Máy", "Dế", "Mai", "Hoa", "Chi", "Pà",
];
const COMMUNES: &[&str] = &[
    "Nậm Ty",
    "Bản Máy",
    "Thàng Tín",
    "Chiến Phố",
    "Hồ Thầu",
    "Pố Lồ",
    "Tụ Nhân",
    "Bản Luốc",
    "Nàng Đôn",
    "Túng Sán",
    "Bản Phùng",
    "Pờ Ly Ngài",
    "Sán Sả Hồ",
    "Thèn Chu Phìn",
    "Bản Péo",
    "Nậm Khòa",
    "Tân Tiến",
    "Ngàm Đăng Vài",
    "Nam Sơn",
    "Bản Nhùng",
    "Đản Ván",
    "Tả Sử Choóng",
    "Bản Đăng",
    "Thông Nguyên",
    "Vinh Quang",
];
const VILLAGES: &[&str] = &[
    "Thôn Trung Thành",
    "Thôn Tân Minh",
    "Thôn Nậm Mì",
    "Thôn Suối Thầu",
    "Thôn Lùng Khấu Nhin",
    "Thôn Ma Lì Sán",
    "Thôn Cóc Cọc",
    "Thôn Ông Lình",
    "Thôn Ván Hồ",
    "Thôn Phìn Sư",
    "Thôn Tân Sơn",
    "Thôn Na Lâm",
];
const LIVELIHOODS: &[&str] = &[
    "Trồng chè",
    "Trồng lúa, ngô",
    "Chăn nuôi trâu, bò",
    "Làm thuê",
    "Trồng thảo quả",
    "Buôn bán nhỏ",
    "Dệt thổ cẩm",
    "Trồng cây dược liệu",
];
const OBSERVATIONS: &[&str] = &[
    "Gia đình sức khỏe ổn định, các cháu đi học đầy đủ.",
    "Bà con phấn khởi vì đường bê tông vào thôn đã làm xong.",
    "Gia đình lo giá phân bón tăng cao, ảnh hưởng vụ chè.",
    "Con trai lớn đã đi làm công nhân ở Bắc Ninh, gửi tiền về đều.",
    "Nhà dột khi mưa to, gia đình mong được hỗ trợ sửa mái.",
    "Gia đình tích cực tham gia dọn vệ sinh đường thôn.",
    "Chăn nuôi lợn phát triển tốt, đã tiêm phòng đầy đủ.",
    "Lo ngại dịch tả lợn châu Phi ở xã bên.",
    "Đề nghị được vay vốn ưu đãi để mở rộng diện tích chè.",
    "Đã tuyên truyền về bảo hiểm y tế; gia đình đồng ý tham gia.",
    "Cụ ông bị đau khớp, đã hướng dẫn ra trạm y tế xã khám.",
    "Gia đình hỏi về chính sách hỗ trợ hộ cận nghèo.",
];
const TOPICS: &[&str] = &[
    "sức khỏe",
    "sinh kế",
    "giáo dục",
    "nhà ở",
    "tâm tư, nguyện vọng",
    "an ninh trật tự",
];
const FLAG_TEXTS: &[&str] = &[
    "Đề nghị hỗ trợ sửa mái nhà trước mùa mưa",
    "Xin giống ngô vụ đông",
    "Đề nghị vay vốn ưu đãi",
    "Cấp thẻ bảo hiểm y tế cho trẻ dưới 6 tuổi",
    "Sửa đoạn đường bị sạt lở vào nhà",
];
const AWAY_PLACES: &[&str] = &["Bắc Ninh", "Hà Nội", "Bình Dương", "Thái Nguyên"];

fn pick<'a>(rng: &mut StdRng, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

fn person_name(rng: &mut StdRng) -> String {
    let family = pick(rng, FAMILY);
    if rng.random_bool(0.55) {
        format!(
            "{family} {} {}",
            pick(rng, MIDDLE_MALE),
            pick(rng, GIVEN_MALE)
        )
    } else {
        format!(
            "{family} {} {}",
            pick(rng, MIDDLE_FEMALE),
            pick(rng, GIVEN_FEMALE)
        )
    }
}

fn id<T>(parse: fn(&str) -> Result<T, hosync_core::IdError>, value: &str) -> anyhow::Result<T> {
    parse(value).with_context(|| format!("demo id {value:?}"))
}

/// Seeds an empty database. Refuses a database that already has an organisation tree.
pub async fn seed(db: &Db, shape: &DemoShape, today: Day) -> anyhow::Result<DemoSummary> {
    let mut rng = StdRng::seed_from_u64(shape.seed);
    let actor = hosync_core::docs::actor_from_bytes(b"hosync-demo-seed");
    let mut summary = DemoSummary {
        district: "hsp".into(),
        ..DemoSummary::default()
    };
    let months: Vec<Month> = {
        let mut m = today.month();
        let mut all = vec![m];
        for _ in 1..shape.months.max(1) {
            m = m.previous();
            all.push(m);
        }
        all.reverse();
        all
    };
    let start = months[0].first_day();

    let mut tx = db.begin_write().await?;
    let existing: i64 = sqlx::Row::try_get(
        &sqlx::query("SELECT COUNT(*) FROM units")
            .fetch_one(&mut *tx)
            .await?,
        0,
    )?;
    anyhow::ensure!(
        existing == 0,
        "the database already holds an organisation tree; the demo seeds only an empty one"
    );
    let district = OrgUnit::new(
        "hsp",
        None,
        UnitKind::District,
        "huyện",
        "Đảng bộ huyện Hoàng Su Phì",
    )?;
    store::insert_unit(&mut tx, &district).await?;
    tx.commit().await?;

    for c in 0..shape.communes {
        let commune_id = format!("hsp-x{:02}", c + 1);
        let commune_name = COMMUNES
            .get(c)
            .map_or_else(|| format!("Xã số {}", c + 1), |n| format!("Đảng bộ xã {n}"));
        let mut tx = db.begin_write().await?;
        store::insert_unit(
            &mut tx,
            &OrgUnit::new(
                &commune_id,
                Some("hsp"),
                UnitKind::CommuneCommittee,
                "xã",
                &commune_name,
            )?,
        )
        .await?;
        for k in 0..shape.cells_per_commune {
            let cell_id = id(UnitId::parse, &format!("{commune_id}-c{:02}", k + 1))?;
            let village = VILLAGES[(c * shape.cells_per_commune + k) % VILLAGES.len()];
            let cell_unit = OrgUnit::new(
                cell_id.as_str(),
                Some(&commune_id),
                UnitKind::Cell,
                "chi bộ thôn",
                &format!("Chi bộ {village}"),
            )?;
            store::insert_unit(&mut tx, &cell_unit).await?;
            let village_unit = OrgUnit::new(
                &format!("{}-v", cell_id),
                Some(cell_id.as_str()),
                UnitKind::Village,
                "thôn",
                village,
            )?;
            store::insert_unit(&mut tx, &village_unit).await?;
            seed_cell(
                &mut tx,
                &mut rng,
                &actor,
                &cell_id,
                village,
                &months,
                start,
                today,
                shape,
                &mut summary,
            )
            .await?;
            summary.cells.push(cell_id.to_string());
        }
        tx.commit().await?;
    }
    Ok(summary)
}

#[allow(clippy::too_many_arguments)]
async fn seed_cell(
    conn: &mut sqlx::AnyConnection,
    rng: &mut StdRng,
    actor: &automerge::ActorId,
    cell_id: &UnitId,
    village: &str,
    months: &[Month],
    start: Day,
    today: Day,
    shape: &DemoShape,
    summary: &mut DemoSummary,
) -> anyhow::Result<()> {
    let now = today.noon_timestamp();
    let size = rng.random_range(shape.members_per_cell.0..=shape.members_per_cell.1);
    let mut cell_doc = Doc::create(DocId::Cell(cell_id.clone()), actor.clone());
    let mut members = Vec::with_capacity(size);
    for i in 0..size {
        let member = id(MemberId::parse, &format!("{cell_id}-m{:02}", i + 1))?;
        let name = person_name(rng);
        let role = match i {
            0 => Role::Secretary,
            1 => Role::DeputySecretary,
            2 => Role::CommitteeMember,
            _ => Role::Member,
        };
        store::insert_member(conn, &member, cell_id, &name, role).await?;
        cell::set_member(&mut cell_doc, &member, &name, role, start.noon_timestamp())?;
        let status = if i > 2 && rng.random_bool(0.06) {
            MemberStatus::WorkingAway {
                place: pick(rng, AWAY_PLACES).into(),
            }
        } else if i > 2 && rng.random_bool(0.04) {
            MemberStatus::Exempt {
                reason: if rng.random_bool(0.5) {
                    "Tuổi cao".into()
                } else {
                    "Sức khỏe yếu".into()
                },
            }
        } else {
            MemberStatus::Active
        };
        if status != MemberStatus::Active {
            cell::set_member_status(&mut cell_doc, &member, &status, start.noon_timestamp())?;
        }
        members.push((member, name, role, status));
    }
    summary.members += members.len();

    // Every active member looks after one to three households.
    let secretary = members[0].0.clone();
    let mut households = Vec::new();
    for (member, _, _, status) in &members {
        if *status != MemberStatus::Active {
            continue;
        }
        for _ in 0..rng.random_range(1..=3) {
            let household = id(
                HouseholdId::parse,
                &format!("{cell_id}-h{:03}", households.len() + 1),
            )?;
            store::insert_household(conn, &household, cell_id).await?;
            cell::assign(
                &mut cell_doc,
                &household,
                Some(member),
                start,
                &secretary,
                start.noon_timestamp(),
            )?;
            households.push((household, member.clone()));
        }
    }
    // A few households wait for an assignment.
    for _ in 0..rng.random_range(0..=2) {
        let household = id(
            HouseholdId::parse,
            &format!("{cell_id}-h{:03}", households.len() + 1),
        )?;
        store::insert_household(conn, &household, cell_id).await?;
        households.push((household, secretary.clone()));
        cell::assign(
            &mut cell_doc,
            &households[households.len() - 1].0,
            None,
            start,
            &secretary,
            start.noon_timestamp(),
        )?;
    }
    store::insert_doc(conn, &cell_doc, cell_id, now).await?;
    if summary.sample_member.0.is_empty()
        && let Some((member, name, _, _)) = members
            .iter()
            .skip(3)
            .find(|(_, _, _, s)| *s == MemberStatus::Active)
    {
        summary.sample_member = (member.to_string(), name.clone(), cell_id.to_string());
        summary.sample_secretary = (members[0].0.to_string(), members[0].1.clone());
    }

    for (number, (household, member)) in households.iter().enumerate() {
        let assigned = cell::read(&cell_doc)?.assignee(household).cloned();
        let mut doc = Doc::create(DocId::Household(household.clone()), actor.clone());
        let head = person_name(rng);
        let profile = household::ProfileUpdate {
            head: Some(head),
            village: Some(village.to_owned()),
            people: Some(rng.random_range(2..=9)),
            livelihood: Some(pick(rng, LIVELIHOODS).to_owned()),
        };
        household::update_profile(&mut doc, &profile, start.noon_timestamp())?;
        if number % 7 == 0 {
            household::add_tag(&mut doc, "hộ nghèo", start.noon_timestamp())?;
        }
        // Some households are not visited for months: the gaps district staff look for.
        let neglected = assigned.is_none() || rng.random_bool(0.12);
        for month in months {
            if neglected && rng.random_bool(0.8) {
                continue;
            }
            let visits = if rng.random_bool(0.85) {
                rng.random_range(1..=2)
            } else {
                0
            };
            for _ in 0..visits {
                let day = month.first_day().add_days(rng.random_range(0..28));
                if day > today {
                    continue;
                }
                let text = format!("{} {}", pick(rng, OBSERVATIONS), pick(rng, OBSERVATIONS));
                let topics = vec![pick(rng, TOPICS).to_owned()];
                let note = household::add_note(
                    &mut doc,
                    member,
                    day,
                    &text,
                    &topics,
                    day.noon_timestamp(),
                )?;
                summary.notes += 1;
                if rng.random_bool(0.12) {
                    let flag = household::raise_flag(
                        &mut doc,
                        Some(&note),
                        member,
                        day,
                        pick(rng, FLAG_TEXTS),
                        day.noon_timestamp(),
                    )?;
                    summary.flags += 1;
                    let later = day.add_days(rng.random_range(3..40));
                    if later <= today {
                        let status = match rng.random_range(0..3) {
                            0 => Some(FlagStatus::Resolved),
                            1 => Some(FlagStatus::Escalated),
                            _ => None,
                        };
                        if let Some(status) = status {
                            household::set_flag_status(
                                &mut doc,
                                &flag,
                                status,
                                &secretary,
                                later,
                                later.noon_timestamp(),
                            )?;
                        }
                    }
                }
            }
        }
        store::insert_doc(conn, &doc, cell_id, now).await?;
        summary.households += 1;
    }

    for month in months {
        for (member, _, role, status) in &members {
            if matches!(status, MemberStatus::Exempt { .. }) || rng.random_bool(0.08) {
                continue;
            }
            let mut doc = Doc::create(DocId::Report(member.clone(), *month), actor.clone());
            let mine = households.iter().filter(|(_, m)| m == member).count();
            let self_rating = *[
                Rating::Excellent,
                Rating::Good,
                Rating::Good,
                Rating::Good,
                Rating::Completed,
                Rating::NotCompleted,
            ]
            .get(rng.random_range(0..6))
            .unwrap_or(&Rating::Good);
            let draft = report::ReportDraft {
                tasks: Some(if role.leads_cell() {
                    "Chủ trì sinh hoạt chi bộ; đôn đốc đảng viên thăm hộ được phân công.".into()
                } else {
                    "Tham gia đầy đủ sinh hoạt chi bộ; tuyên truyền chủ trương, chính sách đến bà con.".into()
                }),
                household_content: Some(format!(
                    "Thăm {mine} hộ được phân công trong {}. {}",
                    month.vi(),
                    pick(rng, OBSERVATIONS)
                )),
                self_rating: Some(self_rating),
            };
            let written = month.first_day().add_days(26).min(today);
            report::write(&mut doc, &draft, written.noon_timestamp())?;
            let current = *month == today.month();
            if !current || rng.random_bool(0.5) {
                report::submit(&mut doc, written, written.noon_timestamp())?;
            }
            if !current {
                let rated = month.next().first_day().add_days(2).min(today);
                let rating = if rng.random_bool(0.8) {
                    self_rating
                } else {
                    Rating::Completed
                };
                report::rate(
                    &mut doc,
                    rating,
                    "Chi bộ nhất trí.",
                    &secretary,
                    rated,
                    rated.noon_timestamp(),
                )?;
            }
            store::insert_doc(conn, &doc, cell_id, now).await?;
            summary.reports += 1;
        }
    }
    Ok(())
}
