//! Every error leaves as `application/problem+json` (RFC 9457), mapped here and only here.
//! `detail` is written for the person at the console; `code` is stable for programs; `field`
//! names the input to fix.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use controlroom_app::AppError;
use controlroom_app::StoreError;
use controlroom_app::audit_trail::VerifyError;
use serde::Serialize;
use utoipa::ToSchema;

/// A refusal: the status and headers it goes with, and the problem body it sends, written
/// once when the error is made (boxed: every `Result` in the edge carries this error).
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// Seconds for a `Retry-After` header (429 answers).
    pub retry_after: Option<u64>,
    pub problem: Box<Problem>,
}

/// RFC 9457 problem details.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URN naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What went wrong and what to do, in plain words.
    pub detail: String,
    /// Stable machine-readable code, e.g. `invalid_input`, `incident_closed`.
    pub code: String,
    /// The input field at fault, e.g. `caller.name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every rule a closure breaks, when there is more than one thing to fix.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<RuleProblem>,
}

/// One broken rule: its identifier (e.g. `NCRS-DECISION`), the field and what to do.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RuleProblem {
    pub rule: String,
    pub field: String,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Self {
            status,
            retry_after: None,
            problem: Box::new(Problem {
                kind: format!("urn:controlroom:problem:{code}"),
                title: status.canonical_reason().unwrap_or("Error").to_owned(),
                status: status.as_u16(),
                detail: detail.into(),
                code: code.to_owned(),
                field: None,
                problems: Vec::new(),
            }),
        }
    }

    pub fn invalid(field: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", detail).at_field(field)
    }

    /// The same refusal, naming the input field at fault.
    pub fn at_field(mut self, field: &str) -> Self {
        self.problem.field = Some(field.to_owned());
        self
    }
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        match err {
            AppError::Invalid(invalid) => {
                let detail = invalid.to_string();
                Self::invalid(&invalid.field, detail)
            }
            AppError::Inconsistent(problems) => {
                let detail = format!(
                    "the incident cannot be closed yet: {}",
                    problems
                        .iter()
                        .map(|p| format!("{} ({})", p.message, p.rule))
                        .collect::<Vec<_>>()
                        .join("; ")
                );
                let mut error = Self::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "closure_inconsistent",
                    detail,
                );
                error.problem.field = problems.first().map(|p| p.field.to_owned());
                error.problem.problems = problems
                    .into_iter()
                    .map(|p| RuleProblem {
                        rule: p.rule.to_owned(),
                        field: p.field.to_owned(),
                        message: p.message,
                    })
                    .collect();
                error
            }
            AppError::Rejected(rejected) => {
                Self::new(StatusCode::CONFLICT, rejected.code, rejected.reason)
            }
            AppError::NotFound(what) => Self::new(StatusCode::NOT_FOUND, "not_found", what),
            AppError::Unauthenticated(why) => {
                Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", why)
            }
            AppError::Forbidden(why) => Self::new(StatusCode::FORBIDDEN, "forbidden", why),
            AppError::Throttled {
                detail,
                retry_after_secs,
            } => Self {
                retry_after: Some(retry_after_secs),
                ..Self::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", detail)
            },
            AppError::Conflict(why) => Self::new(StatusCode::CONFLICT, "conflict", why),
            AppError::Store(StoreError::Unavailable(why)) => {
                tracing::error!(%why, "database unavailable");
                Self {
                    retry_after: Some(RETRY_UNAVAILABLE_SECS),
                    ..Self::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "database_unavailable",
                        "the database is not answering; nothing was saved. Try again, and tell the duty engineer if it persists",
                    )
                }
            }
            AppError::Store(other) => internal(&other),
            AppError::Corrupt(why) => internal(&why),
        }
    }
}

impl From<VerifyError> for ApiError {
    fn from(err: VerifyError) -> Self {
        match err {
            VerifyError::App(app) => app.into(),
            broken => Self::new(
                StatusCode::CONFLICT,
                "audit_chain_broken",
                broken.to_string(),
            ),
        }
    }
}

/// When a client should try again after the database did not answer.
pub const RETRY_UNAVAILABLE_SECS: u64 = 5;

fn internal(cause: &dyn std::fmt::Display) -> ApiError {
    // The cause goes to the log, never to the client.
    tracing::error!(%cause, "internal error");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
        "something went wrong on our side and nothing was saved; tell the duty engineer",
    )
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(*self.problem)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<controlroom_domain::Invalid> for ApiError {
    fn from(invalid: controlroom_domain::Invalid) -> Self {
        Self::from(controlroom_app::AppError::from(invalid))
    }
}
