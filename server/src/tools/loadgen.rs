//! The load generator: plays the phones of a seeded district against a running server. Each
//! phone starts from its cell's data, writes notes offline, and syncs; the generator measures
//! what the phones see (latency, bytes, round trips) and what the server spends (peak memory,
//! CPU), then checks that every note it wrote is on the server.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use hosync_core::docs::household;
use hosync_core::{Day, DocId, HouseholdId, MemberId, NoteId};
use serde::Serialize;
use sqlx::Row;
use tokio::sync::Semaphore;

use crate::Db;
use crate::tools::phone::{Phone, WireStats};

/// What to play.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    /// The server to load.
    pub server: String,
    /// Its database, to pick the phones and check what they wrote arrived.
    pub database_url: String,
    /// How many phones; all members with households when `None`.
    pub phones: Option<usize>,
    /// How many phones sync at once.
    pub concurrency: usize,
    /// Notes each phone writes offline before its sync.
    pub edits: usize,
    /// The server's process, to read its memory and CPU from /proc.
    pub server_pid: Option<u32>,
    /// After the wave, keep every phone writing a note and syncing, round after round, for
    /// this long (a soak), and report each minute.
    pub soak_seconds: Option<u64>,
}

/// A network, for the model time = round trips × RTT + bytes ÷ bandwidth.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Network {
    pub name: &'static str,
    pub kbit_per_s: f64,
    pub rtt_ms: f64,
}

pub const NETWORKS: [Network; 2] = [
    Network {
        name: "2G",
        kbit_per_s: 40.0,
        rtt_ms: 600.0,
    },
    Network {
        name: "3G",
        kbit_per_s: 384.0,
        rtt_ms: 300.0,
    },
];

impl Network {
    /// Seconds a sync of this many round trips and bytes takes on this network.
    pub fn seconds(&self, round_trips: u64, bytes: u64) -> f64 {
        round_trips as f64 * self.rtt_ms / 1000.0 + bytes as f64 * 8.0 / (self.kbit_per_s * 1000.0)
    }
}

/// One measured sync.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SyncSample {
    pub round_trips: u64,
    pub bytes_up: u64,
    pub bytes_down: u64,
    pub millis: f64,
}

impl SyncSample {
    fn from(before: WireStats, after: WireStats, took: Duration) -> Self {
        SyncSample {
            round_trips: after.round_trips - before.round_trips,
            bytes_up: after.bytes_up - before.bytes_up,
            bytes_down: after.bytes_down - before.bytes_down,
            millis: took.as_secs_f64() * 1000.0,
        }
    }

    fn bytes(&self) -> u64 {
        self.bytes_up + self.bytes_down
    }
}

/// Everything the run measured.
#[derive(Debug, Serialize)]
pub struct LoadReport {
    pub phones: usize,
    pub concurrency: usize,
    pub edits_per_phone: usize,
    /// A new phone's first sync of its cell, for the cell nearest 40 households.
    pub first_sync: FirstSync,
    /// One phone with three households (or its most) that edited one note: the steady state.
    pub steady_state: SyncSample,
    pub steady_state_households: usize,
    /// Every phone syncing its offline edits at once.
    pub wall_seconds: f64,
    pub syncs_per_second: f64,
    pub latency_ms_p50: f64,
    pub latency_ms_p95: f64,
    pub latency_ms_p99: f64,
    pub bytes_up_per_sync: f64,
    pub bytes_down_per_sync: f64,
    pub round_trips_per_sync: f64,
    pub errors: usize,
    pub edits_written: usize,
    pub edits_missing: usize,
    pub server_peak_rss_mib: Option<f64>,
    pub server_cpu_seconds: Option<f64>,
    pub database_bytes: Option<u64>,
    pub networks: Vec<NetworkTimes>,
    /// The soak, when one was asked for.
    pub soak: Option<Soak>,
}

/// Phones syncing again and again against one server: whether it stays up, answers and keeps
/// its memory flat as the documents grow.
#[derive(Debug, Serialize)]
pub struct Soak {
    pub phones: usize,
    pub seconds: f64,
    pub rounds: usize,
    pub syncs: usize,
    pub errors: usize,
    pub minutes: Vec<SoakMinute>,
}

/// One minute of a soak.
#[derive(Debug, Serialize)]
pub struct SoakMinute {
    pub minute: usize,
    pub syncs: usize,
    pub errors: usize,
    pub latency_ms_p50: f64,
    pub latency_ms_p95: f64,
    /// The server's resident memory at the minute's end.
    pub server_rss_mib: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct FirstSync {
    pub cell: String,
    pub households: usize,
    pub sample: SyncSample,
    pub max_bytes_down: u64,
}

#[derive(Debug, Serialize)]
pub struct NetworkTimes {
    pub network: Network,
    pub steady_state_seconds: f64,
    pub first_sync_seconds: f64,
}

/// One cell of the district, as the phones to play are picked from it.
pub(crate) struct CellPlan {
    pub(crate) households: usize,
    /// The secretary, whose phone holds every document of the cell.
    pub(crate) secretary: MemberId,
    /// Every member, and the households each looks after (none for a member working away or
    /// exempt: their phone writes their monthly report instead).
    pub(crate) members: Vec<(MemberId, Vec<HouseholdId>)>,
}

pub(crate) async fn district(db: &Db) -> anyhow::Result<BTreeMap<String, CellPlan>> {
    let rows = sqlx::query(
        "SELECT m.cell_id, m.id, m.role, COALESCE(a.household_id, '') FROM members m \
         LEFT JOIN assignment_view a ON a.member_id = m.id ORDER BY m.cell_id, m.id, a.household_id",
    )
    .fetch_all(&db.reader)
    .await?;
    let mut cells: BTreeMap<String, CellPlan> = BTreeMap::new();
    for row in rows {
        let cell: String = row.try_get(0)?;
        let member = MemberId::parse(&row.try_get::<String, _>(1)?)?;
        let role: String = row.try_get(2)?;
        let household: String = row.try_get(3)?;
        let plan = cells.entry(cell).or_insert(CellPlan {
            households: 0,
            secretary: member.clone(),
            members: Vec::new(),
        });
        if role == hosync_core::Role::Secretary.code() {
            plan.secretary = member.clone();
        }
        if plan.members.last().is_none_or(|(m, _)| *m != member) {
            plan.members.push((member, Vec::new()));
        }
        if !household.is_empty()
            && let Some((_, list)) = plan.members.last_mut()
        {
            list.push(HouseholdId::parse(&household)?);
            plan.households += 1;
        }
    }
    anyhow::ensure!(
        !cells.is_empty(),
        "the database holds no members: seed it first (hosync seed)"
    );
    Ok(cells)
}

/// Picks phones round-robin over the cells, so a small run still spans many cells.
fn pick_phones(
    cells: &BTreeMap<String, CellPlan>,
    wanted: Option<usize>,
) -> Vec<(String, MemberId, Vec<HouseholdId>)> {
    let total: usize = cells.values().map(|c| c.members.len()).sum();
    let wanted = wanted.unwrap_or(total).min(total);
    let mut picked = Vec::with_capacity(wanted);
    let mut round = 0;
    while picked.len() < wanted {
        for (cell, plan) in cells {
            if let Some((member, households)) = plan.members.get(round)
                && picked.len() < wanted
            {
                picked.push((cell.clone(), member.clone(), households.clone()));
            }
        }
        round += 1;
    }
    picked
}

/// Enrols a phone for each member straight in the database (codes and their exchange are not
/// what is measured), returning empty phones that hold their tokens.
pub(crate) async fn enrol(
    db: &Db,
    members: &[MemberId],
    label: &str,
) -> anyhow::Result<Vec<hosync_core::sync::Replica>> {
    let mut tx = db.begin_write().await?;
    let now = crate::system_now();
    let mut phones = Vec::with_capacity(members.len());
    for member in members {
        let (cell, _) = crate::storage::member_cell(&mut tx, member)
            .await?
            .with_context(|| format!("member {member} is in no cell"))?;
        let (device, token) = crate::access::devices::register(
            &mut tx,
            &crate::access::devices::Holder::Member(member.clone()),
            &cell,
            label,
            &crate::access::audit::Actor::Cli,
            now,
        )
        .await?;
        let mut replica = hosync_core::sync::Replica::new(
            device,
            member.clone(),
            hosync_core::docs::random_actor(),
        );
        replica.set_token(&token);
        phones.push(replica);
    }
    tx.commit().await?;
    Ok(phones)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// The server's peak resident memory (MiB) and CPU seconds so far, from /proc.
/// The server's resident memory now, in MiB.
fn server_rss(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

fn server_usage(pid: u32) -> Option<(f64, f64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let peak_kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start at ") ".
    let fields: Vec<&str> = stat.rsplit_once(") ")?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // Linux reports CPU time in USER_HZ, 100 per second on every platform it runs on.
    Some((peak_kib / 1024.0, ticks / 100.0))
}

async fn database_bytes(db: &Db, url: &str) -> Option<u64> {
    match db.backend {
        crate::storage::db::Backend::Postgres => {
            let row = sqlx::query("SELECT CAST(pg_database_size(current_database()) AS BIGINT)")
                .fetch_one(&db.reader)
                .await
                .ok()?;
            row.try_get::<i64, _>(0).ok().map(|n| n as u64)
        }
        crate::storage::db::Backend::Sqlite => {
            let path = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))?
                .split('?')
                .next()?;
            let size = |p: PathBuf| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
            Some(size(PathBuf::from(path)) + size(PathBuf::from(format!("{path}-wal"))))
        }
    }
}

/// Runs `work` on every phone, at most `limit` at once, and returns what each gave back.
/// Runs `work` for every phone, `limit` at a time; `shown` names the work in a progress bar.
async fn each_phone<T, U, F, Fut>(
    shown: Option<&str>,
    phones: Vec<T>,
    limit: usize,
    work: F,
) -> Vec<anyhow::Result<U>>
where
    U: Send + 'static,
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<U>> + Send + 'static,
{
    let gate = Arc::new(Semaphore::new(limit.max(1)));
    let mut tasks = Vec::with_capacity(phones.len());
    for phone in phones {
        let gate = Arc::clone(&gate);
        let job = work(phone);
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.context("the load generator stopped")?;
            job.await
        }));
    }
    let mut progress =
        shown.map(|what| crate::progress::Progress::new(what, tasks.len() as u64, "phones"));
    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        results.push(task.await.context("a phone's task failed").and_then(|r| r));
        if let Some(progress) = &mut progress {
            progress.advance(1);
        }
    }
    if let Some(progress) = progress {
        progress.finish();
    }
    results
}

pub async fn run(plan: &LoadPlan) -> anyhow::Result<LoadReport> {
    let db = Db::open(&plan.database_url).await?;
    let cells = district(&db).await?;
    let picked = pick_phones(&cells, plan.phones);
    let needed: BTreeSet<&String> = picked.iter().map(|(cell, ..)| cell).collect();
    println!(
        "loadgen: {} phones in {} cells against {}",
        picked.len(),
        needed.len(),
        plan.server
    );

    // Each cell's data comes down once, to its secretary's phone (which holds every document of
    // the cell); the cell's other phones start from a copy, as phones set up from a secretary's
    // phone would.
    let secretaries: Vec<(String, MemberId)> = needed
        .iter()
        .filter_map(|cell| Some(((*cell).clone(), cells.get(*cell)?.secretary.clone())))
        .collect();
    let boot_phones_enrolled = enrol(
        &db,
        &secretaries
            .iter()
            .map(|(_, m)| m.clone())
            .collect::<Vec<_>>(),
        "loadgen bootstrap",
    )
    .await?;
    let boots: Vec<(String, Phone)> = secretaries
        .into_iter()
        .zip(boot_phones_enrolled)
        .map(|((cell, _), replica)| (cell, Phone::with_replica(&plan.server, replica)))
        .collect();
    let started = Instant::now();
    let booted = each_phone(
        Some("loadgen: first syncs of the cells"),
        boots,
        plan.concurrency,
        |(cell, mut phone)| async move {
            phone
                .sync()
                .await
                .with_context(|| format!("first sync of cell {cell}"))?;
            Ok((cell, phone))
        },
    )
    .await;
    let mut boot_phones = BTreeMap::new();
    for result in booted {
        let (cell, phone) = result?;
        boot_phones.insert(cell, phone);
    }
    println!(
        "loadgen: {} cells bootstrapped in {:.1} s",
        boot_phones.len(),
        started.elapsed().as_secs_f64()
    );

    // A member's new phone, in the cell nearest 40 households, and in the largest cell.
    let nearest = needed
        .iter()
        .min_by_key(|cell| {
            cells
                .get(**cell)
                .map_or(usize::MAX, |c| c.households.abs_diff(40))
        })
        .map(|cell| (*cell).clone())
        .context("no cells")?;
    let largest = needed
        .iter()
        .max_by_key(|cell| cells.get(**cell).map_or(0, |c| c.households))
        .map(|cell| (*cell).clone());
    let mut first_samples = Vec::new();
    for cell in std::iter::once(nearest.clone()).chain(largest) {
        let plan_cell = cells.get(&cell).context("cell")?;
        let member = plan_cell
            .members
            .iter()
            .find(|(m, h)| *m != plan_cell.secretary && !h.is_empty())
            .or_else(|| plan_cell.members.first())
            .map(|(m, _)| m.clone())
            .context("a member")?;
        let replica = enrol(&db, std::slice::from_ref(&member), "loadgen new phone")
            .await?
            .pop()
            .context("an enrolled phone")?;
        let mut phone = Phone::with_replica(&plan.server, replica);
        let t = Instant::now();
        phone
            .sync()
            .await
            .with_context(|| format!("a new phone's first sync in cell {cell}"))?;
        first_samples.push((
            cell,
            SyncSample::from(WireStats::default(), phone.stats, t.elapsed()),
        ));
    }
    let first_sync = FirstSync {
        households: cells.get(&nearest).map_or(0, |c| c.households),
        cell: nearest,
        sample: first_samples[0].1,
        max_bytes_down: first_samples
            .iter()
            .map(|(_, s)| s.bytes_down)
            .max()
            .unwrap_or(0),
    };

    // Each phone keeps only what it will edit (its households, or its monthly report): a real
    // phone holds the whole cell, but the server's work is the same and the generator's memory
    // stays small.
    let today = Day::from_timestamp(crate::system_now());
    let enrolled = enrol(
        &db,
        &picked.iter().map(|(_, m, _)| m.clone()).collect::<Vec<_>>(),
        "loadgen phone",
    )
    .await?;
    let mut phones = Vec::with_capacity(picked.len());
    for ((cell, member, households), enrolled) in picked.iter().zip(enrolled) {
        let boot = boot_phones.get(cell).context("cell not bootstrapped")?;
        let mut replica = boot.replica().clone_as(
            enrolled.device().clone(),
            member.clone(),
            hosync_core::docs::random_actor(),
        );
        replica.set_token(enrolled.token());
        // What the member's own phone holds: the cell, the households assigned to them and
        // their own reports (the secretary's phone it was copied from holds the whole cell).
        let report = DocId::Report(member.clone(), today.month());
        let keep: BTreeSet<DocId> = households
            .iter()
            .cloned()
            .map(DocId::Household)
            .chain([report])
            .collect();
        replica.retain(|id| {
            keep.contains(id)
                || matches!(id, DocId::Cell(_))
                || matches!(id, DocId::Report(owner, _) if owner == member)
        });
        phones.push((
            Phone::with_replica(&plan.server, replica),
            households.clone(),
        ));
    }
    drop(boot_phones);

    let now = crate::system_now();
    let mut written: Vec<(HouseholdId, NoteId)> = Vec::new();
    let mut reports_written: Vec<(DocId, String)> = Vec::new();

    // The steady state: one phone with the most households edits one note and syncs.
    let probe_index = phones
        .iter()
        .enumerate()
        .max_by_key(|(_, (_, h))| h.len())
        .map(|(i, _)| i)
        .context("no phones")?;
    let (probe, probe_households) = &mut phones[probe_index];
    let steady_state_households = probe_households.len();
    let target = probe_households[0].clone();
    let member = probe.replica().member().clone();
    let doc = probe
        .replica_mut()
        .doc_mut(&DocId::Household(target.clone()))
        .context("household on the probe phone")?;
    let note = household::add_note(doc, &member, today, "Đã thăm, gia đình ổn định.", &[], now)?;
    written.push((target, note));
    let before = probe.stats;
    let t = Instant::now();
    let outcome = probe.sync().await.context("the steady-state sync")?;
    anyhow::ensure!(
        outcome.refused.is_empty(),
        "the steady-state note was refused: {:?}",
        outcome.refused
    );
    let steady_state = SyncSample::from(before, probe.stats, t.elapsed());

    // Offline, every phone writes its notes (or, with no households, its monthly report); then
    // all sync at once.
    for (phone, households) in &mut phones {
        let member = phone.replica().member().clone();
        if households.is_empty() {
            let id = DocId::Report(member.clone(), today.month());
            let doc = phone.replica_mut().open(&id);
            let current = hosync_core::docs::report::read(doc)?.household_content;
            let marker = format!("Báo cáo của {member} lúc {now}.");
            let draft = hosync_core::docs::report::ReportDraft {
                household_content: Some(format!("{current} {marker}").trim().to_owned()),
                ..Default::default()
            };
            hosync_core::docs::report::write(doc, &draft, now)?;
            reports_written.push((id, marker));
            continue;
        }
        for e in 0..plan.edits {
            let target = households[e % households.len()].clone();
            let doc = phone
                .replica_mut()
                .doc_mut(&DocId::Household(target.clone()))
                .context("household on the phone")?;
            let text = format!(
                "Ghi chép {} của {member}: gia đình khỏe, không có kiến nghị.",
                e + 1
            );
            let note = household::add_note(doc, &member, today, &text, &[], now)?;
            written.push((target, note));
        }
    }
    let usage_before = plan.server_pid.and_then(server_usage);
    let started = Instant::now();
    let results = each_phone(
        Some("loadgen: syncing the phones' edits"),
        phones,
        plan.concurrency,
        |(mut phone, households)| async move {
            let before = phone.stats;
            let t = Instant::now();
            let outcome = phone.sync().await?;
            anyhow::ensure!(outcome.refused.is_empty(), "refused: {:?}", outcome.refused);
            let sample = SyncSample::from(before, phone.stats, t.elapsed());
            Ok((phone, households, sample))
        },
    )
    .await;
    let wall = started.elapsed().as_secs_f64();
    let usage_after = plan.server_pid.and_then(server_usage);

    let mut samples = Vec::with_capacity(results.len());
    let mut errors = 0;
    let mut synced = Vec::with_capacity(results.len());
    for result in results {
        match result {
            Ok((phone, households, sample)) => {
                samples.push(sample);
                synced.push((phone, households));
            }
            Err(e) => {
                errors += 1;
                if errors <= 5 {
                    eprintln!("loadgen: a sync failed: {e:#}");
                }
            }
        }
    }
    let soak = match plan.soak_seconds {
        Some(seconds) => Some(soak(plan, synced, seconds, today, &mut written).await?),
        None => None,
    };
    let mut latencies: Vec<f64> = samples.iter().map(|s| s.millis).collect();
    latencies.sort_by(f64::total_cmp);
    let count = samples.len().max(1) as f64;

    // Every note written must be on the server.
    let mut missing = 0;
    for chunk in written.chunks(400) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT note_id FROM note_view WHERE note_id IN ({})",
            placeholders.join(", ")
        ));
        let mut query = sqlx::query(sql);
        for (_, note) in chunk {
            query = query.bind(note.as_str());
        }
        let found: BTreeSet<String> = query
            .fetch_all(&db.reader)
            .await?
            .iter()
            .filter_map(|r| r.try_get(0).ok())
            .collect();
        for (household, note) in chunk {
            if !found.contains(note.as_str()) {
                missing += 1;
                if missing <= 5 {
                    eprintln!("loadgen: note {note} on household {household} is not on the server");
                }
            }
        }
    }

    // And every report written.
    let mut conn = db.reader.acquire().await?;
    let reader_actor = hosync_core::docs::random_actor();
    for (id, marker) in &reports_written {
        let stored = crate::storage::load_doc(&mut conn, id, &reader_actor).await?;
        let kept = stored
            .map(|doc| {
                hosync_core::docs::report::read(&doc)
                    .map(|r| r.household_content.contains(marker.as_str()))
            })
            .transpose()?
            .unwrap_or(false);
        if !kept {
            missing += 1;
            if missing <= 5 {
                eprintln!("loadgen: the report edit on {id} is not on the server");
            }
        }
    }
    drop(conn);

    let report = LoadReport {
        phones: picked.len(),
        concurrency: plan.concurrency,
        edits_per_phone: plan.edits,
        networks: NETWORKS
            .iter()
            .map(|n| NetworkTimes {
                network: *n,
                steady_state_seconds: n.seconds(steady_state.round_trips, steady_state.bytes()),
                first_sync_seconds: n
                    .seconds(first_sync.sample.round_trips, first_sync.sample.bytes()),
            })
            .collect(),
        first_sync,
        steady_state,
        steady_state_households,
        wall_seconds: wall,
        syncs_per_second: samples.len() as f64 / wall.max(1e-9),
        latency_ms_p50: percentile(&latencies, 50.0),
        latency_ms_p95: percentile(&latencies, 95.0),
        latency_ms_p99: percentile(&latencies, 99.0),
        bytes_up_per_sync: samples.iter().map(|s| s.bytes_up as f64).sum::<f64>() / count,
        bytes_down_per_sync: samples.iter().map(|s| s.bytes_down as f64).sum::<f64>() / count,
        round_trips_per_sync: samples.iter().map(|s| s.round_trips as f64).sum::<f64>() / count,
        errors,
        edits_written: written.len() + reports_written.len(),
        edits_missing: missing,
        server_peak_rss_mib: usage_after.map(|(peak, _)| peak),
        server_cpu_seconds: usage_before.zip(usage_after).map(|((_, a), (_, b))| b - a),
        database_bytes: database_bytes(&db, &plan.database_url).await,
        soak,
    };
    db.close().await;
    Ok(report)
}

/// The soak: round after round, every phone with a household writes one note on it and syncs,
/// until `seconds` have passed; each minute's syncs, errors, latency and the server's memory.
/// A failed sync keeps its phone, which sends the note again in the next round.
async fn soak(
    plan: &LoadPlan,
    mut phones: Vec<(Phone, Vec<HouseholdId>)>,
    seconds: u64,
    today: Day,
    written: &mut Vec<(HouseholdId, NoteId)>,
) -> anyhow::Result<Soak> {
    phones.retain(|(_, households)| !households.is_empty());
    println!("loadgen: soaking {} phones for {seconds} s", phones.len());
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut report = Soak {
        phones: phones.len(),
        seconds: 0.0,
        rounds: 0,
        syncs: 0,
        errors: 0,
        minutes: Vec::new(),
    };
    let mut minute_latencies: Vec<f64> = Vec::new();
    let mut minute_errors = 0;
    let mut minute_start = started;
    while Instant::now() < deadline && !phones.is_empty() {
        report.rounds += 1;
        let now = crate::system_now();
        for (phone, households) in &mut phones {
            let member = phone.replica().member().clone();
            let target = households[report.rounds % households.len()].clone();
            let doc = phone
                .replica_mut()
                .doc_mut(&DocId::Household(target.clone()))
                .context("household on the phone")?;
            let text = format!(
                "Lượt {} của {member}: đã thăm, gia đình ổn định.",
                report.rounds
            );
            let note = household::add_note(doc, &member, today, &text, &[], now)?;
            written.push((target, note));
        }
        let results = each_phone(
            // A round every few seconds: a bar for each would drown the soak's own lines.
            None,
            phones,
            plan.concurrency,
            |(mut phone, households)| async move {
                let t = Instant::now();
                let synced = phone.sync().await.map(|_| t.elapsed());
                Ok((phone, households, synced))
            },
        )
        .await;
        phones = Vec::with_capacity(results.len());
        for result in results {
            let (phone, households, synced) = result?;
            match synced {
                Ok(took) => {
                    report.syncs += 1;
                    minute_latencies.push(took.as_secs_f64() * 1000.0);
                }
                Err(e) => {
                    report.errors += 1;
                    minute_errors += 1;
                    if report.errors <= 5 {
                        eprintln!("loadgen: a soak sync failed: {e:#}");
                    }
                }
            }
            phones.push((phone, households));
        }
        if minute_start.elapsed() >= Duration::from_secs(60) || Instant::now() >= deadline {
            minute_latencies.sort_by(f64::total_cmp);
            let minute = SoakMinute {
                minute: report.minutes.len() + 1,
                syncs: minute_latencies.len(),
                errors: minute_errors,
                latency_ms_p50: percentile(&minute_latencies, 50.0),
                latency_ms_p95: percentile(&minute_latencies, 95.0),
                server_rss_mib: plan.server_pid.and_then(server_rss),
            };
            println!(
                "loadgen: soak minute {}: {} syncs, {} errors, p50 {:.0} ms, p95 {:.0} ms, server {} MiB",
                minute.minute,
                minute.syncs,
                minute.errors,
                minute.latency_ms_p50,
                minute.latency_ms_p95,
                minute
                    .server_rss_mib
                    .map_or("?".to_owned(), |m| format!("{m:.0}"))
            );
            report.minutes.push(minute);
            minute_latencies.clear();
            minute_errors = 0;
            minute_start = Instant::now();
        }
    }
    // What a failed sync left on its phone goes now, so that every note written is checked.
    for (phone, _) in &mut phones {
        phone
            .sync()
            .await
            .context("a phone's last sync after the soak")?;
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

impl LoadReport {
    pub fn print(&self) {
        let s = &self.steady_state;
        let f = &self.first_sync.sample;
        println!(
            "phones {}  concurrency {}  edits per phone {}",
            self.phones, self.concurrency, self.edits_per_phone
        );
        println!(
            "first sync of cell {} ({} households): {} round trip(s), {} B up, {} B down, {:.0} ms (largest of all cells: {} B down)",
            self.first_sync.cell,
            self.first_sync.households,
            f.round_trips,
            f.bytes_up,
            f.bytes_down,
            f.millis,
            self.first_sync.max_bytes_down
        );
        println!(
            "steady state ({} households, one note): {} round trip(s), {} B up + {} B down = {} B, {:.1} ms",
            self.steady_state_households,
            s.round_trips,
            s.bytes_up,
            s.bytes_down,
            s.bytes(),
            s.millis
        );
        println!(
            "all phones syncing: {:.2} s wall, {:.0} syncs/s, latency p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms",
            self.wall_seconds,
            self.syncs_per_second,
            self.latency_ms_p50,
            self.latency_ms_p95,
            self.latency_ms_p99
        );
        println!(
            "per sync: {:.0} B up, {:.0} B down, {:.2} round trips; errors {}",
            self.bytes_up_per_sync,
            self.bytes_down_per_sync,
            self.round_trips_per_sync,
            self.errors
        );
        if let Some(soak) = &self.soak {
            println!(
                "soak: {} phones for {:.0} s, {} rounds, {} syncs, {} errors",
                soak.phones, soak.seconds, soak.rounds, soak.syncs, soak.errors
            );
        }
        if let Some(peak) = self.server_peak_rss_mib {
            println!("server: peak memory {peak:.1} MiB");
        }
        if let Some(cpu) = self.server_cpu_seconds {
            println!("server: {cpu:.2} CPU seconds during the syncs");
        }
        if let Some(bytes) = self.database_bytes {
            println!("database: {:.1} MiB", bytes as f64 / 1_048_576.0);
        }
        for n in &self.networks {
            println!(
                "{} model ({} kbit/s, {} ms RTT): steady-state sync {:.2} s, first sync {:.1} s",
                n.network.name,
                n.network.kbit_per_s,
                n.network.rtt_ms,
                n.steady_state_seconds,
                n.first_sync_seconds
            );
        }
        println!(
            "edits written {}, missing on the server {}",
            self.edits_written, self.edits_missing
        );
    }
}
