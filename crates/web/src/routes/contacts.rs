use crate::dto::{ChangeResponse, CreateContact};
use crate::error::ApiError;
use crate::extract::Call;
use axum::http::StatusCode;
use axum::response::Response;
use controlroom_app::take_contact::take_contact;

/// Take a contact. Opens a new incident, or joins the one named by `incident_id`.
#[utoipa::path(post, path = "/api/v1/contacts", tag = "contacts", request_body = CreateContact,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry safely: the same key returns the first answer")),
    responses((status = 201, body = ChangeResponse)))]
pub async fn create(c: Call<CreateContact>) -> Result<Response, ApiError> {
    let (c, body) = c.split();
    let request = body.into_new_contact()?;
    let outcome = take_contact(c.app(), &c.actor, request, c.key()).await?;
    Ok(super::change(
        &c.state,
        &c.actor,
        StatusCode::CREATED,
        outcome,
    ))
}
