//! Group commit (issue 21): write transactions that queue for the chain lock while another is
//! deciding join its database transaction, and are committed together, in one commit and one
//! flush to disk.
//!
//! - Decisions stay one after another: a request holds the batch (a `tokio` mutex, handed on
//!   in arrival order) from `begin` until it commits or gives up, and reads what the requests
//!   before it in the batch wrote.
//! - Nobody is told "saved" early: `commit` returns only once the whole batch is committed.
//!   If that commit fails, every request in it is told so.
//! - Few trips to the database: the audit records, incident and crime rows, incident numbers
//!   and new streams a request writes are held in the batch and stored at its end, a few
//!   hundred rows to a statement. Reads inside the batch see them (`Held::stream_after`).
//! - A request that fails alone: what it added to the batch's held rows is dropped, and its
//!   place in the chain (the tip) is put back. One that joins a batch already holding
//!   others' work and writes straight to the database (a user, a session, a call sign) does
//!   so under a savepoint, made lazily at its first such write, and giving up rolls back to
//!   it. The first request of a batch needs no savepoint: giving up drops the whole database
//!   transaction, which holds nothing else.
//! - The batch is committed by the request that leaves it when nobody is queued (or when it is
//!   full), in a task of its own, so a request cancelled mid-commit (its client went away)
//!   cannot leave the others' work half-done.

use crate::{Args, Dialect, SqlDb, advance};
use controlroom_domain::audit::{AuditRecord, StoredRecord};
use controlroom_store::chain::ChainTip;
use controlroom_store::sql::{self, RowsInsert};
use controlroom_store::{CrimeRow, IncidentRow, StoreError, StoreResult, WriteStats};
use sqlx::Transaction;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use tokio::sync::{Mutex, OwnedMutexGuard, oneshot, watch};

/// The most requests one commit carries: enough to share a flush among every console of a
/// busy room, few enough that the first of them is not kept waiting long.
pub const MAX_BATCH: usize = 64;

/// The savepoint a request that joined a batch writes under.
const SAVEPOINT: &str = "SAVEPOINT request";
const RELEASE: &str = "RELEASE SAVEPOINT request";
const ROLL_BACK: &str = "ROLLBACK TO SAVEPOINT request";

/// One database transaction holding the chain lock, shared by the requests decided in it.
pub(crate) struct Batch<D: Dialect> {
    pub tx: Transaction<'static, D::Db>,
    pub tip: ChainTip,
    /// Whether anything was appended (the head row must move).
    pub appended: bool,
    /// What the requests decided here wrote, stored at the commit.
    pub held: Held,
    /// The requests decided here, each waiting to be told how the commit went.
    members: Vec<oneshot::Sender<StoreResult<()>>>,
}

/// Rows a batch holds until its commit, in the order they were written.
#[derive(Default)]
pub(crate) struct Held {
    /// Audit records, each linked to the one before.
    pub records: Vec<StoredRecord>,
    /// Streams given a change here, with the seq of their first: registered at commit (a
    /// no-op for streams that already exist).
    streams: Vec<(String, i64)>,
    /// The names in `streams`, so that a long batch does not search a list per record.
    stream_names: HashSet<String>,
    pub incidents: Vec<IncidentRow>,
    pub crimes: Vec<CrimeRow>,
    /// The last incident number given each day, as far as this batch has counted.
    counters: HashMap<String, i64>,
    /// Each actor's last change here to what the search index holds.
    pub search_marks: HashMap<String, i64>,
}

impl Held {
    /// Hold `record`, noting its stream when a change starts one.
    pub fn record(&mut self, stored: StoredRecord, change: bool) {
        if change && !self.stream_names.contains(&stored.record.stream) {
            self.stream_names.insert(stored.record.stream.clone());
            self.streams
                .push((stored.record.stream.clone(), stored.record.seq));
        }
        self.records.push(stored);
    }

    /// The change records held for `stream` after seq `after`, oldest first.
    pub fn stream_after(&self, stream: &str, after: i64) -> impl Iterator<Item = AuditRecord> {
        self.records
            .iter()
            .map(|stored| &stored.record)
            .filter(move |r| r.stream == stream && r.seq > after && r.category == "change")
            .cloned()
    }

    /// The last number counted for `day` in this batch, if it has counted one.
    pub fn counter(&mut self, day: &str) -> Option<&mut i64> {
        self.counters.get_mut(day)
    }

    pub fn start_counter(&mut self, day: &str, last: i64) {
        self.counters.insert(day.to_owned(), last);
    }

    /// How far each list had got: what [`Held::truncate`] goes back to.
    fn mark(&self) -> HeldMark {
        HeldMark {
            records: self.records.len(),
            streams: self.streams.len(),
            incidents: self.incidents.len(),
            crimes: self.crimes.len(),
            counters: self.counters.clone(),
            search_marks: self.search_marks.clone(),
        }
    }

    fn truncate(&mut self, mark: HeldMark) {
        self.records.truncate(mark.records);
        for (stream, _) in self.streams.drain(mark.streams..) {
            self.stream_names.remove(&stream);
        }
        self.incidents.truncate(mark.incidents);
        self.crimes.truncate(mark.crimes);
        self.counters = mark.counters;
        self.search_marks = mark.search_marks;
    }
}

struct HeldMark {
    records: usize,
    streams: usize,
    incidents: usize,
    crimes: usize,
    counters: HashMap<String, i64>,
    search_marks: HashMap<String, i64>,
}

impl<D: Dialect> Batch<D> {
    pub fn new(tx: Transaction<'static, D::Db>, tip: ChainTip) -> Self {
        Self {
            tx,
            tip,
            appended: false,
            held: Held::default(),
            members: Vec::new(),
        }
    }
}

pub(crate) type Slot<D> = OwnedMutexGuard<Option<Batch<D>>>;

/// What every write transaction of one store shares.
pub(crate) struct Batcher<D: Dialect> {
    open: Arc<Mutex<Option<Batch<D>>>>,
    /// Requests waiting for the batch now: while any are, a request leaving it does not
    /// commit it, since the next will join.
    waiting: AtomicUsize,
    batches: AtomicU64,
    requests: AtomicU64,
    /// The store's committed seq, moved on once a batch with records is committed.
    committed: Arc<watch::Sender<i64>>,
}

/// Where a request started in a batch that already held others' work.
pub(crate) struct Mark {
    tip: ChainTip,
    appended: bool,
    held: HeldMark,
    /// Whether the savepoint has been made (at the request's first write).
    saved: bool,
}

impl Mark {
    /// Put the batch back as it was when the request joined it.
    fn put_back<D: Dialect>(self, batch: &mut Batch<D>) {
        batch.tip = self.tip;
        batch.appended = self.appended;
        batch.held.truncate(self.held);
    }
}

impl<D: Dialect> Batcher<D> {
    pub fn new(committed: Arc<watch::Sender<i64>>) -> Arc<Self> {
        Arc::new(Self {
            open: Arc::new(Mutex::new(None)),
            waiting: AtomicUsize::new(0),
            batches: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            committed,
        })
    }

    pub fn stats(&self) -> WriteStats {
        WriteStats {
            waiting: u64::try_from(self.waiting.load(Ordering::SeqCst)).unwrap_or(u64::MAX),
            commits: self.batches.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
        }
    }

    /// Wait for the batch; `open` starts one (taking the chain lock) when none is open.
    /// Returns the batch and, when it already held others' work, where this request started.
    pub async fn enter<F>(
        self: &Arc<Self>,
        open: impl FnOnce() -> F,
    ) -> StoreResult<(Slot<D>, Option<Mark>)>
    where
        F: Future<Output = StoreResult<Batch<D>>>,
    {
        let queued = Queued::new(self.clone());
        let mut slot = self.open.clone().lock_owned().await;
        queued.served();
        let mark = match slot.as_mut() {
            Some(batch) => Some(Mark {
                tip: batch.tip.clone(),
                appended: batch.appended,
                held: batch.held.mark(),
                saved: false,
            }),
            None => {
                *slot = Some(open().await?);
                None
            }
        };
        Ok((slot, mark))
    }

    /// Before a request's first write in a batch it joined: the savepoint to roll back to.
    pub async fn save(slot: &mut Slot<D>, mark: &mut Option<Mark>) -> StoreResult<()> {
        if let (Some(batch), Some(mark)) = (slot.as_mut(), mark.as_mut())
            && !mark.saved
        {
            sqlx::query(SAVEPOINT)
                .execute(D::Db::on(&mut batch.tx))
                .await
                .map_err(D::error)?;
            mark.saved = true;
        }
        Ok(())
    }

    /// The request is decided: it joins the batch's commit, which it waits for.
    pub async fn commit(
        self: &Arc<Self>,
        mut slot: Slot<D>,
        mark: Option<Mark>,
    ) -> StoreResult<()> {
        let Some(batch) = slot.as_mut() else {
            return Err(over());
        };
        if mark.is_some_and(|m| m.saved) {
            // On failure the request's own work cannot be kept apart from the rest: the
            // batch fails as a whole, and nobody in it is told "saved".
            if let Err(e) = sqlx::query(RELEASE)
                .execute(D::Db::on(&mut batch.tx))
                .await
                .map_err(D::error)
            {
                fail(&mut slot, &e);
                return Err(e);
            }
        }
        let (told, told_rx) = oneshot::channel();
        batch.members.push(told);
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.leave(slot);
        told_rx
            .await
            .unwrap_or_else(|_| Err(StoreError::Unavailable("the write was not saved".into())))
    }

    /// The request gave up (its rules refused it, or it failed): nothing it wrote is kept,
    /// and the batch goes on without it.
    pub fn abandon(self: &Arc<Self>, mut slot: Slot<D>, mark: Option<Mark>) {
        match mark {
            // The first of its batch: dropping the transaction rolls back all it holds.
            None => {
                *slot = None;
            }
            Some(mark) if !mark.saved => {
                if let Some(batch) = slot.as_mut() {
                    mark.put_back(batch);
                }
                self.leave(slot);
            }
            Some(mark) => {
                let batcher = self.clone();
                tokio::spawn(async move {
                    batcher.roll_back(&mut slot, mark).await;
                    batcher.leave(slot);
                });
            }
        }
    }

    async fn roll_back(&self, slot: &mut Slot<D>, mark: Mark) {
        let Some(batch) = slot.as_mut() else {
            return;
        };
        for statement in [ROLL_BACK, RELEASE] {
            if let Err(e) = sqlx::query(statement)
                .execute(D::Db::on(&mut batch.tx))
                .await
                .map_err(D::error)
            {
                fail(slot, &e);
                return;
            }
        }
        mark.put_back(batch);
    }

    /// Hand the batch on: to the next request when one is queued, else commit it now.
    fn leave(self: &Arc<Self>, slot: Slot<D>) {
        let full = slot.as_ref().is_some_and(|b| b.members.len() >= MAX_BATCH);
        if self.waiting.load(Ordering::SeqCst) == 0 || full {
            tokio::spawn(self.clone().finish(slot));
        }
    }

    /// Commit the batch and tell each of its requests.
    async fn finish(self: Arc<Self>, mut slot: Slot<D>) {
        let Some(mut batch) = slot.take() else {
            return;
        };
        if batch.members.is_empty() {
            return;
        }
        let result = Self::write_out(&mut batch).await;
        let appended = batch.appended.then(|| batch.tip.head().0);
        let result = match result {
            Ok(()) => batch.tx.commit().await.map_err(D::error),
            Err(e) => Err(e),
        };
        self.batches.fetch_add(1, Ordering::Relaxed);
        if let (Ok(()), Some(seq)) = (&result, appended) {
            advance(&self.committed, seq);
        }
        for told in batch.members {
            let _ = told.send(result.clone());
        }
        drop(slot);
    }

    /// What a batch stores once, at its end: the rows its requests wrote, a few hundred to
    /// a statement; the chain head (on PostgreSQL with the notification that wakes the other
    /// servers); and the streams first written in it.
    async fn write_out(batch: &mut Batch<D>) -> StoreResult<()> {
        let held = std::mem::take(&mut batch.held);
        let tx = &mut batch.tx;
        store_rows::<D, _>(tx, &sql::INSERT_AUDIT, &held.records, |q, stored| {
            let r = &stored.record;
            q.arg(r.seq)
                .arg(r.category.as_str())
                .arg(r.stream.as_str())
                .arg(r.kind.as_str())
                .arg(r.actor.as_str())
                .arg(r.at_micros)
                .arg(r.payload.as_str())
                .arg(stored.prev_hash.as_str())
                .arg(stored.hash.as_str())
                .arg(r.role.as_deref())
                .arg(stored.seal.as_deref())
        })
        .await?;
        let incidents = latest(&held.incidents, |row| &row.id);
        store_rows::<D, _>(tx, &sql::UPSERT_INCIDENTS, &incidents, |q, row| {
            q.arg(row.id.as_str())
                .arg(row.reference.as_str())
                .arg(row.status.as_str())
                .arg(row.grade.as_deref())
                .arg(row.incident_type.as_deref())
                .arg(row.channel.as_str())
                .arg(row.location_text.as_str())
                .arg(row.summary.as_str())
                .arg(row.contact_count)
                .arg(row.opened_at_micros)
                .arg(row.last_changed_at_micros)
                .arg(row.version)
                .arg(row.attend_by_micros)
                .arg(row.crime_report_at_micros)
                .arg(row.recording_decided_at_micros)
                .arg(row.recording_decision.as_deref())
                .arg(row.lat)
                .arg(row.lon)
        })
        .await?;
        let crimes = latest(&held.crimes, |row| &row.id);
        store_rows::<D, _>(tx, &sql::UPSERT_CRIMES, &crimes, |q, row| {
            q.arg(row.id.as_str())
                .arg(row.reference.as_str())
                .arg(row.classification.as_str())
                .arg(row.status.as_str())
                .arg(row.reported_at_micros)
                .arg(row.recorded_at_micros)
                .arg(row.recorded_by.as_str())
                .arg(row.incident_id.as_deref())
                .arg(row.location_text.as_str())
                .arg(row.last_changed_at_micros)
                .arg(row.version)
                .arg(i64::from(row.in_work))
        })
        .await?;
        let counters: Vec<(&String, &i64)> = held.counters.iter().collect();
        store_rows::<D, _>(
            tx,
            &sql::SET_INCIDENT_COUNTERS,
            &counters,
            |q, (day, last)| q.arg(day.as_str()).arg(**last),
        )
        .await?;
        let marks: Vec<(&String, &i64)> = held.search_marks.iter().collect();
        store_rows::<D, _>(tx, &sql::SET_SEARCH_MARKS, &marks, |q, (user, seq)| {
            q.arg(user.as_str()).arg(**seq)
        })
        .await?;
        if batch.appended {
            let (seq, head) = batch.tip.head();
            crate::bind!(D::UPDATE_CHAIN_HEAD; seq, head.as_str())
                .execute(D::Db::on(tx))
                .await
                .map_err(D::error)?;
        }
        store_rows::<D, _>(
            tx,
            &sql::INSERT_STREAMS,
            &held.streams,
            |q, (stream, first)| {
                q.arg(stream.as_str())
                    .arg(sql::stream_kind(stream))
                    .arg(*first)
            },
        )
        .await
    }
}

type RowQuery<'q, D> =
    sqlx::query::Query<'q, <D as Dialect>::Db, <<D as Dialect>::Db as sqlx::Database>::Arguments>;

/// Store `rows` with `insert`, binding each row's columns with `bind`.
async fn store_rows<'q, D: Dialect, T>(
    tx: &mut Transaction<'static, D::Db>,
    insert: &'q RowsInsert,
    rows: &'q [T],
    bind: impl Fn(RowQuery<'q, D>, &'q T) -> RowQuery<'q, D>,
) -> StoreResult<()> {
    for (text, run) in insert.runs(D::PLACEHOLDERS, rows) {
        let query = run
            .iter()
            .fold(sqlx::query(sqlx::AssertSqlSafe(text)), &bind);
        query.execute(D::Db::on(tx)).await.map_err(D::error)?;
    }
    Ok(())
}

/// The last row written for each id, in the order written: one statement may not upsert
/// the same row twice (PostgreSQL refuses), and the last is the newest version.
fn latest<T: Clone>(rows: &[T], id: impl Fn(&T) -> &String) -> Vec<T> {
    let mut seen = HashSet::new();
    let mut kept: Vec<T> = rows
        .iter()
        .rev()
        .filter(|row| seen.insert(id(row).as_str()))
        .cloned()
        .collect();
    kept.reverse();
    kept
}

/// The batch cannot go on: every request in it is told `error`, and its transaction is
/// dropped (rolled back).
fn fail<D: Dialect>(slot: &mut Slot<D>, error: &StoreError) {
    if let Some(batch) = slot.take() {
        for told in batch.members {
            let _ = told.send(Err(error.clone()));
        }
    }
}

pub(crate) fn over() -> StoreError {
    StoreError::Database("the write transaction is already over".into())
}

/// A request queued for the batch. If it goes away before being served (its client left),
/// and it was the last one queued, the batch it was to join is committed for the others.
struct Queued<D: Dialect> {
    batcher: Option<Arc<Batcher<D>>>,
}

impl<D: Dialect> Queued<D> {
    fn new(batcher: Arc<Batcher<D>>) -> Self {
        batcher.waiting.fetch_add(1, Ordering::SeqCst);
        Self {
            batcher: Some(batcher),
        }
    }

    fn served(mut self) {
        if let Some(batcher) = self.batcher.take() {
            batcher.waiting.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl<D: Dialect> Drop for Queued<D> {
    fn drop(&mut self) {
        let Some(batcher) = self.batcher.take() else {
            return;
        };
        if batcher.waiting.fetch_sub(1, Ordering::SeqCst) == 1 {
            tokio::spawn(async move {
                let slot = batcher.open.clone().lock_owned().await;
                batcher.leave(slot);
            });
        }
    }
}
