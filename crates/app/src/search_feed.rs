//! The search index follows the audit log. It records, in each commit, the last audit
//! sequence it holds (`SearchIndex::applied_seq`); `catch_up` reads the change records after
//! it, re-folds the streams they touch and commits their documents with the new mark. It runs
//! before the server takes calls and then in [`run`], woken by every commit this server makes
//! or hears of, so neither a crash (upserts not yet committed are lost with the process) nor
//! a write made by another server leaves a search silently stale. The in-request upserts
//! stay, uncommitted until the follower's next commit: they spare it folding again what this
//! process has just folded.
//!
//! **Reads never write** (issue 21). A search commits nothing; it reads the committed index.
//! **The freshness a search is guaranteed:**
//! - it sees every change the searcher made, on any server, to what the index holds (a
//!   person recorded, an incident opened or closed): each write stores the writer's last
//!   such seq (`Store::search_mark`, in the same commit); a search reads it (one small
//!   read) and, when the index is behind it, wakes the follower and waits for its commit,
//!   which serves every search waiting then (at most [`WAIT_AT_MOST`]; after that it
//!   searches what there is, and the log says so);
//! - everyone else's changes, by any server, are searchable within [`GATHER`] and one index
//!   commit: the follower is woken by every commit this server makes or hears of.
//!
//! So a handler's search ([`for_search`]) waits for an index commit only when they have just
//! changed something searchable themselves; a log entry or a dispatch changes nothing the
//! index holds and causes no wait. Reading what is linked to one record (its page, an
//! incident's links and warnings: [`current`]) waits for everything committed before it, by
//! anyone, as a colleague's link a moment ago must show. Consultations (access records) need
//! no commit, so searching alone never causes one.

use crate::event_store;
use crate::intelligence::{document, incident_document, link_documents};
use crate::{App, AppError};
use controlroom_domain::crime::CrimeRecord;
use controlroom_domain::incident::{Incident, IncidentId};
use controlroom_domain::pole::{Kind, PoleRecord, RecordRef};
use controlroom_domain::stream::{StreamId, StreamKind};
use controlroom_search::IndexDoc;

/// How many audit records one read of the log takes.
const PAGE: i64 = 2_000;

/// The index's documents for one stream (`person/{id}`, `incident/{id}`, `crime/{id}`…), as
/// its events fold now; empty for streams the index does not hold.
pub(crate) async fn documents(app: &App, stream: &str) -> Result<Vec<IndexDoc>, AppError> {
    let Ok(id) = StreamId::parse(stream) else {
        return Ok(Vec::new());
    };
    let records = app.store.stream(stream).await?;
    documents_of(app, &id, &records)
}

/// Whether the index holds documents of streams of `kind` (see [`documents_of`]).
pub(crate) fn indexed(kind: StreamKind) -> bool {
    match kind {
        StreamKind::Crime
        | StreamKind::Incident
        | StreamKind::Person
        | StreamKind::Vehicle
        | StreamKind::Location
        | StreamKind::Property => true,
        // Referrals, tasks and messages are found from their incident or crime, not searched.
        StreamKind::Unit
        | StreamKind::Diary
        | StreamKind::User
        | StreamKind::Referral
        | StreamKind::Task
        | StreamKind::Message
        | StreamKind::Team
        | StreamKind::Partner => false,
    }
}

/// The index documents of stream `id`, folded from its change `records`.
pub(crate) fn documents_of(
    app: &App,
    id: &StreamId,
    records: &[controlroom_domain::audit::AuditRecord],
) -> Result<Vec<IndexDoc>, AppError> {
    let Some(uuid) = id.uuid() else {
        return Ok(Vec::new());
    };
    let mut docs = Vec::new();
    let pole = |kind| RecordRef { kind, id: uuid };
    match id.kind() {
        StreamKind::Crime => {
            if let Some(crime) = event_store::fold::<CrimeRecord>(&uuid, records)? {
                docs.extend(crate::crimes::crime_documents(
                    uuid,
                    &crime,
                    &app.settings.reference,
                ));
            }
        }
        StreamKind::Incident => {
            if let Some(incident) = event_store::fold::<Incident>(&IncidentId(uuid), records)? {
                docs.push(incident_document(&incident));
            }
        }
        StreamKind::Person | StreamKind::Vehicle | StreamKind::Location | StreamKind::Property => {
            let kind = match id.kind() {
                StreamKind::Person => Kind::Person,
                StreamKind::Vehicle => Kind::Vehicle,
                StreamKind::Location => Kind::Location,
                _ => Kind::Property,
            };
            if let Some(record) = event_store::fold::<PoleRecord>(&pole(kind), records)? {
                docs.extend(document(&record, crate::intelligence::today(app).year()));
                docs.extend(link_documents(&record));
            }
        }
        StreamKind::Unit
        | StreamKind::Diary
        | StreamKind::User
        | StreamKind::Referral
        | StreamKind::Task
        | StreamKind::Message
        | StreamKind::Team
        | StreamKind::Partner => {}
    }
    Ok(docs)
}

/// Bring the index up to the end of the audit log. Returns how many streams were re-indexed.
/// One catch-up at a time per process; a second caller waits and then finds little to do.
pub async fn catch_up(app: &App) -> Result<usize, AppError> {
    let index = app.search()?;
    // A rebuild reads the whole log itself and the catch-up after it carries on from its
    // mark: waiting for it here would hold up every search until it is done.
    if index.is_rebuilding() {
        return Ok(0);
    }
    let _one_at_a_time = app.search_feed.lock().await;
    if index.is_rebuilding() {
        return Ok(0);
    }
    let mut after = index.applied_seq();
    let mut streams = 0;
    loop {
        let page = app.store.log_entries(after, PAGE).await?;
        let Some(last) = page.last().map(|r| r.seq) else {
            break;
        };
        // The last change record of each stream in this page.
        let mut latest: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
        for r in &page {
            if r.category == "change" {
                latest.insert(&r.stream, r.seq);
            }
        }
        // A stream this process indexed as it changed it, up to at least that record, needs
        // no folding again: at a busy intake that is nearly every stream.
        let touched: Vec<&str> = {
            let here = app.indexed_here();
            latest
                .iter()
                .filter(|(stream, seq)| here.get(**stream).is_none_or(|indexed| indexed < *seq))
                .map(|(stream, _)| *stream)
                .collect()
        };
        let mut docs = Vec::new();
        for stream in &touched {
            docs.extend(documents(app, stream).await?);
        }
        streams += touched.len();
        index
            .apply(&docs, last)
            .map_err(crate::intelligence::search_error)?;
        // What this process indexed up to the mark is now covered by it: forget it.
        app.indexed_here().retain(|_, seq| *seq > last);
        after = last;
        if page.len() < usize::try_from(PAGE).unwrap_or(usize::MAX) {
            break;
        }
    }
    Ok(streams)
}

/// When no search is waiting, how long the follower lets changes gather after a wake-up
/// before committing them: a commit is about twenty flushes to disk, so at a busy intake one
/// per change would cost more than the changes (ten a second doubled the live feed's p99 on
/// another server). Searches never wait this long: one that needs newer changes hurries the
/// follower, so this only says how stale an index nobody is reading may get.
pub const GATHER: std::time::Duration = std::time::Duration::from_secs(1);

/// The longest a search waits for the follower (see the module's freshness guarantee).
pub const WAIT_AT_MOST: std::time::Duration = std::time::Duration::from_secs(2);

/// The search index's follower as the searches see it.
#[derive(Default)]
pub struct Follower {
    /// Whether [`run`] is following in this process (a command or a test without a server
    /// catches up in the search itself instead).
    running: std::sync::atomic::AtomicBool,
    /// A search is waiting: commit now, do not gather.
    hurry: tokio::sync::Notify,
    /// The index's applied seq after each catch-up, for waiting searches.
    applied: tokio::sync::watch::Sender<i64>,
}

/// Follow the audit log into the search index for as long as the server runs.
pub async fn run(app: App) {
    let follower = app.search_follower.clone();
    follower
        .running
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let mut watch = app.store.watch_log();
    loop {
        if let Err(e) = catch_up(&app).await {
            tracing::warn!(error = %e, "search index could not catch up; trying again");
        }
        if let Ok(index) = app.search() {
            follower.applied.send_replace(index.applied_seq());
        }
        let gathered = async {
            match watch.changed().await {
                Some(_) => tokio::time::sleep(GATHER).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = follower.hurry.notified() => {}
            () = gathered => {}
            () = tokio::time::sleep(crate::follow::POLL) => {}
        }
    }
}

/// The index for a search by `actor`, as fresh as the module's guarantee says: with every
/// change `actor` made to what it holds.
pub async fn for_search<'a>(
    app: &'a App,
    actor: &crate::Actor,
) -> Result<&'a controlroom_search::SearchIndex, AppError> {
    if !app
        .search_follower
        .running
        .load(std::sync::atomic::Ordering::SeqCst)
    {
        return caught_up(app).await;
    }
    // One small read: the searcher's last change to anything searchable, on any server.
    let wanted = app.store.search_mark(actor.username.as_str()).await?;
    reaching(app, wanted).await
}

/// The index with every change committed before now, by anyone: for reading what is linked
/// to one record (its page, an incident's links and warnings), which must not lag a
/// colleague's change a moment ago. Waits for an index commit more often than a search.
pub async fn current(app: &App) -> Result<&controlroom_search::SearchIndex, AppError> {
    if !app
        .search_follower
        .running
        .load(std::sync::atomic::Ordering::SeqCst)
    {
        return caught_up(app).await;
    }
    let wanted = app.store.chain_head().await?.map_or(0, |(seq, _)| seq);
    reaching(app, wanted).await
}

/// Without a follower (a command, a test), the caller catches the index up itself.
async fn caught_up(app: &App) -> Result<&controlroom_search::SearchIndex, AppError> {
    catch_up(app).await?;
    app.search()
}

/// The index once it has reached seq `wanted`: the follower is hurried, and its commit
/// serves every search waiting then (at most [`WAIT_AT_MOST`]; after that it searches what
/// there is, and the log says so).
async fn reaching(app: &App, wanted: i64) -> Result<&controlroom_search::SearchIndex, AppError> {
    let index = app.search()?;
    if index.applied_seq() >= wanted || index.is_rebuilding() {
        return Ok(index);
    }
    let follower = &app.search_follower;
    let mut applied = follower.applied.subscribe();
    follower.hurry.notify_one();
    let reached = tokio::time::timeout(WAIT_AT_MOST, applied.wait_for(|seq| *seq >= wanted)).await;
    if !matches!(reached, Ok(Ok(_))) {
        tracing::warn!(
            wanted,
            applied = index.applied_seq(),
            "the search index is behind the log; searching what it holds"
        );
    }
    Ok(index)
}

/// A rebuild of this server's search index, as far as it has got. Each server has its own
/// index, so this is the server's own (not the force's) and lives in its memory. Sent as it
/// is (`GET /api/v1/search-index/rebuild`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = RebuildView)]
pub struct RebuildStatus {
    pub running: bool,
    /// The kind of record being read now (`incident`, `crime`, `person`, `vehicle`,
    /// `location`, `property`), while running.
    pub reading: Option<&'static str>,
    pub records_read: usize,
    pub documents: usize,
    /// RFC 3339.
    #[schema(value_type = Option<String>)]
    pub started_at: Option<jiff::Timestamp>,
    #[schema(value_type = Option<String>)]
    pub finished_at: Option<jiff::Timestamp>,
    /// Why the last rebuild stopped short; the old index is still the one searched.
    pub failed: Option<String>,
}

fn status(app: &App) -> std::sync::MutexGuard<'_, RebuildStatus> {
    // A panic while holding it left at worst a stale count: carry on with it.
    app.rebuild
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Start rebuilding this server's search index from the database while it keeps serving:
/// searches read the old index until the new one is switched to in one commit. Refused
/// (409) while a rebuild is running.
pub async fn start_rebuild(app: &App, actor: &crate::Actor) -> Result<RebuildStatus, AppError> {
    let actor = &actor.require(
        controlroom_domain::roles::Permission::RebuildSearchIndex,
        "rebuild the search index",
    )?;
    // A rebuild reads every record: who asked for it, and when, is in the audit trail
    // before it starts (if that cannot be written, it does not start).
    crate::records::record_access(
        app,
        actor,
        "search-index".to_owned(),
        "search_index_rebuild_requested",
        serde_json::json!({}),
    )
    .await?;
    let started = {
        let mut status = status(app);
        if status.running {
            return Err(AppError::Conflict(
                "the search index is being rebuilt already: see how far it has got".into(),
            ));
        }
        *status = RebuildStatus {
            running: true,
            started_at: Some(app.now()),
            ..RebuildStatus::default()
        };
        status.clone()
    };
    let app = app.clone();
    tokio::spawn(async move {
        let progress = |p: &crate::intelligence::ReindexProgress| {
            let mut status = status(&app);
            status.reading = Some(p.kind.as_str());
            status.records_read = p.streams;
            status.documents = p.documents;
        };
        let result = crate::intelligence::reindex_with(&app, progress).await;
        let mut status = status(&app);
        status.running = false;
        status.reading = None;
        status.finished_at = Some(app.now());
        match result {
            Ok(documents) => status.documents = documents,
            Err(e) => {
                tracing::error!(error = %e, "search index rebuild failed; the old index is kept");
                status.failed = Some(e.to_string());
            }
        }
    });
    Ok(started)
}

/// How far this server's last (or current) rebuild has got.
pub fn rebuild_status(app: &App, actor: &crate::Actor) -> Result<RebuildStatus, AppError> {
    actor.require(
        controlroom_domain::roles::Permission::RebuildSearchIndex,
        "see the search index rebuild",
    )?;
    Ok(status(app).clone())
}

#[cfg(test)]
mod tests {
    use crate::incidents::{IncidentRequest, add_log_entry, grade};
    use crate::take_contact::{NewContact, take_contact};
    use crate::{Actor, App};
    use controlroom_domain::contact::{CallerDraft, ContactDraft, LocationDraft};
    use controlroom_domain::roles::Role;
    use controlroom_domain::user::Username;
    use std::sync::Arc;

    /// The freshness guarantee's premise: a handler's search waits only for their own
    /// changes to what the index holds. Opening an incident is one, and so is grading it (its
    /// status moves); a log entry changes nothing the index holds and leaves the mark.
    #[tokio::test]
    async fn only_changes_to_what_the_index_holds_set_the_writers_search_mark() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::event_store::tests::sqlite_store(&dir).await;
        let app = App::new(
            store.clone(),
            Arc::new(crate::SystemClock),
            crate::Settings::default(),
        );
        let handler = Actor::with_role(Username::parse("handler").unwrap(), Role::ContactHandler);
        let opened = take_contact(
            &app,
            &handler,
            NewContact {
                draft: ContactDraft {
                    channel: "999".into(),
                    caller: CallerDraft::named("Ada Caller"),
                    location: LocationDraft::described("Park Row, Leeds"),
                    summary: "Shouting in the street".into(),
                    ..ContactDraft::default()
                },
                incident_type: None,
                join: None,
                chosen: None,
            },
            None,
        )
        .await
        .unwrap();
        let mark = store.search_mark("handler").await.unwrap();
        let head = store.chain_head().await.unwrap().unwrap().0;
        assert!(mark > 0 && mark <= head, "opening set the mark: {mark}");
        let request = IncidentRequest {
            app: &app,
            actor: &handler,
            id: opened.incident.id,
            idempotency: None,
        };
        add_log_entry(request, "Caller says two men are fighting", None)
            .await
            .unwrap();
        assert!(store.chain_head().await.unwrap().unwrap().0 > head);
        assert_eq!(
            store.search_mark("handler").await.unwrap(),
            mark,
            "a log entry leaves the incident's document as it was"
        );
        // Graded, the incident's status (which the index holds) changes.
        grade(
            request,
            "emergency",
            "a fight in progress, one man down",
            None,
        )
        .await
        .unwrap();
        let graded = store.chain_head().await.unwrap().unwrap().0;
        assert_eq!(store.search_mark("handler").await.unwrap(), graded);
        add_log_entry(request, "Ambulance requested", None)
            .await
            .unwrap();
        assert_eq!(store.search_mark("handler").await.unwrap(), graded);
        assert_eq!(store.search_mark("someone_else").await.unwrap(), 0);
    }
}
