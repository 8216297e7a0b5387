//! Storage ports: what the use cases need from a database, and nothing about which one.
//!
//! There is one write path, [`WriteTx`]: a transaction that holds the single audit-chain lock
//! from `begin` to `commit`, so every change and its audit records are appended in one order,
//! and decisions are made on state nobody else can change meanwhile. Reads that need no
//! audit record go straight to [`Store`].
//!
//! One SQL implementation (`controlroom-store-sql`) serves both backends; its adapters
//! (`controlroom-store-sqlite`, `controlroom-store-postgres`) must pass the same
//! `conformance` suite. A new audit record's hash and seal are worked out here, in
//! [`chain`], never by an adapter.

pub mod chain;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod records;
pub mod sql;

use async_trait::async_trait;
use controlroom_domain::audit::{AuditRecord, StoredRecord};
use controlroom_domain::stream::StreamKind;
use controlroom_domain::user::Username;
pub use records::*;

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("the database cannot be reached: {0}")]
    Unavailable(String),
    #[error("{0} already exists")]
    Conflict(String),
    #[error("stored data cannot be read: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `sqlite` or `postgres`, for logs and `/readyz`.
    fn backend(&self) -> &'static str;

    /// A cheap query that proves the database answers.
    async fn ping(&self) -> StoreResult<()>;

    /// Start a write transaction holding the audit-chain lock (writers queue here).
    async fn begin(&self) -> StoreResult<Box<dyn WriteTx>>;

    /// How the write transactions are being committed (group commit: requests that queue
    /// while one is deciding are committed together), for `/metrics`.
    fn write_stats(&self) -> WriteStats {
        WriteStats::default()
    }

    /// Start counting a sign-in attempt by `username` from `address`: a transaction that
    /// holds that name and that address (PostgreSQL: advisory locks, the name's first, on
    /// every server; SQLite: the file's write lock), but not the audit-chain lock, so a flood
    /// of guesses never queues behind, or holds up, the control room's writes. Attempts on
    /// the same name or from the same address are decided one after another.
    async fn begin_sign_in(&self, username: &str, address: &str) -> StoreResult<Box<dyn SignInTx>>;

    /// Change records of one stream, oldest first.
    async fn stream(&self, stream: &str) -> StoreResult<Vec<AuditRecord>>;

    /// The names of the streams of one kind that start with `prefix` (e.g. every diary slot
    /// of a day; `StreamId::prefix(kind, "")` for all of the kind). Reads only that kind.
    async fn streams(&self, kind: StreamKind, prefix: &str) -> StoreResult<Vec<String>>;

    /// The change records of up to `limit` streams of `kind` whose names sort after `after`
    /// (`""` for the first page), ordered by stream and then seq, so each stream's records are
    /// together. Reading a whole kind this way takes one query per page, not one per stream.
    async fn streams_page(
        &self,
        kind: StreamKind,
        after: &str,
        limit: i64,
    ) -> StoreResult<Vec<AuditRecord>>;

    async fn list_incidents(&self, filter: &IncidentFilter) -> StoreResult<Vec<IncidentRow>>;

    async fn list_crimes(&self, filter: &CrimeFilter) -> StoreResult<Vec<CrimeRow>>;

    async fn user(&self, username: &Username) -> StoreResult<Option<UserRow>>;

    async fn list_users(&self) -> StoreResult<Vec<UserRow>>;

    /// A setting kept in the database itself (e.g. `demo`: this database was created as a
    /// demo force).
    async fn setting(&self, name: &str) -> StoreResult<Option<String>>;

    async fn session(&self, token_hash: &str) -> StoreResult<Option<SessionRow>>;

    /// A session and the user it belongs to, in one read: every authenticated request asks
    /// this, so it is one trip to the database, not two. `None` when either is gone.
    async fn session_user(&self, token_hash: &str) -> StoreResult<Option<(SessionRow, UserRow)>>;

    /// Every session row, for `audit verify` to hold against the chain.
    async fn list_sessions(&self) -> StoreResult<Vec<SessionRow>>;

    /// Move a session's last activity on. Not audited: it records no personal data.
    async fn touch_session(&self, token_hash: &str, at_micros: i64) -> StoreResult<()>;

    /// Audit records with `seq > after`, in order, at most `limit`.
    async fn audit_records(&self, after: i64, limit: i64) -> StoreResult<Vec<StoredRecord>>;

    /// [`Store::audit_records`] without their payloads and hashes: what a follower of the
    /// log needs to know which streams changed, read at a fraction of the cost.
    async fn log_entries(&self, after: i64, limit: i64) -> StoreResult<Vec<LogEntry>>;

    /// The chain head written with the last append: `(seq, hash)`.
    async fn chain_head(&self) -> StoreResult<Option<(i64, String)>>;

    /// The seq of `username`'s last committed change to what the search index holds
    /// ([`NewRecord::searchable`]), 0 if none: how far an index must have got before that
    /// user's search, to show them their own changes.
    async fn search_mark(&self, username: &str) -> StoreResult<i64>;

    /// The list rows of the incidents with these ids (those that exist, in no set order):
    /// what the live feed sends for the incidents a stretch of the log changed.
    async fn incident_rows(&self, ids: &[String]) -> StoreResult<Vec<IncidentRow>>;

    /// A consistent view of the database as it is now (PostgreSQL: a `REPEATABLE READ`
    /// transaction; SQLite: one read transaction): what `audit verify` reads, so the log, its
    /// head and the lists are seen at one moment however busy the servers are.
    async fn snapshot(&self) -> StoreResult<Box<dyn Snapshot>>;

    /// Take the lock named `name` if nobody holds it: on PostgreSQL among every server on the
    /// database (an advisory lock), on SQLite within this process (the one server a SQLite
    /// file has). `None`: someone else holds it now. Dropping the guard releases it. For work
    /// one server should do at a time, such as writing an audit checkpoint.
    async fn exclusive(&self, name: &str) -> StoreResult<Option<Box<dyn Exclusive>>>;

    /// Wakes whoever follows the audit log when records commit: at once for this process's
    /// own commits, and through the database's notifications for other servers' (PostgreSQL
    /// `LISTEN/NOTIFY`). A follower still polls as well: a notification is lost with the
    /// connection that was to carry it.
    fn watch_log(&self) -> Box<dyn LogWatch>;

    /// The gazetteer's latest revision: every gazetteer write takes the next one (under the
    /// write lock, so revisions commit in order), and each row keeps the revision that last
    /// changed it. 0 for an empty gazetteer.
    async fn gazetteer_revision(&self) -> StoreResult<i64>;

    /// Gazetteer rows last changed by a revision in `after < revision <= upto`.
    async fn gazetteer_changes(&self, after: i64, upto: i64) -> StoreResult<GazetteerChanges>;

    async fn gazetteer_address(&self, uprn: i64) -> StoreResult<Option<AddressRow>>;

    /// The positions held now for these UPRNs (those the gazetteer has), `(uprn, lat, lon)`:
    /// what an import compares with to report a UPRN that moved.
    async fn gazetteer_positions(&self, uprns: &[i64]) -> StoreResult<Vec<(i64, f64, f64)>>;
    /// A street by its id (`usrn:N` or the Open Names id).
    async fn gazetteer_street(&self, id: &str) -> StoreResult<Option<StreetRow>>;
    /// A named place by its id.
    async fn gazetteer_place(&self, id: &str) -> StoreResult<Option<PlaceRow>>;
    /// A postcode's centroid, by the postcode in standard form (`LS8 3AA`).
    async fn gazetteer_postcode(&self, postcode: &str) -> StoreResult<Option<PostcodeRow>>;
    /// Addresses with words whose position is inside `bbox` (min lat, min lon, max lat, max
    /// lon), at most `limit`, by UPRN.
    async fn gazetteer_addresses_within(
        &self,
        bbox: (f64, f64, f64, f64),
        limit: i64,
    ) -> StoreResult<Vec<AddressRow>>;
    async fn gazetteer_counts(&self) -> StoreResult<GazetteerCounts>;
    /// Streets (with a USRN and an extent) whose extent meets `bbox` (min lat, min lon, max
    /// lat, max lon), longest first, at most `limit`.
    async fn gazetteer_streets_within(
        &self,
        bbox: (f64, f64, f64, f64),
        limit: i64,
    ) -> StoreResult<Vec<StreetRow>>;
    /// The addresses on these USRNs, as points to draw the streets through (at most `limit`,
    /// by USRN then UPRN).
    async fn gazetteer_street_points(
        &self,
        usrns: &[i64],
        limit: i64,
    ) -> StoreResult<Vec<StreetPoint>>;

    /// Close the pool, waiting for connections to finish.
    async fn close(&self);
}

/// See [`Store::snapshot`]: the reads an audit needs, all at one moment. Dropping it ends it.
#[async_trait]
pub trait Snapshot: Send {
    async fn audit_records(&mut self, after: i64, limit: i64) -> StoreResult<Vec<StoredRecord>>;
    async fn chain_head(&mut self) -> StoreResult<Option<(i64, String)>>;
    async fn stream(&mut self, stream: &str) -> StoreResult<Vec<AuditRecord>>;
    async fn list_incidents(&mut self, filter: &IncidentFilter) -> StoreResult<Vec<IncidentRow>>;
    async fn list_crimes(&mut self, filter: &CrimeFilter) -> StoreResult<Vec<CrimeRow>>;
    async fn list_users(&mut self) -> StoreResult<Vec<UserRow>>;
    async fn list_sessions(&mut self) -> StoreResult<Vec<SessionRow>>;
}

/// See [`Store::write_stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Write transactions waiting for their turn now.
    pub waiting: u64,
    /// Database commits of write transactions so far (each one flush to disk).
    pub commits: u64,
    /// Write transactions committed so far (several may share one commit).
    pub requests: u64,
}

/// A lock taken by [`Store::exclusive`]; released when dropped.
pub trait Exclusive: Send {}

/// See [`Store::watch_log`].
#[async_trait]
pub trait LogWatch: Send {
    /// Waits until a commit newer than the last one reported is announced, and returns the
    /// newest sequence announced; `None` once the store is closed.
    async fn changed(&mut self) -> Option<i64>;
}

/// See [`Store::begin_sign_in`]: counting one sign-in attempt, apart from the audit chain.
#[async_trait]
pub trait SignInTx: Send {
    /// Sign-in attempts at or after `since_micros` that count against `username` or come
    /// from `address` (see [`SignInAttemptRow`]). Read in the transaction that then
    /// records the attempt, so parallel attempts on the same name or address, on any server,
    /// are counted one after another.
    async fn sign_in_attempts(
        &mut self,
        username: &str,
        address: &str,
        since_micros: i64,
    ) -> StoreResult<Vec<SignInAttemptRow>>;

    /// Whether `username` signed in successfully from `address` at or after `since_micros`.
    async fn known_sign_in_address(
        &mut self,
        username: &str,
        address: &str,
        since_micros: i64,
    ) -> StoreResult<bool>;

    /// Count an attempt as failed before its password is checked; returns its id (for
    /// [`WriteTx::sign_in_succeeded`]). Attempts before `forget_before_micros` are deleted.
    async fn record_sign_in_attempt(
        &mut self,
        username: &str,
        address: &str,
        at_micros: i64,
        forget_before_micros: i64,
    ) -> StoreResult<i64>;

    async fn commit(self: Box<Self>) -> StoreResult<()>;
}

#[async_trait]
pub trait WriteTx: Send {
    /// Append one record to the audit chain; returns its sequence number.
    async fn append(&mut self, record: NewRecord) -> StoreResult<i64>;

    /// Change records of one stream, oldest first, as this transaction sees them.
    async fn stream(&mut self, stream: &str) -> StoreResult<Vec<AuditRecord>>;

    /// [`WriteTx::stream`]'s records after seq `after` only: what a record known as of
    /// `after` has had since, read without the history before it.
    async fn stream_after(&mut self, stream: &str, after: i64) -> StoreResult<Vec<AuditRecord>>;

    /// The next number of the day for incident references (1, 2, 3… per day).
    async fn next_incident_number(&mut self, day: &str) -> StoreResult<u32>;

    /// The next crime number of the year (1, 2, 3… per year). Crime counters share the
    /// reference-counter table with incidents under their own key, so no migration is needed.
    async fn next_crime_number(&mut self, year: i16) -> StoreResult<u32> {
        self.next_incident_number(&format!("crime/{year}")).await
    }

    /// Insert or replace the incident's row in the listing projection.
    async fn save_incident_row(&mut self, row: &IncidentRow) -> StoreResult<()>;

    /// Insert or replace the crime's row in the crime list.
    async fn save_crime_row(&mut self, row: &CrimeRow) -> StoreResult<()>;

    async fn insert_user(&mut self, user: &UserRow) -> StoreResult<()>;

    async fn insert_session(&mut self, session: &SessionRow) -> StoreResult<()>;

    /// Write a database setting (see [`Store::setting`]); a name already set is refused.
    async fn insert_setting(&mut self, name: &str, value: &str, at_micros: i64) -> StoreResult<()>;

    async fn delete_session(&mut self, token_hash: &str) -> StoreResult<()>;

    /// End every session of one user (their password changed); returns how many.
    async fn delete_user_sessions(&mut self, username: &str) -> StoreResult<u64>;

    /// Replace a user's roles (at least one, in order). A user not on file is an error.
    async fn replace_user_roles(&mut self, username: &str, roles: &[String]) -> StoreResult<()>;

    /// Store a new password hash. A user not on file is an error.
    async fn set_password_hash(&mut self, username: &str, password_hash: &str) -> StoreResult<()>;

    /// The attempt `attempt_id` was right: take it back, clear the name's failures made at
    /// or after `counting_since_micros` (they keep counting against their addresses; older
    /// ones count for nothing and are left for [`SignInTx::record_sign_in_attempt`] to
    /// forget), and remember that `address` knows the name's password. Addresses last
    /// proven before `forget_before_micros` are forgotten.
    async fn sign_in_succeeded(
        &mut self,
        attempt_id: i64,
        username: &str,
        address: &str,
        at_micros: i64,
        counting_since_micros: i64,
        forget_before_micros: i64,
    ) -> StoreResult<()>;

    async fn idempotent_response(
        &mut self,
        actor: &str,
        key: &str,
    ) -> StoreResult<Option<IdempotentResponse>>;

    async fn save_idempotent_response(
        &mut self,
        actor: &str,
        key: &str,
        response: &IdempotentResponse,
        at_micros: i64,
    ) -> StoreResult<()>;

    /// The next gazetteer revision (see [`Store::gazetteer_revision`]). Gazetteer revisions
    /// share the reference-counter table under their own key, so no counter table is added.
    async fn next_gazetteer_revision(&mut self) -> StoreResult<i64> {
        self.next_incident_number("gazetteer").await.map(i64::from)
    }

    /// Upsert a batch of gazetteer rows at `revision`. Rows that would not change are left
    /// alone (and keep their revision); returns how many rows were inserted or changed.
    async fn upsert_gazetteer(&mut self, batch: &GazetteerBatch, revision: i64)
    -> StoreResult<u64>;

    /// Rebuild the streets known by USRN from their addresses (name, locality, town, a
    /// representative point and extent), at `revision`. Returns the streets changed.
    async fn derive_streets(&mut self, revision: i64) -> StoreResult<u64>;

    /// Take `call_sign` for the unit whose stream is `stream`: [`StoreError::Conflict`] if
    /// any unit has it already, on any server.
    async fn claim_call_sign(&mut self, call_sign: &str, stream: &str) -> StoreResult<()>;

    async fn commit(self: Box<Self>) -> StoreResult<()>;
}

/// Map tiles the server itself serves (an MBTiles file): the image at `z/x/y` in the XYZ
/// scheme (y down from the north), or `None` when the file has no such tile.
#[async_trait]
pub trait TileSource: Send + Sync + std::fmt::Debug {
    async fn tile(&self, z: u8, x: u32, y: u32) -> StoreResult<Option<Vec<u8>>>;
    /// The tiles' media type, e.g. `image/png`.
    fn content_type(&self) -> &str;
    /// The file's attribution (its `metadata` table), if any.
    fn attribution(&self) -> Option<&str>;
}
