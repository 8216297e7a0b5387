//! Verifying the audit trail: walk the whole hash chain, compare its end with the recorded
//! head, and check that the incident list agrees with the events it was built from.

use crate::crimes;
use crate::records::{incident_row, rebuild};
use crate::{Actor, App, AppError};
use controlroom_domain::audit::{ChainBreak, ChainVerifier, Checkpoint, VerifiedChain};
use controlroom_domain::roles::Permission;
use controlroom_store::{CrimeFilter, IncidentFilter, Store};
use std::collections::BTreeSet;

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Broken(#[from] ChainBreak),
    #[error("incident list does not match the event log for incident {incident}: {problem}")]
    Projection { incident: String, problem: String },
    #[error("crime list does not match the event log for crime {crime}: {problem}")]
    CrimeList { crime: String, problem: String },
    #[error(transparent)]
    App(#[from] AppError),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub chain: VerifiedChain,
    pub incidents: usize,
}

const PAGE: i64 = 2_000;

/// Read-only: verifying changes nothing, so it can run against a copy taken for an inquiry.
pub async fn verify(store: &dyn Store) -> Result<Verified, VerifyError> {
    verify_against(store, &[]).await
}

/// [`verify`], also holding the chain to checkpoints written down outside the database, so a
/// chain rewritten from the start (hashes and head included) is caught.
pub async fn verify_against(
    store: &dyn Store,
    checkpoints: &[Checkpoint],
) -> Result<Verified, VerifyError> {
    let mut verifier = ChainVerifier::with_checkpoints(checkpoints);
    let mut incident_streams = BTreeSet::new();
    let mut crime_streams = BTreeSet::new();
    let mut after = 0;
    loop {
        let page = store
            .audit_records(after, PAGE)
            .await
            .map_err(AppError::from)?;
        let Some(last) = page.last() else { break };
        after = last.record.seq;
        for stored in &page {
            verifier.check(stored)?;
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
    Ok(Verified {
        chain,
        incidents: rows.len(),
    })
}

/// The crime list agrees with the crimes' events: every row rebuilds from its stream, and
/// every crime stream is listed.
async fn verify_crime_list(
    store: &dyn Store,
    mut streams: BTreeSet<String>,
) -> Result<(), VerifyError> {
    let mismatch = |crime: &str, problem: &str| VerifyError::CrimeList {
        crime: crime.into(),
        problem: problem.into(),
    };
    let rows = store
        .list_crimes(&CrimeFilter {
            status: None,
            limit: i64::MAX,
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
        let crime = crimes::rebuild(&records)?
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
) -> Result<Checkpoint, VerifyError> {
    let verified = verify(store).await?;
    Ok(Checkpoint {
        seq: verified.chain.head_seq,
        hash: verified.chain.head_hash.to_hex(),
        taken_at: now,
    })
}

/// Verify the records written since `from` (the whole chain when there is none) and give the
/// checkpoint where they end; `None` when nothing new was written. What the server runs on a
/// timer to keep checkpoints outside the database without re-reading the whole chain.
pub async fn extend_checkpoint(
    store: &dyn Store,
    from: Option<&Checkpoint>,
    now: jiff::Timestamp,
) -> Result<Option<Checkpoint>, VerifyError> {
    let mut verifier = match from {
        Some(checkpoint) => ChainVerifier::resume(checkpoint)?,
        None => ChainVerifier::default(),
    };
    let start = from.map_or(0, |c| c.seq);
    let mut after = start;
    loop {
        let page = store
            .audit_records(after, PAGE)
            .await
            .map_err(AppError::from)?;
        let Some(last) = page.last() else { break };
        after = last.record.seq;
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
    Ok((seq > start).then(|| Checkpoint {
        seq,
        hash: hash.to_hex(),
        taken_at: now,
    }))
}
