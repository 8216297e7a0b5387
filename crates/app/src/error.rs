use controlroom_domain::Invalid;
use controlroom_domain::incident::Rejected;
use controlroom_store::StoreError;

/// Everything a use case can answer instead of success. Mapped once to HTTP statuses (crate
/// `web`) and to exit codes (the CLI).
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The input is malformed: names the field.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// Well-formed, but not allowed in the incident's current state.
    #[error(transparent)]
    Rejected(#[from] Rejected),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    /// Too many wrong passwords: refused without checking, until `retry_after_secs` pass.
    #[error("{detail}")]
    Throttled {
        detail: String,
        retry_after_secs: u64,
    },
    /// A close that breaks the national standards: every broken rule, for the handler to fix.
    #[error("the incident cannot be closed yet: {}", .0.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("; "))]
    Inconsistent(Vec<controlroom_domain::closure::ClosureProblem>),
    /// Something with that name exists already, or a retried request differs from the first.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(StoreError),
    /// Stored events that do not replay: needs an engineer, never shown in detail to users.
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict(what) => AppError::Conflict(format!("{what} already exists")),
            other => AppError::Store(other),
        }
    }
}
