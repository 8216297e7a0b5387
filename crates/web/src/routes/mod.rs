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
pub mod investigation;
pub mod live;
pub mod maintenance;
pub mod map;
pub mod ops;
pub mod partners;
pub mod recording;
pub mod session;
pub mod tasking;
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

/// The incident as the change left it. (Documentation only: handlers answer through
/// [`change`], which marks a replayed answer.)
#[derive(utoipa::IntoResponses)]
#[response(status = 200)]
#[allow(dead_code)]
pub struct Changed(ChangeResponse);

/// `router.routes(routes!(…))` for each `;`-separated group of handlers sharing a path.
macro_rules! operations {
    ($router:expr; $( $( $($segment:ident)::+ ),+ );+ $(;)?) => {
        $router $( .routes(routes!( $( $($segment)::+ ),+ )) )+
    };
}

/// Every operation of the API, each listed once: `routes!` takes the path and method from
/// the handler's `#[utoipa::path]`, so the router and the OpenAPI document are the same list
/// and cannot drift. Handlers sharing a path are listed together.
pub fn api() -> OpenApiRouter<AppState> {
    operations!(
        OpenApiRouter::new();
        session::sign_in, session::current, session::sign_out;
        contacts::create;
        addresses::search;
        addresses::near;
        map::config;
        map::streets;
        incidents::list;
        live::events;
        maintenance::start, maintenance::status;
        incidents::get;
        incidents::add_log_entry;
        incidents::grade;
        incidents::close;
        incidents::reopen;
        incidents::duplicate;
        first_contact::classify;
        first_contact::thrive;
        first_contact::vulnerability;
        first_contact::dash;
        first_contact::signpost;
        first_contact::answers;
        first_contact::approve_unattended;
        first_contact::reference;
        hocr_count;
        crimes::record;
        crimes::list, crimes::record_direct;
        crimes::get;
        crimes::by_reference;
        crimes::reclassify;
        crimes::request_cancellation;
        crimes::approve_cancellation;
        crimes::decline_cancellation;
        tasking::referrals;
        tasking::refer;
        tasking::incident_tasks;
        tasking::task;
        tasking::board;
        tasking::teams;
        tasking::members;
        tasking::send_message, tasking::inbox;
        tasking::read_message;
        partners::send, partners::of_incident;
        partners::receive;
        partners::flagged;
        partners::resolve;
        investigation::act;
        investigation::supervise;
        investigation::scenes;
        investigation::work;
        investigation::scenes_queue;
        recording::non_crime;
        recording::queue;
        recording::compliance;
        recording::integrity_check;
        intelligence::add_person;
        intelligence::update_person;
        intelligence::merge;
        intelligence::unmerge;
        intelligence::add_vehicle;
        intelligence::add_location;
        intelligence::add_property;
        intelligence::get_record;
        intelligence::add_marker;
        intelligence::withdraw_marker;
        intelligence::add_link;
        intelligence::incident_links;
        dispatch::warnings;
        intelligence::search;
        dispatch::list, dispatch::register;
        diary::day;
        diary::next;
        diary::open;
        diary::book;
        diary::cancel;
        diary::missed;
        dispatch::position;
        dispatch::status;
        dispatch::reassign;
        dispatch::recommendations;
        dispatch::assign;
        dispatch::resolve;
        intelligence::incident_check;
        users::list, users::add;
        users::set_roles;
        users::set_password;
        audit::verify;
    )
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
        contact: outcome
            .created
            .contact_id
            .map(|id| IdView { id: id.to_string() }),
        log_entry: outcome.created.log_entry,
        incident: IncidentView::seen_by(&state.app, actor, outcome.incident),
    };
    replayed((status, axum::Json(body)), outcome.replayed)
}

/// `answer`, marked `Idempotent-Replayed: true` when it repeats the first answer to a retry.
pub fn replayed(answer: impl IntoResponse, replayed: bool) -> Response {
    let mut response = answer.into_response();
    if replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

/// `201 Created` with `body`.
pub fn created<T>(body: T) -> Created<T> {
    Ok((StatusCode::CREATED, axum::Json(body)))
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
