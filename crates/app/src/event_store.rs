//! One event store for every aggregate (`controlroom_domain::aggregate`): read a record's
//! stream and fold it, and write new events as change records in the audit chain. Each use
//! case still owns its transaction, its consultation records and its projections; what is
//! the same for incidents, crimes, POLE records, units and diary slots lives here once.

use crate::records::micros;
use crate::{Actor, AppError};
use controlroom_domain::aggregate::{Aggregate, Event, FoldError, Folding, Stamped};
use controlroom_domain::audit::{AuditRecord, Category};
use controlroom_domain::user::Username;
use controlroom_store::{NewRecord, Store, WriteTx};
use jiff::Timestamp;

impl From<FoldError> for AppError {
    fn from(e: FoldError) -> Self {
        AppError::Corrupt(e.to_string())
    }
}

/// Stored records read back as the events they hold, with when and by whom.
pub fn stamped<A: Aggregate>(records: &[AuditRecord]) -> Result<Vec<Stamped<A::Event>>, AppError> {
    records
        .iter()
        .map(|record| {
            let event = serde_json::from_str(&record.payload).map_err(|e| {
                AppError::Corrupt(format!(
                    "event {} on {} cannot be read: {e}",
                    record.seq, record.stream
                ))
            })?;
            let at = Timestamp::from_microsecond(record.at_micros).map_err(|e| {
                AppError::Corrupt(format!("event {} has a bad time: {e}", record.seq))
            })?;
            let by = Username::parse(&record.actor).map_err(|e| {
                AppError::Corrupt(format!("event {} has a bad actor: {e}", record.seq))
            })?;
            Ok(Stamped { at, by, event })
        })
        .collect()
}

/// The record folded from its stored stream (`None`: no events).
pub fn fold<A: Aggregate>(id: &A::Id, records: &[AuditRecord]) -> Result<Option<A>, AppError> {
    Ok(A::replay(id, &stamped::<A>(records)?)?)
}

/// The record as committed (outside a transaction: a read).
pub async fn read<A: Aggregate>(store: &dyn Store, id: &A::Id) -> Result<Option<A>, AppError> {
    let records = store.stream(&A::stream(id).to_string()).await?;
    fold(id, &records)
}

/// The record as this transaction sees it (under the write lock: decide on this).
pub async fn load<A: Aggregate>(tx: &mut dyn WriteTx, id: &A::Id) -> Result<Option<A>, AppError> {
    let records = tx.stream(&A::stream(id).to_string()).await?;
    fold(id, &records)
}

/// The change record for one new event, made by `actor` (under their role) at `at`.
pub fn change_record<A: Aggregate>(
    id: &A::Id,
    event: &A::Event,
    actor: &Actor,
    at: Timestamp,
) -> Result<NewRecord, AppError> {
    Ok(NewRecord {
        category: Category::Change,
        stream: A::stream(id).to_string(),
        kind: event.kind().to_owned(),
        actor: actor.username.to_string(),
        role: actor.role_to_record(),
        at_micros: micros(at),
        payload: serde_json::to_string(event).map_err(|e| AppError::Corrupt(e.to_string()))?,
        // Changes to what the index holds are what the actor's next search must see; an
        // incident's own writer narrows this to changes of its document.
        searchable: crate::search_feed::indexed(A::stream(id).kind()),
    })
}

/// Fold `events` into `state` in memory and append each to the chain in `tx`: the record as it
/// now stands, and the last sequence number written. Folding first means an event that does
/// not fit is refused before anything is written.
pub async fn append<A: Aggregate>(
    tx: &mut dyn WriteTx,
    id: &A::Id,
    state: Option<A>,
    version: usize,
    events: &[A::Event],
    actor: &Actor,
    at: Timestamp,
) -> Result<(A, i64), AppError> {
    let next = after(state, id, version, events, &actor.username, at)?;
    let mut last = 0;
    for event in events {
        last = tx.append(change_record::<A>(id, event, actor, at)?).await?;
    }
    Ok((next, last))
}

/// The record after `events`, folded in memory (what was just decided, before or without
/// reading it back). `version` is how many events the stream held before.
pub fn after<A: Aggregate>(
    state: Option<A>,
    id: &A::Id,
    version: usize,
    events: &[A::Event],
    by: &Username,
    at: Timestamp,
) -> Result<A, AppError> {
    let mut state = state;
    for (i, event) in events.iter().enumerate() {
        let stamped = Stamped {
            at,
            by: by.clone(),
            event: event.clone(),
        };
        let index = version + i;
        state = Some(A::apply(
            state,
            Folding {
                id,
                stamped: &stamped,
                index,
            },
        )?);
    }
    state.ok_or_else(|| AppError::Corrupt("a change with no events".into()))
}

/// What an Idempotency-Key keeps of a change to a record that is a stream of its own: how
/// many events the stream held once the change was made, so a retry answers with the record
/// as the first request left it.
#[derive(serde::Serialize, serde::Deserialize)]
struct Remembered {
    events: usize,
}

/// A decided change, as [`execute`] made it (or, on a retry, as the first request made it).
#[derive(Debug, Clone)]
pub struct Executed<A> {
    pub state: A,
    /// The events this request recorded (none on a retry).
    pub recorded: usize,
    /// The answer is a retry's: nothing was recorded this time.
    pub replayed: bool,
}

/// Decide a command on a record that is a stream of its own (a referral, a task, a team's
/// roster) and append what it records, in one transaction under the write lock, safe to
/// retry with an `Idempotency-Key`. `also` gives records to write in the same transaction
/// (a disclosure's entry in the access log), from the state before and the events decided.
pub(crate) async fn execute<A: Aggregate>(
    app: &crate::App,
    actor: &Actor,
    id: &A::Id,
    idempotency: Option<&crate::Idempotency>,
    decide: impl FnOnce(Option<&A>, Timestamp) -> Result<Vec<A::Event>, AppError>,
    also: impl FnOnce(&A, &[A::Event], Timestamp) -> Vec<NewRecord>,
) -> Result<Executed<A>, AppError> {
    let stream = A::stream(id).to_string();
    let now = app.now();
    let mut tx = app.store.begin().await?;
    if let Some(first) =
        crate::idempotency::earlier::<Remembered>(tx.as_mut(), actor, idempotency).await?
    {
        let records = tx.stream(&stream).await?;
        let then = records.get(..first.events).unwrap_or(&records);
        let state = fold::<A>(id, then)?.ok_or_else(|| {
            AppError::Corrupt(format!("a remembered change to {stream} has no events"))
        })?;
        return Ok(Executed {
            state,
            recorded: 0,
            replayed: true,
        });
    }
    let stored = tx.stream(&stream).await?;
    let current = fold::<A>(id, &stored)?;
    let events = decide(current.as_ref(), now)?;
    if events.is_empty() {
        // Nothing to record (e.g. a message marked read twice): the record as it stands.
        let state = current.ok_or_else(|| AppError::NotFound(format!("there is no {stream}")))?;
        return Ok(Executed {
            state,
            recorded: 0,
            replayed: false,
        });
    }
    let (state, _) = append(tx.as_mut(), id, current, stored.len(), &events, actor, now).await?;
    for record in also(&state, &events, now) {
        tx.append(record).await?;
    }
    let first = Remembered {
        events: stored.len() + events.len(),
    };
    crate::idempotency::remember(tx.as_mut(), actor, idempotency, &first, now).await?;
    tx.commit().await?;
    Ok(Executed {
        state,
        recorded: events.len(),
        replayed: false,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A new SQLite store in a file of `dir`, for a test that runs the use cases on a real store.
    pub(crate) async fn sqlite_store(dir: &tempfile::TempDir) -> std::sync::Arc<dyn Store> {
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        std::sync::Arc::new(
            controlroom_store_sqlite::SqliteStore::connect(&url)
                .await
                .unwrap(),
        )
    }
    use controlroom_domain::diary::{DiaryEvent, Slot, SlotKey};
    use controlroom_domain::roles::Role;

    fn key() -> SlotKey {
        SlotKey::parse("LS8", "2026-11-24", "10:00").unwrap()
    }

    fn actor() -> Actor {
        Actor::with_role(Username::parse("desk").unwrap(), Role::Dispatcher)
    }

    fn now() -> Timestamp {
        "2026-11-23T03:00:00Z".parse().unwrap()
    }

    /// What `change_record` writes, `fold` reads back as the same record: the stored form is
    /// the one replayed.
    #[test]
    fn records_written_fold_back_to_the_same_state() {
        let events = vec![DiaryEvent::SlotOpened {
            key: key(),
            capacity: 2,
        }];
        let record = change_record::<Slot>(&key(), &events[0], &actor(), now()).unwrap();
        assert_eq!(record.stream, "diary/LS8/2026-11-24/10:00");
        assert_eq!(record.kind, "diary_slot_opened");
        assert_eq!(record.role.as_deref(), Some("dispatcher"));
        let stored = AuditRecord {
            seq: 1,
            category: record.category.as_str().to_owned(),
            stream: record.stream.clone(),
            kind: record.kind.clone(),
            actor: record.actor.clone(),
            at_micros: record.at_micros,
            payload: record.payload.clone(),
            role: record.role.clone(),
        };
        let folded: Slot = fold(&key(), std::slice::from_ref(&stored))
            .unwrap()
            .unwrap();
        let in_memory = after::<Slot>(None, &key(), 0, &events, &actor().username, now()).unwrap();
        assert_eq!(folded, in_memory);
        assert_eq!(folded.capacity, 2);

        // A stored payload that is not this aggregate's event is corrupt, and says where.
        let mut wrong = stored;
        wrong.payload = "{\"type\":\"nonsense\"}".into();
        let err = fold::<Slot>(&key(), &[wrong]).unwrap_err();
        assert!(err.to_string().contains("event 1 on diary/LS8"), "{err}");
        // An event that does not fit the state is refused before anything is written.
        let booked_first = vec![DiaryEvent::Cancelled {
            incident: controlroom_domain::incident::IncidentId(uuid::Uuid::nil()),
            reason: "x".into(),
        }];
        assert!(after::<Slot>(None, &key(), 0, &booked_first, &actor().username, now()).is_err());
    }
}
