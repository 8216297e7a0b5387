//! Verifying the audit trail: walk the whole hash chain, compare its end with the recorded
//! head, and check that the tables read as facts agree with the events that made them: the
//! incident and crime lists, and who may do what (accounts, their roles and passwords, and
//! open sessions).

use crate::crimes;
use crate::records::{incident_row, rebuild};
use crate::{Actor, App, AppError};
use controlroom_domain::audit::{
    AuditRecord, ChainBreak, ChainVerifier, Checkpoint, SealKey, VerifiedChain,
};
use controlroom_domain::roles::Permission;
use controlroom_domain::stream::{StreamId, StreamKind};
use controlroom_domain::user::{AccountOnRecord, UserEvent, password_fingerprint};
use controlroom_store::{CrimeFilter, IncidentFilter, Snapshot, Store};
use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Broken(#[from] ChainBreak),
    #[error("incident list does not match the event log for incident {incident}: {problem}")]
    Projection { incident: String, problem: String },
    #[error("crime list does not match the event log for crime {crime}: {problem}")]
    CrimeList { crime: String, problem: String },
    #[error("the users table does not match the audit trail for {username}: {problem}")]
    Accounts { username: String, problem: String },
    #[error(
        "the sessions table holds a session for {username} that the audit trail never opened ({problem}): it was written directly into the database"
    )]
    Sessions { username: String, problem: String },
    #[error(transparent)]
    App(#[from] AppError),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub chain: VerifiedChain,
    pub incidents: usize,
    /// Accounts whose roles (and, where recorded, password) agree with the chain.
    pub accounts: usize,
    /// Accounts added before password fingerprints were recorded and not changed since: their
    /// password hash cannot be checked until it is next set.
    pub passwords_unchecked: Vec<String>,
    pub sessions: usize,
}

const PAGE: i64 = 2_000;

/// The next page of audit records after `after` (moved on to its last), or `None` at the end.
async fn next_page(
    store: &mut dyn Snapshot,
    after: &mut i64,
) -> Result<Option<Vec<controlroom_domain::audit::StoredRecord>>, AppError> {
    let page = store.audit_records(*after, PAGE).await?;
    let Some(last) = page.last() else {
        return Ok(None);
    };
    *after = last.record.seq;
    Ok(Some(page))
}

/// Read-only: verifying changes nothing, so it can run against a copy taken for an inquiry.
pub async fn verify(store: &dyn Store) -> Result<Verified, VerifyError> {
    verify_against(store, &[], None).await
}

/// [`verify`], also holding the chain to checkpoints written down outside the database, so a
/// chain rewritten from the start (hashes and head included) is caught; and, given the
/// force's audit key, checking every record's seal and every checkpoint's signature, so a
/// record written outside the server is caught even after the last checkpoint.
pub async fn verify_against(
    store: &dyn Store,
    checkpoints: &[Checkpoint],
    key: Option<&SealKey>,
) -> Result<Verified, VerifyError> {
    let mut verifier = match key {
        Some(key) => ChainVerifier::with_key(checkpoints, key.clone())?,
        None => ChainVerifier::with_checkpoints(checkpoints),
    };
    // Everything is read at one moment: servers writing meanwhile cannot make the log, its
    // head and the lists disagree (which would be reported as tampering).
    let mut snapshot = store.snapshot().await.map_err(AppError::from)?;
    let store = snapshot.as_mut();
    let mut incident_streams = BTreeSet::new();
    let mut crime_streams = BTreeSet::new();
    let mut accounts = AccountsOnRecord::default();
    let mut after = 0;
    while let Some(page) = next_page(store, &mut after).await? {
        for stored in &page {
            verifier.check(stored)?;
            accounts.apply(&stored.record)?;
            if stored.record.category == "change" {
                let stream = &stored.record.stream;
                if stream.starts_with("incident/") {
                    incident_streams.insert(stream.clone());
                } else if stream.starts_with("crime/") {
                    crime_streams.insert(stream.clone());
                }
            }
        }
    }
    let chain = verifier.finish(store.chain_head().await.map_err(AppError::from)?)?;

    let rows = store
        .list_incidents(&IncidentFilter {
            limit: i64::MAX,
            ..IncidentFilter::default()
        })
        .await
        .map_err(AppError::from)?;
    let mismatch = |incident: &str, problem: &str| VerifyError::Projection {
        incident: incident.into(),
        problem: problem.into(),
    };
    for row in &rows {
        let stream = format!("incident/{}", row.id);
        if !incident_streams.remove(&stream) {
            return Err(mismatch(&row.reference, "it is listed but has no events"));
        }
        let records = store.stream(&stream).await.map_err(AppError::from)?;
        let incident = rebuild(&records, None)?
            .ok_or_else(|| mismatch(&row.reference, "its events are empty"))?;
        if &incident_row(&incident) != row {
            return Err(mismatch(
                &row.reference,
                "the listed state differs from the state its events rebuild",
            ));
        }
    }
    if let Some(stream) = incident_streams.into_iter().next() {
        return Err(mismatch(
            &stream,
            "it has events but is missing from the list",
        ));
    }
    verify_crime_list(store, crime_streams).await?;
    let (accounts_checked, passwords_unchecked) = verify_accounts(store, &accounts).await?;
    let sessions = verify_sessions(store, &accounts).await?;
    Ok(Verified {
        chain,
        incidents: rows.len(),
        accounts: accounts_checked,
        passwords_unchecked,
        sessions,
    })
}

/// Who may do what, and who is signed in, as the chain tells it.
#[derive(Default)]
struct AccountsOnRecord {
    accounts: BTreeMap<String, AccountOnRecord>,
    /// Sessions opened and not signed out: session id → (username, opened at).
    open_sessions: HashMap<String, (String, i64)>,
}

impl AccountsOnRecord {
    fn apply(&mut self, record: &AuditRecord) -> Result<(), VerifyError> {
        let Ok(stream) = StreamId::parse(&record.stream) else {
            return Ok(());
        };
        if stream.kind() != StreamKind::User {
            return Ok(());
        }
        let username = stream.key();
        let session = || {
            serde_json::from_str::<serde_json::Value>(&record.payload)
                .ok()
                .and_then(|v| v.get("session")?.as_str().map(str::to_owned))
        };
        match (record.category.as_str(), record.kind.as_str()) {
            ("change", _) => {
                let event: UserEvent = serde_json::from_str(&record.payload).map_err(|e| {
                    AppError::Corrupt(format!("event {} ({}): {e}", record.seq, record.kind))
                })?;
                let before = self.accounts.remove(username);
                if let Some(after) = AccountOnRecord::apply(before, &event) {
                    self.accounts.insert(username.to_owned(), after);
                }
            }
            ("access", "signed_in") => {
                if let Some(id) = session() {
                    self.open_sessions
                        .insert(id, (username.to_owned(), record.at_micros));
                }
            }
            ("access", "signed_out") => {
                if let Some(id) = session() {
                    self.open_sessions.remove(&id);
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// Every account in the users table was added through the system, holds exactly the roles
/// the chain last gave it and the password last set through it; every account the chain
/// added is still there.
async fn verify_accounts(
    store: &mut dyn Snapshot,
    on_record: &AccountsOnRecord,
) -> Result<(usize, Vec<String>), VerifyError> {
    let mismatch = |username: &str, problem: String| VerifyError::Accounts {
        username: username.into(),
        problem,
    };
    let rows = store.list_users().await.map_err(AppError::from)?;
    let mut unchecked = Vec::new();
    let mut seen = BTreeSet::new();
    for row in &rows {
        seen.insert(row.username.as_str());
        let Some(account) = on_record.accounts.get(&row.username) else {
            return Err(mismatch(
                &row.username,
                "the account was never added through the system: it was inserted directly".into(),
            ));
        };
        let recorded: Vec<&str> = account.roles.iter().map(|r| r.as_str()).collect();
        if row.roles != recorded {
            return Err(mismatch(
                &row.username,
                format!(
                    "it holds the roles {} but the last change through the system gave it {}: the roles were changed directly",
                    row.roles.join(", "),
                    recorded.join(", ")
                ),
            ));
        }
        match &account.password_fingerprint {
            Some(fingerprint) if *fingerprint != password_fingerprint(&row.password_hash) => {
                return Err(mismatch(
                    &row.username,
                    "its password hash is not the one last set through the system: it was replaced directly".into(),
                ));
            }
            Some(_) => {}
            None => unchecked.push(row.username.clone()),
        }
    }
    if let Some(missing) = on_record
        .accounts
        .keys()
        .find(|name| !seen.contains(name.as_str()))
    {
        return Err(mismatch(
            missing,
            "the account was added through the system but is missing from the users table: it was deleted directly".into(),
        ));
    }
    Ok((rows.len(), unchecked))
}

/// Every session row was opened by a sign-in recorded in the chain, for the same user at the
/// same moment, and not signed out since. (Sessions that ended by time are deleted without a
/// record; a missing row only signs someone out, so rows are held to the chain, not the
/// reverse.)
async fn verify_sessions(
    store: &mut dyn Snapshot,
    on_record: &AccountsOnRecord,
) -> Result<usize, VerifyError> {
    let rows = store.list_sessions().await.map_err(AppError::from)?;
    for row in &rows {
        let problem = match on_record
            .open_sessions
            .get(&crate::auth::session_id(&row.token_hash))
        {
            None => "no sign-in opened it, or it was signed out",
            Some((username, _)) if *username != row.username => {
                "the sign-in that opened it was by someone else"
            }
            Some((_, at)) if *at != row.created_at_micros => {
                "it claims to have opened at another time than its sign-in"
            }
            Some(_) => continue,
        };
        return Err(VerifyError::Sessions {
            username: row.username.clone(),
            problem: problem.into(),
        });
    }
    Ok(rows.len())
}

/// The crime list agrees with the crimes' events: every row rebuilds from its stream, and
/// every crime stream is listed.
async fn verify_crime_list(
    store: &mut dyn Snapshot,
    mut streams: BTreeSet<String>,
) -> Result<(), VerifyError> {
    let mismatch = |crime: &str, problem: &str| VerifyError::CrimeList {
        crime: crime.into(),
        problem: problem.into(),
    };
    let rows = store
        .list_crimes(&CrimeFilter {
            limit: i64::MAX,
            ..CrimeFilter::default()
        })
        .await
        .map_err(AppError::from)?;
    for row in &rows {
        let stream = format!("crime/{}", row.id);
        if !streams.remove(&stream) {
            return Err(mismatch(&row.reference, "it is listed but has no events"));
        }
        let id = row
            .id
            .parse()
            .map_err(|_| mismatch(&row.reference, "its id is not a crime id"))?;
        let records = store.stream(&stream).await.map_err(AppError::from)?;
        let crime = crimes::rebuild(id, &records)?
            .ok_or_else(|| mismatch(&row.reference, "its events are empty"))?;
        if &crimes::crime_row(id, &crime) != row {
            return Err(mismatch(
                &row.reference,
                "the listed state differs from the state its events rebuild",
            ));
        }
    }
    match streams.into_iter().next() {
        Some(stream) => Err(mismatch(
            &stream,
            "it has events but is missing from the list",
        )),
        None => Ok(()),
    }
}

pub async fn verify_as(app: &App, actor: &Actor) -> Result<Verified, VerifyError> {
    actor.require(Permission::VerifyAuditTrail, "verify the audit trail")?;
    verify(app.store.as_ref()).await
}

/// Verify the whole trail, then write down where its head is now: keep the line somewhere the
/// database's administrators cannot change (another system, write-once storage, paper). A
/// checkpoint of a broken chain would vouch for the break, so none is given.
pub async fn checkpoint(
    store: &dyn Store,
    now: jiff::Timestamp,
    key: Option<&SealKey>,
) -> Result<Checkpoint, VerifyError> {
    let verified = verify_against(store, &[], key).await?;
    Ok(signed(
        Checkpoint {
            seq: verified.chain.head_seq,
            hash: verified.chain.head_hash.to_hex(),
            taken_at: now,
            signature: None,
        },
        key,
    ))
}

fn signed(mut checkpoint: Checkpoint, key: Option<&SealKey>) -> Checkpoint {
    checkpoint.signature = key.map(|key| key.sign_checkpoint(&checkpoint));
    checkpoint
}

/// Verify the records written since `from` (the whole chain when there is none) and give the
/// checkpoint where they end; `None` when nothing new was written. What the server runs on a
/// timer to keep checkpoints outside the database without re-reading the whole chain.
pub async fn extend_checkpoint(
    store: &dyn Store,
    from: Option<&Checkpoint>,
    now: jiff::Timestamp,
    key: Option<&SealKey>,
) -> Result<Option<Checkpoint>, VerifyError> {
    let mut verifier = match from {
        Some(checkpoint) => ChainVerifier::resume(checkpoint)?,
        None => ChainVerifier::default(),
    };
    if let Some(key) = key {
        verifier = verifier.checking_seals(key.clone());
    }
    let start = from.map_or(0, |c| c.seq);
    let mut after = start;
    let mut snapshot = store.snapshot().await.map_err(AppError::from)?;
    let store = snapshot.as_mut();
    while let Some(page) = next_page(store, &mut after).await? {
        for stored in &page {
            verifier.check(stored)?;
        }
    }
    let (seq, hash) = verifier.position();
    if seq == start
        && let Some((head, _)) = store.chain_head().await.map_err(AppError::from)?
        && head < start
    {
        return Err(ChainBreak {
            seq: head + 1,
            problem: format!(
                "the chain ends at event {head} but the last checkpoint records event {start}: events were removed"
            ),
        }
        .into());
    }
    Ok((seq > start).then(|| {
        signed(
            Checkpoint {
                seq,
                hash: hash.to_hex(),
                taken_at: now,
                signature: None,
            },
            key,
        )
    }))
}
