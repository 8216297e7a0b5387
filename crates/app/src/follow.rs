//! Every server follows the audit log. Its `seq` has no gaps and commits in order (every
//! write holds the chain lock), so "the last seq applied" is a cursor: this module reads the
//! records after it and applies what they changed to what this process derives from the log
//! and nothing else: the live feed and the unit registry. (The search index keeps a cursor
//! of its own, in its own commits: `search_feed`.) A change made on another server and one
//! made here take the same path.
//!
//! The follower is woken by the store ([`controlroom_store::Store::watch_log`]: at once for
//! this process's commits, by `LISTEN/NOTIFY` for other servers' on PostgreSQL) and also
//! polls every [`POLL`], because a notification is lost with the connection that carried it.

use crate::live::{Changed, LiveChange};
use crate::{App, AppError, dispatch};
use controlroom_domain::incident::IncidentId;
use controlroom_domain::resources::UnitId;
use controlroom_domain::stream::{StreamId, StreamKind};
use controlroom_store::LogEntry;
use jiff::Timestamp;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// The safety net: how long a follower waits for a wake-up before it reads the log anyway.
pub const POLL: Duration = Duration::from_millis(500);

/// How many audit records one read of the log takes.
const PAGE: i64 = 2_000;

/// A console that fell further behind than this many records is told to reload its lists
/// (`resync`) instead of being sent each change it missed.
pub const REPLAY_AT_MOST: i64 = 20_000;

/// Follow the log for as long as the server runs.
pub async fn run(app: App) {
    let mut watch = app.store.watch_log();
    loop {
        match catch_up(&app).await {
            // A full page: there is more to read now.
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "could not follow the audit log; trying again"),
        }
        tokio::select! {
            _ = watch.changed() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

/// The last seq this process's live feed and unit registry have applied.
pub fn position(app: &App) -> i64 {
    app.followed.load(Ordering::Acquire)
}

/// Start following at `seq` (what the registry was loaded as of, at start-up).
pub fn start_at(app: &App, seq: i64) {
    app.followed.store(seq, Ordering::Release);
}

/// How far this server's derived state is behind the head of the log, in audit records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lag {
    /// The log's head: the seq of the last record committed, by any server.
    pub head: i64,
    /// Records not yet applied to the live feed and the unit registry.
    pub live_feed: i64,
    /// Records not yet applied to the search index.
    pub search: i64,
}

impl Lag {
    /// The furthest behind of the two.
    pub fn most(&self) -> i64 {
        self.live_feed.max(self.search)
    }
}

/// This server's [`Lag`], as of now.
pub async fn lag(app: &App) -> Result<Lag, AppError> {
    let head = app.store.chain_head().await?.map_or(0, |(seq, _)| seq);
    let behind = |applied: i64| (head - applied).max(0);
    Ok(Lag {
        head,
        live_feed: behind(position(app)),
        search: behind(app.search()?.applied_seq()),
    })
}

/// Apply one page of the log after [`position`]: units into the registry, every change to
/// the live feed, in seq order. Returns whether the page was full (there may be more).
pub async fn catch_up(app: &App) -> Result<bool, AppError> {
    let _one_at_a_time = app.follow_lock.lock().await;
    let after = position(app);
    let page = app.store.log_entries(after, PAGE).await?;
    let Some(last) = page.last().map(|r| r.seq) else {
        return Ok(false);
    };
    let changes = changes_in(app, &page).await?;
    for change in &changes {
        if let Changed::Unit(unit) = &change.changed {
            app.units.put_at(unit.clone(), change.seq);
        }
    }
    for change in changes {
        app.live.publish(change);
    }
    app.followed.store(last, Ordering::Release);
    Ok(page.len() == usize::try_from(PAGE).unwrap_or(usize::MAX))
}

/// What a console that last saw `seq` has missed, up to `upto` (this server's position), in
/// seq order; `None` when that is more than [`REPLAY_AT_MOST`] records (reload instead).
pub async fn missed(app: &App, seq: i64, upto: i64) -> Result<Option<Vec<LiveChange>>, AppError> {
    if upto - seq > REPLAY_AT_MOST {
        return Ok(None);
    }
    let mut after = seq;
    let mut changes = Vec::new();
    while after < upto {
        let page = app.store.log_entries(after, PAGE.min(upto - after)).await?;
        let Some(last) = page.last().map(|r| r.seq) else {
            break;
        };
        changes.extend(changes_in(app, &page).await?);
        after = last;
    }
    // A change touched twice in the stretch is sent once, as it is now, at its last seq.
    let mut last_of: HashMap<String, i64> = HashMap::new();
    for change in &changes {
        last_of.insert(key(&change.changed), change.seq);
    }
    changes.retain(|c| last_of.get(&key(&c.changed)) == Some(&c.seq));
    Ok(Some(changes))
}

fn key(changed: &Changed) -> String {
    match changed {
        Changed::Incident(row) => format!("incident/{}", row.id),
        Changed::Unit(unit) => format!("unit/{}", unit.id),
        Changed::Task(task) => format!("task/{}", task.id),
        Changed::Message(message) => format!("message/{}", message.id),
    }
}

/// The incidents and units the change records of `page` touched, each as it is now, at the
/// seq of the last record in the page that touched it, in seq order.
async fn changes_in(app: &App, page: &[LogEntry]) -> Result<Vec<LiveChange>, AppError> {
    let mut incidents: HashMap<IncidentId, (i64, i64)> = HashMap::new();
    let mut units: HashMap<UnitId, (i64, i64)> = HashMap::new();
    // Tasks and messages: keyed by their whole stream name.
    let mut tasks: HashMap<String, (i64, i64)> = HashMap::new();
    for r in page {
        if r.category != "change" {
            continue;
        }
        let Ok(stream) = StreamId::parse(&r.stream) else {
            continue;
        };
        // A task's stream key is its record and its own id, not one uuid.
        if matches!(stream.kind(), StreamKind::Task | StreamKind::Message) {
            tasks.insert(r.stream.clone(), (r.seq, r.at_micros));
            continue;
        }
        let Some(uuid) = stream.uuid() else {
            continue;
        };
        match stream.kind() {
            StreamKind::Incident => {
                incidents.insert(IncidentId(uuid), (r.seq, r.at_micros));
            }
            StreamKind::Unit => {
                units.insert(UnitId(uuid), (r.seq, r.at_micros));
            }
            _ => {}
        }
    }
    let mut changes = Vec::new();
    let ids: Vec<String> = incidents.keys().map(ToString::to_string).collect();
    for row in app.store.incident_rows(&ids).await? {
        let Some(&(seq, at)) = row
            .id
            .parse()
            .ok()
            .and_then(|id| incidents.get(&IncidentId(id)))
        else {
            continue;
        };
        changes.push(change(seq, at, Changed::Incident(row))?);
    }
    for (id, (seq, at)) in units {
        let records = app.store.stream(&dispatch::unit_stream(id)).await?;
        let Some(unit) = dispatch::fold(id, &records)? else {
            continue;
        };
        dispatch::know_reference(app, &unit).await?;
        changes.push(change(seq, at, Changed::Unit(unit))?);
    }
    for (stream, (seq, at)) in tasks {
        use controlroom_domain::tasking::{TaskId, TaskState, messages};
        let Ok(id) = StreamId::parse(&stream) else {
            continue;
        };
        let records = app.store.stream(&stream).await?;
        let changed = if id.kind() == StreamKind::Task {
            let Ok(task) = TaskId::from_stream_key(id.key()) else {
                continue;
            };
            crate::event_store::fold::<TaskState>(&task, &records)?
                .map(|t| Changed::Task(Box::new(t)))
        } else {
            let Ok(message) = messages::MessageId::from_stream_key(id.key()) else {
                continue;
            };
            crate::event_store::fold::<messages::Message>(&message, &records)?
                .map(|m| Changed::Message(Box::new(m)))
        };
        if let Some(changed) = changed {
            changes.push(change(seq, at, changed)?);
        }
    }
    changes.sort_by_key(|c| c.seq);
    Ok(changes)
}

fn change(seq: i64, at_micros: i64, changed: Changed) -> Result<LiveChange, AppError> {
    let committed_at = Timestamp::from_microsecond(at_micros).map_err(|e| {
        AppError::Corrupt(format!("audit record {seq} has an impossible time: {e}"))
    })?;
    Ok(LiveChange {
        seq,
        committed_at,
        changed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Actor;
    use crate::event_store::tests::sqlite_store;
    use controlroom_domain::ManualClock;
    use controlroom_domain::roles::Role;
    use controlroom_domain::user::Username;
    use std::sync::Arc;

    async fn app(dir: &tempfile::TempDir) -> App {
        App::new(
            sqlite_store(dir).await,
            Arc::new(ManualClock::new("2026-12-01T03:00:00Z".parse().unwrap())),
            crate::Settings::default(),
        )
    }

    fn desk() -> Actor {
        Actor::with_role(Username::parse("desk").unwrap(), Role::Dispatcher)
    }

    /// What is committed is behind until the follower reads it; then the registry and the
    /// feed have it, at its seq, and nothing is behind.
    #[tokio::test]
    async fn the_follower_applies_what_was_committed_and_knows_where_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let app = app(&dir).await;
        let mut feed = app.live.subscribe();
        let unit = dispatch::register(&app, &desk(), "AL11", "response", &[], "Holbeck", &[])
            .await
            .unwrap();
        let behind = lag(&app).await.unwrap();
        assert!(behind.head > 0);
        assert_eq!(behind.live_feed, behind.head, "nothing followed yet");
        assert!(
            feed.try_recv().is_err(),
            "the feed is fed by the follower only"
        );

        assert!(!catch_up(&app).await.unwrap(), "one short page");
        assert_eq!(lag(&app).await.unwrap().live_feed, 0);
        let change = feed.try_recv().unwrap();
        assert_eq!(change.seq, behind.head);
        assert_eq!(change.changed, Changed::Unit(unit.clone()));
        assert_eq!(app.units.get(unit.id), Some(unit));
        assert!(!catch_up(&app).await.unwrap());
        assert!(feed.try_recv().is_err(), "nothing is applied twice");
    }

    /// A console away for a while is sent each changed unit once, as it is now; one away too
    /// long is told to reload.
    #[tokio::test]
    async fn what_a_console_missed_is_each_change_once_or_a_reload() {
        let dir = tempfile::tempdir().unwrap();
        let app = app(&dir).await;
        let desk = desk();
        let first = dispatch::register(&app, &desk, "AL11", "response", &[], "Holbeck", &[])
            .await
            .unwrap();
        let seen = lag(&app).await.unwrap().head;
        let second = dispatch::register(&app, &desk, "AL12", "response", &[], "Holbeck", &[])
            .await
            .unwrap();
        let moved = dispatch::report_position(&app, &desk, first.id, 53.8, -1.55)
            .await
            .unwrap();
        let head = lag(&app).await.unwrap().head;
        let missed = missed(&app, seen, head).await.unwrap().unwrap();
        let got: Vec<(i64, Changed)> = missed.into_iter().map(|c| (c.seq, c.changed)).collect();
        assert_eq!(
            got,
            [
                (seen + 1, Changed::Unit(second)),
                (head, Changed::Unit(moved))
            ]
        );
        assert_eq!(missed_none(&app, head).await, None, "too far behind");
    }

    async fn missed_none(app: &App, head: i64) -> Option<usize> {
        missed(app, 0, head + REPLAY_AT_MOST + 1)
            .await
            .unwrap()
            .map(|m| m.len())
    }
}
