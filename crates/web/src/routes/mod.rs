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
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use controlroom_app::incidents::IncidentOutcome;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A read's answer.
pub type Answer<T> = Result<axum::Json<T>, ApiError>;

/// A new record's answer: `201 Created` with it.
pub type Created<T> = Result<(StatusCode, axum::Json<T>), ApiError>;

/// Every operation of the API, each listed once: `routes!` takes the path and method from
/// the handler's `#[utoipa::path]`, so the router and the OpenAPI document are the same list
/// and cannot drift. Handlers sharing a path are listed together.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(
            session::sign_in,
            session::current,
            session::sign_out
        ))
        .routes(routes!(contacts::create))
        .routes(routes!(addresses::search))
        .routes(routes!(addresses::near))
        .routes(routes!(map::config))
        .routes(routes!(map::streets))
        .routes(routes!(incidents::list))
        .routes(routes!(live::events))
        .routes(routes!(incidents::get))
        .routes(routes!(incidents::add_log_entry))
        .routes(routes!(incidents::grade))
        .routes(routes!(incidents::close))
        .routes(routes!(incidents::reopen))
        .routes(routes!(incidents::duplicate))
        .routes(routes!(first_contact::classify))
        .routes(routes!(first_contact::thrive))
        .routes(routes!(first_contact::vulnerability))
        .routes(routes!(first_contact::dash))
        .routes(routes!(first_contact::signpost))
        .routes(routes!(first_contact::answers))
        .routes(routes!(first_contact::approve_unattended))
        .routes(routes!(first_contact::reference))
        .routes(routes!(hocr_count))
        .routes(routes!(crimes::record))
        .routes(routes!(crimes::list, crimes::record_direct))
        .routes(routes!(crimes::get))
        .routes(routes!(crimes::reclassify))
        .routes(routes!(crimes::request_cancellation))
        .routes(routes!(crimes::approve_cancellation))
        .routes(routes!(crimes::decline_cancellation))
        .routes(routes!(recording::non_crime))
        .routes(routes!(recording::queue))
        .routes(routes!(recording::compliance))
        .routes(routes!(recording::integrity_check))
        .routes(routes!(intelligence::add_person))
        .routes(routes!(intelligence::update_person))
        .routes(routes!(intelligence::merge))
        .routes(routes!(intelligence::unmerge))
        .routes(routes!(intelligence::add_vehicle))
        .routes(routes!(intelligence::add_location))
        .routes(routes!(intelligence::add_property))
        .routes(routes!(intelligence::get_record))
        .routes(routes!(intelligence::add_marker))
        .routes(routes!(intelligence::withdraw_marker))
        .routes(routes!(intelligence::add_link))
        .routes(routes!(intelligence::incident_links))
        .routes(routes!(dispatch::warnings))
        .routes(routes!(intelligence::search))
        .routes(routes!(dispatch::list, dispatch::register))
        .routes(routes!(diary::day))
        .routes(routes!(diary::next))
        .routes(routes!(diary::open))
        .routes(routes!(diary::book))
        .routes(routes!(diary::cancel))
        .routes(routes!(diary::missed))
        .routes(routes!(dispatch::position))
        .routes(routes!(dispatch::status))
        .routes(routes!(dispatch::reassign))
        .routes(routes!(dispatch::recommendations))
        .routes(routes!(dispatch::assign))
        .routes(routes!(dispatch::resolve))
        .routes(routes!(intelligence::incident_check))
        .routes(routes!(users::list, users::add))
        .routes(routes!(users::set_roles))
        .routes(routes!(users::set_password))
        .routes(routes!(audit::verify))
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
    responses((status = 200, description = "The crimes to record, each with the rules applied", body = crate::dto::HocrCounted)))]
pub async fn hocr_count(
    c: crate::extract::Call<controlroom_domain::hocr::Case>,
) -> Answer<controlroom_domain::hocr::Counted> {
    let counted = controlroom_app::crimes::count_crimes(c.app(), &c.actor, &c.body)?;
    Ok(axum::Json(counted))
}
