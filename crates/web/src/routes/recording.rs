//! The NCRS recording decision: the non-crime decision on an incident, the recorder's queue,
//! the supervisor's compliance view and the registrar's crime data integrity check.

use super::Answer;
use crate::AppState;
use crate::dto::{IncidentSummary, RecordingClockView};
use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller, IncidentChange};
use axum::Json;
use axum::http::StatusCode;
use axum::response::Response;
use controlroom_app::recording::{self, ClockedReport, Period, Tally};
use controlroom_domain::ncrs::NonCrimeReason;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NonCrimeInput {
    /// `no_notifiable_offence`, `credible_evidence_to_the_contrary`,
    /// `third_party_not_confirmed` or `another_force_records`.
    pub reason: String,
    /// Why, in words an inspector can check.
    #[schema(max_length = 2000)]
    pub rationale: String,
}

/// Record that no crime is to be recorded for an incident, with the reason (NCRS).
#[utoipa::path(post, path = "/api/v1/incidents/{id}/non-crime", tag = "crime", request_body = NonCrimeInput,
    responses(super::Changed))]
pub async fn non_crime(c: IncidentChange<NonCrimeInput>) -> Result<Response, ApiError> {
    let b = &c.body;
    let outcome =
        recording::decide_non_crime(c.app(), &c.actor, c.id, &b.reason, &b.rationale, c.key())
            .await?;
    c.answer(StatusCode::OK, outcome)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonView {
    pub code: String,
    pub label: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClockedReportView {
    pub incident: IncidentSummary,
    pub clock: RecordingClockView,
}

fn clocked(report: ClockedReport, now: Timestamp) -> ClockedReportView {
    ClockedReportView {
        clock: RecordingClockView::new(&report.clock, now),
        incident: IncidentSummary::from(report.incident),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueView {
    /// Reports of crime awaiting a decision, oldest report first.
    pub reports: Vec<ClockedReportView>,
    pub overdue: usize,
    /// The reasons a non-crime decision can give.
    pub non_crime_reasons: Vec<ReasonView>,
}

/// The crime recorder's queue: reports of crime awaiting the 24-hour recording decision.
#[utoipa::path(get, path = "/api/v1/crime-recording/queue", tag = "crime",
    responses((status = 200, body = QueueView)))]
pub async fn queue(c: Caller) -> Answer<QueueView> {
    let reports = recording::queue(c.app(), &c.actor).await?;
    let now = c.state.app.clock.now();
    let reports: Vec<ClockedReportView> = reports.into_iter().map(|r| clocked(r, now)).collect();
    Ok(Json(QueueView {
        overdue: reports
            .iter()
            .filter(|r| r.clock.state == "overdue")
            .count(),
        reports,
        non_crime_reasons: NonCrimeReason::ALL
            .iter()
            .map(|r| ReasonView {
                code: r.as_str().to_owned(),
                label: r.label().to_owned(),
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodParams {
    /// Incidents opened at or after (RFC 3339); default seven days before `to`.
    from: Option<String>,
    /// Incidents opened before (RFC 3339); default now.
    to: Option<String>,
}

fn period(state: &AppState, params: ApiQuery<PeriodParams>) -> Result<Period, ApiError> {
    let ApiQuery(p) = params;
    let time = |field: &str, raw: &str| -> Result<Timestamp, ApiError> {
        Ok(controlroom_domain::text::parse_time(field, raw)?)
    };
    let to = match p.to.as_deref() {
        Some(raw) => time("to", raw)?,
        None => state.app.clock.now(),
    };
    let from = p.from.as_deref().map(|raw| time("from", raw)).transpose()?;
    Ok(Period::until(to, from))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ComplianceView {
    pub from: String,
    pub to: String,
    #[serde(flatten)]
    pub tally: Tally,
    pub overdue_reports: Vec<ClockedReportView>,
    pub truncated: bool,
}

/// The supervisor's view: how a period's reports of crime stand against the 24-hour standard.
#[utoipa::path(get, path = "/api/v1/crime-recording/compliance", tag = "crime", params(PeriodParams),
    responses((status = 200, body = ComplianceView)))]
pub async fn compliance(caller: Caller, params: ApiQuery<PeriodParams>) -> Answer<ComplianceView> {
    let period = period(&caller.state, params)?;
    let c = recording::compliance(caller.app(), &caller.actor, period).await?;
    let now = caller.app().clock.now();
    Ok(Json(ComplianceView {
        from: c.period.from.to_string(),
        to: c.period.to.to_string(),
        tally: c.tally,
        overdue_reports: c
            .overdue_reports
            .into_iter()
            .map(|r| clocked(r, now))
            .collect(),
        truncated: c.truncated,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FindingView {
    pub incident: IncidentSummary,
    /// What suggests a crime, e.g. "closing code CRIME_VIOLENCE is in the Crime category".
    pub reasons: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrityCheckView {
    pub from: String,
    pub to: String,
    /// Incidents without a recording decision that were read.
    pub examined: usize,
    pub findings: Vec<FindingView>,
    pub truncated: bool,
}

/// Crime data integrity check: incidents that suggest a crime but have neither a crime record
/// nor a non-crime decision (at most 31 days at a time).
#[utoipa::path(get, path = "/api/v1/crime-recording/integrity-check", tag = "crime", params(PeriodParams),
    responses((status = 200, body = IntegrityCheckView)))]
pub async fn integrity_check(
    c: Caller,
    params: ApiQuery<PeriodParams>,
) -> Answer<IntegrityCheckView> {
    let period = period(&c.state, params)?;
    let check = recording::integrity_check(c.app(), &c.actor, period).await?;
    Ok(Json(IntegrityCheckView {
        from: check.period.from.to_string(),
        to: check.period.to.to_string(),
        examined: check.examined,
        findings: check
            .findings
            .into_iter()
            .map(|f| FindingView {
                incident: IncidentSummary::from(f.incident),
                reasons: f.reasons,
            })
            .collect(),
        truncated: check.truncated,
    }))
}
