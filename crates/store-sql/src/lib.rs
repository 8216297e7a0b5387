//! The one SQL implementation of the store ports ([`Store`], [`WriteTx`]), generic over the
//! database. Both backends run the same statements ([`controlroom_store::sql`]) through the
//! same code; a [`Dialect`] (in each adapter crate) supplies only what really differs:
//! connecting and migrating, how a write transaction takes the chain lock, and which error
//! codes mean "not now". A record's hash and seal come from [`ChainTip`]; this crate only
//! stores them.
//!
//! Plain generics, not `sqlx::Any`: every statement is compiled for the backend's own types,
//! with no per-row conversion.

mod batch;
pub mod migrations;

use async_trait::async_trait;
use batch::{Batch, Batcher, Mark, Slot};
use controlroom_domain::audit::{AuditRecord, Category, SealKey, StoredRecord};
use controlroom_domain::stream::StreamKind;
use controlroom_domain::user::Username;
use controlroom_store::chain::ChainTip;
use controlroom_store::sql;
use controlroom_store::{
    AddressRow, CrimeFilter, CrimeRow, Exclusive, GazetteerBatch, GazetteerChanges,
    GazetteerCounts, IdempotentResponse, IncidentFilter, IncidentRow, LogEntry, LogWatch,
    NewRecord, PlaceRow, PostcodeRow, SessionRow, SignInAttemptRow, SignInTx, Snapshot, Store,
    StoreError, StoreResult, StreetPoint, StreetRow, UserRow, WriteStats, WriteTx,
};
use sqlx::pool::PoolOptions;
use sqlx::query::Query;
use sqlx::{
    AssertSqlSafe, ColumnIndex, Connection, Database, Decode, Encode, Executor, IntoArguments,
    Pool, Row, Transaction, Type,
};
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::watch;

/// How long a request waits for the database before it is told to try again.
pub const STORE_TIMEOUT: Duration = Duration::from_secs(3);

/// What one backend does differently; everything else is [`SqlStore`].
pub trait Dialect: Send + Sync + 'static {
    /// The sqlx database (`Sqlite`, `Postgres`); [`SqlDb`] holds for it by itself.
    type Db: SqlDb;

    /// `sqlite` or `postgres`, for logs and `/readyz`.
    const BACKEND: &'static str;

    /// The statement that opens a write transaction, when the driver's plain `BEGIN` does not
    /// take the write lock (SQLite: `BEGIN IMMEDIATE`).
    const BEGIN_WRITE: Option<&'static str>;

    /// How the multi-row inserts a batch stores its rows with write their parameters.
    const PLACEHOLDERS: controlroom_store::sql::Placeholders =
        controlroom_store::sql::Placeholders::Numbered;

    /// Reads `seq, hash` of the chain head as a write transaction's first statement; on a
    /// backend whose `BEGIN` does not lock, it takes the chain lock (`FOR UPDATE`).
    const LOCK_CHAIN_HEAD: &'static str;

    /// Takes the database-wide lock named `$1` for as long as the transaction it runs in, if
    /// it is free, answering one integer column `taken` (1 if taken, 0 if not). `None`: the database has no such
    /// locks (SQLite), and the lock is this process's only.
    const TRY_LOCK: Option<&'static str> = None;

    /// Takes, for as long as the transaction it runs in, the database-wide lock on key `$2`
    /// (text) in namespace `$1` (an integer): what a sign-in transaction holds on its name
    /// (namespace 1) and then its address (2). `None`: `BEGIN_WRITE` already serialises
    /// every writer (SQLite).
    const LOCK_SIGN_IN: Option<&'static str> = None;

    /// Run first in a read transaction that must see one moment throughout (`None`: the
    /// transaction does so already, as SQLite's do).
    const SNAPSHOT: Option<&'static str> = None;

    /// Moves the chain head row on at the end of a write (`$1` seq, `$2` hash). On a database
    /// shared by several servers, the same statement tells the others the log has grown
    /// (PostgreSQL: `pg_notify`, delivered when the transaction commits).
    const UPDATE_CHAIN_HEAD: &'static str = sql::UPDATE_CHAIN_HEAD;

    /// Hear the other servers' announcements until aborted, moving `heard` on to each seq
    /// announced. Where there is nobody else to hear (SQLite), nothing to do.
    fn listen(
        pool: Pool<Self::Db>,
        heard: Arc<watch::Sender<i64>>,
    ) -> impl Future<Output = ()> + Send + 'static {
        drop((pool, heard));
        std::future::ready(())
    }

    /// Open (creating or migrating as needed) the database at `url`.
    fn connect(url: &str) -> impl Future<Output = StoreResult<Pools<Self::Db>>> + Send;

    /// Whether a database error code means "not now, try again" (busy, shutting down…).
    fn unavailable(code: &str) -> bool;

    /// Rows a statement changed (sqlx has no trait for it).
    fn rows_affected(done: &<Self::Db as Database>::QueryResult) -> u64;

    /// A sqlx error as the ports report it.
    fn error(err: sqlx::Error) -> StoreError {
        match err {
            sqlx::Error::Database(e) if e.is_unique_violation() => {
                StoreError::Conflict(e.message().to_owned())
            }
            sqlx::Error::Database(e) if e.code().is_some_and(|c| Self::unavailable(&c)) => {
                StoreError::Unavailable(e.message().to_owned())
            }
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(err.to_string()),
            sqlx::Error::ColumnDecode { .. }
            | sqlx::Error::Decode(_)
            | sqlx::Error::ColumnNotFound(_) => StoreError::Corrupt(err.to_string()),
            other => StoreError::Database(other.to_string()),
        }
    }
}

/// The connections a store holds: every write goes through `writer`; reads go to `reader`,
/// or to `writer` when there is none.
pub struct Pools<DB: Database> {
    pub writer: Pool<DB>,
    pub reader: Option<Pool<DB>>,
}

/// Open a pool of at most `max` connections on `options`; a caller waits at most `wait` for
/// a connection (sqlx's default when `None`).
pub async fn open_pool<D: Dialect>(
    max: u32,
    wait: Option<Duration>,
    options: <<D::Db as Database>::Connection as Connection>::Options,
) -> StoreResult<Pool<D::Db>> {
    let mut pool = PoolOptions::<D::Db>::new().max_connections(max);
    if let Some(wait) = wait {
        pool = pool.acquire_timeout(wait);
    }
    pool.connect_with(options).await.map_err(D::error)
}

/// Bring the database `pool` opens up to date: every migration, rendered for `schema`.
pub async fn migrate<DB: Database>(schema: migrations::Schema, pool: &Pool<DB>) -> StoreResult<()>
where
    DB::Connection: sqlx::migrate::Migrate,
{
    let database = match schema {
        migrations::Schema::Sqlite => "SQLite",
        migrations::Schema::Postgres => "PostgreSQL",
    };
    migrations::migrator(schema)
        .run(pool)
        .await
        .map_err(|e| StoreError::Database(format!("migrating the {database} database: {e}")))
}

/// What [`SqlStore`] needs of a sqlx database, stated once. sqlx says what a backend can do as
/// bounds on other types (`&mut Connection: Executor`, `i64: Encode<DB>`…), and Rust does not
/// carry such bounds from a trait to where it is used; so this trait turns them into methods
/// and supertraits, which it does carry, and the generic code needs only `D::Db: SqlDb`.
pub trait SqlDb: Database<Arguments: IntoArguments<Self>, Row: SqlRow> {
    /// Bind the next parameter.
    fn bind<'q>(
        query: Query<'q, Self, Self::Arguments>,
        value: Param<'_>,
    ) -> Query<'q, Self, Self::Arguments>;

    /// A connection (a transaction's) to run statements on.
    fn on(conn: &mut Self::Connection) -> impl Executor<'_, Database = Self>;

    /// A pool to run statements on.
    fn on_pool(pool: &Pool<Self>) -> impl Executor<'_, Database = Self>;
}

impl<DB> SqlDb for DB
where
    DB: Database<Arguments: IntoArguments<DB>, Row: SqlRow>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'a> Option<&'a str>: Encode<'a, DB> + Type<DB>,
    for<'a> Option<i64>: Encode<'a, DB> + Type<DB>,
    for<'a> Option<f64>: Encode<'a, DB> + Type<DB>,
{
    fn bind<'q>(
        query: Query<'q, Self, Self::Arguments>,
        value: Param<'_>,
    ) -> Query<'q, Self, Self::Arguments> {
        match value {
            Param::Int(v) => query.bind(v),
            Param::Real(v) => query.bind(v),
            Param::Text(v) => query.bind(v),
        }
    }

    fn on(conn: &mut Self::Connection) -> impl Executor<'_, Database = Self> {
        conn
    }

    fn on_pool(pool: &Pool<Self>) -> impl Executor<'_, Database = Self> {
        pool
    }
}

/// A statement parameter: the three SQL types the store binds (`None` is NULL of that type).
#[derive(Debug, Clone, Copy)]
pub enum Param<'a> {
    Int(Option<i64>),
    Real(Option<f64>),
    Text(Option<&'a str>),
}

macro_rules! param_from {
    ($($from:ty => |$v:ident| $param:expr),* $(,)?) => {
        $(impl<'a> From<$from> for Param<'a> {
            fn from($v: $from) -> Self {
                $param
            }
        })*
    };
}

param_from! {
    i64 => |v| Param::Int(Some(v)),
    &i64 => |v| Param::Int(Some(*v)),
    Option<i64> => |v| Param::Int(v),
    f64 => |v| Param::Real(Some(v)),
    &f64 => |v| Param::Real(Some(*v)),
    Option<f64> => |v| Param::Real(v),
    &'a str => |v| Param::Text(Some(v)),
    &'a String => |v| Param::Text(Some(v)),
    Option<&'a str> => |v| Param::Text(v),
    &'a Option<String> => |v| Param::Text(v.as_deref()),
}

/// `bind!(statement; a, b, c)`: `sqlx::query(statement)` with `a`, `b` and `c` bound in
/// order, one placeholder each.
macro_rules! bind {
    ($statement:expr; $($value:expr),* $(,)?) => {
        sqlx::query($statement)$(.arg($value))*
    };
}
pub(crate) use bind;

/// `.arg(value)`: bind a parameter through [`SqlDb::bind`].
trait Args<'a>: Sized {
    fn arg(self, value: impl Into<Param<'a>>) -> Self;

    /// A map box (min lat, min lon, max lat, max lon) and a row limit: the arguments of every
    /// "what lies inside this box" query.
    fn within(self, bbox: (f64, f64, f64, f64), limit: i64) -> Self {
        self.arg(bbox.0)
            .arg(bbox.1)
            .arg(bbox.2)
            .arg(bbox.3)
            .arg(limit)
    }
}

impl<'q, 'a, DB: SqlDb> Args<'a> for Query<'q, DB, DB::Arguments> {
    fn arg(self, value: impl Into<Param<'a>>) -> Self {
        DB::bind(self, value.into())
    }
}

/// `SqlRow` and its blanket impl from one list of the types the store keeps.
macro_rules! sql_row {
    ($($kept:ty),*) => {
        /// A row of a backend the store runs on: it reads every type the store keeps.
        pub trait SqlRow: Row $(+ Reads<$kept>)* {}

        impl<R: Row $(+ Reads<$kept>)*> SqlRow for R {}
    };
}

sql_row!(
    String,
    Option<String>,
    i64,
    Option<i64>,
    f64,
    Option<f64>,
    i32
);

/// Reading a column of type `T` from a row, by name or (`first`) the first column.
pub trait Reads<T>: Row {
    fn col(&self, column: &str) -> Result<T, sqlx::Error>;
    fn first(&self) -> Result<T, sqlx::Error>;
}

impl<R: Row, T> Reads<T> for R
where
    T: for<'r> Decode<'r, R::Database> + Type<R::Database>,
    for<'a> &'a str: ColumnIndex<R>,
    usize: ColumnIndex<R>,
{
    fn col(&self, column: &str) -> Result<T, sqlx::Error> {
        self.try_get(column)
    }

    fn first(&self) -> Result<T, sqlx::Error> {
        self.try_get(0)
    }
}

/// The store on one backend. `SqliteStore` and `PostgresStore` are this with their dialect.
pub struct SqlStore<D: Dialect> {
    writer: Pool<D::Db>,
    reader: Option<Pool<D::Db>>,
    seal_key: Option<Arc<SealKey>>,
    /// The newest seq known committed: by this process's own writes, or announced by another
    /// server. What [`Store::watch_log`] hands out receivers of.
    committed: Arc<watch::Sender<i64>>,
    /// The task hearing other servers' announcements, started by the first `watch_log`.
    listening: OnceLock<tokio::task::AbortHandle>,
    /// The write transactions' group commit.
    batcher: Arc<Batcher<D>>,
    /// The locks [`Store::exclusive`] has handed out in this process, by name.
    held: Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
}

/// A lock from [`Store::exclusive`]: its name in this process, and on a database with its
/// own locks, the transaction that holds it there.
struct Held<D: Dialect> {
    name: String,
    held: Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
    _tx: Option<Transaction<'static, D::Db>>,
}

impl<D: Dialect> Exclusive for Held<D> {}

impl<D: Dialect> Drop for Held<D> {
    fn drop(&mut self) {
        // A poisoned set is still the set: the name must go, or the lock is never free again.
        let mut held = self
            .held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        held.remove(&self.name);
    }
}

/// Move `committed` on to `seq` if that is newer, waking its watchers.
pub fn advance(committed: &watch::Sender<i64>, seq: i64) {
    committed.send_if_modified(|newest| {
        let newer = seq > *newest;
        if newer {
            *newest = seq;
        }
        newer
    });
}

/// A receiver of [`SqlStore`]'s committed seq.
struct Watch(watch::Receiver<i64>);

#[async_trait]
impl LogWatch for Watch {
    async fn changed(&mut self) -> Option<i64> {
        self.0.changed().await.ok()?;
        Some(*self.0.borrow_and_update())
    }
}

impl<D: Dialect> SqlStore<D> {
    /// Open the database at `url` (see the dialect's `connect`).
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let Pools { writer, reader } = D::connect(url).await?;
        let committed = Arc::new(watch::channel(0).0);
        Ok(Self {
            writer,
            reader,
            seal_key: None,
            batcher: Batcher::new(committed.clone()),
            committed,
            listening: OnceLock::new(),
            held: Arc::default(),
        })
    }

    /// Seal every record this store appends with the force's audit key.
    pub fn sealed_with(mut self, key: SealKey) -> Self {
        self.seal_key = Some(Arc::new(key));
        self
    }

    fn reader(&self) -> impl Executor<'_, Database = D::Db> {
        D::Db::on_pool(self.reader.as_ref().unwrap_or(&self.writer))
    }

    fn writer(&self) -> impl Executor<'_, Database = D::Db> {
        D::Db::on_pool(&self.writer)
    }
}

// The row mappers: the columns are the same on every backend.

/// `read!(row => Type { a, b; c: expr })`: a `Type` whose fields `a`, `b` are read from the
/// columns of the same names, and whose fields after `;` are given. Column names are the
/// field names, so each is written once.
macro_rules! read {
    ($row:expr => $ty:ident { $($field:ident),* $(; $($other:ident: $value:expr),*)? }) => {
        $ty { $($field: $row.col(stringify!($field))?,)* $($($other: $value,)*)? }
    };
}

fn audit_record<R: SqlRow>(row: &R) -> Result<AuditRecord, sqlx::Error> {
    Ok(read!(row => AuditRecord { seq, category, stream, kind, actor, at_micros, payload, role }))
}

fn incident_row<R: SqlRow>(row: &R) -> Result<IncidentRow, sqlx::Error> {
    Ok(read!(row => IncidentRow {
        id, reference, status, grade, incident_type, channel, location_text, summary,
        contact_count, opened_at_micros, last_changed_at_micros, version, attend_by_micros,
        crime_report_at_micros, recording_decided_at_micros, recording_decision, lat, lon
    }))
}

fn crime_row<R: SqlRow>(row: &R) -> Result<CrimeRow, sqlx::Error> {
    // 0 or 1 in a BIGINT on both databases.
    let in_work: i64 = row.col("in_work")?;
    Ok(read!(row => CrimeRow {
        id, reference, classification, status, reported_at_micros, recorded_at_micros,
        recorded_by, incident_id, location_text, last_changed_at_micros, version;
        in_work: in_work != 0
    }))
}

/// The user's row; its roles are read from `user_roles` afterwards.
fn user_row<R: SqlRow>(row: &R) -> Result<UserRow, sqlx::Error> {
    Ok(read!(row => UserRow { username, password_hash, created_at_micros; roles: Vec::new() }))
}

fn sign_in_attempt_row<R: SqlRow>(row: &R) -> Result<SignInAttemptRow, sqlx::Error> {
    let counts: i32 = row.col("counts_for_name")?;
    let counted = counts != 0;
    Ok(read!(row => SignInAttemptRow { username, address, at_micros; counts_for_name: counted }))
}

fn session_row<R: SqlRow>(row: &R) -> Result<SessionRow, sqlx::Error> {
    Ok(read!(row => SessionRow { token_hash, username, created_at_micros, last_seen_at_micros }))
}

fn address_row<R: SqlRow>(row: &R) -> Result<AddressRow, sqlx::Error> {
    Ok(read!(row => AddressRow {
        uprn, single_line, organisation, building, number, street, locality, town, postcode,
        classification, usrn, lat, lon
    }))
}

fn street_row<R: SqlRow>(row: &R) -> Result<StreetRow, sqlx::Error> {
    let corner = |lat: &str, lon: &str| -> Result<Option<(f64, f64)>, sqlx::Error> {
        Ok(Option::zip(row.col(lat)?, row.col(lon)?))
    };
    let extent = corner("min_lat", "min_lon")?
        .zip(corner("max_lat", "max_lon")?)
        .map(|(min, max)| (min.0, min.1, max.0, max.1));
    Ok(read!(row => StreetRow { id, usrn, name, locality, town, lat, lon; extent: extent }))
}

fn place_row<R: SqlRow>(row: &R) -> Result<PlaceRow, sqlx::Error> {
    let aliases: String = row.col("aliases")?;
    Ok(read!(row => PlaceRow {
        id, name, kind, locality, postcode_district, lat, lon;
        aliases: sql::split_aliases(&aliases)
    }))
}

fn postcode_row<R: SqlRow>(row: &R) -> Result<PostcodeRow, sqlx::Error> {
    Ok(read!(row => PostcodeRow { postcode, lat, lon }))
}

/// A statement on backend `D`, with its parameters bound.
type Statement<'q, D> = Query<'q, <D as Dialect>::Db, <<D as Dialect>::Db as Database>::Arguments>;

/// A row `map` reads from `D`'s results.
type RowOf<D> = <<D as Dialect>::Db as Database>::Row;

/// Every row `query` returns, read by `map`.
async fn fetch<'e, D: Dialect, T>(
    query: Statement<'e, D>,
    on: impl Executor<'e, Database = D::Db>,
    map: impl Fn(&RowOf<D>) -> Result<T, sqlx::Error>,
) -> StoreResult<Vec<T>> {
    let rows = query.fetch_all(on).await.map_err(D::error)?;
    rows.iter()
        .map(map)
        .collect::<Result<_, _>>()
        .map_err(D::error)
}

/// The first row read, if any: what a lookup by key finds.
fn first<T>(rows: Vec<T>) -> Option<T> {
    rows.into_iter().next()
}

/// The row read by a statement that always returns one (a count, a `RETURNING`).
fn only<D: Dialect, T>(rows: Vec<T>) -> StoreResult<T> {
    first(rows).ok_or_else(|| D::error(sqlx::Error::RowNotFound))
}

/// A stream's change records, oldest first, read on the pool or in a write transaction.
async fn stream_on<'e, D: Dialect>(
    on: impl Executor<'e, Database = D::Db>,
    stream: &str,
) -> StoreResult<Vec<AuditRecord>> {
    fetch::<D, _>(bind!(sql::SELECT_STREAM; stream), on, audit_record).await
}

// The reads an audit makes, on any executor: the reading pool, or a snapshot's transaction.

async fn audit_page_on<'e, D: Dialect>(
    on: impl Executor<'e, Database = D::Db>,
    after: i64,
    limit: i64,
) -> StoreResult<Vec<StoredRecord>> {
    fetch::<D, _>(bind!(sql::SELECT_AUDIT_PAGE; after, limit), on, |row| {
        Ok(StoredRecord {
            record: audit_record(row)?,
            prev_hash: row.col("prev_hash")?,
            hash: row.col("hash")?,
            seal: row.col("seal")?,
        })
    })
    .await
}

async fn chain_head_on<'e, D: Dialect>(
    on: impl Executor<'e, Database = D::Db>,
) -> StoreResult<Option<(i64, String)>> {
    let query = sqlx::query(sql::SELECT_CHAIN_HEAD);
    fetch::<D, _>(query, on, |r| Ok((r.col("seq")?, r.col("hash")?)))
        .await
        .map(first)
}

async fn incidents_on<'e, D: Dialect>(
    on: impl Executor<'e, Database = D::Db>,
    filter: &IncidentFilter,
) -> StoreResult<Vec<IncidentRow>> {
    let (text, args) = sql::list_incidents(filter);
    let mut query = sqlx::query(AssertSqlSafe(text));
    for arg in args {
        query = match arg {
            sql::FilterArg::Text(t) => query.arg(t.as_str()),
            sql::FilterArg::Int(i) => query.arg(i),
        };
    }
    fetch::<D, _>(query, on, incident_row).await
}

async fn crimes_on<'e, D: Dialect>(
    on: impl Executor<'e, Database = D::Db>,
    filter: &CrimeFilter,
) -> StoreResult<Vec<CrimeRow>> {
    let query = sqlx::query(AssertSqlSafe(sql::list_crimes()))
        .arg(filter.status.as_deref())
        .arg(filter.reference.as_deref())
        .arg(i64::from(filter.in_work))
        .arg(filter.limit);
    fetch::<D, _>(query, on, crime_row).await
}

async fn users_on<'e, D: Dialect>(
    on: impl Executor<'e, Database = D::Db>,
) -> StoreResult<Vec<UserRow>> {
    fetch::<D, _>(sqlx::query(sql::SELECT_USERS), on, user_row).await
}

/// Every (username, role) beyond each user's first.
async fn user_roles_on<'e, D: Dialect>(
    on: impl Executor<'e, Database = D::Db>,
) -> StoreResult<Vec<(String, String)>> {
    fetch::<D, _>(sqlx::query(sql::SELECT_ALL_USER_ROLES), on, |row| {
        Ok((row.col("username")?, row.col("role")?))
    })
    .await
}

fn with_roles(mut users: Vec<UserRow>, roles: Vec<(String, String)>) -> Vec<UserRow> {
    for (username, role) in roles {
        if let Some(user) = users.iter_mut().find(|u| u.username == username) {
            user.roles.push(role);
        }
    }
    users
}

async fn sessions_on<'e, D: Dialect>(
    on: impl Executor<'e, Database = D::Db>,
) -> StoreResult<Vec<SessionRow>> {
    fetch::<D, _>(sqlx::query(sql::SELECT_SESSIONS), on, session_row).await
}

/// A read transaction: see [`Store::snapshot`].
struct SqlSnapshot<D: Dialect> {
    tx: Transaction<'static, D::Db>,
}

#[async_trait]
impl<D: Dialect> Snapshot for SqlSnapshot<D> {
    async fn audit_records(&mut self, after: i64, limit: i64) -> StoreResult<Vec<StoredRecord>> {
        audit_page_on::<D>(D::Db::on(&mut self.tx), after, limit).await
    }

    async fn chain_head(&mut self) -> StoreResult<Option<(i64, String)>> {
        chain_head_on::<D>(D::Db::on(&mut self.tx)).await
    }

    async fn stream(&mut self, stream: &str) -> StoreResult<Vec<AuditRecord>> {
        stream_on::<D>(D::Db::on(&mut self.tx), stream).await
    }

    async fn list_incidents(&mut self, filter: &IncidentFilter) -> StoreResult<Vec<IncidentRow>> {
        incidents_on::<D>(D::Db::on(&mut self.tx), filter).await
    }

    async fn list_crimes(&mut self, filter: &CrimeFilter) -> StoreResult<Vec<CrimeRow>> {
        crimes_on::<D>(D::Db::on(&mut self.tx), filter).await
    }

    async fn list_users(&mut self) -> StoreResult<Vec<UserRow>> {
        let users = users_on::<D>(D::Db::on(&mut self.tx)).await?;
        let roles = user_roles_on::<D>(D::Db::on(&mut self.tx)).await?;
        Ok(with_roles(users, roles))
    }

    async fn list_sessions(&mut self) -> StoreResult<Vec<SessionRow>> {
        sessions_on::<D>(D::Db::on(&mut self.tx)).await
    }
}

impl<D: Dialect> SqlStore<D> {
    /// Every row `query` returns on the reading pool, read by `map`.
    async fn all<T>(
        &self,
        query: Statement<'_, D>,
        map: impl Fn(&RowOf<D>) -> Result<T, sqlx::Error> + Send,
    ) -> StoreResult<Vec<T>> {
        fetch::<D, _>(query, self.reader(), map).await
    }

    /// The rows of one gazetteer table (`(table, columns)`) changed in the revision window
    /// `(after, upto]`.
    async fn changes<T>(
        &self,
        (table, columns): (&str, &str),
        (after, upto): (i64, i64),
        map: impl Fn(&RowOf<D>) -> Result<T, sqlx::Error> + Send,
    ) -> StoreResult<Vec<T>> {
        let sql = sql::gazetteer_changes(table, columns);
        let query = sqlx::query(AssertSqlSafe(sql)).arg(after).arg(upto);
        self.all(query, map).await
    }
}

#[async_trait]
impl<D: Dialect> Store for SqlStore<D> {
    fn backend(&self) -> &'static str {
        D::BACKEND
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(self.reader())
            .await
            .map_err(D::error)?;
        Ok(())
    }

    async fn begin(&self) -> StoreResult<Box<dyn WriteTx>> {
        let (writer, seal_key) = (self.writer.clone(), self.seal_key.clone());
        let (slot, mark) = self
            .batcher
            .enter(|| async move {
                let mut tx = match D::BEGIN_WRITE {
                    Some(statement) => writer.begin_with(statement).await,
                    None => writer.begin().await,
                }
                .map_err(D::error)?;
                let head = sqlx::query(D::LOCK_CHAIN_HEAD)
                    .fetch_one(D::Db::on(&mut tx))
                    .await
                    .map_err(D::error)?;
                let seq: i64 = head.col("seq").map_err(D::error)?;
                let hash: String = head.col("hash").map_err(D::error)?;
                Ok(Batch::new(tx, ChainTip::read(seq, &hash, seal_key)?))
            })
            .await?;
        Ok(Box::new(SqlTx::<D> {
            slot: Some(slot),
            mark,
            batcher: self.batcher.clone(),
        }))
    }

    fn write_stats(&self) -> WriteStats {
        self.batcher.stats()
    }

    async fn begin_sign_in(&self, username: &str, address: &str) -> StoreResult<Box<dyn SignInTx>> {
        let mut tx = match D::BEGIN_WRITE {
            Some(statement) => self.writer.begin_with(statement).await,
            None => self.writer.begin().await,
        }
        .map_err(D::error)?;
        if let Some(statement) = D::LOCK_SIGN_IN {
            // Always the name before the address, so two attempts never wait on each other.
            for (namespace, key) in [(1_i64, username), (2, address)] {
                bind!(statement; namespace, key)
                    .execute(D::Db::on(&mut tx))
                    .await
                    .map_err(D::error)?;
            }
        }
        Ok(Box::new(SqlSignIn::<D> { tx }))
    }

    async fn stream(&self, stream: &str) -> StoreResult<Vec<AuditRecord>> {
        stream_on::<D>(self.reader(), stream).await
    }

    async fn streams(&self, kind: StreamKind, prefix: &str) -> StoreResult<Vec<String>> {
        let query = bind!(sql::SELECT_STREAMS; kind.as_str(), sql::prefix_pattern(prefix).as_str());
        self.all(query, Reads::first).await
    }

    async fn streams_page(
        &self,
        kind: StreamKind,
        after: &str,
        limit: i64,
    ) -> StoreResult<Vec<AuditRecord>> {
        let query = bind!(sql::SELECT_STREAMS_PAGE; kind.as_str(), after, limit);
        self.all(query, audit_record).await
    }

    async fn list_crimes(&self, filter: &CrimeFilter) -> StoreResult<Vec<CrimeRow>> {
        crimes_on::<D>(self.reader(), filter).await
    }

    async fn list_incidents(&self, filter: &IncidentFilter) -> StoreResult<Vec<IncidentRow>> {
        incidents_on::<D>(self.reader(), filter).await
    }

    async fn user(&self, username: &Username) -> StoreResult<Option<UserRow>> {
        let query = bind!(sql::SELECT_USER; username.as_str());
        let rows = self
            .all(query, |row| {
                Ok((user_row(row)?, {
                    let role: Option<String> = row.col("role")?;
                    role
                }))
            })
            .await?;
        let mut rows = rows.into_iter();
        let Some((mut user, role)) = rows.next() else {
            return Ok(None);
        };
        user.roles = role
            .into_iter()
            .chain(rows.filter_map(|(_, r)| r))
            .collect();
        Ok(Some(user))
    }

    async fn list_users(&self) -> StoreResult<Vec<UserRow>> {
        let users = users_on::<D>(self.reader()).await?;
        Ok(with_roles(users, user_roles_on::<D>(self.reader()).await?))
    }

    async fn setting(&self, name: &str) -> StoreResult<Option<String>> {
        let query = bind!(sql::SELECT_SETTING; name);
        self.all(query, Reads::first).await.map(first)
    }

    async fn session(&self, token_hash: &str) -> StoreResult<Option<SessionRow>> {
        let query = bind!(sql::SELECT_SESSION; token_hash);
        self.all(query, session_row).await.map(first)
    }

    async fn session_user(&self, token_hash: &str) -> StoreResult<Option<(SessionRow, UserRow)>> {
        let query = bind!(sql::SELECT_SESSION_USER; token_hash);
        let rows = self
            .all(query, |row| {
                let user = UserRow {
                    username: row.col("username")?,
                    roles: Vec::new(),
                    password_hash: row.col("password_hash")?,
                    created_at_micros: row.col("user_created_at_micros")?,
                };
                let role: Option<String> = row.col("role")?;
                Ok((session_row(row)?, user, role))
            })
            .await?;
        let mut rows = rows.into_iter();
        let Some((session, mut user, role)) = rows.next() else {
            return Ok(None);
        };
        user.roles = role
            .into_iter()
            .chain(rows.filter_map(|(_, _, r)| r))
            .collect();
        Ok(Some((session, user)))
    }

    async fn list_sessions(&self) -> StoreResult<Vec<SessionRow>> {
        sessions_on::<D>(self.reader()).await
    }

    async fn touch_session(&self, token_hash: &str, at_micros: i64) -> StoreResult<()> {
        bind!(sql::TOUCH_SESSION; token_hash, at_micros)
            .execute(self.writer())
            .await
            .map_err(D::error)?;
        Ok(())
    }

    async fn audit_records(&self, after: i64, limit: i64) -> StoreResult<Vec<StoredRecord>> {
        audit_page_on::<D>(self.reader(), after, limit).await
    }

    async fn log_entries(&self, after: i64, limit: i64) -> StoreResult<Vec<LogEntry>> {
        let query = bind!(sql::SELECT_LOG_ENTRIES; after, limit);
        self.all(query, |row| {
            Ok(read!(row => LogEntry { seq, category, stream, at_micros }))
        })
        .await
    }

    async fn search_mark(&self, username: &str) -> StoreResult<i64> {
        let query = bind!(sql::SELECT_SEARCH_MARK; username);
        let seq: Option<i64> = fetch::<D, _>(query, self.reader(), Reads::first)
            .await
            .map(first)?;
        Ok(seq.unwrap_or(0))
    }

    async fn chain_head(&self) -> StoreResult<Option<(i64, String)>> {
        chain_head_on::<D>(self.reader()).await
    }

    async fn snapshot(&self) -> StoreResult<Box<dyn Snapshot>> {
        let pool = self.reader.as_ref().unwrap_or(&self.writer);
        let mut tx = pool.begin().await.map_err(D::error)?;
        if let Some(statement) = D::SNAPSHOT {
            sqlx::query(statement)
                .execute(D::Db::on(&mut tx))
                .await
                .map_err(D::error)?;
        }
        Ok(Box::new(SqlSnapshot::<D> { tx }))
    }

    async fn gazetteer_revision(&self) -> StoreResult<i64> {
        let query = sqlx::query(sql::GAZETTEER_REVISION);
        self.all(query, Reads::first).await.and_then(only::<D, _>)
    }

    async fn gazetteer_changes(&self, after: i64, upto: i64) -> StoreResult<GazetteerChanges> {
        let window = (after, upto);
        let addresses = ("gazetteer_addresses", sql::ADDRESS_COLUMNS);
        let streets = ("gazetteer_streets", sql::STREET_COLUMNS);
        let places = ("gazetteer_places", sql::PLACE_COLUMNS);
        let postcodes = ("gazetteer_postcodes", sql::POSTCODE_COLUMNS);
        Ok(GazetteerChanges {
            addresses: self.changes(addresses, window, address_row).await?,
            streets: self.changes(streets, window, street_row).await?,
            places: self.changes(places, window, place_row).await?,
            postcodes: self.changes(postcodes, window, postcode_row).await?,
            positions: Vec::new(),
        })
    }

    async fn gazetteer_address(&self, uprn: i64) -> StoreResult<Option<AddressRow>> {
        let query = sqlx::query(AssertSqlSafe(sql::select_address())).arg(uprn);
        self.all(query, address_row).await.map(first)
    }

    async fn gazetteer_positions(&self, uprns: &[i64]) -> StoreResult<Vec<(i64, f64, f64)>> {
        let mut found = Vec::with_capacity(uprns.len());
        // In pieces well inside either database's limit on bound parameters.
        for chunk in uprns.chunks(1_000) {
            let text = sql::uprn_positions(chunk.len());
            let mut query = sqlx::query(AssertSqlSafe(text));
            for uprn in chunk {
                query = query.arg(*uprn);
            }
            let positions = self.all(query, |r| {
                Ok((r.col("uprn")?, r.col("lat")?, r.col("lon")?))
            });
            found.extend(positions.await?);
        }
        Ok(found)
    }

    async fn gazetteer_street(&self, id: &str) -> StoreResult<Option<StreetRow>> {
        let query = sqlx::query(AssertSqlSafe(sql::select_street())).arg(id);
        self.all(query, street_row).await.map(first)
    }

    async fn gazetteer_place(&self, id: &str) -> StoreResult<Option<PlaceRow>> {
        let query = sqlx::query(AssertSqlSafe(sql::select_place())).arg(id);
        self.all(query, place_row).await.map(first)
    }

    async fn gazetteer_postcode(&self, postcode: &str) -> StoreResult<Option<PostcodeRow>> {
        let query = bind!(sql::SELECT_POSTCODE; postcode);
        self.all(query, postcode_row).await.map(first)
    }

    async fn gazetteer_addresses_within(
        &self,
        bbox: (f64, f64, f64, f64),
        limit: i64,
    ) -> StoreResult<Vec<AddressRow>> {
        let query = sqlx::query(AssertSqlSafe(sql::addresses_within())).within(bbox, limit);
        self.all(query, address_row).await
    }

    async fn gazetteer_streets_within(
        &self,
        bbox: (f64, f64, f64, f64),
        limit: i64,
    ) -> StoreResult<Vec<StreetRow>> {
        let query = sqlx::query(AssertSqlSafe(sql::streets_within())).within(bbox, limit);
        self.all(query, street_row).await
    }

    async fn gazetteer_street_points(
        &self,
        usrns: &[i64],
        limit: i64,
    ) -> StoreResult<Vec<StreetPoint>> {
        if usrns.is_empty() {
            return Ok(Vec::new());
        }
        let text = sql::street_points(usrns.len());
        let mut query = sqlx::query(AssertSqlSafe(text));
        for usrn in usrns {
            query = query.arg(*usrn);
        }
        self.all(query.arg(limit), |r| {
            Ok(StreetPoint {
                usrn: r.col("usrn")?,
                number: r.col("number")?,
                lat: r.col("lat")?,
                lon: r.col("lon")?,
            })
        })
        .await
    }

    async fn gazetteer_counts(&self) -> StoreResult<GazetteerCounts> {
        let query = sqlx::query(sql::GAZETTEER_COUNTS);
        let counts = self.all(query, |row| {
            Ok(GazetteerCounts {
                addresses: row.col("addresses")?,
                streets: row.col("streets")?,
                places: row.col("places")?,
                postcodes: row.col("postcodes")?,
            })
        });
        counts.await.and_then(only::<D, _>)
    }

    async fn incident_rows(&self, ids: &[String]) -> StoreResult<Vec<IncidentRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let text = sql::incident_rows(ids.len());
        let mut query = sqlx::query(AssertSqlSafe(text));
        for id in ids {
            query = query.arg(id.as_str());
        }
        self.all(query, incident_row).await
    }

    async fn exclusive(&self, name: &str) -> StoreResult<Option<Box<dyn Exclusive>>> {
        {
            let mut held = self
                .held
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if !held.insert(name.to_owned()) {
                return Ok(None);
            }
        }
        // From here the name is ours in this process: the guard gives it back when dropped,
        // including when the database says someone else has it.
        let mut guard = Held::<D> {
            name: name.to_owned(),
            held: self.held.clone(),
            _tx: None,
        };
        if let Some(statement) = D::TRY_LOCK {
            let mut tx = self.writer.begin().await.map_err(D::error)?;
            let row = bind!(statement; name)
                .fetch_one(D::Db::on(&mut tx))
                .await
                .map_err(D::error)?;
            let taken: i64 = row.col("taken").map_err(D::error)?;
            if taken == 0 {
                return Ok(None);
            }
            guard._tx = Some(tx);
        }
        Ok(Some(Box::new(guard)))
    }

    fn watch_log(&self) -> Box<dyn LogWatch> {
        self.listening.get_or_init(|| {
            tokio::spawn(D::listen(self.writer.clone(), self.committed.clone())).abort_handle()
        });
        Box::new(Watch(self.committed.subscribe()))
    }

    async fn close(&self) {
        if let Some(listening) = self.listening.get() {
            listening.abort();
        }
        self.writer.close().await;
        if let Some(reader) = &self.reader {
            reader.close().await;
        }
    }
}

/// A write transaction: one request's turn in a batch ([`batch`]), holding the chain lock from
/// `begin` to `commit`. The chain head row and the streams first written are stored once,
/// when the batch commits (nothing reads them inside it: the tip is kept in memory).
struct SqlTx<D: Dialect> {
    /// The batch, held until this request commits or gives up.
    slot: Option<Slot<D>>,
    /// Where this request started, when it joined a batch holding others' work.
    mark: Option<Mark>,
    batcher: Arc<Batcher<D>>,
}

impl<D: Dialect> SqlTx<D> {
    fn batch(&mut self) -> StoreResult<&mut Batch<D>> {
        self.slot
            .as_mut()
            .and_then(|slot| slot.as_mut())
            .ok_or_else(batch::over)
    }

    /// The transaction's connection, for a statement that only reads.
    fn conn(&mut self) -> StoreResult<impl Executor<'_, Database = D::Db>> {
        Ok(D::Db::on(&mut self.batch()?.tx))
    }

    /// The transaction's connection, for a statement that writes: in a batch joined, after
    /// the savepoint giving up would roll back to.
    async fn conn_to_write(&mut self) -> StoreResult<impl Executor<'_, Database = D::Db>> {
        if let Some(slot) = self.slot.as_mut() {
            Batcher::save(slot, &mut self.mark).await?;
        }
        self.conn()
    }

    /// Run a statement that writes; returns how many rows it changed.
    async fn run(
        &mut self,
        query: Query<'_, D::Db, <D::Db as Database>::Arguments>,
    ) -> StoreResult<u64> {
        let done = query
            .execute(self.conn_to_write().await?)
            .await
            .map_err(D::error)?;
        Ok(D::rows_affected(&done))
    }

    /// Run an update of `username`'s row: a user not on file is an error, not a no-op.
    async fn update_user(&mut self, username: &str, query: Statement<'_, D>) -> StoreResult<()> {
        if self.run(query).await? == 0 {
            return Err(StoreError::Corrupt(format!(
                "user {username} is not on file"
            )));
        }
        Ok(())
    }

    /// Give `username` these roles, in order (`user_roles` keeps the position).
    async fn insert_roles(&mut self, username: &str, roles: &[String]) -> StoreResult<()> {
        for (position, role) in (0_i64..).zip(roles) {
            self.run(bind!(sql::INSERT_USER_ROLE; username, role, position))
                .await?;
        }
        Ok(())
    }
}

#[async_trait]
impl<D: Dialect> WriteTx for SqlTx<D> {
    async fn append(&mut self, new: NewRecord) -> StoreResult<i64> {
        let new_searchable = new.searchable;
        let batch = self.batch()?;
        let link = batch.tip.link(new);
        let change = link.stored.record.category == Category::Change.as_str();
        if new_searchable {
            batch
                .held
                .search_marks
                .insert(link.stored.record.actor.clone(), link.stored.record.seq);
        }
        batch.held.record(link.stored.clone(), change);
        batch.appended = true;
        Ok(batch.tip.advance(link))
    }

    async fn stream(&mut self, stream: &str) -> StoreResult<Vec<AuditRecord>> {
        let mut records = stream_on::<D>(self.conn()?, stream).await?;
        records.extend(self.batch()?.held.stream_after(stream, 0));
        Ok(records)
    }

    async fn stream_after(&mut self, stream: &str, after: i64) -> StoreResult<Vec<AuditRecord>> {
        let query = bind!(sql::SELECT_STREAM_AFTER; stream, after);
        let mut records = fetch::<D, _>(query, self.conn()?, audit_record).await?;
        records.extend(self.batch()?.held.stream_after(stream, after));
        Ok(records)
    }

    async fn next_incident_number(&mut self, day: &str) -> StoreResult<u32> {
        // Read once per day per batch; the batch counts on in memory and stores the last.
        let last = match self.batch()?.held.counter(day) {
            Some(last) => {
                *last += 1;
                *last
            }
            None => {
                let query = bind!(sql::SELECT_INCIDENT_COUNTER; day);
                let stored: Option<i64> = fetch::<D, _>(query, self.conn()?, Reads::first)
                    .await
                    .map(first)?;
                let last = stored.unwrap_or(0) + 1;
                self.batch()?.held.start_counter(day, last);
                last
            }
        };
        u32::try_from(last)
            .map_err(|_| StoreError::Corrupt(format!("incident counter for {day} is {last}")))
    }

    async fn save_crime_row(&mut self, row: &CrimeRow) -> StoreResult<()> {
        self.batch()?.held.crimes.push(row.clone());
        Ok(())
    }

    async fn save_incident_row(&mut self, row: &IncidentRow) -> StoreResult<()> {
        self.batch()?.held.incidents.push(row.clone());
        Ok(())
    }

    async fn insert_user(&mut self, user: &UserRow) -> StoreResult<()> {
        let Some(first) = user.roles.first() else {
            return Err(StoreError::Corrupt(format!(
                "user {} has no role",
                user.username
            )));
        };
        let query = bind!(sql::INSERT_USER;
            &user.username, first, &user.password_hash, user.created_at_micros
        );
        self.run(query).await.map_err(|e| match e {
            StoreError::Conflict(_) => StoreError::Conflict(format!("user {}", user.username)),
            other => other,
        })?;
        self.insert_roles(&user.username, &user.roles).await
    }

    async fn insert_setting(&mut self, name: &str, value: &str, at_micros: i64) -> StoreResult<()> {
        let query = bind!(sql::INSERT_SETTING; name, value, at_micros);
        self.run(query).await.map_err(|e| match e {
            StoreError::Conflict(_) => StoreError::Conflict(format!("the setting {name}")),
            other => other,
        })?;
        Ok(())
    }

    async fn insert_session(&mut self, session: &SessionRow) -> StoreResult<()> {
        let query = bind!(sql::INSERT_SESSION;
            &session.token_hash, &session.username, session.created_at_micros,
            session.last_seen_at_micros
        );
        self.run(query).await?;
        Ok(())
    }

    async fn delete_user_sessions(&mut self, username: &str) -> StoreResult<u64> {
        self.run(bind!(sql::DELETE_USER_SESSIONS; username)).await
    }

    async fn replace_user_roles(&mut self, username: &str, roles: &[String]) -> StoreResult<()> {
        let Some(first) = roles.first() else {
            return Err(StoreError::Corrupt(format!(
                "user {username} would have no role"
            )));
        };
        let query = bind!(sql::UPDATE_USER_FIRST_ROLE; username, first);
        self.update_user(username, query).await?;
        self.run(bind!(sql::DELETE_USER_ROLES; username)).await?;
        self.insert_roles(username, roles).await
    }

    async fn set_password_hash(&mut self, username: &str, password_hash: &str) -> StoreResult<()> {
        let query = bind!(sql::UPDATE_PASSWORD_HASH; username, password_hash);
        self.update_user(username, query).await
    }

    async fn delete_session(&mut self, token_hash: &str) -> StoreResult<()> {
        self.run(bind!(sql::DELETE_SESSION; token_hash)).await?;
        Ok(())
    }

    async fn sign_in_succeeded(
        &mut self,
        attempt_id: i64,
        username: &str,
        address: &str,
        at_micros: i64,
        counting_since_micros: i64,
        forget_before_micros: i64,
    ) -> StoreResult<()> {
        self.run(bind!(sql::DELETE_SIGN_IN_ATTEMPT; attempt_id))
            .await?;
        self.run(bind!(sql::CLEAR_SIGN_IN_NAME; username, counting_since_micros))
            .await?;
        self.run(bind!(sql::FORGET_SIGN_IN_ADDRESSES; forget_before_micros))
            .await?;
        let query = bind!(sql::UPSERT_SIGN_IN_ADDRESS; username, address, at_micros);
        self.run(query).await?;
        Ok(())
    }

    async fn idempotent_response(
        &mut self,
        actor: &str,
        key: &str,
    ) -> StoreResult<Option<IdempotentResponse>> {
        let query = bind!(sql::SELECT_IDEMPOTENT; actor, key);
        let found = fetch::<D, _>(query, self.conn()?, |r| {
            Ok(IdempotentResponse {
                fingerprint: r.col("fingerprint")?,
                body: r.col("body")?,
            })
        });
        found.await.map(first)
    }

    async fn save_idempotent_response(
        &mut self,
        actor: &str,
        key: &str,
        response: &IdempotentResponse,
        at_micros: i64,
    ) -> StoreResult<()> {
        let query = bind!(sql::INSERT_IDEMPOTENT;
            actor, key, &response.fingerprint, &response.body, at_micros
        );
        self.run(query).await?;
        Ok(())
    }

    async fn upsert_gazetteer(
        &mut self,
        batch: &GazetteerBatch,
        revision: i64,
    ) -> StoreResult<u64> {
        let mut changed = 0;
        for a in &batch.addresses {
            let query = bind!(sql::UPSERT_ADDRESS.as_str();
                a.uprn, &a.single_line, a.organisation.as_deref(), a.building.as_deref(),
                a.number.as_deref(), a.street.as_deref(), a.locality.as_deref(),
                a.town.as_deref(), a.postcode.as_deref(), &a.classification, a.usrn, a.lat,
                a.lon, revision
            );
            changed += self.run(query).await?;
        }
        for (uprn, lat, lon) in &batch.positions {
            let query = bind!(sql::UPSERT_UPRN_POSITION; uprn, lat, lon, revision);
            changed += self.run(query).await?;
        }
        for s in &batch.streets {
            let extent = s.extent;
            let query = bind!(sql::UPSERT_STREET.as_str();
                &s.id, s.usrn, &s.name, s.locality.as_deref(), s.town.as_deref(), s.lat, s.lon,
                extent.map(|e| e.0), extent.map(|e| e.1), extent.map(|e| e.2),
                extent.map(|e| e.3), revision
            );
            changed += self.run(query).await?;
        }
        for p in &batch.places {
            let query = bind!(sql::UPSERT_PLACE.as_str();
                &p.id, &p.name, sql::join_aliases(&p.aliases).as_str(), &p.kind,
                p.locality.as_deref(), p.postcode_district.as_deref(), p.lat, p.lon, revision
            );
            changed += self.run(query).await?;
        }
        for p in &batch.postcodes {
            let query = bind!(sql::UPSERT_POSTCODE.as_str(); &p.postcode, p.lat, p.lon, revision);
            changed += self.run(query).await?;
        }
        Ok(changed)
    }

    async fn derive_streets(&mut self, revision: i64) -> StoreResult<u64> {
        Ok(self.run(bind!(sql::DERIVE_STREETS; revision)).await?)
    }

    async fn claim_call_sign(&mut self, call_sign: &str, stream: &str) -> StoreResult<()> {
        self.run(bind!(sql::CLAIM_CALL_SIGN; call_sign, stream))
            .await
            .map(drop)
    }

    async fn commit(mut self: Box<Self>) -> StoreResult<()> {
        let slot = self.slot.take().ok_or_else(batch::over)?;
        self.batcher.commit(slot, self.mark.take()).await
    }
}

impl<D: Dialect> Drop for SqlTx<D> {
    /// Not committed: the request gave up, and nothing it wrote is kept.
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            self.batcher.abandon(slot, self.mark.take());
        }
    }
}

/// A sign-in transaction ([`Store::begin_sign_in`]): holds its name and address, not the chain.
struct SqlSignIn<D: Dialect> {
    tx: Transaction<'static, D::Db>,
}

impl<D: Dialect> SqlSignIn<D> {
    fn conn(&mut self) -> impl Executor<'_, Database = D::Db> {
        D::Db::on(&mut self.tx)
    }
}

#[async_trait]
impl<D: Dialect> SignInTx for SqlSignIn<D> {
    async fn sign_in_attempts(
        &mut self,
        username: &str,
        address: &str,
        since_micros: i64,
    ) -> StoreResult<Vec<SignInAttemptRow>> {
        let query = bind!(sql::SELECT_SIGN_IN_ATTEMPTS; username, address, since_micros);
        fetch::<D, _>(query, self.conn(), sign_in_attempt_row).await
    }

    async fn known_sign_in_address(
        &mut self,
        username: &str,
        address: &str,
        since_micros: i64,
    ) -> StoreResult<bool> {
        let query = bind!(sql::SELECT_KNOWN_SIGN_IN_ADDRESS; username, address, since_micros);
        let count: i64 = fetch::<D, _>(query, self.conn(), Reads::first)
            .await
            .and_then(only::<D, _>)?;
        Ok(count > 0)
    }

    async fn record_sign_in_attempt(
        &mut self,
        username: &str,
        address: &str,
        at_micros: i64,
        forget_before_micros: i64,
    ) -> StoreResult<i64> {
        let forget = bind!(sql::FORGET_SIGN_IN_ATTEMPTS; forget_before_micros);
        forget.execute(self.conn()).await.map_err(D::error)?;
        let query = bind!(sql::INSERT_SIGN_IN_ATTEMPT; username, address, at_micros);
        fetch::<D, _>(query, self.conn(), Reads::first)
            .await
            .and_then(only::<D, _>)
    }

    async fn commit(self: Box<Self>) -> StoreResult<()> {
        self.tx.commit().await.map_err(D::error)
    }
}
