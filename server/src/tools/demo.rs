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

use crate::Db;
use crate::storage;

/// How big a district to make.
#[derive(Debug, Clone)]
pub struct DemoShape {
    /// Commune committees (đảng bộ xã, thị trấn), each with cells in its villages.
    pub communes: usize,
    /// Village cells, spread over the communes.
    pub village_cells: usize,
    /// Agency blocs (đảng bộ khối cơ quan) and the cells under each.
    pub agency_blocs: usize,
    pub cells_per_bloc: usize,
    /// Grassroots cells directly under the district (schools, clinics, agencies).
    pub grassroots_cells: usize,
    /// About how many members in all.
    pub members: usize,
    /// Months of history, ending with the current one.
    pub months: usize,
    pub seed: u64,
}

impl DemoShape {
    /// Hoàng Su Phì as seed 003 describes it: 73 grassroots organisations (25 commune
    /// committees, 3 agency blocs, 45 grassroots cells), cells in 199 villages, about 5,660
    /// members, about 7,000 households, twelve months.
    pub fn district() -> Self {
        DemoShape {
            communes: 25,
            village_cells: 199,
            agency_blocs: 3,
            cells_per_bloc: 4,
            grassroots_cells: 45,
            members: 5_660,
            months: 12,
            seed: 3,
        }
    }

    /// The district scaled down (or up) by `factor`, keeping at least one of everything.
    pub fn scaled(factor: f64) -> Self {
        let d = Self::district();
        let scale = |n: usize| ((n as f64 * factor).round() as usize).max(1);
        DemoShape {
            communes: scale(d.communes),
            village_cells: scale(d.village_cells).max(scale(d.communes)),
            agency_blocs: scale(d.agency_blocs),
            cells_per_bloc: d.cells_per_bloc,
            grassroots_cells: scale(d.grassroots_cells),
            members: scale(d.members),
            ..d
        }
    }

    fn cells(&self) -> usize {
        self.village_cells + self.agency_blocs * self.cells_per_bloc + self.grassroots_cells
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
    /// A member with households: id, name, cell.
    pub sample_member: (String, String, String),
    /// The secretary of the same cell: id, name.
    pub sample_secretary: (String, String),
}

impl std::fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} cells, {} members, {} households, {} visit notes, {} flags, {} monthly reports",
            self.cells.len(),
            self.members,
            self.households,
            self.notes,
            self.flags,
            self.reports
        )
    }
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
const SHORT_NOTES: &[&str] = &[
    "Các hộ ổn định.",
    "Một hộ cần hỗ trợ sửa nhà.",
    "Bà con lo giá phân bón.",
    "Đã tuyên truyền bảo hiểm y tế.",
    "Một hộ xin vay vốn.",
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

/// One cell to generate: where it sits, what it is called, how many members it has.
#[derive(Debug, Clone)]
struct CellPlan {
    id: UnitId,
    parent: String,
    kind: UnitKind,
    level_label: &'static str,
    name: String,
    village: String,
    members: usize,
    seed: u64,
}

/// A generated cell, ready to store.
struct CellBatch {
    plan: CellPlan,
    members: Vec<(MemberId, String, Role, MemberStatus)>,
    households: Vec<HouseholdId>,
    /// Each document, encoded and read for the projections on the generating thread.
    docs: Vec<(DocId, storage::DocWrite, crate::storage::projection::Rows)>,
    notes: usize,
    flags: usize,
    reports: usize,
}

const AGENCY_CELLS: &[&str] = &[
    "Văn phòng Huyện ủy",
    "Ủy ban Kiểm tra Huyện ủy",
    "Ban Tuyên giáo",
    "Ban Dân vận",
    "Phòng Nông nghiệp",
    "Phòng Tài chính",
    "Phòng Giáo dục",
    "Phòng Tư pháp",
    "Kho bạc Nhà nước",
    "Chi cục Thuế",
    "Bảo hiểm xã hội",
    "Ngân hàng Chính sách xã hội",
];
const GRASSROOTS_CELLS: &[&str] = &[
    "Trường THPT Hoàng Su Phì",
    "Trường PTDTNT",
    "Trung tâm Y tế huyện",
    "Bệnh viện Đa khoa huyện",
    "Công an huyện",
    "Trường Mầm non Vinh Quang",
    "Trường THCS Thông Nguyên",
    "Điện lực Hoàng Su Phì",
    "Hạt Kiểm lâm",
    "Trung tâm Văn hóa",
];

/// Lays the district out: every cell with its place in the tree and its share of the members.
fn plan_cells(shape: &DemoShape) -> anyhow::Result<(Vec<OrgUnit>, Vec<CellPlan>)> {
    let mut units = vec![OrgUnit::new(
        "hsp",
        None,
        UnitKind::District,
        "huyện",
        "Đảng bộ huyện Hoàng Su Phì",
    )?];
    let mut plans = Vec::with_capacity(shape.cells());
    let per_cell = shape.members as f64 / shape.cells().max(1) as f64;
    let mut sizes = StdRng::seed_from_u64(shape.seed ^ 0x5eed);
    let mut size = move || ((per_cell * sizes.random_range(0.6..1.4)).round() as usize).max(3);
    let plan = |cell: String,
                parent: &str,
                kind,
                level_label,
                name: String,
                village: String,
                size: usize|
     -> anyhow::Result<CellPlan> {
        let seed = shape.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ stable_hash(&cell);
        Ok(CellPlan {
            id: id(UnitId::parse, &cell)?,
            parent: parent.to_owned(),
            kind,
            level_label,
            name,
            village,
            members: size,
            seed,
        })
    };
    for c in 0..shape.communes {
        let commune = format!("hsp-x{:02}", c + 1);
        let commune_name = COMMUNES.get(c).map_or_else(
            || format!("Đảng bộ xã số {}", c + 1),
            |n| format!("Đảng bộ xã {n}"),
        );
        units.push(OrgUnit::new(
            &commune,
            Some("hsp"),
            UnitKind::CommuneCommittee,
            "xã",
            &commune_name,
        )?);
        // Village cells are dealt round-robin, so every commune gets its share.
        let villages = (c..shape.village_cells)
            .step_by(shape.communes.max(1))
            .count();
        for v in 0..villages {
            let village = VILLAGES
                .get((c * 7 + v) % VILLAGES.len())
                .map_or("Thôn", |v| v);
            let village = format!("{village} {}", v + 1);
            plans.push(plan(
                format!("{commune}-c{:02}", v + 1),
                &commune,
                UnitKind::Cell,
                "chi bộ thôn",
                format!("Chi bộ {village}"),
                village,
                size(),
            )?);
        }
    }
    for b in 0..shape.agency_blocs {
        let bloc = format!("hsp-k{}", b + 1);
        units.push(OrgUnit::new(
            &bloc,
            Some("hsp"),
            UnitKind::AgencyBloc,
            "khối",
            &format!("Đảng bộ khối cơ quan {}", b + 1),
        )?);
        for k in 0..shape.cells_per_bloc {
            let name = AGENCY_CELLS[(b * shape.cells_per_bloc + k) % AGENCY_CELLS.len()];
            plans.push(plan(
                format!("{bloc}-c{:02}", k + 1),
                &bloc,
                UnitKind::Cell,
                "chi bộ cơ quan",
                format!("Chi bộ {name}"),
                VILLAGES[k % VILLAGES.len()].to_owned(),
                size(),
            )?);
        }
    }
    for g in 0..shape.grassroots_cells {
        let name = GRASSROOTS_CELLS[g % GRASSROOTS_CELLS.len()];
        let name = if g < GRASSROOTS_CELLS.len() {
            name.to_owned()
        } else {
            format!("{name} {}", g / GRASSROOTS_CELLS.len() + 1)
        };
        plans.push(plan(
            format!("hsp-g{:02}", g + 1),
            "hsp",
            UnitKind::GrassrootsCell,
            "chi bộ cơ sở",
            format!("Chi bộ {name}"),
            VILLAGES[g % VILLAGES.len()].to_owned(),
            size(),
        )?);
    }
    // Scale the random sizes so the district has exactly the members asked for.
    let drawn: usize = plans.iter().map(|p| p.members).sum();
    let factor = shape.members as f64 / drawn.max(1) as f64;
    for p in &mut plans {
        p.members = ((p.members as f64 * factor).round() as usize).max(3);
    }
    let mut total: usize = plans.iter().map(|p| p.members).sum();
    let count = plans.len().max(1);
    let mut i = 0;
    while total != shape.members && i < 10 * count * count {
        let p = &mut plans[i % count];
        if total < shape.members {
            p.members += 1;
            total += 1;
        } else if p.members > 3 {
            p.members -= 1;
            total -= 1;
        }
        i += 1;
    }
    Ok((units, plans))
}

/// A stable number from a cell id, so each cell's data depends on the seed and its id alone.
fn stable_hash(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Seeds an empty database. Refuses a database that already has an organisation tree. Cells
/// are generated on blocking threads while earlier ones are stored, two at a time.
pub async fn seed(db: &Db, shape: &DemoShape, today: Day) -> anyhow::Result<DemoSummary> {
    // The database is empty, and what is seeded is projected by this build as it is stored:
    // marking the projections current first keeps the first `serve` from projecting it again.
    crate::storage::projection::bring_up_to_date(db).await?;
    let (units, plans) = plan_cells(shape)?;
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
    let mut summary = DemoSummary {
        district: "hsp".into(),
        ..DemoSummary::default()
    };

    let mut tx = db.begin_log_write().await?;
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
    for unit in &units {
        storage::insert_unit(&mut tx, unit).await?;
    }
    tx.commit().await?;

    let now = today.noon_timestamp();
    let mut progress =
        crate::progress::Progress::new("seeding the demo district", plans.len() as u64, "cells");
    let mut pending = std::collections::VecDeque::new();
    let mut plans = plans.into_iter();
    let mut tx = db.begin_log_write().await?;
    let mut in_tx = 0;
    loop {
        while pending.len() < 2 {
            let Some(plan) = plans.next() else { break };
            let months = months.clone();
            pending.push_back(tokio::task::spawn_blocking(move || {
                generate_cell(plan, &months, today)
            }));
        }
        let Some(next) = pending.pop_front() else {
            break;
        };
        let batch = next.await.context("generating a demo cell")??;
        store_cell(&mut tx, &batch, now).await?;
        summary.cells.push(batch.plan.id.to_string());
        summary.members += batch.members.len();
        summary.households += batch.households.len();
        summary.notes += batch.notes;
        summary.flags += batch.flags;
        summary.reports += batch.reports;
        progress.advance(1);
        if summary.sample_member.0.is_empty()
            && let Some((member, name, _, _)) = batch
                .members
                .iter()
                .skip(3)
                .find(|(_, _, _, s)| *s == MemberStatus::Active)
        {
            summary.sample_member = (member.to_string(), name.clone(), batch.plan.id.to_string());
            summary.sample_secretary = (batch.members[0].0.to_string(), batch.members[0].1.clone());
        }
        // Commit every few cells: few enough fsyncs to be quick, small enough transactions.
        in_tx += 1;
        if in_tx == 8 {
            tx.commit().await?;
            tx = db.begin_log_write().await?;
            in_tx = 0;
        }
    }
    tx.commit().await?;
    progress.finish();
    Ok(summary)
}

async fn store_cell(
    conn: &mut sqlx::AnyConnection,
    batch: &CellBatch,
    now: i64,
) -> anyhow::Result<()> {
    let p = &batch.plan;
    storage::insert_unit(
        &mut *conn,
        &OrgUnit::new(
            p.id.as_str(),
            Some(&p.parent),
            p.kind,
            p.level_label,
            &p.name,
        )?,
    )
    .await?;
    let village = OrgUnit::new(
        &format!("{}-v", p.id),
        Some(p.id.as_str()),
        UnitKind::Village,
        "thôn",
        &p.village,
    )?;
    storage::insert_unit(&mut *conn, &village).await?;
    for (member, name, role, _) in &batch.members {
        storage::insert_member(&mut *conn, member, &p.id, name, *role).await?;
    }
    for household in &batch.households {
        storage::insert_household(&mut *conn, household, &p.id).await?;
    }
    for (id, prepared, rows) in &batch.docs {
        storage::insert_prepared(&mut *conn, id, prepared, rows, &p.id, now).await?;
    }
    Ok(())
}

/// Generates one cell: its roster and assignments, its households with their visits and flags,
/// and its members' monthly reports. Pure and deterministic for a plan.
fn generate_cell(plan: CellPlan, months: &[Month], today: Day) -> anyhow::Result<CellBatch> {
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let actor = hosync_core::docs::actor_from_bytes(b"hosync-demo-seed");
    let start = months[0].first_day();
    let t0 = start.noon_timestamp();
    let cell_id = plan.id.clone();
    let mut cell_doc = Doc::create(DocId::Cell(cell_id.clone()), actor.clone());
    let mut members = Vec::with_capacity(plan.members);
    for i in 0..plan.members {
        let member = id(MemberId::parse, &format!("{cell_id}-m{:02}", i + 1))?;
        let name = person_name(&mut rng);
        let role = match i {
            0 => Role::Secretary,
            1 => Role::DeputySecretary,
            2 => Role::CommitteeMember,
            _ => Role::Member,
        };
        cell::set_member(&mut cell_doc, &member, &name, role, t0)?;
        let status = if i > 2 && rng.random_bool(0.06) {
            MemberStatus::WorkingAway {
                place: pick(&mut rng, AWAY_PLACES).into(),
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
            cell::set_member_status(&mut cell_doc, &member, &status, t0)?;
        }
        members.push((member, name, role, status));
    }

    // Active members look after one to three households; a few households wait unassigned.
    let secretary = members[0].0.clone();
    let mut households: Vec<(HouseholdId, Option<MemberId>)> = Vec::new();
    let new_household = |n: usize| id(HouseholdId::parse, &format!("{cell_id}-h{:03}", n + 1));
    for (member, _, _, status) in &members {
        if *status != MemberStatus::Active {
            continue;
        }
        let count = match rng.random_range(0..100) {
            0..75 => 1,
            75..93 => 2,
            _ => 3,
        };
        for _ in 0..count {
            let household = new_household(households.len())?;
            cell::assign(
                &mut cell_doc,
                &household,
                Some(member),
                start,
                &secretary,
                t0,
            )?;
            households.push((household, Some(member.clone())));
        }
    }
    for _ in 0..rng.random_range(0..=2) {
        households.push((new_household(households.len())?, None));
    }

    let mut docs = vec![cell_doc];
    let (mut notes, mut flags, mut reports) = (0, 0, 0);
    for (number, (household, assigned)) in households.iter().enumerate() {
        let mut doc = Doc::create(DocId::Household(household.clone()), actor.clone());
        let profile = household::ProfileUpdate {
            head: Some(person_name(&mut rng)),
            village: Some(plan.village.clone()),
            people: Some(rng.random_range(2..=9)),
            livelihood: Some(pick(&mut rng, LIVELIHOODS).to_owned()),
        };
        household::update_profile(&mut doc, &profile, t0)?;
        if number % 7 == 0 {
            household::add_tag(&mut doc, "hộ nghèo", t0)?;
        }
        // Unassigned households, and some others, go unvisited for months: the gaps district
        // staff look for.
        let neglected = assigned.is_none() || rng.random_bool(0.12);
        let visitor = assigned.clone().unwrap_or_else(|| secretary.clone());
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
                // Most notes are a line; some say more.
                let text = if rng.random_bool(0.35) {
                    format!(
                        "{} {}",
                        pick(&mut rng, OBSERVATIONS),
                        pick(&mut rng, OBSERVATIONS)
                    )
                } else {
                    pick(&mut rng, OBSERVATIONS).to_owned()
                };
                let topics = vec![pick(&mut rng, TOPICS).to_owned()];
                let note = household::add_note(
                    &mut doc,
                    &visitor,
                    day,
                    &text,
                    &topics,
                    day.noon_timestamp(),
                )?;
                notes += 1;
                if rng.random_bool(0.12) {
                    let flag = household::raise_flag(
                        &mut doc,
                        Some(&note),
                        &visitor,
                        day,
                        pick(&mut rng, FLAG_TEXTS),
                        day.noon_timestamp(),
                    )?;
                    flags += 1;
                    let later = day.add_days(rng.random_range(3..40));
                    let status = match rng.random_range(0..3) {
                        0 => Some(FlagStatus::Resolved),
                        1 => Some(FlagStatus::Escalated),
                        _ => None,
                    };
                    if let Some(status) = status.filter(|_| later <= today) {
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
        docs.push(doc);
    }

    for month in months {
        for (member, _, role, status) in &members {
            if matches!(status, MemberStatus::Exempt { .. }) || rng.random_bool(0.08) {
                continue;
            }
            let mut doc = Doc::create(DocId::Report(member.clone(), *month), actor.clone());
            let mine = households
                .iter()
                .filter(|(_, m)| m.as_ref() == Some(member))
                .count();
            let self_rating = [
                Rating::Excellent,
                Rating::Good,
                Rating::Good,
                Rating::Good,
                Rating::Completed,
                Rating::NotCompleted,
            ][rng.random_range(0..6)];
            let draft = report::ReportDraft {
                // Monthly reports are short in practice: a line on the tasks, one on the households.
                tasks: Some(if role.leads_cell() {
                    "Chủ trì sinh hoạt chi bộ.".into()
                } else {
                    "Dự sinh hoạt chi bộ đầy đủ.".into()
                }),
                household_content: Some(format!(
                    "Đã thăm {mine} hộ. {}",
                    pick(&mut rng, SHORT_NOTES)
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
            docs.push(doc);
            reports += 1;
        }
    }
    let docs = docs
        .iter()
        .map(|doc| {
            Ok((
                doc.id().clone(),
                storage::DocWrite::whole(doc),
                crate::storage::projection::Rows::read(doc)?,
            ))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(CellBatch {
        plan,
        members,
        households: households.into_iter().map(|(h, _)| h).collect(),
        docs,
        notes,
        flags,
        reports,
    })
}
