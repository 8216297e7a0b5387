//! Routes, one module per resource.

pub mod addresses;
pub mod audit;
pub mod contacts;
pub mod crimes;
pub mod diary;
pub mod dispatch;
pub mod first_contact;
pub mod incidents;
pub mod intelligence;
pub mod live;
pub mod map;
pub mod ops;
pub mod recording;
pub mod session;
pub mod users;

use crate::AppState;
use crate::dto::{ChangeResponse, IdView, IncidentView};
use crate::error::ApiError;
use axum::Router;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use controlroom_app::incidents::IncidentOutcome;

pub fn api() -> Router<AppState> {
    Router::new()
        .route(
            "/session",
            post(session::sign_in)
                .get(session::current)
                .delete(session::sign_out),
        )
        .route("/contacts", post(contacts::create))
        .route("/addresses", get(addresses::search))
        .route("/addresses/near", get(addresses::near))
        .route("/map", get(map::config))
        .route("/map/streets", get(map::streets))
        .route("/incidents", get(incidents::list))
        .route("/events", get(live::events))
        .route("/incidents/{id}", get(incidents::get))
        .route("/incidents/{id}/log", post(incidents::add_log_entry))
        .route("/incidents/{id}/grade", post(incidents::grade))
        .route("/incidents/{id}/close", post(incidents::close))
        .route("/incidents/{id}/reopen", post(incidents::reopen))
        .route("/incidents/{id}/duplicate", post(incidents::duplicate))
        .route("/incidents/{id}/classify", post(first_contact::classify))
        .route("/incidents/{id}/thrive", post(first_contact::thrive))
        .route(
            "/incidents/{id}/vulnerability",
            post(first_contact::vulnerability),
        )
        .route("/incidents/{id}/dash", post(first_contact::dash))
        .route("/incidents/{id}/signpost", post(first_contact::signpost))
        .route("/incidents/{id}/answers", post(first_contact::answers))
        .route(
            "/incidents/{id}/unattended-closure-approval",
            post(first_contact::approve_unattended),
        )
        .route("/reference", get(first_contact::reference))
        .route("/hocr/count", post(hocr_count))
        .route("/incidents/{id}/crimes", post(crimes::record))
        .route("/crimes", get(crimes::list).post(crimes::record_direct))
        .route("/crimes/{id}", get(crimes::get))
        .route("/crimes/{id}/reclassify", post(crimes::reclassify))
        .route(
            "/crimes/{id}/cancellation",
            post(crimes::request_cancellation),
        )
        .route(
            "/crimes/{id}/cancellation/approve",
            post(crimes::approve_cancellation),
        )
        .route(
            "/crimes/{id}/cancellation/decline",
            post(crimes::decline_cancellation),
        )
        .route("/incidents/{id}/non-crime", post(recording::non_crime))
        .route("/crime-recording/queue", get(recording::queue))
        .route("/crime-recording/compliance", get(recording::compliance))
        .route(
            "/crime-recording/integrity-check",
            get(recording::integrity_check),
        )
        .route("/people", post(intelligence::add_person))
        .route(
            "/people/{id}",
            axum::routing::put(intelligence::update_person),
        )
        .route("/people/{id}/merge", post(intelligence::merge))
        .route("/people/{id}/unmerge", post(intelligence::unmerge))
        .route("/vehicles", post(intelligence::add_vehicle))
        .route("/locations", post(intelligence::add_location))
        .route("/property", post(intelligence::add_property))
        .route("/records/{kind}/{id}", get(intelligence::get_record))
        .route(
            "/records/{kind}/{id}/markers",
            post(intelligence::add_marker),
        )
        .route(
            "/records/{kind}/{id}/markers/{number}/withdraw",
            post(intelligence::withdraw_marker),
        )
        .route("/records/{kind}/{id}/links", post(intelligence::add_link))
        .route("/incidents/{id}/links", get(intelligence::incident_links))
        .route("/warnings", get(dispatch::warnings))
        .route("/search", post(intelligence::search))
        .route("/units", get(dispatch::list).post(dispatch::register))
        .route("/diary", get(diary::day))
        .route("/diary/next", get(diary::next))
        .route("/diary/slots", post(diary::open))
        .route("/incidents/{id}/appointment", post(diary::book))
        .route("/incidents/{id}/appointment/cancel", post(diary::cancel))
        .route("/incidents/{id}/appointment/missed", post(diary::missed))
        .route("/units/{id}/position", post(dispatch::position))
        .route("/units/{id}/status", post(dispatch::status))
        .route("/units/{id}/reassign", post(dispatch::reassign))
        .route(
            "/incidents/{id}/recommendations",
            get(dispatch::recommendations),
        )
        .route("/incidents/{id}/assign", post(dispatch::assign))
        .route("/incidents/{id}/resolve", post(dispatch::resolve))
        .route(
            "/incidents/{id}/intelligence",
            post(intelligence::incident_check),
        )
        .route("/users", get(users::list).post(users::add))
        .route("/users/{username}/roles", put(users::set_roles))
        .route("/users/{username}/password", put(users::set_password))
        .route("/audit/verify", get(audit::verify))
        .route("/openapi.json", get(crate::openapi::document))
}

/// The answer to any change: the incident as it now stands. A retry with the same
/// `Idempotency-Key` gets the first answer again, marked `Idempotent-Replayed: true`.
pub fn change(
    state: &AppState,
    actor: &controlroom_app::Actor,
    status: StatusCode,
    outcome: IncidentOutcome,
) -> Response {
    let body = ChangeResponse {
        contact: outcome.contact_id.map(|id| IdView { id: id.to_string() }),
        log_entry: outcome.log_entry,
        incident: IncidentView::build(&controlroom_app::report::report(
            &state.app,
            actor,
            outcome.incident,
        )),
    };
    let mut response = (status, axum::Json(body)).into_response();
    if outcome.replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

pub async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "there is nothing at this address; the API lives under /api/v1",
    )
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this address does not accept that method",
    )
}

/// Count the crimes in a case under the Home Office Counting Rules (the same engine as
/// `controlroom hocr count`): the crimes to record, each with the rules applied.
#[utoipa::path(post, path = "/api/v1/hocr/count", tag = "crime", request_body = crate::dto::HocrCase,
    responses((status = 200, description = "The crimes to record, each with the rules applied", body = crate::dto::HocrCounted), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn hocr_count(
    axum::extract::State(state): axum::extract::State<AppState>,
    crate::extract::Authenticated(actor): crate::extract::Authenticated,
    command: crate::extract::Command<controlroom_domain::hocr::Case>,
) -> Result<axum::Json<controlroom_domain::hocr::Counted>, ApiError> {
    Ok(axum::Json(controlroom_app::crimes::count_crimes(
        &state.app,
        &actor,
        &command.body,
    )?))
}
