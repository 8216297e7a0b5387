//! `Idempotency-Key`: a client that did not hear our answer (a dropped connection mid-call)
//! sends the same request again with the same key, and gets the first answer back with
//! nothing recorded twice.

use crate::records::micros;
use crate::{Actor, AppError};
use controlroom_domain::Invalid;
use controlroom_store::{IdempotentResponse, WriteTx};
use jiff::Timestamp;
use serde::{Serialize, de::DeserializeOwned};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency {
    key: String,
    /// A digest of what was asked (method, path and body), so a reused key with a different
    /// request is refused instead of silently answered with the wrong result.
    fingerprint: String,
}

impl Idempotency {
    pub fn new(key: &str, fingerprint: String) -> Result<Self, Invalid> {
        let key = key.trim();
        let max = controlroom_domain::limits::IDEMPOTENCY_KEY;
        if key.is_empty() || key.len() > max || !key.chars().all(|c| c.is_ascii_graphic()) {
            return Err(Invalid::new(
                "Idempotency-Key",
                format!("must be 1 to {max} visible ASCII characters (a UUID is a good choice)"),
            ));
        }
        Ok(Self {
            key: key.to_owned(),
            fingerprint,
        })
    }
}

/// The stored first answer for this key, if any. Refuses a key reused for another request.
pub(crate) async fn earlier<T: DeserializeOwned>(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    idempotency: Option<&Idempotency>,
) -> Result<Option<T>, AppError> {
    let Some(idem) = idempotency else {
        return Ok(None);
    };
    let asked_by = actor.username.as_str();
    let Some(found) = tx.idempotent_response(asked_by, &idem.key).await? else {
        return Ok(None);
    };
    if found.fingerprint != idem.fingerprint {
        return Err(AppError::Conflict(format!(
            "Idempotency-Key '{}' was already used for a different request; use a new key for a new request",
            idem.key
        )));
    }
    serde_json::from_str(&found.body)
        .map(Some)
        .map_err(|e| AppError::Corrupt(format!("stored idempotent response: {e}")))
}

pub(crate) async fn remember<T: Serialize>(
    tx: &mut dyn WriteTx,
    actor: &Actor,
    idempotency: Option<&Idempotency>,
    outcome: &T,
    at: Timestamp,
) -> Result<(), AppError> {
    let Some(idem) = idempotency else {
        return Ok(());
    };
    let body = serde_json::to_string(outcome).map_err(|e| AppError::Corrupt(e.to_string()))?;
    let response = IdempotentResponse {
        fingerprint: idem.fingerprint.clone(),
        body,
    };
    let asked_by = actor.username.as_str();
    tx.save_idempotent_response(asked_by, &idem.key, &response, micros(at))
        .await?;
    Ok(())
}
