//! The behaviour every storage backend must show. Each adapter's tests invoke
//! [`conformance_tests!`](crate::conformance_tests) with a factory for fresh, migrated, empty
//! stores: every check is a test of its own, and a failure panics with what was expected.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::{
    AddressRow, CrimeFilter, CrimeRow, GazetteerBatch, GazetteerCounts, IdempotentResponse,
    IncidentFilter, IncidentRow, NewRecord, PlaceRow, PostcodeRow, RecordingFilter, SessionRow,
    SignInAttemptRow, Store, StreetRow, UserRow,
};
use controlroom_domain::audit::{Category, ChainVerifier};
use controlroom_domain::user::Username;
use std::future::Future;

/// A fresh, migrated, empty store for one check, and whatever must outlive it (a temporary
/// directory, a database to drop afterwards).
pub trait Fixture: Send {
    fn store(&self) -> &dyn Store;
    /// The check is over: close the store and clean up.
    fn finish(self) -> impl Future<Output = ()> + Send;
}

/// A store and something to keep until it is closed (e.g. the directory of its file).
impl<G: Send> Fixture for (Box<dyn Store>, G) {
    fn store(&self) -> &dyn Store {
        self.0.as_ref()
    }

    async fn finish(self) {
        self.0.close().await;
        drop(self.1);
    }
}

/// Every check of the suite as its own `#[tokio::test]`, in the module that invokes it, so one
/// failure hides none of the others. `$fresh` names an `async fn() -> Option<impl Fixture>`;
/// `None` skips the check (a backend that is not configured here; say so on stderr).
#[macro_export]
macro_rules! conformance_tests {
    ($fresh:path) => {
        $crate::conformance_tests!(@each $fresh; appended_records_form_a_verifiable_chain, an_uncommitted_transaction_leaves_nothing, streams_hold_only_their_changes_in_order, incident_numbers_restart_each_day, crime_numbers_run_by_year_apart_from_incidents, incident_rows_upsert_and_filter, incident_rows_by_recording_decision, crime_rows_upsert_and_filter_by_status, users_and_sessions_round_trip, a_user_holds_several_roles, roles_passwords_and_sessions_change_in_a_transaction, records_keep_the_role_they_were_made_under, settings_are_written_once, idempotent_responses_are_kept_per_actor, text_survives_exactly, gazetteer_rows_upsert_by_key_and_carry_their_revision, streets_are_found_by_box_with_their_points, sign_in_attempts_are_counted_cleared_and_forgotten, incident_rows_are_read_by_id, a_call_sign_is_claimed_once, a_commit_wakes_the_log_watch, a_snapshot_sees_one_moment, a_lock_is_held_by_one_at_a_time, log_entries_are_the_records_without_their_payloads, writes_queued_together_commit_together, many_new_streams_in_one_commit_are_each_registered, search_marks_follow_each_writers_searchable_changes);
    };
    (@each $fresh:path; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                use $crate::conformance::Fixture as _;
                let Some(fixture) = $fresh().await else {
                    return;
                };
                $crate::conformance::$check(fixture.store()).await;
                fixture.finish().await;
            }
        )*
    };
}

/// The user `name` as stored, if any.
async fn stored_user(store: &dyn Store, name: &str) -> Option<UserRow> {
    store.user(&Username::parse(name).unwrap()).await.unwrap()
}

/// A change to `stream` with nothing in its payload.
fn change(stream: &str, kind: &str) -> NewRecord {
    record(stream, kind, Category::Change, "{}")
}

fn record(stream: &str, kind: &str, category: Category, payload: &str) -> NewRecord {
    NewRecord {
        category,
        stream: stream.into(),
        kind: kind.into(),
        actor: "handler".into(),
        at_micros: 1_795_400_000_000_000,
        payload: payload.into(),
        role: None,
        searchable: false,
    }
}

async fn verify(store: &dyn Store) -> u64 {
    let mut verifier = ChainVerifier::default();
    let mut after = 0;
    loop {
        let page = store.audit_records(after, 2).await.unwrap();
        if page.is_empty() {
            break;
        }
        for stored in &page {
            verifier.check(stored).unwrap();
            after = stored.record.seq;
        }
    }
    verifier
        .finish(store.chain_head().await.unwrap())
        .unwrap()
        .records
}

pub async fn appended_records_form_a_verifiable_chain(store: &dyn Store) {
    assert_eq!(
        verify(store).await,
        0,
        "a new store has an empty, valid chain"
    );
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.append(change("incident/a", "incident_opened"))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        tx.append(change("incident/a", "contact_joined"))
            .await
            .unwrap(),
        2
    );
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.append(record("incident/a", "consulted", Category::Access, "{}"))
            .await
            .unwrap(),
        3
    );
    tx.commit().await.unwrap();
    assert_eq!(verify(store).await, 3);
    assert_eq!(store.chain_head().await.unwrap().unwrap().0, 3);
}

pub async fn an_uncommitted_transaction_leaves_nothing(store: &dyn Store) {
    let mut tx = store.begin().await.unwrap();
    tx.append(change("incident/a", "incident_opened"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    tx.append(change("incident/a", "log_entry_added"))
        .await
        .unwrap();
    tx.next_incident_number("20261123").await.unwrap();
    drop(tx);
    assert_eq!(verify(store).await, 1);
    assert_eq!(store.stream("incident/a").await.unwrap().len(), 1);
    // The counter was rolled back too: the next number is still the first.
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.next_incident_number("20261123").await.unwrap(), 1);
    tx.commit().await.unwrap();
}

pub async fn streams_hold_only_their_changes_in_order(store: &dyn Store) {
    let mut tx = store.begin().await.unwrap();
    tx.append(record(
        "incident/a",
        "incident_opened",
        Category::Change,
        "{\"n\":1}",
    ))
    .await
    .unwrap();
    tx.append(record(
        "incident/b",
        "incident_opened",
        Category::Change,
        "{\"n\":2}",
    ))
    .await
    .unwrap();
    tx.append(record(
        "incident/a",
        "consulted",
        Category::Access,
        "{\"n\":3}",
    ))
    .await
    .unwrap();
    tx.append(record(
        "incident/a",
        "log_entry_added",
        Category::Change,
        "{\"n\":4}",
    ))
    .await
    .unwrap();
    let seen_inside = tx.stream("incident/a").await.unwrap();
    assert_eq!(seen_inside.len(), 2, "a transaction sees its own appends");
    // The tail after a known point: changes only, after it only.
    let tail = tx
        .stream_after("incident/a", seen_inside[0].seq)
        .await
        .unwrap();
    assert_eq!(tail, seen_inside[1..]);
    assert!(
        tx.stream_after("incident/a", seen_inside[1].seq)
            .await
            .unwrap()
            .is_empty()
    );
    tx.commit().await.unwrap();
    let a = store.stream("incident/a").await.unwrap();
    let payloads: Vec<_> = a.iter().map(|r| r.payload.as_str()).collect();
    assert_eq!(payloads, ["{\"n\":1}", "{\"n\":4}"]);
    assert!(a[0].seq < a[1].seq);
    assert!(store.stream("incident/none").await.unwrap().is_empty());
    use controlroom_domain::stream::StreamKind::{Incident, Unit};
    assert_eq!(
        store.streams(Incident, "incident/").await.unwrap(),
        ["incident/a", "incident/b"],
        "each stream once, however many changes it holds"
    );
    assert_eq!(
        store.streams(Incident, "incident/a").await.unwrap(),
        ["incident/a"]
    );
    assert!(
        store
            .streams(Incident, "incident_")
            .await
            .unwrap()
            .is_empty(),
        "_ is literal, not a wildcard"
    );
    // A stream is listed under its own kind only, and a stream that holds only access
    // records (a consultation) is not an event stream at all.
    let mut tx = store.begin().await.unwrap();
    tx.append(record("unit/u1", "unit_registered", Category::Change, "{}"))
        .await
        .unwrap();
    tx.append(record("unit/u2", "consulted", Category::Access, "{}"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.streams(Unit, "unit/").await.unwrap(), ["unit/u1"]);
    assert_eq!(
        store.streams(Incident, "").await.unwrap(),
        ["incident/a", "incident/b"],
        "the kind decides, not the name's prefix"
    );
    // A kind read a page of streams at a time: each stream's changes together and in order,
    // consultations left out, and the next page starting after the last stream seen.
    let page = store.streams_page(Incident, "", 1).await.unwrap();
    let names: Vec<_> = page
        .iter()
        .map(|r| (r.stream.as_str(), r.payload.as_str()))
        .collect();
    assert_eq!(
        names,
        [("incident/a", "{\"n\":1}"), ("incident/a", "{\"n\":4}")]
    );
    let page = store
        .streams_page(Incident, "incident/a", 10)
        .await
        .unwrap();
    let names: Vec<_> = page.iter().map(|r| r.stream.as_str()).collect();
    assert_eq!(names, ["incident/b"]);
    assert!(
        store
            .streams_page(Incident, "incident/b", 10)
            .await
            .unwrap()
            .is_empty()
    );
    // A rolled-back first change leaves no stream behind.
    let mut tx = store.begin().await.unwrap();
    tx.append(record("unit/u3", "unit_registered", Category::Change, "{}"))
        .await
        .unwrap();
    drop(tx);
    assert_eq!(store.streams(Unit, "unit/").await.unwrap(), ["unit/u1"]);
}

pub async fn incident_numbers_restart_each_day(store: &dyn Store) {
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.next_incident_number("20261122").await.unwrap(), 1);
    assert_eq!(tx.next_incident_number("20261122").await.unwrap(), 2);
    assert_eq!(tx.next_incident_number("20261123").await.unwrap(), 1);
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.next_incident_number("20261122").await.unwrap(), 3);
    tx.commit().await.unwrap();
}

pub async fn crime_numbers_run_by_year_apart_from_incidents(store: &dyn Store) {
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.next_incident_number("20261122").await.unwrap(), 1);
    assert_eq!(tx.next_crime_number(2026).await.unwrap(), 1);
    assert_eq!(tx.next_crime_number(2026).await.unwrap(), 2);
    assert_eq!(tx.next_crime_number(2027).await.unwrap(), 1);
    assert_eq!(tx.next_incident_number("20261122").await.unwrap(), 2);
    tx.commit().await.unwrap();
}

fn row(n: i64, status: &str, grade: Option<&str>) -> IncidentRow {
    IncidentRow {
        id: format!("00000000-0000-0000-0000-{n:012}"),
        reference: format!("20261123-{n:04}"),
        status: status.into(),
        grade: grade.map(Into::into),
        incident_type: None,
        channel: "999".into(),
        location_text: "High Street".into(),
        summary: "Fight".into(),
        contact_count: 1,
        opened_at_micros: 1_000_000 * n,
        last_changed_at_micros: 1_000_000 * n,
        version: 2,
        attend_by_micros: None,
        crime_report_at_micros: None,
        recording_decided_at_micros: None,
        recording_decision: None,
        lat: None,
        lon: None,
    }
}

/// The newest `limit` incident rows, unfiltered.
async fn newest(store: &dyn Store, limit: i64) -> Vec<IncidentRow> {
    let filter = IncidentFilter {
        limit,
        ..IncidentFilter::default()
    };
    store.list_incidents(&filter).await.unwrap()
}

async fn listed(store: &dyn Store, recording: RecordingFilter) -> Vec<IncidentRow> {
    store
        .list_incidents(&IncidentFilter {
            recording: Some(recording),
            limit: 10,
            ..IncidentFilter::default()
        })
        .await
        .unwrap()
}

/// The crime recorder's queue and the on-time share come from the incident list's NCRS
/// columns: awaiting a decision (oldest report first), all crime reports, all undecided.
pub async fn incident_rows_by_recording_decision(store: &dyn Store) {
    let crime_report = |n: i64, reported: i64| IncidentRow {
        crime_report_at_micros: Some(reported),
        ..row(n, "closed", Some("priority"))
    };
    let decided = IncidentRow {
        recording_decided_at_micros: Some(50_000_000),
        recording_decision: Some("crime".into()),
        ..crime_report(1, 1_000_000)
    };
    let mut tx = store.begin().await.unwrap();
    tx.save_incident_row(&decided).await.unwrap();
    // Opened later but reported earlier (a contact joined from before): the report time rules.
    tx.save_incident_row(&crime_report(2, 500_000))
        .await
        .unwrap();
    tx.save_incident_row(&crime_report(3, 3_000_000))
        .await
        .unwrap();
    tx.save_incident_row(&row(4, "open", None)).await.unwrap();
    tx.commit().await.unwrap();
    let refs =
        |rows: Vec<IncidentRow>| -> Vec<String> { rows.into_iter().map(|r| r.reference).collect() };
    assert_eq!(
        refs(listed(store, RecordingFilter::AwaitingDecision).await),
        ["20261123-0002", "20261123-0003"],
        "undecided crime reports, oldest report first"
    );
    assert_eq!(
        refs(listed(store, RecordingFilter::CrimeReports).await),
        ["20261123-0003", "20261123-0002", "20261123-0001"]
    );
    assert_eq!(
        refs(listed(store, RecordingFilter::Undecided).await),
        ["20261123-0004", "20261123-0003", "20261123-0002"]
    );
    let all = newest(store, 10).await;
    assert!(all.contains(&decided), "the NCRS columns round-trip");
}

pub async fn incident_rows_upsert_and_filter(store: &dyn Store) {
    let mut tx = store.begin().await.unwrap();
    tx.save_incident_row(&row(1, "open", None)).await.unwrap();
    tx.save_incident_row(&row(2, "graded", Some("emergency")))
        .await
        .unwrap();
    tx.save_incident_row(&row(3, "closed", Some("priority")))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let mut updated = row(1, "graded", Some("priority"));
    updated.version = 3;
    updated.contact_count = 2;
    updated.attend_by_micros = Some(99_000_000);
    // Coordinates survive exactly (WGS84 to the metre needs 5 decimal places).
    updated.lat = Some(53.797_123);
    updated.lon = Some(-1.547_891);
    tx.save_incident_row(&updated).await.unwrap();
    tx.commit().await.unwrap();

    let all = newest(store, 10).await;
    let refs: Vec<_> = all.iter().map(|r| r.reference.as_str()).collect();
    assert_eq!(
        refs,
        ["20261123-0003", "20261123-0002", "20261123-0001"],
        "newest first"
    );
    assert_eq!(all[2], updated);
    // An older version of the row never replaces a newer one.
    let mut tx = store.begin().await.unwrap();
    tx.save_incident_row(&row(1, "open", None)).await.unwrap();
    tx.commit().await.unwrap();
    let again = newest(store, 10).await;
    assert_eq!(
        again[2], updated,
        "a stale row was written over a newer one"
    );

    let graded = store
        .list_incidents(&IncidentFilter {
            statuses: vec!["graded".into()],
            limit: 10,
            ..IncidentFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(graded.len(), 2);
    let filter = IncidentFilter {
        statuses: vec!["graded".into(), "closed".into()],
        grades: vec!["priority".into()],
        opened_from_micros: Some(1_000_000),
        opened_before_micros: Some(3_000_000),
        recording: None,
        limit: 10,
    };
    let found = store.list_incidents(&filter).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].reference, "20261123-0001");
    let limited = newest(store, 1).await;
    assert_eq!(limited.len(), 1);
}

pub async fn users_and_sessions_round_trip(store: &dyn Store) {
    let user = UserRow {
        username: "handler".into(),
        roles: vec!["contact_handler".into()],
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        created_at_micros: 5,
    };
    let mut tx = store.begin().await.unwrap();
    tx.insert_user(&user).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let duplicate = tx.insert_user(&user).await;
    assert!(
        matches!(duplicate, Err(crate::StoreError::Conflict(_))),
        "{duplicate:?}"
    );
    drop(tx);
    let name = Username::parse("handler").unwrap();
    assert_eq!(store.user(&name).await.unwrap(), Some(user.clone()));
    assert_eq!(stored_user(store, "nobody").await, None);
    assert_eq!(store.list_users().await.unwrap(), vec![user]);

    let session = SessionRow {
        token_hash: "ab".repeat(32),
        username: "handler".into(),
        created_at_micros: 10,
        last_seen_at_micros: 10,
    };
    let mut tx = store.begin().await.unwrap();
    tx.insert_session(&session).await.unwrap();
    tx.commit().await.unwrap();
    store.touch_session(&session.token_hash, 20).await.unwrap();
    store.touch_session(&session.token_hash, 15).await.unwrap();
    let seen = store.session(&session.token_hash).await.unwrap().unwrap();
    assert_eq!(seen.last_seen_at_micros, 20, "activity only moves forward");
    let (with_user, owner) = store
        .session_user(&session.token_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(with_user, seen, "the one-read check sees the same session");
    assert_eq!(Some(owner), store.user(&name).await.unwrap());
    let mut tx = store.begin().await.unwrap();
    tx.delete_session(&session.token_hash).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.session(&session.token_hash).await.unwrap(), None);
    assert_eq!(store.session_user(&session.token_hash).await.unwrap(), None);
}

pub async fn a_user_holds_several_roles(store: &dyn Store) {
    let user = |name: &str, roles: &[&str]| UserRow {
        username: name.into(),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        created_at_micros: 5,
    };
    // Given out of alphabetical order: they come back in the order given.
    let operator = user("operator", &["crime_recorder", "contact_handler"]);
    let handler = user("handler", &["contact_handler"]);
    let mut tx = store.begin().await.unwrap();
    tx.insert_user(&operator).await.unwrap();
    tx.insert_user(&handler).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(stored_user(store, "operator").await, Some(operator.clone()));
    assert_eq!(
        store.list_users().await.unwrap(),
        vec![handler, operator.clone()]
    );
    // The session check's one read brings every role, in the order given.
    let mut tx = store.begin().await.unwrap();
    tx.insert_session(&SessionRow {
        token_hash: "cd".repeat(32),
        username: "operator".into(),
        created_at_micros: 6,
        last_seen_at_micros: 6,
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let (_, owner) = store.session_user(&"cd".repeat(32)).await.unwrap().unwrap();
    assert_eq!(owner, operator);
    // A user with no role is refused, and nothing of it is kept.
    let mut tx = store.begin().await.unwrap();
    assert!(tx.insert_user(&user("nobody", &[])).await.is_err());
    drop(tx);
    assert_eq!(stored_user(store, "nobody").await, None);
    // A role named twice is refused as a whole: no half-added user.
    let mut tx = store.begin().await.unwrap();
    let twice = tx
        .insert_user(&user("twice", &["dispatcher", "dispatcher"]))
        .await;
    assert!(twice.is_err(), "{twice:?}");
    drop(tx);
    assert_eq!(store.list_users().await.unwrap().len(), 2);
}

pub async fn roles_passwords_and_sessions_change_in_a_transaction(store: &dyn Store) {
    let user = |name: &str| UserRow {
        username: name.into(),
        roles: vec!["contact_handler".into()],
        password_hash: "$argon2id$old".into(),
        created_at_micros: 5,
    };
    let session = |token: &str, name: &str, at: i64| SessionRow {
        token_hash: token.repeat(32),
        username: name.into(),
        created_at_micros: at,
        last_seen_at_micros: at,
    };
    let mut tx = store.begin().await.unwrap();
    tx.insert_user(&user("handler")).await.unwrap();
    tx.insert_user(&user("other")).await.unwrap();
    for (token, name, at) in [
        ("aa", "handler", 1),
        ("bb", "handler", 2),
        ("cc", "other", 3),
    ] {
        tx.insert_session(&session(token, name, at)).await.unwrap();
    }
    tx.commit().await.unwrap();
    assert_eq!(store.list_sessions().await.unwrap().len(), 3);

    let mut tx = store.begin().await.unwrap();
    tx.replace_user_roles("handler", &["dispatcher".into(), "contact_handler".into()])
        .await
        .unwrap();
    tx.set_password_hash("handler", "$argon2id$new")
        .await
        .unwrap();
    assert_eq!(tx.delete_user_sessions("handler").await.unwrap(), 2);
    // Not on file: refused, never created.
    assert!(
        tx.replace_user_roles("nobody", &["admin".into()])
            .await
            .is_err()
    );
    tx.commit().await.unwrap();
    let handler = stored_user(store, "handler").await.unwrap();
    assert_eq!(handler.roles, vec!["dispatcher", "contact_handler"]);
    assert_eq!(handler.password_hash, "$argon2id$new");
    assert_eq!(
        store.list_sessions().await.unwrap(),
        vec![session("cc", "other", 3)]
    );

    // Rolled back: nothing of it stays.
    let mut tx = store.begin().await.unwrap();
    tx.replace_user_roles("other", &["admin".into()])
        .await
        .unwrap();
    tx.set_password_hash("other", "$argon2id$forged")
        .await
        .unwrap();
    drop(tx);
    let other = stored_user(store, "other").await.unwrap();
    assert_eq!(other, user("other"));
    let mut tx = store.begin().await.unwrap();
    assert!(
        tx.replace_user_roles("other", &[]).await.is_err(),
        "at least one role"
    );
    assert!(tx.set_password_hash("nobody", "x").await.is_err());
}

pub async fn records_keep_the_role_they_were_made_under(store: &dyn Store) {
    let mut tx = store.begin().await.unwrap();
    tx.append(change("incident/a", "incident_opened"))
        .await
        .unwrap();
    tx.append(NewRecord {
        role: Some("crime_recorder".into()),
        ..record("incident/a", "crime_recorded", Category::Change, "{}")
    })
    .await
    .unwrap();
    tx.append(NewRecord {
        role: Some("contact_handler".into()),
        ..record("incident/a", "incident.viewed", Category::Access, "{}")
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let roles: Vec<Option<String>> = store
        .stream("incident/a")
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.role)
        .collect();
    assert_eq!(roles, [None, Some("crime_recorder".to_owned())]);
    let page = store.audit_records(0, 10).await.unwrap();
    assert_eq!(
        page.last().unwrap().record.role.as_deref(),
        Some("contact_handler")
    );
    // Records with and without a role verify as one chain.
    assert_eq!(verify(store).await, 3);
}

pub async fn settings_are_written_once(store: &dyn Store) {
    assert_eq!(store.setting("demo").await.unwrap(), None);
    let mut tx = store.begin().await.unwrap();
    tx.insert_setting("demo", "true", 7).await.unwrap();
    drop(tx);
    assert_eq!(
        store.setting("demo").await.unwrap(),
        None,
        "an uncommitted setting is not kept"
    );
    let mut tx = store.begin().await.unwrap();
    tx.insert_setting("demo", "true", 7).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        store.setting("demo").await.unwrap().as_deref(),
        Some("true")
    );
    let mut tx = store.begin().await.unwrap();
    let again = tx.insert_setting("demo", "false", 8).await;
    assert!(
        matches!(again, Err(crate::StoreError::Conflict(_))),
        "{again:?}"
    );
}

pub async fn idempotent_responses_are_kept_per_actor(store: &dyn Store) {
    let response = IdempotentResponse {
        fingerprint: "f1".into(),
        body: "{\"id\":1}".into(),
    };
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.idempotent_response("handler", "k1").await.unwrap(), None);
    tx.save_idempotent_response("handler", "k1", &response, 1)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.idempotent_response("handler", "k1").await.unwrap(),
        Some(response)
    );
    assert_eq!(
        tx.idempotent_response("supervisor", "k1").await.unwrap(),
        None
    );
}

pub async fn text_survives_exactly(store: &dyn Store) {
    let payload = "{\"text\":\"Ça va? 🚓 O'Brien said \\\"no\\\"; DROP TABLE x;\\n\"}";
    let mut tx = store.begin().await.unwrap();
    tx.append(record(
        "incident/é",
        "log_entry_added",
        Category::Change,
        payload,
    ))
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        store.stream("incident/é").await.unwrap()[0].payload,
        payload
    );
    assert_eq!(verify(store).await, 1);
}

fn crime(n: i64, status: &str, incident: Option<&str>) -> CrimeRow {
    CrimeRow {
        id: format!("00000000-0000-0000-0000-{n:012}"),
        reference: format!("CR-2026-{n:06}"),
        classification: "8N".into(),
        status: status.into(),
        reported_at_micros: 1_000_000 * n,
        recorded_at_micros: 2_000_000 * n,
        recorded_by: "recorder".into(),
        incident_id: incident.map(Into::into),
        location_text: "4 Oak Road, Leeds".into(),
        last_changed_at_micros: 2_000_000 * n,
        version: 1,
        in_work: status == "recorded",
    }
}

/// The crime list: rows replaced on change, newest recorded first, filtered by status (the
/// registrar's removals awaiting approval).
pub async fn crime_rows_upsert_and_filter_by_status(store: &dyn Store) {
    let mut tx = store.begin().await.unwrap();
    tx.save_crime_row(&crime(1, "recorded", Some("incident-1")))
        .await
        .unwrap();
    tx.save_crime_row(&crime(2, "recorded", None))
        .await
        .unwrap();
    tx.save_crime_row(&crime(3, "recorded", None))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let asked = CrimeRow {
        status: "removal_requested".into(),
        classification: "5D".into(),
        version: 3,
        last_changed_at_micros: 9_000_000,
        in_work: false,
        ..crime(1, "recorded", Some("incident-1"))
    };
    tx.save_crime_row(&asked).await.unwrap();
    tx.commit().await.unwrap();
    let list = |status: Option<&str>| {
        let filter = CrimeFilter {
            status: status.map(Into::into),
            limit: 10,
            ..CrimeFilter::default()
        };
        async move { store.list_crimes(&filter).await.unwrap() }
    };
    // An older version of the row never replaces a newer one.
    let mut tx = store.begin().await.unwrap();
    tx.save_crime_row(&crime(1, "recorded", Some("incident-1")))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let all = list(None).await;
    let refs: Vec<_> = all.iter().map(|r| r.reference.as_str()).collect();
    assert_eq!(refs, ["CR-2026-000003", "CR-2026-000002", "CR-2026-000001"]);
    assert_eq!(
        all[2], asked,
        "the row was replaced, all columns round-trip"
    );
    assert_eq!(list(Some("removal_requested")).await, [asked]);
    assert!(list(Some("removed")).await.is_empty());

    // One crime by its reference; none for a reference nobody has.
    let by_reference = |reference: &str| {
        let filter = CrimeFilter {
            reference: Some(reference.into()),
            limit: 10,
            ..CrimeFilter::default()
        };
        async move { store.list_crimes(&filter).await.unwrap() }
    };
    assert_eq!(
        by_reference("CR-2026-000002").await,
        [crime(2, "recorded", None)]
    );
    assert!(by_reference("CR-2026-999999").await.is_empty());

    // The work lists read only the crimes still in work, and a crime leaves them when its
    // row says it is finished.
    let mut tx = store.begin().await.unwrap();
    let finished = CrimeRow {
        in_work: false,
        version: 2,
        ..crime(3, "recorded", None)
    };
    tx.save_crime_row(&finished).await.unwrap();
    tx.commit().await.unwrap();
    let in_work = store
        .list_crimes(&CrimeFilter {
            in_work: true,
            limit: 10,
            ..CrimeFilter::default()
        })
        .await
        .unwrap();
    let refs: Vec<_> = in_work.iter().map(|r| r.reference.as_str()).collect();
    assert_eq!(
        refs,
        ["CR-2026-000002"],
        "only the crime whose row says it is in work"
    );
    assert_eq!(by_reference("CR-2026-000003").await, [finished]);
}

fn address(uprn: i64, line: &str, lat: f64) -> AddressRow {
    AddressRow {
        uprn,
        single_line: line.into(),
        organisation: None,
        building: Some("Flat 2".into()),
        number: Some("10".into()),
        street: Some("Harehills Lane".into()),
        locality: None,
        town: Some("Leeds".into()),
        postcode: Some("LS8 3AA".into()),
        classification: "residential".into(),
        usrn: Some(14_200_345),
        lat,
        lon: -1.5,
    }
}

pub async fn gazetteer_rows_upsert_by_key_and_carry_their_revision(store: &dyn Store) {
    assert_eq!(store.gazetteer_revision().await.unwrap(), 0);
    let mut tx = store.begin().await.unwrap();
    let first = tx.next_gazetteer_revision().await.unwrap();
    let batch = GazetteerBatch {
        addresses: vec![
            address(
                72_001_234,
                "Flat 2, 10 Harehills Lane, Leeds LS8 3AA",
                53.81,
            ),
            address(72_001_240, "14 Harehills Lane, Leeds LS8 3AA", 53.82),
        ],
        positions: vec![(72_009_999, 53.79, -1.54)],
        streets: vec![StreetRow {
            id: "osgb4000000074401234".into(),
            usrn: None,
            name: "Harehills Lane".into(),
            locality: Some("Harehills".into()),
            town: None,
            lat: 53.81,
            lon: -1.5,
            extent: Some((53.80, -1.51, 53.83, -1.49)),
        }],
        places: vec![PlaceRow {
            id: "roundhay-park".into(),
            name: "Roundhay Park".into(),
            aliases: vec!["the park".into(), "Soldiers' Field".into()],
            kind: "Park".into(),
            locality: Some("Roundhay".into()),
            postcode_district: Some("LS8".into()),
            lat: 53.84,
            lon: -1.49,
        }],
        postcodes: vec![PostcodeRow {
            postcode: "LS8 3AA".into(),
            lat: 53.8135,
            lon: -1.5004,
        }],
    };
    assert_eq!(tx.upsert_gazetteer(&batch, first).await.unwrap(), 6);
    assert_eq!(tx.derive_streets(first).await.unwrap(), 1, "one USRN");
    tx.commit().await.unwrap();
    assert_eq!(store.gazetteer_revision().await.unwrap(), first);
    let counts = GazetteerCounts {
        addresses: 3,
        streets: 2,
        places: 1,
        postcodes: 1,
    };
    assert_eq!(store.gazetteer_counts().await.unwrap(), counts);
    let changes = store.gazetteer_changes(0, first).await.unwrap();
    assert_eq!(changes.addresses.len(), 3);
    assert_eq!(
        changes.places[0].aliases,
        vec!["the park", "Soldiers' Field"]
    );
    let derived = changes
        .streets
        .iter()
        .find(|s| s.id == "usrn:14200345")
        .unwrap();
    assert_eq!(derived.name, "Harehills Lane");
    assert_eq!(derived.usrn, Some(14_200_345));
    assert!(
        (derived.lat - 53.815).abs() < 1e-9,
        "the middle of its addresses"
    );
    assert_eq!(derived.extent, Some((53.81, -1.5, 53.82, -1.5)));

    // The same rows again change nothing; a moved UPRN and an Open UPRN position for a known
    // address update in place, keeping the address's words.
    let mut tx = store.begin().await.unwrap();
    let second = tx.next_gazetteer_revision().await.unwrap();
    assert!(second > first);
    assert_eq!(tx.upsert_gazetteer(&batch, second).await.unwrap(), 0);
    let moved = GazetteerBatch {
        addresses: vec![address(
            72_001_240,
            "14 Harehills Lane, Leeds LS8 3AA",
            53.825,
        )],
        positions: vec![(72_001_234, 53.811, -1.501)],
        ..GazetteerBatch::default()
    };
    assert_eq!(tx.upsert_gazetteer(&moved, second).await.unwrap(), 2);
    tx.commit().await.unwrap();
    let counts = store.gazetteer_counts().await.unwrap();
    assert_eq!(counts.addresses, 3, "upserted, not duplicated");
    let flat = store.gazetteer_address(72_001_234).await.unwrap().unwrap();
    assert_eq!(flat.single_line, "Flat 2, 10 Harehills Lane, Leeds LS8 3AA");
    assert_eq!((flat.lat, flat.lon), (53.811, -1.501));
    let changes = store.gazetteer_changes(first, second).await.unwrap();
    let mut moved: Vec<i64> = changes.addresses.iter().map(|a| a.uprn).collect();
    moved.sort_unstable();
    assert_eq!(moved, vec![72_001_234, 72_001_240]);
    assert!(changes.streets.is_empty() && changes.places.is_empty());
    assert!(store.gazetteer_address(1).await.unwrap().is_none());

    // Positions by UPRN, for reporting a moved UPRN; unknown UPRNs are simply absent.
    let mut held = store
        .gazetteer_positions(&[72_001_234, 72_001_240, 1])
        .await
        .unwrap();
    held.sort_by_key(|p| p.0);
    assert_eq!(
        held,
        vec![(72_001_234, 53.811, -1.501), (72_001_240, 53.825, -1.5)]
    );

    // Looked up by key, as a handler's chosen suggestion is placed.
    let street = store
        .gazetteer_street("osgb4000000074401234")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (street.name.as_str(), street.lat),
        ("Harehills Lane", 53.81)
    );
    assert!(store.gazetteer_street("usrn:1").await.unwrap().is_none());
    let park = store
        .gazetteer_place("roundhay-park")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(park.aliases.len(), 2);
    assert!(store.gazetteer_place("nowhere").await.unwrap().is_none());
    let centroid = store.gazetteer_postcode("LS8 3AA").await.unwrap().unwrap();
    assert_eq!((centroid.lat, centroid.lon), (53.8135, -1.5004));
    assert!(store.gazetteer_postcode("LS8 9ZZ").await.unwrap().is_none());
    // Inside a box: addresses with words only (72_009_999 is a bare Open UPRN position).
    let inside = store
        .gazetteer_addresses_within((53.80, -1.6, 53.815, -1.4), 10)
        .await
        .unwrap();
    let uprns: Vec<i64> = inside.iter().map(|a| a.uprn).collect();
    assert_eq!(
        uprns,
        vec![72_001_234],
        "the flat moved to 53.811; 14 is at 53.825"
    );
    let none = store
        .gazetteer_addresses_within((53.70, -1.6, 53.80, -1.4), 10)
        .await
        .unwrap();
    assert!(none.is_empty(), "72_009_999 has no words: {none:?}");

    // Nothing is kept from a transaction that did not commit.
    let mut tx = store.begin().await.unwrap();
    let third = tx.next_gazetteer_revision().await.unwrap();
    tx.upsert_gazetteer(
        &GazetteerBatch {
            addresses: vec![address(72_000_001, "1 Harehills Lane", 53.8)],
            ..GazetteerBatch::default()
        },
        third,
    )
    .await
    .unwrap();
    drop(tx);
    assert_eq!(store.gazetteer_counts().await.unwrap().addresses, 3);
}

/// The map without tiles: streets whose extent meets the box on screen, longest first, and
/// the addresses to draw each through.
pub async fn streets_are_found_by_box_with_their_points(store: &dyn Store) {
    let on = |uprn: i64, usrn: i64, number: &str, lat: f64, lon: f64| AddressRow {
        number: Some(number.into()),
        usrn: Some(usrn),
        street: Some(format!("Street {usrn}")),
        building: None,
        lat,
        lon,
        ..address(uprn, &format!("{number} Street {usrn}"), lat)
    };
    let mut tx = store.begin().await.unwrap();
    let revision = tx.next_gazetteer_revision().await.unwrap();
    let batch = GazetteerBatch {
        addresses: vec![
            // A long street running east, and a short one to its north.
            on(1, 100, "1", 53.80, -1.550),
            on(2, 100, "3", 53.80, -1.540),
            on(3, 100, "5", 53.80, -1.530),
            on(4, 200, "2", 53.85, -1.540),
            on(5, 200, "4", 53.851, -1.540),
        ],
        ..GazetteerBatch::default()
    };
    tx.upsert_gazetteer(&batch, revision).await.unwrap();
    tx.derive_streets(revision).await.unwrap();
    tx.commit().await.unwrap();

    let both = store
        .gazetteer_streets_within((53.79, -1.56, 53.86, -1.52), 10)
        .await
        .unwrap();
    let ids: Vec<_> = both.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["usrn:100", "usrn:200"], "longest first");
    let one = store
        .gazetteer_streets_within((53.79, -1.56, 53.86, -1.52), 1)
        .await
        .unwrap();
    assert_eq!(one.len(), 1, "at most the limit");
    // A box crossing the long street's middle finds it; one beside it finds nothing.
    let crossing = store
        .gazetteer_streets_within((53.79, -1.541, 53.81, -1.539), 10)
        .await
        .unwrap();
    assert_eq!(crossing.len(), 1);
    assert_eq!(crossing[0].name, "Street 100");
    assert!(
        store
            .gazetteer_streets_within((53.70, -1.70, 53.75, -1.60), 10)
            .await
            .unwrap()
            .is_empty()
    );

    let points = store
        .gazetteer_street_points(&[100, 200], 100)
        .await
        .unwrap();
    assert_eq!(points.len(), 5);
    assert_eq!(points[0].usrn, 100);
    assert_eq!(points[0].number.as_deref(), Some("1"));
    assert_eq!((points[2].lat, points[2].lon), (53.80, -1.530));
    assert_eq!(
        store
            .gazetteer_street_points(&[100], 2)
            .await
            .unwrap()
            .len(),
        2,
        "at most the limit"
    );
    assert!(
        store
            .gazetteer_street_points(&[], 10)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A commit registers every stream first written in it, however many (they go a few hundred
/// to a statement): a bulk load of 1,100 new records finds each by its kind.
pub async fn many_new_streams_in_one_commit_are_each_registered(store: &dyn Store) {
    let mut tx = store.begin().await.unwrap();
    for n in 0..1_100 {
        tx.append(change(&format!("incident/bulk-{n:04}"), "incident_opened"))
            .await
            .unwrap();
    }
    // A second change to one of them registers nothing new.
    tx.append(change("incident/bulk-0007", "log_entry_added"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    use controlroom_domain::stream::StreamKind::Incident;
    let streams = store.streams(Incident, "incident/bulk-").await.unwrap();
    assert_eq!(streams.len(), 1_100);
    assert_eq!(streams[1_099], "incident/bulk-1099");
    assert_eq!(changes_in(store, "incident/bulk-0007").await, 2);
}

/// The stream's changes, as the store has them committed.
async fn changes_in(store: &dyn Store, stream: &str) -> usize {
    store.stream(stream).await.unwrap().len()
}

/// Issue 21, group commit: write transactions that queue while one is deciding are decided
/// one after another, each reading what the earlier ones wrote, and committed together in
/// one database commit. One that gives up in the middle of the batch leaves nothing and no
/// gap in the chain; the others are all kept; nobody is told "saved" before the commit.
pub async fn writes_queued_together_commit_together(store: &dyn Store) {
    let before = store.write_stats();
    let mut first = store.begin().await.unwrap();
    first.append(change("batch/0", "first")).await.unwrap();
    let queued = |n: usize| async move {
        let mut tx = store.begin().await.unwrap();
        // What the request before it in the batch wrote, not yet committed.
        let earlier = tx.stream(&format!("batch/{}", n - 1)).await.unwrap().len();
        tx.append(change(&format!("batch/{n}"), "queued"))
            .await
            .unwrap();
        // Numbers and list rows are held by the batch too, and given up with the request.
        let number = tx.next_incident_number("20261201").await.unwrap();
        let n_row = i64::try_from(n).unwrap();
        tx.save_incident_row(&row(n_row, "open", None))
            .await
            .unwrap();
        if n == 5 {
            // Saved twice in one batch: the later version is the one kept.
            tx.save_incident_row(&row(n_row, "closed", None))
                .await
                .unwrap();
        }
        if n == 3 {
            // Refused by its rules after writing: dropped, not committed.
            drop(tx);
            return (earlier, number, false);
        }
        tx.commit().await.unwrap();
        (earlier, number, true)
    };
    let lead = async {
        // Wait until all five are queued behind the first, then let it finish.
        while store.write_stats().waiting < 5 {
            tokio::task::yield_now().await;
        }
        first.commit().await.unwrap();
        assert_eq!(
            changes_in(store, "batch/5").await,
            1,
            "the first is told it is saved only once the whole batch is committed"
        );
    };
    let ((), a, b, c, d, e) =
        tokio::join!(lead, queued(1), queued(2), queued(3), queued(4), queued(5));
    assert_eq!(
        [a, b, c, d, e],
        [
            (1, 1, true),
            (1, 2, true),
            (1, 3, false),
            (0, 3, true),
            (1, 4, true)
        ],
        "each read what the one before it wrote, and counted on from it (the fourth's \
         predecessor gave up, its number with it)"
    );
    let ids: Vec<String> = (1..=5).map(|n| row(n, "open", None).id).collect();
    let mut rows = store.incident_rows(&ids).await.unwrap();
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(
        rows,
        [
            row(1, "open", None),
            row(2, "open", None),
            row(4, "open", None),
            row(5, "closed", None)
        ],
        "the given-up request's row is not kept; a row saved twice is kept as last saved"
    );
    let mut next = store.begin().await.unwrap();
    assert_eq!(
        next.next_incident_number("20261201").await.unwrap(),
        5,
        "the batch stored how far it had counted"
    );
    drop(next);
    let after = store.write_stats();
    assert_eq!(
        (
            after.commits - before.commits,
            after.requests - before.requests
        ),
        (1, 5),
        "five requests, one commit"
    );
    for (n, kept) in [(0, 1), (1, 1), (2, 1), (3, 0), (4, 1), (5, 1)] {
        assert_eq!(
            changes_in(store, &format!("batch/{n}")).await,
            kept,
            "batch/{n}"
        );
    }
    assert_eq!(
        verify(store).await,
        5,
        "five records, no gap, the chain holds"
    );
    assert_eq!(
        store.log_entries(0, 10).await.unwrap().len(),
        5,
        "the given-up record took no number"
    );
}

/// Count an attempt by `username` from `address` at `at` in a sign-in transaction of its own,
/// forgetting attempts before `forget_before`; returns its id.
async fn count_attempt(
    store: &dyn Store,
    username: &str,
    address: &str,
    at: i64,
    forget_before: i64,
) -> i64 {
    let mut tx = store.begin_sign_in(username, address).await.unwrap();
    let id = tx
        .record_sign_in_attempt(username, address, at, forget_before)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

/// The attempts that count against `username` or come from `address` since `since`, as a
/// sign-in transaction reads them.
async fn attempts(
    store: &dyn Store,
    username: &str,
    address: &str,
    since: i64,
) -> Vec<SignInAttemptRow> {
    let mut tx = store.begin_sign_in(username, address).await.unwrap();
    let found = tx.sign_in_attempts(username, address, since).await.unwrap();
    tx.commit().await.unwrap();
    found
}

async fn known(store: &dyn Store, username: &str, address: &str, since: i64) -> bool {
    let mut tx = store.begin_sign_in(username, address).await.unwrap();
    let known = tx
        .known_sign_in_address(username, address, since)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    known
}

/// The attempt `id` was right: taken back in a write transaction (where the sign-in's audit
/// record goes), clearing the name's failures since `counting_since` and forgetting proofs
/// before `proofs_from`.
async fn succeeded(
    store: &dyn Store,
    id: i64,
    (username, address, at): (&str, &str, i64),
    (counting_since, proofs_from): (i64, i64),
) {
    let mut tx = store.begin().await.unwrap();
    tx.sign_in_succeeded(id, username, address, at, counting_since, proofs_from)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// Sign-in throttling's state: attempts counted in sign-in transactions, a success taking its
/// own back and clearing the name (not the address), proven addresses, and forgetting.
pub async fn sign_in_attempts_are_counted_cleared_and_forgotten(store: &dyn Store) {
    let attempt =
        |username: &str, address: &str, at_micros: i64, counts_for_name: bool| SignInAttemptRow {
            username: username.into(),
            address: address.into(),
            at_micros,
            counts_for_name,
        };
    let mut ids = Vec::new();
    for (username, address, at) in [
        ("handler", "192.0.2.1", 100),
        ("handler", "192.0.2.2", 200),
        ("dispatcher", "192.0.2.1", 300),
    ] {
        let id = count_attempt(store, username, address, at, 0).await;
        assert!(!ids.contains(&id), "each attempt has its own id");
        ids.push(id);
    }
    let b = ids[1];

    for (username, address, since, expected, what) in [
        (
            "handler",
            "192.0.2.1",
            0,
            vec![
                attempt("handler", "192.0.2.1", 100, true),
                attempt("handler", "192.0.2.2", 200, true),
                attempt("dispatcher", "192.0.2.1", 300, true),
            ],
            "by name or by address, oldest first",
        ),
        (
            "handler",
            "192.0.2.9",
            150,
            vec![attempt("handler", "192.0.2.2", 200, true)],
            "only since the time asked",
        ),
    ] {
        let found = attempts(store, username, address, since).await;
        assert_eq!(found, expected, "{what}");
    }
    assert!(!known(store, "handler", "192.0.2.2", 0).await);
    // The attempt from .2 was right: it is taken back, the name's other failures since 50
    // no longer count against the name, but still against their address.
    succeeded(store, b, ("handler", "192.0.2.2", 250), (50, 0)).await;

    for (username, address, since, expected, what) in [
        ("handler", "192.0.2.9", 0, vec![], "the name is cleared"),
        (
            "handler",
            "192.0.2.1",
            0,
            vec![
                attempt("handler", "192.0.2.1", 100, false),
                attempt("dispatcher", "192.0.2.1", 300, true),
            ],
            "the address still counts them",
        ),
    ] {
        let found = attempts(store, username, address, since).await;
        assert_eq!(found, expected, "{what}");
    }
    for (username, address, since, is_known, what) in [
        ("handler", "192.0.2.2", 250, true, "proven by the success"),
        (
            "handler",
            "192.0.2.2",
            251,
            false,
            "proven only since the success",
        ),
        (
            "handler",
            "192.0.2.1",
            0,
            false,
            "a failed address is not proven",
        ),
        (
            "dispatcher",
            "192.0.2.2",
            0,
            false,
            "proven for that name only",
        ),
    ] {
        let found = known(store, username, address, since).await;
        assert_eq!(
            found, is_known,
            "{username} at {address} since {since}: {what}"
        );
    }
    // Signing in again moves the proof on; old attempts and proofs are forgotten.
    let again = count_attempt(store, "handler", "192.0.2.2", 400, 150).await;
    succeeded(store, again, ("handler", "192.0.2.2", 400), (0, 0)).await;
    assert!(known(store, "handler", "192.0.2.2", 400).await);
    assert_eq!(
        attempts(store, "handler", "192.0.2.1", 0).await,
        vec![attempt("dispatcher", "192.0.2.1", 300, true)],
        "the attempt at 100 was forgotten"
    );
    let other = count_attempt(store, "dispatcher", "192.0.2.3", 500, 0).await;
    succeeded(store, other, ("dispatcher", "192.0.2.3", 500), (0, 450)).await;
    assert!(
        !known(store, "handler", "192.0.2.2", 0).await,
        "a proof older than the limit is forgotten"
    );

    // A success clears only the name's failures since the time it is given: older ones no
    // longer count anyway, and are left for the next attempt to forget.
    let old = count_attempt(store, "trainer", "192.0.2.5", 600, 0).await;
    let recent = count_attempt(store, "trainer", "192.0.2.5", 700, 0).await;
    assert_ne!(old, recent);
    let right = count_attempt(store, "trainer", "192.0.2.6", 800, 0).await;
    succeeded(store, right, ("trainer", "192.0.2.6", 800), (650, 0)).await;
    assert_eq!(
        attempts(store, "trainer", "192.0.2.9", 0).await,
        vec![attempt("trainer", "192.0.2.5", 600, true)],
        "the failure at 700 is cleared, the one at 600 left"
    );

    // An attempt counted in a transaction that is not committed was never counted.
    let mut tx = store.begin_sign_in("ghost", "192.0.2.4").await.unwrap();
    tx.record_sign_in_attempt("ghost", "192.0.2.4", 900, 0)
        .await
        .unwrap();
    drop(tx);
    assert_eq!(attempts(store, "ghost", "192.0.2.4", 0).await, vec![]);
}

/// The PostgreSQL server to run the suite against (`CONTROLROOM_TEST_POSTGRES_URL`). Without
/// one the check is skipped, and says so; but with `CONTROLROOM_REQUIRE_POSTGRES=1` (as CI
/// sets) it fails, so a run cannot pass by skipping.
pub fn postgres_url() -> Option<String> {
    match std::env::var("CONTROLROOM_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CONTROLROOM_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") => {
            panic!("CONTROLROOM_REQUIRE_POSTGRES=1 but CONTROLROOM_TEST_POSTGRES_URL is not set")
        }
        _ => {
            eprintln!("skipped: set CONTROLROOM_TEST_POSTGRES_URL to run the PostgreSQL checks");
            None
        }
    }
}

/// Issue 13: the live feed reads the rows of the incidents a stretch of the log changed.
pub async fn incident_rows_are_read_by_id(store: &dyn Store) {
    let mut tx = store.begin().await.unwrap();
    for n in 1..=3 {
        tx.save_incident_row(&row(n, "open", None)).await.unwrap();
    }
    tx.commit().await.unwrap();
    let ids = [
        row(1, "open", None).id,
        row(3, "open", None).id,
        row(9, "open", None).id,
    ];
    let mut found = store.incident_rows(&ids).await.unwrap();
    found.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(
        found,
        [row(1, "open", None), row(3, "open", None)],
        "an unknown id is left out"
    );
    assert!(store.incident_rows(&[]).await.unwrap().is_empty());
}

/// Issue 13: two servers registering one call sign at once cannot both succeed.
pub async fn a_call_sign_is_claimed_once(store: &dyn Store) {
    let mut tx = store.begin().await.unwrap();
    tx.claim_call_sign("AL11", "unit/a").await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let again = tx.claim_call_sign("AL11", "unit/b").await;
    assert!(
        matches!(again, Err(crate::StoreError::Conflict(_))),
        "{again:?}"
    );
    drop(tx);
    let mut tx = store.begin().await.unwrap();
    tx.claim_call_sign("AL12", "unit/b").await.unwrap();
    tx.commit().await.unwrap();
}

/// Issue 13: a follower of the log is woken by a commit that appended, with its seq; one that
/// appended nothing, or rolled back, wakes nobody.
pub async fn a_commit_wakes_the_log_watch(store: &dyn Store) {
    let mut watch = store.watch_log();
    let mut tx = store.begin().await.unwrap();
    tx.append(change("incident/1", "opened")).await.unwrap();
    drop(tx);
    let mut tx = store.begin().await.unwrap();
    tx.save_incident_row(&row(1, "open", None)).await.unwrap();
    tx.commit().await.unwrap();
    // Polled once: a watch that was woken is ready at once.
    let early = tokio::time::timeout(std::time::Duration::ZERO, watch.changed()).await;
    assert!(early.is_err(), "nothing was appended yet: {early:?}");
    let mut tx = store.begin().await.unwrap();
    tx.append(change("incident/1", "opened")).await.unwrap();
    let seq = tx.append(change("incident/1", "graded")).await.unwrap();
    tx.commit().await.unwrap();
    let woken = tokio::time::timeout(std::time::Duration::from_secs(5), watch.changed()).await;
    assert_eq!(woken.ok(), Some(Some(seq)), "woken with the new head");
}

/// Issue 13: what an audit reads in a snapshot stays as it was at its first read, whatever
/// is committed meanwhile.
pub async fn a_snapshot_sees_one_moment(store: &dyn Store) {
    let mut tx = store.begin().await.unwrap();
    tx.append(change("incident/1", "opened")).await.unwrap();
    tx.save_incident_row(&row(1, "open", None)).await.unwrap();
    tx.commit().await.unwrap();
    let mut snapshot = store.snapshot().await.unwrap();
    let head = snapshot.chain_head().await.unwrap();
    assert_eq!(head.as_ref().map(|h| h.0), Some(1));

    let mut tx = store.begin().await.unwrap();
    tx.append(change("incident/1", "graded")).await.unwrap();
    tx.save_incident_row(&row(2, "open", None)).await.unwrap();
    tx.commit().await.unwrap();

    assert_eq!(
        snapshot.chain_head().await.unwrap(),
        head,
        "the head as it was"
    );
    assert_eq!(snapshot.audit_records(0, 10).await.unwrap().len(), 1);
    assert_eq!(snapshot.stream("incident/1").await.unwrap().len(), 1);
    let filter = IncidentFilter {
        limit: 10,
        ..IncidentFilter::default()
    };
    assert_eq!(snapshot.list_incidents(&filter).await.unwrap().len(), 1);
    drop(snapshot);
    assert_eq!(
        store.chain_head().await.unwrap().map(|h| h.0),
        Some(2),
        "outside it, now"
    );
}

/// Issue 13: work one server should do at a time (an audit checkpoint) takes a lock that a
/// second taker is refused until the first lets go.
pub async fn a_lock_is_held_by_one_at_a_time(store: &dyn Store) {
    let first = store.exclusive("audit_checkpoint").await.unwrap();
    assert!(first.is_some());
    assert!(
        store.exclusive("audit_checkpoint").await.unwrap().is_none(),
        "held already"
    );
    let other = store.exclusive("another_job").await.unwrap();
    assert!(other.is_some(), "a lock of another name is free");
    drop(first);
    assert!(
        store.exclusive("audit_checkpoint").await.unwrap().is_some(),
        "free again"
    );
}

/// Issue 13: a follower reads where each record is and what it touched, the same as the
/// full records say, page by page.
pub async fn log_entries_are_the_records_without_their_payloads(store: &dyn Store) {
    let mut tx = store.begin().await.unwrap();
    tx.append(change("incident/1", "opened")).await.unwrap();
    tx.append(record("incident/1", "viewed", Category::Access, "{}"))
        .await
        .unwrap();
    tx.append(change("unit/2", "registered")).await.unwrap();
    tx.commit().await.unwrap();
    let full = store.audit_records(1, 10).await.unwrap();
    let entries = store.log_entries(1, 10).await.unwrap();
    assert_eq!(entries.len(), 2, "after seq 1");
    for (entry, full) in entries.iter().zip(&full) {
        let r = &full.record;
        assert_eq!(
            (
                entry.seq,
                entry.category.as_str(),
                entry.stream.as_str(),
                entry.at_micros
            ),
            (r.seq, r.category.as_str(), r.stream.as_str(), r.at_micros)
        );
    }
    assert_eq!(
        store.log_entries(0, 1).await.unwrap()[0].seq,
        1,
        "at most the limit"
    );
}

/// Issue 21: each user's last committed change to what the search index holds, so a search
/// on any server knows how far its index must have got to show them their own changes.
pub async fn search_marks_follow_each_writers_searchable_changes(store: &dyn Store) {
    let searchable = |stream: &str, actor: &str| NewRecord {
        searchable: true,
        actor: actor.into(),
        ..change(stream, "person_recorded")
    };
    assert_eq!(store.search_mark("handler").await.unwrap(), 0, "none yet");
    let mut tx = store.begin().await.unwrap();
    let first = tx.append(searchable("person/a", "handler")).await.unwrap();
    let second = tx.append(searchable("person/b", "handler")).await.unwrap();
    let other = tx.append(searchable("person/c", "recorder")).await.unwrap();
    tx.append(change("incident/a", "log_entry_added"))
        .await
        .unwrap();
    assert_eq!(
        store.search_mark("handler").await.unwrap(),
        0,
        "not before the commit"
    );
    tx.commit().await.unwrap();
    assert!(first < second);
    assert_eq!(store.search_mark("handler").await.unwrap(), second);
    assert_eq!(store.search_mark("recorder").await.unwrap(), other);
    // A change the index does not hold leaves the mark where it was.
    let mut tx = store.begin().await.unwrap();
    tx.append(NewRecord {
        actor: "handler".into(),
        ..change("incident/a", "log_entry_added")
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.search_mark("handler").await.unwrap(), second);
    // A searchable change given up is not a mark.
    let mut tx = store.begin().await.unwrap();
    tx.append(searchable("person/d", "handler")).await.unwrap();
    drop(tx);
    assert_eq!(store.search_mark("handler").await.unwrap(), second);
    let mut tx = store.begin().await.unwrap();
    let later = tx.append(searchable("person/e", "handler")).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.search_mark("handler").await.unwrap(), later);
}
