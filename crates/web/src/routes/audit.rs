use super::Answer;
use crate::dto::AuditVerification;
use crate::extract::Caller;
use axum::Json;
use controlroom_app::audit_trail;

/// Verify the whole audit trail (auditors, supervisors and administrators). 409 names the
/// first broken link.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit",
    responses((status = 200, body = AuditVerification), (status = 409, body = crate::error::Problem)))]
pub async fn verify(c: Caller) -> Answer<AuditVerification> {
    let verified = audit_trail::verify_as(c.app(), &c.actor).await?;
    Ok(Json(AuditVerification {
        ok: true,
        records: verified.chain.records,
        head_seq: verified.chain.head_seq,
        head_hash: verified.chain.head_hash.to_hex(),
        incidents: verified.incidents,
    }))
}
