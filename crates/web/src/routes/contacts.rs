use crate::AppState;
use crate::dto::{ChangeResponse, CreateContact};
use crate::error::ApiError;
use crate::extract::{Authenticated, Command};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use controlroom_app::take_contact::take_contact;

/// Take a contact. Opens a new incident, or joins the one named by `incident_id`.
#[utoipa::path(post, path = "/api/v1/contacts", tag = "contacts", request_body = CreateContact,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry safely: the same key returns the first answer")),
    responses((status = 201, body = ChangeResponse), (status = 422, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    command: Command<CreateContact>,
) -> Result<Response, ApiError> {
    let request = command.body.into_new_contact()?;
    let outcome = take_contact(&state.app, &actor, request, command.idempotency.as_ref()).await?;
    Ok(super::change(&state, &actor, StatusCode::CREATED, outcome))
}
