//! The NCRS recording decision around crimes: the non-crime decision, the recorder's queue of
//! reports awaiting a decision, the on-time share a supervisor reports, and the crime data
//! integrity check a registrar audits.
//!
//! The queue and the share read the incident list's NCRS columns (one indexed query, no
//! replay); the integrity check replays each undecided incident of its period because it reads
//! the narrative, so its period and size are bounded.

use crate::incidents::{IncidentOutcome, run};
use crate::records::{micros, rebuild, record_access};
use crate::{Actor, App, AppError, Idempotency};
use controlroom_domain::Invalid;
use controlroom_domain::incident::{IncidentCommand, IncidentId};
use controlroom_domain::ncrs::{ClockState, OnTimeShare, RecordingClock, crime_indicators};
use controlroom_domain::roles::Permission;
use controlroom_store::{IncidentFilter, IncidentRow, RecordingFilter};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

/// The most reports one queue or period shows; a force with more has a bigger problem than
/// paging, and the response says when it was cut short.
pub const MAX_ROWS: usize = 2_000;
/// The longest period the integrity check reads in one go.
pub const MAX_CHECK_DAYS: i64 = 31;

/// Record that a reported incident is not to be recorded as a crime, with the reason and the
/// rationale (NCRS). A recorded crime is not undone this way: that is HOCR Section C.
pub async fn decide_non_crime(
    app: &App,
    actor: &Actor,
    id: IncidentId,
    reason: &str,
    rationale: &str,
    idempotency: Option<&Idempotency>,
) -> Result<IncidentOutcome, AppError> {
    let actor = &actor.require(Permission::RecordCrime, "make crime-recording decisions")?;
    let command = IncidentCommand::decide_non_crime(reason, rationale)?;
    run(app, actor, id, command, idempotency).await
}

/// One report of crime and where its recording decision stands.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockedReport {
    pub incident: IncidentRow,
    pub clock: RecordingClock,
    pub state: ClockState,
}

fn time(micros: i64) -> Result<Timestamp, AppError> {
    Timestamp::from_microsecond(micros)
        .map_err(|e| AppError::Corrupt(format!("a stored time is out of range: {e}")))
}

fn clocked(row: IncidentRow, now: Timestamp) -> Result<Option<ClockedReport>, AppError> {
    let Some(reported) = row.crime_report_at_micros else {
        return Ok(None);
    };
    let mut clock = RecordingClock::start(time(reported)?);
    if let Some(decided) = row.recording_decided_at_micros {
        clock = clock
            .decide(time(decided)?.max(clock.started_at))
            .map_err(|e| AppError::Corrupt(e.to_string()))?;
    }
    Ok(Some(ClockedReport {
        state: clock.state(now),
        clock,
        incident: row,
    }))
}

async fn listed(
    app: &App,
    actor: &Actor,
    kind: &str,
    rows: &[IncidentRow],
    detail: serde_json::Value,
) -> Result<(), AppError> {
    record_access(
        app,
        actor,
        "crime-recording".to_owned(),
        kind,
        json!({
            "detail": detail,
            "references": rows.iter().map(|r| r.reference.as_str()).collect::<Vec<_>>(),
        }),
    )
    .await?;
    Ok(())
}

/// `actor` acting as a reviewer of crime recording (the queue, compliance, the integrity
/// check), for `doing`.
fn reviewer(actor: &Actor, doing: &str) -> Result<Actor, AppError> {
    actor.require(Permission::ReviewCrimeRecording, doing)
}

fn limit() -> i64 {
    i64::try_from(MAX_ROWS).unwrap_or(i64::MAX)
}

/// The recorder's queue: reports of crime still awaiting a decision, the oldest report (the
/// most overdue) first. The read lists incidents, so it is audited.
pub async fn queue(app: &App, actor: &Actor) -> Result<Vec<ClockedReport>, AppError> {
    let actor = &reviewer(actor, "see the crime-recording queue")?;
    let rows = app
        .store
        .list_incidents(&IncidentFilter {
            recording: Some(RecordingFilter::AwaitingDecision),
            limit: limit(),
            ..IncidentFilter::default()
        })
        .await?;
    listed(app, actor, "recording_queue_viewed", &rows, json!({})).await?;
    let now = app.now();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.extend(clocked(row, now)?);
    }
    Ok(out)
}

/// How a period's reports of crime stand against the 24-hour standard.
#[derive(Debug, Clone, PartialEq)]
pub struct Compliance {
    pub period: Period,
    pub tally: Tally,
    /// Undecided reports past their 24 hours, whenever reported, most overdue first: the
    /// supervisor's list.
    pub overdue_reports: Vec<ClockedReport>,
    /// True when the period held more than [`MAX_ROWS`] reports and only the newest are here.
    pub truncated: bool,
}

/// The period's reports counted by where their decision stands.
// The compliance answer flattens it as it is beside the period and the overdue reports.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Tally {
    pub reports: usize,
    pub decided_on_time: usize,
    pub decided_late: usize,
    /// Reports of the period still awaiting a decision.
    pub awaiting: usize,
    /// Reports overdue now, whenever reported.
    pub overdue: usize,
    /// Decisions made within 24 hours out of decisions made (percent, one decimal place).
    pub on_time_percent: Option<f64>,
}

/// The stretch of time `[from, to)` a compliance report or an integrity check reads: the
/// incidents opened in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Timestamp,
    pub to: Timestamp,
}

impl Period {
    /// Up to `to`, from `from` or, when not given, the seven days before.
    pub fn until(to: Timestamp, from: Option<Timestamp>) -> Self {
        Period {
            from: from.unwrap_or(to - SignedDuration::from_hours(24 * 7)),
            to,
        }
    }

    /// Refused unless it ends after it starts and, when `max_days` is given, lasts no longer.
    fn check(self, max_days: Option<i64>) -> Result<Self, AppError> {
        let Period { from, to } = self;
        if to <= from {
            return Err(Invalid::new("to", "the end of the period must be after its start").into());
        }
        if let Some(days) = max_days
            && to.duration_since(from) > SignedDuration::from_hours(24 * days)
        {
            return Err(Invalid::new(
                "to",
                format!("the period can be at most {days} days; run it in parts"),
            )
            .into());
        }
        Ok(self)
    }
}

/// Incidents opened in `period` that `recording` selects, at most [`MAX_ROWS`] (newest
/// first), and whether there were more.
async fn opened_in(
    app: &App,
    recording: RecordingFilter,
    period: Period,
) -> Result<(Vec<IncidentRow>, bool), AppError> {
    let mut rows = app
        .store
        .list_incidents(&IncidentFilter {
            recording: Some(recording),
            opened_from_micros: Some(micros(period.from)),
            opened_before_micros: Some(micros(period.to)),
            limit: limit() + 1,
            ..IncidentFilter::default()
        })
        .await?;
    let truncated = rows.len() > MAX_ROWS;
    rows.truncate(MAX_ROWS);
    Ok((rows, truncated))
}

/// The supervisor's view of recording compliance for incidents opened in `period`.
pub async fn compliance(app: &App, actor: &Actor, period: Period) -> Result<Compliance, AppError> {
    let actor = &reviewer(actor, "see crime-recording compliance")?;
    let period = period.check(None)?;
    let (rows, truncated) = opened_in(app, RecordingFilter::CrimeReports, period).await?;
    let now = app.now();
    let mut reports = Vec::with_capacity(rows.len());
    for row in rows {
        reports.extend(clocked(row, now)?);
    }
    let share = OnTimeShare::of(reports.iter().map(|r| &r.clock));
    let count = |f: fn(&ClockState) -> bool| reports.iter().filter(|r| f(&r.state)).count();
    let decided_on_time = count(|s| matches!(s, ClockState::DecidedOnTime));
    let decided_late = count(|s| matches!(s, ClockState::DecidedLate { .. }));
    let awaiting = count(|s| matches!(s, ClockState::Running { .. } | ClockState::Overdue { .. }));
    // Overdue now, whenever reported: the longest overdue are the ones a period would hide.
    let mut overdue_reports = Vec::new();
    for row in app
        .store
        .list_incidents(&IncidentFilter {
            recording: Some(RecordingFilter::AwaitingDecision),
            limit: limit(),
            ..IncidentFilter::default()
        })
        .await?
    {
        overdue_reports
            .extend(clocked(row, now)?.filter(|r| matches!(r.state, ClockState::Overdue { .. })));
    }
    let overdue_rows: Vec<IncidentRow> =
        overdue_reports.iter().map(|r| r.incident.clone()).collect();
    listed(
        app,
        actor,
        "recording_compliance_viewed",
        &overdue_rows,
        json!({ "from": period.from.to_string(), "to": period.to.to_string() }),
    )
    .await?;
    Ok(Compliance {
        period,
        tally: Tally {
            reports: reports.len(),
            decided_on_time,
            decided_late,
            awaiting,
            overdue: overdue_reports.len(),
            on_time_percent: share.percent(),
        },
        overdue_reports,
        truncated,
    })
}

/// An incident that suggests a crime but has neither a crime record nor a non-crime decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub incident: IncidentRow,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IntegrityCheck {
    pub period: Period,
    /// Undecided incidents read.
    pub examined: usize,
    pub findings: Vec<Finding>,
    pub truncated: bool,
}

/// The crime data integrity check for incidents opened in `period`: every incident whose
/// codes, qualifiers or account suggest a crime, with no recording decision. It reads
/// narratives, so it is limited to the registrar's and auditors' roles and audited.
pub async fn integrity_check(
    app: &App,
    actor: &Actor,
    period: Period,
) -> Result<IntegrityCheck, AppError> {
    let actor = &reviewer(actor, "run the crime data integrity check")?;
    let period = period.check(Some(MAX_CHECK_DAYS))?;
    let (rows, truncated) = opened_in(app, RecordingFilter::Undecided, period).await?;
    let mut findings = Vec::new();
    let mut examined = 0;
    for row in rows {
        examined += 1;
        let records = app.store.stream(&format!("incident/{}", row.id)).await?;
        let Some(incident) = rebuild(&records, None)? else {
            continue;
        };
        let reasons = crime_indicators(&incident, &app.settings.reference);
        if !reasons.is_empty() {
            findings.push(Finding {
                incident: row,
                reasons,
            });
        }
    }
    let rows: Vec<IncidentRow> = findings.iter().map(|f| f.incident.clone()).collect();
    listed(
        app,
        actor,
        "integrity_check_run",
        &rows,
        json!({
            "from": period.from.to_string(),
            "to": period.to.to_string(),
            "examined": examined,
        }),
    )
    .await?;
    Ok(IntegrityCheck {
        period,
        examined,
        findings,
        truncated,
    })
}
