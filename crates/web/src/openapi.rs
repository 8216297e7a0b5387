//! The OpenAPI document, generated from the handlers' annotations so it cannot drift from
//! the code.

use crate::dto;
use crate::error::Problem;
use crate::routes;
use axum::Json;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Control Room API", description = "Contact management, command and control for UK police control rooms."),
    paths(
        routes::session::sign_in, routes::session::current, routes::session::sign_out,
        routes::contacts::create,
        routes::incidents::list, routes::incidents::get, routes::incidents::add_log_entry,
        routes::incidents::grade, routes::incidents::close, routes::incidents::reopen,
        routes::live::events, routes::hocr_count, routes::incidents::duplicate,
        routes::crimes::record, routes::crimes::record_direct, routes::crimes::list, routes::crimes::get, routes::crimes::reclassify,
        routes::crimes::request_cancellation, routes::crimes::approve_cancellation, routes::crimes::decline_cancellation,
        routes::recording::non_crime, routes::recording::queue, routes::recording::compliance, routes::recording::integrity_check,
        routes::first_contact::classify, routes::first_contact::thrive, routes::first_contact::vulnerability,
        routes::first_contact::dash, routes::first_contact::signpost, routes::first_contact::reference,
        routes::first_contact::answers, routes::first_contact::approve_unattended,
        routes::intelligence::add_person, routes::intelligence::update_person, routes::intelligence::add_vehicle,
        routes::intelligence::add_location, routes::intelligence::add_property, routes::intelligence::get_record, routes::intelligence::add_marker,
        routes::intelligence::add_link, routes::intelligence::merge, routes::intelligence::unmerge,
        routes::intelligence::search, routes::intelligence::incident_check,
        routes::dispatch::register, routes::dispatch::list, routes::dispatch::position, routes::dispatch::status,
        routes::dispatch::recommendations, routes::dispatch::assign, routes::dispatch::reassign, routes::dispatch::resolve,
        routes::diary::open, routes::diary::day, routes::diary::next, routes::diary::book, routes::diary::cancel, routes::diary::missed,
        routes::users::add, routes::users::list,
        routes::audit::verify,
        routes::addresses::search,
    ),
    components(schemas(Problem, dto::SessionView, dto::ChangeResponse, dto::IncidentView, dto::IncidentList)),
    modifiers(&BearerAuth),
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
