//! The load generator: plays the phones of a seeded district against a running server, in one
//! of two jobs. The steady state: each phone starts from its cell's data, writes notes offline,
//! and syncs. Cold: each phone starts empty, makes its first sync, writes one note and syncs
//! again. The generator measures what the phones see (latency, bytes, round trips) and what the
//! server spends (peak memory, CPU), then checks that every note it wrote is on the server once.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use hosync_core::docs::household;
use hosync_core::sync::DocSyncStatus;
use hosync_core::{Day, DocId, HouseholdId, MemberId, NoteId, Timestamp};
use serde::Serialize;
use sqlx::Row;
use tokio::sync::Semaphore;

use crate::Db;
use crate::tools::phone::{Phone, WireStats};

/// Which phones the generator plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Job {
    /// Every phone already holds its cell's data, writes notes offline and syncs once.
    Steady,
    /// Every phone starts empty: its first sync brings its documents down, then it writes one
    /// note of about 200 characters and syncs again until the note is acknowledged.
    Cold,
}

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
    /// Notes each phone writes offline before its sync (the steady job; the cold job writes
    /// one).
    pub edits: usize,
    /// The server's process, to read its memory and CPU from /proc.
    pub server_pid: Option<u32>,
    /// After the wave, keep every phone writing a note and syncing, round after round, for
    /// this long (a soak), and report each minute. The steady job only.
    pub soak_seconds: Option<u64>,
    pub job: Job,
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
    pub job: Job,
    pub phones: usize,
    pub concurrency: usize,
    pub edits_per_phone: usize,
    /// The probes of the steady job: a new phone's first sync, one phone's steady-state sync,
    /// and both on 2G and 3G.
    #[serde(flatten)]
    pub steady: Option<SteadyProbes>,
    /// The wave: every phone doing its job at once.
    #[serde(flatten)]
    pub wave: Wave,
    /// The cold job's two syncs apart, and whether each phone got its documents.
    pub cold: Option<ColdFigures>,
    pub edits_written: usize,
    pub edits_missing: usize,
    /// Edits stored more than once (a note's text found twice on the server).
    pub edits_doubled: usize,
    pub database_bytes: Option<u64>,
    /// The soak, when one was asked for.
    pub soak: Option<Soak>,
}

#[derive(Debug, Serialize)]
pub struct SteadyProbes {
    /// A new phone's first sync of its cell, for the cell nearest 40 households.
    pub first_sync: FirstSync,
    /// One phone with three households (or its most) that edited one note: the steady state.
    pub steady_state: SyncSample,
    pub steady_state_households: usize,
    pub networks: Vec<NetworkTimes>,
}

/// Every phone doing its job at once: from the first request to the last answer.
#[derive(Debug, Serialize)]
pub struct Wave {
    pub wall_seconds: f64,
    pub syncs_per_second: f64,
    /// Over every sync of the wave.
    pub latency_ms_p50: f64,
    pub latency_ms_p95: f64,
    pub latency_ms_p99: f64,
    pub bytes_up_per_sync: f64,
    pub bytes_down_per_sync: f64,
    pub round_trips_per_sync: f64,
    /// Over each phone's whole job (one sync in the steady job, two when cold).
    pub bytes_up_per_phone: f64,
    pub bytes_down_per_phone: f64,
    pub round_trips_per_phone: f64,
    /// Phones whose job failed.
    pub errors: usize,
    pub server_peak_rss_mib: Option<f64>,
    /// Over the wave.
    pub server_cpu_seconds: Option<f64>,
}

/// The cold job's figures for each of its two syncs, over the phones that finished.
#[derive(Debug, Serialize)]
pub struct ColdFigures {
    /// The phone's first sync: everything it may read comes down.
    pub first_sync: SyncFigures,
    /// The sync that sends the note, until the server acknowledges it.
    pub note_sync: SyncFigures,
    /// Documents the phones' scopes held on the server before the wave, and what their first
    /// syncs brought down, summed over the phones.
    pub documents_expected: usize,
    pub documents_received: usize,
    pub fewest_documents_on_a_phone: usize,
    /// Phones whose first sync brought fewer documents than their scope holds.
    pub phones_short_of_documents: usize,
}

/// One kind of sync across the phones.
#[derive(Debug, Serialize)]
pub struct SyncFigures {
    pub latency_ms_p50: f64,
    pub latency_ms_p95: f64,
    pub latency_ms_p99: f64,
    pub bytes_up_per_phone: f64,
    pub bytes_down_per_phone: f64,
    pub max_bytes_down: u64,
    pub round_trips_per_phone: f64,
}

impl SyncFigures {
    fn of(samples: &[SyncSample]) -> Self {
        let [p50, p95, p99] = latency_percentiles(samples);
        let count = samples.len().max(1) as f64;
        SyncFigures {
            latency_ms_p50: p50,
            latency_ms_p95: p95,
            latency_ms_p99: p99,
            bytes_up_per_phone: samples.iter().map(|s| s.bytes_up as f64).sum::<f64>() / count,
            bytes_down_per_phone: samples.iter().map(|s| s.bytes_down as f64).sum::<f64>() / count,
            max_bytes_down: samples.iter().map(|s| s.bytes_down).max().unwrap_or(0),
            round_trips_per_phone: samples.iter().map(|s| s.round_trips as f64).sum::<f64>()
                / count,
        }
    }
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
    /// The secretary and deputies, whose phones read the whole cell.
    pub(crate) leaders: BTreeSet<MemberId>,
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
            leaders: BTreeSet::new(),
            members: Vec::new(),
        });
        if role == hosync_core::Role::Secretary.code() {
            plan.secretary = member.clone();
        }
        if hosync_core::Role::parse(&role).is_ok_and(hosync_core::Role::leads_cell) {
            plan.leaders.insert(member.clone());
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

/// The 50th, 95th and 99th percentiles of the samples' latencies, in milliseconds.
fn latency_percentiles(samples: &[SyncSample]) -> [f64; 3] {
    let mut millis: Vec<f64> = samples.iter().map(|s| s.millis).collect();
    millis.sort_by(f64::total_cmp);
    [50.0, 95.0, 99.0].map(|p| percentile(&millis, p))
}

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

/// The server's peak resident memory (MiB) and CPU seconds so far, from /proc.
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
        "loadgen: {} phones in {} cells against {}, {}",
        picked.len(),
        needed.len(),
        plan.server,
        match plan.job {
            Job::Steady => "each starting from its cell's data",
            Job::Cold => "each starting empty",
        }
    );
    let today = Day::from_timestamp(crate::system_now());
    let mut written = Vec::new();
    let (steady, wave, cold, soak) = match plan.job {
        Job::Steady => {
            let (probes, wave, soak) =
                steady_job(plan, &db, &cells, &picked, today, &mut written).await?;
            (Some(probes), wave, None, soak)
        }
        Job::Cold => {
            let (cold, wave) = cold_job(plan, &db, &picked, today, &mut written).await?;
            (None, wave, Some(cold), None)
        }
    };
    let arrival = check_arrival(&db, &written).await?;
    let report = LoadReport {
        job: plan.job,
        phones: picked.len(),
        concurrency: plan.concurrency,
        edits_per_phone: match plan.job {
            Job::Steady => plan.edits,
            Job::Cold => 1,
        },
        steady,
        wave,
        cold,
        edits_written: written.len(),
        edits_missing: arrival.missing,
        edits_doubled: arrival.doubled,
        database_bytes: database_bytes(&db, &plan.database_url).await,
        soak,
    };
    db.close().await;
    Ok(report)
}

/// The steady job: each cell's data comes down once and is copied to its phones, two new
/// phones and one steady-state phone are measured alone, then every phone syncs the notes it
/// wrote offline, all at once (and soaks, when asked).
async fn steady_job(
    plan: &LoadPlan,
    db: &Db,
    cells: &BTreeMap<String, CellPlan>,
    picked: &[(String, MemberId, Vec<HouseholdId>)],
    today: Day,
    written: &mut Vec<Edit>,
) -> anyhow::Result<(SteadyProbes, Wave, Option<Soak>)> {
    let needed: BTreeSet<&String> = picked.iter().map(|(cell, ..)| cell).collect();
    // Each cell's data comes down once, to its secretary's phone (which holds every document of
    // the cell); the cell's other phones start from a copy, as phones set up from a secretary's
    // phone would.
    let secretaries: Vec<(String, MemberId)> = needed
        .iter()
        .filter_map(|cell| Some(((*cell).clone(), cells.get(*cell)?.secretary.clone())))
        .collect();
    let boot_phones_enrolled = enrol(
        db,
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
        let replica = enrol(db, std::slice::from_ref(&member), "loadgen new phone")
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

    // Each phone holds what its member's own phone holds, copied from the secretary's: the whole
    // cell for the secretary and deputies, the cell's document, their households and their own
    // reports for everyone else. A copy holding less would be sent the rest whole every sync.
    let enrolled = enrol(
        db,
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
        let leads = cells.get(cell).is_some_and(|c| c.leaders.contains(member));
        if !leads {
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
        }
        phones.push((
            Phone::with_replica(&plan.server, replica),
            households.clone(),
        ));
    }
    drop(boot_phones);

    let now = crate::system_now();

    // The steady state: one phone with the most households edits one note and syncs.
    let probe_index = phones
        .iter()
        .enumerate()
        .max_by_key(|(_, (_, h))| h.len())
        .map(|(i, _)| i)
        .context("no phones")?;
    let (probe, probe_households) = &mut phones[probe_index];
    let steady_state_households = probe_households.len();
    let probe_edits = write_edits(probe, &probe_households[..1], 1, today, now, |_, member| {
        format!("Đã thăm, gia đình ổn định ({member}).")
    })?;
    let before = probe.stats;
    let t = Instant::now();
    sync_until_acknowledged(probe, &probe_edits)
        .await
        .context("the steady-state sync")?;
    let steady_state = SyncSample::from(before, probe.stats, t.elapsed());
    written.extend(probe_edits);

    // Offline, every phone writes its notes (or, with no households, its monthly report); then
    // all sync at once.
    let mut offline = Vec::with_capacity(phones.len());
    for (mut phone, households) in phones {
        let edits = write_edits(
            &mut phone,
            &households,
            plan.edits,
            today,
            now,
            |e, member| {
                format!(
                    "Ghi chép {} của {member}: gia đình khỏe, không có kiến nghị.",
                    e + 1
                )
            },
        )?;
        // Counted as written now: a phone whose sync fails leaves its notes missing.
        written.extend(edits.iter().cloned());
        offline.push((phone, households, edits));
    }
    let (synced, wave) = play_wave(
        plan,
        "loadgen: syncing the phones' edits",
        offline,
        |(mut phone, households, edits)| async move {
            let before = phone.stats;
            let t = Instant::now();
            sync_until_acknowledged(&mut phone, &edits).await?;
            let sample = SyncSample::from(before, phone.stats, t.elapsed());
            Ok(((phone, households), vec![sample]))
        },
    )
    .await;
    let soak = match plan.soak_seconds {
        Some(seconds) => Some(soak(plan, synced, seconds, today, written).await?),
        None => None,
    };
    let networks = NETWORKS
        .iter()
        .map(|n| NetworkTimes {
            network: *n,
            steady_state_seconds: n.seconds(steady_state.round_trips, steady_state.bytes()),
            first_sync_seconds: n.seconds(first_sync.sample.round_trips, first_sync.sample.bytes()),
        })
        .collect();
    let probes = SteadyProbes {
        first_sync,
        steady_state,
        steady_state_households,
        networks,
    };
    Ok((probes, wave, soak))
}

/// How long the cold job's note is, in characters, as the peer's job has it.
const COLD_NOTE_CHARS: usize = 200;

/// A visit note as a member types one, cut to [`COLD_NOTE_CHARS`].
const VISIT_NOTE: &str = "Đã đến thăm hộ chiều nay. Cả nhà có mặt, người cao tuổi khỏe, \
    trẻ em đi học đều. Gia đình đề nghị xã hỗ trợ sửa đoạn đường vào xóm trước mùa mưa; đã hẹn \
    quay lại sau hai tuần để xem tình hình và báo cáo chi hội.";

/// The cold job: every phone starts empty, as a phone just enrolled does; its first sync
/// brings its documents down, then it writes one visit note on one of its households (or, with
/// none, its monthly report) and syncs until the server acknowledges it. Phones run their whole
/// job in turn, `concurrency` at once, so the generator holds no more full phones than that.
async fn cold_job(
    plan: &LoadPlan,
    db: &Db,
    picked: &[(String, MemberId, Vec<HouseholdId>)],
    today: Day,
    written: &mut Vec<Edit>,
) -> anyhow::Result<(ColdFigures, Wave)> {
    let enrolled = enrol(
        db,
        &picked.iter().map(|(_, m, _)| m.clone()).collect::<Vec<_>>(),
        "loadgen cold phone",
    )
    .await?;
    // What each phone's first sync must bring: every document its scope reads on the server now.
    let mut conn = db.reader.acquire().await?;
    let mut phones = Vec::with_capacity(picked.len());
    for ((_, member, households), replica) in picked.iter().zip(enrolled) {
        let auth = crate::access::devices::authenticate(&mut conn, replica.token())
            .await?
            .with_context(|| format!("the phone just enrolled for {member} is not known"))?;
        let scope = crate::storage::ReadScope(auth.info.principal.read_filter());
        let expected = crate::storage::readable_count(&mut conn, &scope).await? as usize;
        phones.push((
            Phone::with_replica(&plan.server, replica),
            households.clone(),
            expected,
        ));
    }
    drop(conn);

    let (done, wave) = play_wave(
        plan,
        "loadgen: cold phones",
        phones,
        |(mut phone, households, expected)| async move {
            let t = Instant::now();
            phone.sync().await.context("the first sync")?;
            let first = SyncSample::from(WireStats::default(), phone.stats, t.elapsed());
            let received = phone.replica().doc_ids().count();
            let now = crate::system_now();
            let edits = write_edits(&mut phone, &households, 1, today, now, |_, member| {
                // The member's id keeps each note's text its own, to find it on the server.
                format!("{member}: {VISIT_NOTE}")
                    .chars()
                    .take(COLD_NOTE_CHARS)
                    .collect()
            })?;
            let before = phone.stats;
            let t = Instant::now();
            sync_until_acknowledged(&mut phone, &edits)
                .await
                .context("the note's sync")?;
            let note = SyncSample::from(before, phone.stats, t.elapsed());
            let done = ColdPhone {
                edits,
                expected,
                received,
                first,
                note,
            };
            Ok((done, vec![first, note]))
        },
    )
    .await;
    let samples = |pick: fn(&ColdPhone) -> SyncSample| done.iter().map(pick).collect::<Vec<_>>();
    let cold = ColdFigures {
        first_sync: SyncFigures::of(&samples(|p| p.first)),
        note_sync: SyncFigures::of(&samples(|p| p.note)),
        documents_expected: done.iter().map(|p| p.expected).sum(),
        documents_received: done.iter().map(|p| p.received).sum(),
        fewest_documents_on_a_phone: done.iter().map(|p| p.received).min().unwrap_or(0),
        phones_short_of_documents: done.iter().filter(|p| p.received < p.expected).count(),
    };
    written.extend(done.into_iter().flat_map(|p| p.edits));
    Ok((cold, wave))
}

/// What a cold phone's job gave back.
struct ColdPhone {
    edits: Vec<Edit>,
    /// Documents its scope held on the server before the wave, and those its first sync brought.
    expected: usize,
    received: usize,
    first: SyncSample,
    note: SyncSample,
}

/// An edit a phone made, to look for on the server afterwards.
#[derive(Debug, Clone)]
enum Edit {
    /// A note on a household, with its text, which is the phone's own.
    Note {
        household: HouseholdId,
        note: NoteId,
        text: String,
    },
    /// A line added to the member's monthly report.
    Report { doc: DocId, marker: String },
}

impl Edit {
    fn doc(&self) -> DocId {
        match self {
            Edit::Note { household, .. } => DocId::Household(household.clone()),
            Edit::Report { doc, .. } => doc.clone(),
        }
    }
}

/// Writes `edits` notes on the phone, offline, round the member's households with the text
/// `text(index, member)` gives; a member with no households adds a line to their monthly
/// report instead.
fn write_edits(
    phone: &mut Phone,
    households: &[HouseholdId],
    edits: usize,
    today: Day,
    now: Timestamp,
    text: impl Fn(usize, &MemberId) -> String,
) -> anyhow::Result<Vec<Edit>> {
    let member = phone.replica().member().clone();
    if households.is_empty() {
        let doc = DocId::Report(member.clone(), today.month());
        let report = phone.replica_mut().open(&doc);
        let current = hosync_core::docs::report::read(report)?.household_content;
        let marker = format!("Báo cáo của {member} lúc {now}.");
        let draft = hosync_core::docs::report::ReportDraft {
            household_content: Some(format!("{current} {marker}").trim().to_owned()),
            ..Default::default()
        };
        hosync_core::docs::report::write(report, &draft, now)?;
        return Ok(vec![Edit::Report { doc, marker }]);
    }
    let mut written = Vec::with_capacity(edits);
    for e in 0..edits {
        let target = households[e % households.len()].clone();
        let doc = phone
            .replica_mut()
            .doc_mut(&DocId::Household(target.clone()))
            .context("household on the phone")?;
        let text = text(e, &member);
        let note = household::add_note(doc, &member, today, &text, &[], now)?;
        written.push(Edit::Note {
            household: target,
            note,
            text,
        });
    }
    Ok(written)
}

/// How many syncs a phone makes at most for the server to acknowledge its edits: one does it,
/// unless an answer asks for another round trip.
const SYNCS_TO_ACKNOWLEDGE: usize = 3;

/// Syncs until the server has acknowledged every document `edits` touched; a refusal fails.
async fn sync_until_acknowledged(phone: &mut Phone, edits: &[Edit]) -> anyhow::Result<()> {
    let docs: BTreeSet<DocId> = edits.iter().map(Edit::doc).collect();
    for _ in 0..SYNCS_TO_ACKNOWLEDGE {
        let outcome = phone.sync().await?;
        anyhow::ensure!(outcome.refused.is_empty(), "refused: {:?}", outcome.refused);
        let acknowledged = docs
            .iter()
            .all(|id| phone.replica().status(id) == Some(DocSyncStatus::OnServer));
        if acknowledged {
            return Ok(());
        }
    }
    anyhow::bail!("the server did not acknowledge the edits in {SYNCS_TO_ACKNOWLEDGE} syncs")
}

/// Plays `job` on every phone at once (`concurrency` at a time) and measures the wave: its wall
/// time, each sync the jobs report, and the server's memory and CPU over it. Returns what each
/// job that finished gave back; a failed one is counted in the wave's errors.
async fn play_wave<T, U, F, Fut>(
    plan: &LoadPlan,
    shown: &str,
    phones: Vec<T>,
    job: F,
) -> (Vec<U>, Wave)
where
    U: Send + 'static,
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<(U, Vec<SyncSample>)>> + Send + 'static,
{
    let usage_before = plan.server_pid.and_then(server_usage);
    let started = Instant::now();
    let results = each_phone(Some(shown), phones, plan.concurrency, job).await;
    let wall = started.elapsed().as_secs_f64();
    let usage_after = plan.server_pid.and_then(server_usage);

    let mut done = Vec::with_capacity(results.len());
    let mut samples = Vec::with_capacity(results.len());
    let mut errors = 0;
    for result in results {
        match result {
            Ok((value, synced)) => {
                samples.extend(synced);
                done.push(value);
            }
            Err(e) => {
                errors += 1;
                if errors <= 5 {
                    eprintln!("loadgen: a phone's sync failed: {e:#}");
                }
            }
        }
    }
    let [p50, p95, p99] = latency_percentiles(&samples);
    let syncs = samples.len().max(1) as f64;
    let phones = done.len().max(1) as f64;
    let total = |f: fn(&SyncSample) -> u64| samples.iter().map(|s| f(s) as f64).sum::<f64>();
    let wave = Wave {
        wall_seconds: wall,
        syncs_per_second: samples.len() as f64 / wall.max(1e-9),
        latency_ms_p50: p50,
        latency_ms_p95: p95,
        latency_ms_p99: p99,
        bytes_up_per_sync: total(|s| s.bytes_up) / syncs,
        bytes_down_per_sync: total(|s| s.bytes_down) / syncs,
        round_trips_per_sync: total(|s| s.round_trips) / syncs,
        bytes_up_per_phone: total(|s| s.bytes_up) / phones,
        bytes_down_per_phone: total(|s| s.bytes_down) / phones,
        round_trips_per_phone: total(|s| s.round_trips) / phones,
        errors,
        server_peak_rss_mib: usage_after.map(|(peak, _)| peak),
        server_cpu_seconds: usage_before.zip(usage_after).map(|((_, a), (_, b))| b - a),
    };
    (done, wave)
}

/// What the check of the edits found on the server.
struct Arrival {
    missing: usize,
    doubled: usize,
}

/// Looks for every edit on the server: each note's text once in the staff views' notes of its
/// household, each report's line in the stored report.
async fn check_arrival(db: &Db, written: &[Edit]) -> anyhow::Result<Arrival> {
    let mut arrival = Arrival {
        missing: 0,
        doubled: 0,
    };
    let notes: Vec<(&HouseholdId, &NoteId, &str)> = written
        .iter()
        .filter_map(|edit| match edit {
            Edit::Note {
                household,
                note,
                text,
            } => Some((household, note, text.as_str())),
            Edit::Report { .. } => None,
        })
        .collect();
    for chunk in notes.chunks(400) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        // By text, not note id: a note made twice (sent again under a new actor, say) has a
        // new id and the same text.
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT body, COUNT(*) FROM note_view WHERE body IN ({}) GROUP BY body",
            placeholders.join(", ")
        ));
        let mut query = sqlx::query(sql);
        for (_, _, text) in chunk {
            query = query.bind(*text);
        }
        let mut found: BTreeMap<String, i64> = BTreeMap::new();
        for row in query.fetch_all(&db.reader).await? {
            found.insert(row.try_get(0)?, row.try_get(1)?);
        }
        for (household, note, text) in chunk {
            match found.get(*text).copied().unwrap_or(0) {
                0 => {
                    arrival.missing += 1;
                    if arrival.missing <= 5 {
                        eprintln!(
                            "loadgen: note {note} on household {household} is not on the server"
                        );
                    }
                }
                1 => {}
                _ => {
                    arrival.doubled += 1;
                    if arrival.doubled <= 5 {
                        eprintln!(
                            "loadgen: note {note} on household {household} is on the server more than once"
                        );
                    }
                }
            }
        }
    }

    let mut conn = db.reader.acquire().await?;
    let reader_actor = hosync_core::docs::random_actor();
    for edit in written {
        let Edit::Report { doc: id, marker } = edit else {
            continue;
        };
        let stored = crate::storage::load_doc(&mut conn, id, &reader_actor).await?;
        let kept = stored
            .map(|doc| {
                hosync_core::docs::report::read(&doc)
                    .map(|r| r.household_content.matches(marker.as_str()).count())
            })
            .transpose()?
            .unwrap_or(0);
        match kept {
            0 => {
                arrival.missing += 1;
                if arrival.missing <= 5 {
                    eprintln!("loadgen: the report edit on {id} is not on the server");
                }
            }
            1 => {}
            _ => arrival.doubled += 1,
        }
    }
    Ok(arrival)
}

/// The soak: round after round, every phone with a household writes one note on it and syncs,
/// until `seconds` have passed; each minute's syncs, errors, latency and the server's memory.
/// A failed sync keeps its phone, which sends the note again in the next round.
async fn soak(
    plan: &LoadPlan,
    mut phones: Vec<(Phone, Vec<HouseholdId>)>,
    seconds: u64,
    today: Day,
    written: &mut Vec<Edit>,
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
        let round = report.rounds;
        for (phone, households) in &mut phones {
            // The round's household first: the one note goes to it.
            let from = round % households.len();
            written.extend(write_edits(
                phone,
                &households[from..],
                1,
                today,
                now,
                |_, member| format!("Lượt {round} của {member}: đã thăm, gia đình ổn định."),
            )?);
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
        println!(
            "job {}  phones {}  concurrency {}  edits per phone {}",
            match self.job {
                Job::Steady => "steady",
                Job::Cold => "cold",
            },
            self.phones,
            self.concurrency,
            self.edits_per_phone
        );
        if let Some(probes) = &self.steady {
            probes.print();
        }
        let w = &self.wave;
        println!(
            "all phones syncing: {:.2} s wall, {:.0} syncs/s, latency p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms",
            w.wall_seconds,
            w.syncs_per_second,
            w.latency_ms_p50,
            w.latency_ms_p95,
            w.latency_ms_p99
        );
        println!(
            "per sync: {:.0} B up, {:.0} B down, {:.2} round trips; per phone: {:.0} B up, {:.0} B down, {:.2} round trips; errors {}",
            w.bytes_up_per_sync,
            w.bytes_down_per_sync,
            w.round_trips_per_sync,
            w.bytes_up_per_phone,
            w.bytes_down_per_phone,
            w.round_trips_per_phone,
            w.errors
        );
        if let Some(cold) = &self.cold {
            for (what, f) in [
                ("first sync", &cold.first_sync),
                ("note's sync", &cold.note_sync),
            ] {
                println!(
                    "cold, {what}: latency p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms; per phone {:.0} B up, {:.0} B down (most {} B), {:.2} round trips",
                    f.latency_ms_p50,
                    f.latency_ms_p95,
                    f.latency_ms_p99,
                    f.bytes_up_per_phone,
                    f.bytes_down_per_phone,
                    f.max_bytes_down,
                    f.round_trips_per_phone
                );
            }
            println!(
                "cold, documents: {} received of {} in the phones' scopes, fewest on a phone {}, phones short {}",
                cold.documents_received,
                cold.documents_expected,
                cold.fewest_documents_on_a_phone,
                cold.phones_short_of_documents
            );
        }
        if let Some(soak) = &self.soak {
            println!(
                "soak: {} phones for {:.0} s, {} rounds, {} syncs, {} errors",
                soak.phones, soak.seconds, soak.rounds, soak.syncs, soak.errors
            );
        }
        if let Some(peak) = w.server_peak_rss_mib {
            println!("server: peak memory {peak:.1} MiB");
        }
        if let Some(cpu) = w.server_cpu_seconds {
            println!("server: {cpu:.2} CPU seconds during the syncs");
        }
        if let Some(bytes) = self.database_bytes {
            println!("database: {:.1} MiB", bytes as f64 / 1_048_576.0);
        }
        println!(
            "edits written {}, missing on the server {}, there more than once {}",
            self.edits_written, self.edits_missing, self.edits_doubled
        );
    }
}

impl SteadyProbes {
    fn print(&self) {
        let s = &self.steady_state;
        let f = &self.first_sync.sample;
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
    }
}
