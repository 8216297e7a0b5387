use crate::AppState;
use crate::dto::AuditVerification;
use crate::error::ApiError;
use crate::extract::Authenticated;
use axum::Json;
use axum::extract::State;
use controlroom_app::audit_trail;

/// Verify the whole audit trail (auditors, supervisors and administrators). 409 names the
/// first broken link.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit",
    responses((status = 200, body = AuditVerification), (status = 409, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn verify(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
) -> Result<Json<AuditVerification>, ApiError> {
    let verified = audit_trail::verify_as(&state.app, &actor).await?;
    Ok(Json(AuditVerification {
        ok: true,
        records: verified.chain.records,
        head_seq: verified.chain.head_seq,
        head_hash: verified.chain.head_hash.to_hex(),
        incidents: verified.incidents,
    }))
}
