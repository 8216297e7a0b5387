use super::Answer;
use crate::dto::{
    AddLogEntry, ChangeResponse, CloseIncident, GradeIncident, IncidentList, IncidentSummary,
    IncidentView, LOG_SHOWN, LogWindow, ReopenIncident, log_window,
};
use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller, IncidentChange, PathId};
use axum::Json;
use axum::http::StatusCode;
use axum::response::Response;
use controlroom_app::incidents;
use controlroom_domain::incident::IncidentId;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Comma-separated statuses, e.g. `open,graded`.
    status: Option<String>,
    /// Comma-separated grades, e.g. `emergency,priority`.
    grade: Option<String>,
    /// Opened at or after this time (RFC 3339).
    opened_from: Option<String>,
    /// Opened before this time (RFC 3339).
    opened_before: Option<String>,
    /// At most this many, newest first (1 to 500, default 100).
    limit: Option<String>,
}

/// List incidents, newest first. The listing is recorded in the audit trail.
#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents", params(ListParams),
    responses((status = 200, body = IncidentList)))]
pub async fn list(c: Caller, params: ApiQuery<ListParams>) -> Answer<IncidentList> {
    let ApiQuery(p) = params;
    let limit = p
        .limit
        .as_deref()
        .map(|l| {
            l.trim().parse::<u32>().map_err(|_| {
                ApiError::invalid("limit", "limit: must be a whole number from 1 to 500")
            })
        })
        .transpose()?;
    let filter = incidents::list_filter(
        p.status.as_deref(),
        p.grade.as_deref(),
        p.opened_from.as_deref(),
        p.opened_before.as_deref(),
        limit,
    )
    .map_err(|e| ApiError::invalid(&e.field, e.to_string()))?;
    let rows = incidents::list(c.app(), &c.actor, &filter).await?;
    let incidents: Vec<IncidentSummary> = rows.into_iter().map(IncidentSummary::from).collect();
    Ok(Json(IncidentList {
        count: incidents.len(),
        incidents,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ViewParams {
    /// Log entries numbered before this one only (to page back through a long log).
    #[param(minimum = 1, maximum = 4294967295_u64, format = Int64)]
    pub log_before: Option<u32>,
    /// At most this many log entries, the latest of those asked for (1 to 500, default 100).
    #[param(minimum = 1, maximum = 500)]
    pub log_limit: Option<u16>,
}

/// One incident with its contacts, log, grades and history. The read is recorded in the
/// audit trail. A long log comes a page at a time: the latest 100 entries, `log_total` says
/// how many there are, and `log_before` pages back.
#[utoipa::path(get, path = "/api/v1/incidents/{id}", tag = "incidents", params(ViewParams),
    responses((status = 200, body = IncidentView)))]
pub async fn get(
    c: Caller,
    PathId(id): PathId<IncidentId>,
    ApiQuery(p): ApiQuery<ViewParams>,
) -> Answer<IncidentView> {
    let limit = p.log_limit.map_or(Ok(LOG_SHOWN), |l| match l {
        1..=500 => Ok(usize::from(l)),
        _ => Err(ApiError::invalid(
            "log_limit",
            "log_limit: must be a whole number from 1 to 500",
        )),
    })?;
    if p.log_before == Some(0) {
        return Err(ApiError::invalid(
            "log_before",
            "log_before: log entries are numbered from 1",
        ));
    }
    let window = LogWindow {
        before: p.log_before,
        limit,
    };
    let incident = incidents::view(c.app(), &c.actor, id).await?;
    let log = log_window(&incident, window);
    let mut view = IncidentView::seen_by(c.app(), &c.actor, incident);
    view.log = log;
    Ok(Json(view))
}

/// Write to the incident log. Entries are never edited: to correct one, write a new entry
/// with `corrects` set to its number.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/log", tag = "incidents", request_body = AddLogEntry,
    responses((status = 201, body = ChangeResponse)))]
pub async fn add_log_entry(c: IncidentChange<AddLogEntry>) -> Result<Response, ApiError> {
    let outcome = incidents::add_log_entry(c.request(), &c.body.text, c.body.corrects).await?;
    c.answer(StatusCode::CREATED, outcome)
}

/// Grade the incident, with the rationale for the grade.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/grade", tag = "incidents", request_body = GradeIncident,
    responses(super::Changed))]
pub async fn grade(c: IncidentChange<GradeIncident>) -> Result<Response, ApiError> {
    let b = &c.body;
    let outcome = incidents::grade(
        c.request(),
        &b.grade,
        &b.rationale,
        b.override_reason.as_deref(),
    )
    .await?;
    c.answer(StatusCode::OK, outcome)
}

/// Close the incident with a closing code, qualifiers and how it was resolved.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/close", tag = "incidents", request_body = CloseIncident,
    responses((status = 200, body = ChangeResponse),
              (status = 422, description = "Closure breaks the standards: `problems` lists each rule", body = crate::error::Problem)))]
pub async fn close(c: IncidentChange<CloseIncident>) -> Result<Response, ApiError> {
    let (c, body) = c.split();
    let input = incidents::CloseInput {
        closing_code: body.closing_code,
        qualifiers: body.qualifiers,
        resolution: body.resolution,
        final_incident_type: body.final_incident_type,
        crime_reference: body.crime_reference,
        non_crime_rationale: body.non_crime_rationale,
        outcome: body.outcome,
    };
    let outcome = incidents::close(c.request(), input).await?;
    c.answer(StatusCode::OK, outcome)
}

/// Reopen a resolved or closed incident, giving the reason. It must then be graded again.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/reopen", tag = "incidents", request_body = ReopenIncident,
    responses(super::Changed))]
pub async fn reopen(c: IncidentChange<ReopenIncident>) -> Result<Response, ApiError> {
    let outcome = incidents::reopen(c.request(), &c.body.reason).await?;
    c.answer(StatusCode::OK, outcome)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DuplicateInput {
    /// The incident this one duplicates: its callers join it.
    pub of: uuid::Uuid,
}

/// This incident is the same event as another: its callers join that incident and it closes
/// as a duplicate, in one transaction.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/duplicate", tag = "incidents", request_body = DuplicateInput,
    responses(super::Changed))]
pub async fn duplicate(c: IncidentChange<DuplicateInput>) -> Result<Response, ApiError> {
    let outcome = incidents::mark_duplicate(c.request(), IncidentId(c.body.of)).await?;
    c.answer(StatusCode::OK, outcome)
}
