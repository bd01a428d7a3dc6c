//! The crash run: phones write notes offline and sync, several at once, against a real
//! `hosync serve` child process that is killed with SIGKILL at random moments and started again
//! on the same database and port. After every kill, while the server is down, and again at the
//! end, the run reads the database directly and checks that every note whose push the server
//! acknowledged is stored exactly once.
//!
//! A note is acknowledged when a sync's answer reached the phone, was taken in without error,
//! and accepted the push of the note's household that the note went up in. Every other sync
//! (refused connection, reset, an answer cut off) acknowledges nothing: the phone keeps the note
//! and sends it again at its next sync.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use hosync_core::docs::household;
use hosync_core::sync::SyncOutcome;
use hosync_core::{Day, DocId, HouseholdId, MemberId};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use sqlx::Row;

use crate::Db;
use crate::tools::phone::{Phone, PhoneError};

/// What to play.
#[derive(Debug, Clone)]
pub struct ChaosPlan {
    /// The `hosync` binary the server runs as.
    pub server_bin: PathBuf,
    /// The seeded database the server serves and the checks read.
    pub database_url: String,
    /// Where the server listens, the same address after every restart.
    pub bind: SocketAddr,
    /// Where the server's output goes (appended to, one block per start).
    pub server_log: PathBuf,
    /// How many phones play, all at once.
    pub phones: usize,
    /// How many times the server is killed.
    pub kills: usize,
    /// About how long the killing goes on.
    pub seconds: f64,
    /// Seeds the kill moments and what each phone writes when, so a run can be repeated.
    pub seed: u64,
}

/// One kill: how long the server process lives from its start (so a few die while still
/// starting, migrating or bringing the projections up to date), and how long it then stays down.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Kill {
    pub after: Duration,
    pub down: Duration,
}

/// The longest and shortest wait before a restart.
const DOWN: (f64, f64) = (0.05, 0.45);

/// The kill moments of a run: `kills` lifetimes drawn uniformly between none and twice the mean
/// that fills `seconds`, each followed by a short downtime.
pub fn schedule(seed: u64, kills: usize, seconds: f64) -> Vec<Kill> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mean_down = (DOWN.0 + DOWN.1) / 2.0;
    let mean_up = (seconds / kills.max(1) as f64 - mean_down).max(0.3);
    (0..kills)
        .map(|_| Kill {
            after: Duration::from_secs_f64(rng.random_range(0.0..2.0 * mean_up)),
            down: Duration::from_secs_f64(rng.random_range(DOWN.0..DOWN.1)),
        })
        .collect()
}

/// Everything the run counted.
#[derive(Debug, Default, Serialize)]
pub struct ChaosReport {
    pub backend: String,
    pub seed: u64,
    pub phones: usize,
    pub kills: usize,
    /// Kills that came before the server answered its health check.
    pub kills_while_starting: usize,
    pub seconds: f64,
    /// From a start to the first answer of the health check, over every start.
    pub start_ms_mean: f64,
    pub start_ms_max: f64,
    /// Round trips tried while the server was being killed.
    pub syncs: u64,
    /// Round trips whose answer was taken in.
    pub syncs_answered: u64,
    /// Round trips that failed with the server down or starting: expected.
    pub errors_while_down: u64,
    /// Round trips that failed because a kill cut them off: expected.
    pub errors_cut_off: u64,
    /// Round trips that failed while the same server process was up all along: not expected.
    pub errors_while_up: u64,
    pub notes_written: usize,
    /// Notes whose push an answer acknowledged, by the end.
    pub acknowledged: usize,
    /// Of those, acknowledged while the server was still being killed.
    pub acknowledged_before_last_kill: usize,
    /// Notes found in the database after a kill that no answer had acknowledged: the kill came
    /// between the commit and the answer (summed over the kills).
    pub stored_unanswered: usize,
    /// Acknowledged notes stored exactly once in their household's document at the end.
    pub found: usize,
    /// Acknowledged notes missing from their document at any check (after a kill, or at the end).
    pub lost: usize,
    /// Notes stored more than once in their document at any check.
    pub doubled: usize,
    /// Documents that could not be read at some check.
    pub unreadable: usize,
    /// Acknowledged notes the staff views (`note_view`) lack at the end, or hold twice.
    pub view_missing: usize,
    pub view_doubled: usize,
    /// Pushes refused: members write on their own households, so none is expected.
    pub refused: u64,
    /// Times a phone's cursor came back under another epoch (which would make it offer again
    /// everything it had, hiding a loss).
    pub epoch_changes: u64,
    /// After the last restart, every phone syncs until quiet: its failed round trips, and the
    /// phones that did not get there.
    pub final_errors: u64,
    pub phones_not_quiet: usize,
    /// A few of the unexpected errors, and the notes lost or doubled, for the person reading.
    pub examples: Vec<String>,
}

impl ChaosReport {
    /// What makes the run fail; empty when the server kept its promise.
    pub fn failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        let mut fail = |bad: bool, what: String| {
            if bad {
                failures.push(what);
            }
        };
        fail(
            self.lost > 0,
            format!("{} acknowledged notes lost", self.lost),
        );
        fail(self.doubled > 0, format!("{} notes doubled", self.doubled));
        fail(
            self.unreadable > 0,
            format!("{} documents unreadable", self.unreadable),
        );
        fail(
            self.view_missing + self.view_doubled > 0,
            format!(
                "the staff views lack {} acknowledged notes and hold {} twice",
                self.view_missing, self.view_doubled
            ),
        );
        fail(
            self.acknowledged < self.notes_written,
            format!(
                "{} of {} notes written were never acknowledged",
                self.notes_written - self.acknowledged,
                self.notes_written
            ),
        );
        fail(
            self.final_errors > 0 || self.phones_not_quiet > 0,
            format!(
                "after the last restart {} syncs failed and {} phones did not sync until quiet",
                self.final_errors, self.phones_not_quiet
            ),
        );
        fail(self.refused > 0, format!("{} pushes refused", self.refused));
        fail(
            self.epoch_changes > 0,
            format!("the epoch changed {} times", self.epoch_changes),
        );
        failures
    }

    pub fn print(&self) {
        println!(
            "chaos ({}, seed {}): {} kills ({} while starting) in {:.1} s, {} phones; a start answers in {:.0} ms on average, {:.0} ms at most",
            self.backend,
            self.seed,
            self.kills,
            self.kills_while_starting,
            self.seconds,
            self.phones,
            self.start_ms_mean,
            self.start_ms_max
        );
        println!(
            "syncs {}: {} answered, {} failed with the server down, {} cut off by a kill, {} failed while it was up",
            self.syncs,
            self.syncs_answered,
            self.errors_while_down,
            self.errors_cut_off,
            self.errors_while_up
        );
        println!(
            "notes written {}, acknowledged {} ({} before the last kill); found after a kill with their answer cut off {}",
            self.notes_written,
            self.acknowledged,
            self.acknowledged_before_last_kill,
            self.stored_unanswered
        );
        println!(
            "found {}, lost {}, doubled {}, unreadable documents {}; staff views: {} missing, {} doubled",
            self.found,
            self.lost,
            self.doubled,
            self.unreadable,
            self.view_missing,
            self.view_doubled
        );
        println!(
            "refused {}, epoch changes {}; after the last restart {} failed syncs, {} phones not quiet",
            self.refused, self.epoch_changes, self.final_errors, self.phones_not_quiet
        );
        for example in &self.examples {
            println!("  {example}");
        }
    }
}

/// Whether the server is up, and which of its lives it is in: a kill and a start's first answer
/// each begin a new one, so a sync can tell whether the server it began with is the one it
/// ended with.
#[derive(Debug, Default, Clone, Copy)]
struct Life {
    generation: u64,
    ready: bool,
}

/// The server under test, as a child process.
#[derive(Debug)]
struct Server {
    /// The binary and the `serve` arguments it is started with each time.
    bin: PathBuf,
    database_url: String,
    bind: SocketAddr,
    /// Its output, appended to over every start.
    log: PathBuf,
    /// The running process, if any.
    child: Option<Child>,
    /// When the running process was started, and when it first answered.
    started: Instant,
    ready_at: Option<Instant>,
    starts: usize,
    /// From each start to its first answer.
    start_times: Vec<Duration>,
    /// Shared with the phones, which read it around each sync; held across no `.await`.
    life: Arc<Mutex<Life>>,
    /// For the health check.
    http: reqwest::Client,
}

impl Server {
    fn spawn(&mut self) -> anyhow::Result<()> {
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .with_context(|| format!("opening {}", self.log.display()))?;
        self.starts += 1;
        writeln!(log, "==> hosync chaos: start {}", self.starts)?;
        let err: File = log.try_clone()?;
        let child = Command::new(&self.bin)
            .args(["serve", "--database-url", &self.database_url, "--bind"])
            .arg(self.bind.to_string())
            // The log is read in an editor, not a terminal.
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .with_context(|| format!("starting {} serve", self.bin.display()))?;
        self.child = Some(child);
        self.started = Instant::now();
        self.ready_at = None;
        Ok(())
    }

    /// Fails if the process ended by itself: a server that exits was not killed by the run.
    fn check_alive(&mut self) -> anyhow::Result<()> {
        if let Some(child) = &mut self.child
            && let Some(status) = child.try_wait()?
        {
            self.child = None;
            anyhow::bail!(
                "the server exited by itself ({status}); the end of its log ({}):\n{}",
                self.log.display(),
                log_tail(&self.log)
            );
        }
        Ok(())
    }

    /// Asks the health check once; on the first answer the server's new life begins.
    async fn poll_ready(&mut self) -> anyhow::Result<bool> {
        if self.ready_at.is_some() {
            return Ok(true);
        }
        self.check_alive()?;
        let answered = self
            .http
            .get(format!("http://{}/healthz", self.bind))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if answered {
            self.ready_at = Some(Instant::now());
            self.start_times.push(self.started.elapsed());
            let mut life = lock(&self.life);
            life.generation += 1;
            life.ready = true;
        }
        Ok(answered)
    }

    async fn wait_ready(&mut self, limit: Duration) -> anyhow::Result<()> {
        while self.started.elapsed() < limit {
            if self.poll_ready().await? {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        anyhow::bail!(
            "the server did not answer within {} s; the end of its log ({}):\n{}",
            limit.as_secs(),
            self.log.display(),
            log_tail(&self.log)
        )
    }

    /// SIGKILL, and waits for the process to be gone. Returns whether it had answered.
    async fn kill(&mut self) -> anyhow::Result<bool> {
        self.check_alive()?;
        {
            // The phones learn of the kill before it happens, so a sync it breaks is counted
            // as cut off rather than as a failure of a server that was up.
            let mut life = lock(&self.life);
            life.generation += 1;
            life.ready = false;
        }
        let Some(mut child) = self.child.take() else {
            return Ok(false);
        };
        child.kill().context("killing the server")?;
        reap(&mut child).await?;
        Ok(self.ready_at.is_some())
    }

    /// Stops the server as an operator would (SIGTERM), killing it if it does not stop in time.
    async fn stop(&mut self) -> anyhow::Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let asked = Command::new("kill")
            .arg(child.id().to_string())
            .status()
            .is_ok_and(|s| s.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        while asked && Instant::now() < deadline {
            if child.try_wait()?.is_some() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        child.kill().context("killing the server")?;
        reap(&mut child).await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A run that fails half-way leaves no server behind.
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

async fn reap(child: &mut Child) -> anyhow::Result<()> {
    for _ in 0..500 {
        if child.try_wait()?.is_some() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    anyhow::bail!("the server process {} did not end", child.id())
}

fn log_tail(path: &std::path::Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A phone task that panicked cannot leave the counters half-written: take them as they are.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A note a phone wrote; its text is unique to it.
#[derive(Debug, Clone)]
struct Note {
    household: HouseholdId,
    text: String,
    acknowledged: bool,
}

/// What the phones tell the driver as they go.
#[derive(Debug, Default)]
struct Tally {
    syncs: AtomicU64,
    answered: AtomicU64,
    while_down: AtomicU64,
    cut_off: AtomicU64,
    while_up: AtomicU64,
    refused: AtomicU64,
    epoch_changes: AtomicU64,
    final_errors: AtomicU64,
    /// Every note written, in the order written; a phone's pending notes are indices into it.
    notes: Mutex<Vec<Note>>,
    examples: Mutex<Vec<String>>,
}

impl Tally {
    fn example(&self, what: String) {
        let mut examples = lock(&self.examples);
        if examples.len() < 10 {
            examples.push(what);
        }
    }

    fn acknowledge(&self, pending: &mut Vec<usize>, outcome: &SyncOutcome) {
        let accepted: BTreeSet<&DocId> = outcome.accepted.iter().collect();
        let mut notes = lock(&self.notes);
        pending.retain(|&i| {
            let Some(note) = notes.get_mut(i) else {
                return false;
            };
            let done = accepted.contains(&DocId::Household(note.household.clone()));
            note.acknowledged |= done;
            !done
        });
    }
}

/// One phone of the run, with what it still waits to have acknowledged.
#[derive(Debug)]
struct Player {
    index: usize,
    phone: Phone,
    households: Vec<HouseholdId>,
    rng: StdRng,
    /// Notes written and not yet acknowledged.
    pending: Vec<usize>,
    written: usize,
    /// The epoch of the phone's cursor after its first sync.
    epoch: u64,
}

/// How long one round trip may take before the phone gives up on it.
const SYNC_LIMIT: Duration = Duration::from_secs(30);

impl Player {
    fn write_notes(&mut self, tag: &str, tally: &Tally) -> anyhow::Result<()> {
        let member = self.phone.replica().member().clone();
        let now = crate::system_now();
        let today = Day::from_timestamp(now);
        // Now and then none, so that a sync only reads what others wrote.
        for _ in 0..self.rng.random_range(0..=2) {
            let household =
                self.households[self.rng.random_range(0..self.households.len())].clone();
            self.written += 1;
            let text = format!(
                "{tag} p{} n{}: đã thăm, gia đình khỏe, không có kiến nghị.",
                self.index, self.written
            );
            let doc = self
                .phone
                .replica_mut()
                .doc_mut(&DocId::Household(household.clone()))
                .with_context(|| format!("household {household} is not on phone {}", self.index))?;
            household::add_note(doc, &member, today, &text, &[], now)?;
            let mut notes = lock(&tally.notes);
            self.pending.push(notes.len());
            notes.push(Note {
                household,
                text,
                acknowledged: false,
            });
        }
        Ok(())
    }

    /// One round trip, bounded in time; acknowledges what its answer accepted.
    async fn sync_once(&mut self, tally: &Tally) -> Result<SyncOutcome, String> {
        let outcome = match tokio::time::timeout(SYNC_LIMIT, self.phone.sync_once()).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(e)) => return Err(describe(&e)),
            Err(_) => return Err(format!("no answer within {} s", SYNC_LIMIT.as_secs())),
        };
        tally.acknowledge(&mut self.pending, &outcome);
        for (doc, reason) in &outcome.refused {
            tally.refused.fetch_add(1, Ordering::Relaxed);
            tally.example(format!("phone {}: {doc} refused: {reason}", self.index));
        }
        let epoch = self.phone.replica().cursor().epoch;
        if self.epoch != 0 && epoch != self.epoch {
            tally.epoch_changes.fetch_add(1, Ordering::Relaxed);
            tally.example(format!(
                "phone {}: the epoch went from {} to {epoch}",
                self.index, self.epoch
            ));
        }
        self.epoch = epoch;
        Ok(outcome)
    }

    /// Writes and syncs until told to stop, counting each failure by what the server was doing.
    async fn play(
        mut self,
        tag: String,
        tally: Arc<Tally>,
        life: Arc<Mutex<Life>>,
        stop: Arc<AtomicBool>,
    ) -> anyhow::Result<Player> {
        while !stop.load(Ordering::Relaxed) {
            self.write_notes(&tag, &tally)?;
            // A few round trips when the server asks for more (a document's whole history).
            for _ in 0..4 {
                let before = *lock(&life);
                tally.syncs.fetch_add(1, Ordering::Relaxed);
                match self.sync_once(&tally).await {
                    Ok(outcome) => {
                        tally.answered.fetch_add(1, Ordering::Relaxed);
                        if !outcome.again {
                            break;
                        }
                    }
                    Err(error) => {
                        let after = *lock(&life);
                        if !before.ready {
                            tally.while_down.fetch_add(1, Ordering::Relaxed);
                        } else if after.generation != before.generation {
                            tally.cut_off.fetch_add(1, Ordering::Relaxed);
                        } else {
                            tally.while_up.fetch_add(1, Ordering::Relaxed);
                            tally.example(format!(
                                "phone {}: a sync failed while the server was up: {error}",
                                self.index
                            ));
                        }
                        let pause = self.rng.random_range(100..300);
                        tokio::time::sleep(Duration::from_millis(pause)).await;
                        break;
                    }
                }
            }
            let pause = self.rng.random_range(0..200);
            tokio::time::sleep(Duration::from_millis(pause)).await;
        }
        Ok(self)
    }

    /// After the last restart: syncs until the phone has nothing left to send and the server
    /// nothing left to ask. Every failure here counts against the run.
    async fn settle(mut self, tally: Arc<Tally>) -> (Player, bool) {
        for _ in 0..12 {
            match self.sync_once(&tally).await {
                Ok(outcome) => {
                    if !outcome.again
                        && self.pending.is_empty()
                        && self.phone.replica().unsynced().is_empty()
                    {
                        return (self, true);
                    }
                }
                Err(error) => {
                    tally.final_errors.fetch_add(1, Ordering::Relaxed);
                    tally.example(format!(
                        "phone {}: a sync after the last restart failed: {error}",
                        self.index
                    ));
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
        (self, false)
    }
}

/// The error with its causes, which say whether the connection was refused, reset or cut off.
fn describe(error: &PhoneError) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// What one look at the database found.
#[derive(Debug, Default)]
struct Check {
    /// Acknowledged notes stored exactly once.
    found: usize,
    /// Indices of acknowledged notes missing, and of notes stored more than once.
    lost: BTreeSet<usize>,
    doubled: BTreeSet<usize>,
    unreadable: BTreeSet<String>,
    /// Notes stored once that no answer acknowledged: the server committed them and the answer
    /// never arrived, so the phone will send them again.
    unanswered: usize,
}

/// Reads every household the notes went to from the database, as the server stored it, and
/// counts each note's text in it.
async fn check_documents(url: &str, notes: &[Note]) -> anyhow::Result<Check> {
    // `connect`, not `open`: the check must read the schema as the server left it.
    let db = Db::connect(url).await?;
    let mut conn = db.reader.acquire().await?;
    let mut by_household: BTreeMap<&HouseholdId, Vec<usize>> = BTreeMap::new();
    for (i, note) in notes.iter().enumerate() {
        by_household.entry(&note.household).or_default().push(i);
    }
    let reader = hosync_core::docs::random_actor();
    let mut check = Check::default();
    for (household, indices) in by_household {
        let id = DocId::Household(household.clone());
        let stored = match crate::storage::load_doc(&mut conn, &id, &reader).await {
            Ok(Some(doc)) => household::read(&doc).map_err(anyhow::Error::from),
            Ok(None) => Err(anyhow::anyhow!("not in the database")),
            Err(e) => Err(e),
        };
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        match stored {
            Ok(stored) => {
                for note in stored.notes {
                    *counts.entry(note.text).or_default() += 1;
                }
            }
            Err(e) => {
                check.unreadable.insert(format!("{id}: {e:#}"));
            }
        }
        for i in indices {
            let note = &notes[i];
            match counts.get(&note.text).copied().unwrap_or(0) {
                0 if note.acknowledged => {
                    check.lost.insert(i);
                }
                0 => {}
                1 if note.acknowledged => check.found += 1,
                1 => check.unanswered += 1,
                _ => {
                    check.doubled.insert(i);
                }
            }
        }
    }
    drop(conn);
    db.close().await;
    Ok(check)
}

/// The staff views' copy: acknowledged notes missing from `note_view`, and held twice.
async fn check_views(url: &str, tag: &str, notes: &[Note]) -> anyhow::Result<(usize, usize)> {
    let db = Db::connect(url).await?;
    let rows = sqlx::query("SELECT body, COUNT(*) FROM note_view WHERE body LIKE $1 GROUP BY body")
        .bind(format!("{tag}%"))
        .fetch_all(&db.reader)
        .await?;
    db.close().await;
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    for row in rows {
        counts.insert(row.try_get(0)?, row.try_get(1)?);
    }
    let mut missing = 0;
    let mut doubled = 0;
    for note in notes.iter().filter(|n| n.acknowledged) {
        match counts.get(&note.text).copied().unwrap_or(0) {
            0 => missing += 1,
            1 => {}
            _ => doubled += 1,
        }
    }
    Ok((missing, doubled))
}

/// Picks `wanted` members who look after households, round-robin over the cells.
fn pick_members(
    cells: &BTreeMap<String, crate::tools::loadgen::CellPlan>,
    wanted: usize,
) -> Vec<(MemberId, Vec<HouseholdId>)> {
    let mut queues: Vec<_> = cells
        .values()
        .map(|c| c.members.iter().filter(|(_, h)| !h.is_empty()))
        .collect();
    let mut picked = Vec::with_capacity(wanted);
    while picked.len() < wanted {
        let before = picked.len();
        for queue in &mut queues {
            if picked.len() < wanted
                && let Some((member, households)) = queue.next()
            {
                picked.push((member.clone(), households.clone()));
            }
        }
        if picked.len() == before {
            break;
        }
    }
    picked
}

pub async fn run(plan: &ChaosPlan) -> anyhow::Result<ChaosReport> {
    anyhow::ensure!(plan.phones >= 1, "at least one phone");
    anyhow::ensure!(
        plan.seconds > 0.0 && plan.seconds.is_finite(),
        "the run needs some seconds"
    );
    let run_started = Instant::now();
    let backend = if plan.database_url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    // Unique to this run, so a note is never taken for one of an earlier run on this database.
    let tag = format!("chaos-{}-{:08x}", plan.seed, rand::random::<u32>());
    let db = Db::open(&plan.database_url).await?;
    let cells = crate::tools::loadgen::district(&db).await?;
    let members = pick_members(&cells, plan.phones);
    anyhow::ensure!(
        !members.is_empty(),
        "no member of the district looks after a household"
    );
    let ids: Vec<MemberId> = members.iter().map(|(m, _)| m.clone()).collect();
    let replicas = crate::tools::loadgen::enrol(&db, &ids, "chaos phone").await?;
    db.close().await;

    let life = Arc::new(Mutex::new(Life::default()));
    let mut server = Server {
        bin: plan.server_bin.clone(),
        database_url: plan.database_url.clone(),
        bind: plan.bind,
        log: plan.server_log.clone(),
        child: None,
        started: Instant::now(),
        ready_at: None,
        starts: 0,
        start_times: Vec::new(),
        life: Arc::clone(&life),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(1))
            .build()?,
    };
    let start_limit = Duration::from_secs(60);
    server.spawn()?;
    server.wait_ready(start_limit).await?;
    let base = format!("http://{}", plan.bind);
    println!(
        "chaos: {} phones against {base} ({backend}); the server's output goes to {}",
        members.len(),
        plan.server_log.display()
    );

    // Each phone's first sync, with the server left alone: it brings the phone its households.
    let mut players = Vec::with_capacity(members.len());
    for (index, ((_, households), replica)) in members.into_iter().zip(replicas).enumerate() {
        let mut phone = Phone::with_replica(&base, replica);
        phone
            .sync()
            .await
            .with_context(|| format!("the first sync of phone {index}"))?;
        players.push(Player {
            index,
            epoch: phone.replica().cursor().epoch,
            phone,
            households,
            rng: StdRng::seed_from_u64(
                plan.seed.wrapping_mul(1_000_003).wrapping_add(index as u64),
            ),
            pending: Vec::new(),
            written: 0,
        });
    }

    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = players
        .into_iter()
        .map(|player| {
            tokio::spawn(player.play(
                tag.clone(),
                Arc::clone(&tally),
                Arc::clone(&life),
                Arc::clone(&stop),
            ))
        })
        .collect();

    let kills = schedule(plan.seed, plan.kills, plan.seconds);
    let mut report = ChaosReport {
        backend: backend.to_owned(),
        seed: plan.seed,
        phones: tasks.len(),
        ..ChaosReport::default()
    };
    let mut lost = BTreeSet::new();
    let mut doubled = BTreeSet::new();
    let mut unreadable = BTreeSet::new();
    let chaos_started = Instant::now();
    // The first lifetime counts from when the phones begin, not from the server's start.
    let mut born = chaos_started;
    for (i, kill) in kills.iter().enumerate() {
        let deadline = born + kill.after;
        while Instant::now() < deadline {
            server.poll_ready().await?;
            let left = deadline.saturating_duration_since(Instant::now());
            tokio::time::sleep(left.min(Duration::from_millis(20))).await;
        }
        let was_ready = server.kill().await?;
        report.kills += 1;
        report.kills_while_starting += usize::from(!was_ready);

        // The server is down: nothing can be acknowledged now, and no phone can send again what
        // a loss would have taken, so this is the moment to look.
        let notes = lock(&tally.notes).clone();
        let check = check_documents(&plan.database_url, &notes).await?;
        let acknowledged = notes.iter().filter(|n| n.acknowledged).count();
        println!(
            "chaos: kill {}/{} after {:.2} s{}: {} notes acknowledged so far, {} found, {} lost, {} doubled; {} stored with their answer cut off",
            i + 1,
            kills.len(),
            kill.after.as_secs_f64(),
            if was_ready { "" } else { " (while starting)" },
            acknowledged,
            check.found,
            check.lost.len(),
            check.doubled.len(),
            check.unanswered
        );
        report.stored_unanswered += check.unanswered;
        lost.extend(check.lost);
        doubled.extend(check.doubled);
        unreadable.extend(check.unreadable);
        report.acknowledged_before_last_kill = acknowledged;

        tokio::time::sleep(kill.down).await;
        if i + 1 < kills.len() {
            server.spawn()?;
            born = server.started;
        }
    }
    if kills.is_empty() {
        tokio::time::sleep(Duration::from_secs_f64(plan.seconds)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let mut players = Vec::with_capacity(tasks.len());
    for task in tasks {
        players.push(task.await.context("a phone's task failed")??);
    }
    report.seconds = chaos_started.elapsed().as_secs_f64();

    // The last restart: every phone syncs until quiet, then the whole picture is checked.
    if server.child.is_none() {
        server.spawn()?;
        server.wait_ready(start_limit).await?;
    }
    let settled: Vec<_> = players
        .into_iter()
        .map(|player| tokio::spawn(player.settle(Arc::clone(&tally))))
        .collect();
    for task in settled {
        let (_, quiet) = task.await.context("a phone's task failed")?;
        report.phones_not_quiet += usize::from(!quiet);
    }
    let notes = lock(&tally.notes).clone();
    let check = check_documents(&plan.database_url, &notes).await?;
    let (view_missing, view_doubled) = check_views(&plan.database_url, &tag, &notes).await?;
    server.stop().await?;
    lost.extend(check.lost);
    doubled.extend(check.doubled);
    unreadable.extend(check.unreadable);

    report.found = check.found;
    report.notes_written = notes.len();
    report.acknowledged = notes.iter().filter(|n| n.acknowledged).count();
    report.lost = lost.len();
    report.doubled = doubled.len();
    report.unreadable = unreadable.len();
    report.view_missing = view_missing;
    report.view_doubled = view_doubled;
    report.syncs = tally.syncs.load(Ordering::Relaxed);
    report.syncs_answered = tally.answered.load(Ordering::Relaxed);
    report.errors_while_down = tally.while_down.load(Ordering::Relaxed);
    report.errors_cut_off = tally.cut_off.load(Ordering::Relaxed);
    report.errors_while_up = tally.while_up.load(Ordering::Relaxed);
    report.refused = tally.refused.load(Ordering::Relaxed);
    report.epoch_changes = tally.epoch_changes.load(Ordering::Relaxed);
    report.final_errors = tally.final_errors.load(Ordering::Relaxed);
    let start_ms: Vec<f64> = server
        .start_times
        .iter()
        .map(|d| d.as_secs_f64() * 1000.0)
        .collect();
    report.start_ms_mean = start_ms.iter().sum::<f64>() / start_ms.len().max(1) as f64;
    report.start_ms_max = start_ms.iter().copied().fold(0.0, f64::max);
    let mut examples = lock(&tally.examples).clone();
    for (what, set) in [("lost", &lost), ("doubled", &doubled)] {
        for &i in set.iter().take(5) {
            if let Some(note) = notes.get(i) {
                examples.push(format!("{what}: {:?} on {}", note.text, note.household));
            }
        }
    }
    examples.extend(unreadable.iter().take(5).cloned());
    report.examples = examples;
    println!(
        "chaos: done in {:.1} s",
        run_started.elapsed().as_secs_f64()
    );
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_the_same_kills_and_they_fill_the_time() {
        let kills = schedule(7, 40, 120.0);
        assert_eq!(kills, schedule(7, 40, 120.0));
        assert_ne!(kills, schedule(8, 40, 120.0));
        let total: f64 = kills.iter().map(|k| (k.after + k.down).as_secs_f64()).sum();
        assert!((60.0..180.0).contains(&total), "{total} s");
        assert!(kills.iter().all(|k| k.down.as_secs_f64() >= DOWN.0));
    }
}
