//! The one SQL implementation of the store ports ([`Store`], [`WriteTx`]), generic over the
//! database. Both backends run the same statements ([`controlroom_store::sql`]) through the
//! same code; a [`Dialect`] (in each adapter crate) supplies only what really differs:
//! connecting and migrating, how a write transaction takes the chain lock, and which error
//! codes mean "not now". A record's hash and seal come from [`ChainTip`]; this crate only
//! stores them.
//!
//! Plain generics, not `sqlx::Any`: every statement is compiled for the backend's own types,
//! with no per-row conversion.

pub mod migrations;

use async_trait::async_trait;
use controlroom_domain::audit::{AuditRecord, Category, SealKey, StoredRecord};
use controlroom_domain::stream::StreamKind;
use controlroom_domain::user::Username;
use controlroom_store::chain::ChainTip;
use controlroom_store::sql;
use controlroom_store::{
    AddressRow, CrimeFilter, CrimeRow, GazetteerBatch, GazetteerChanges, GazetteerCounts,
    IdempotentResponse, IncidentFilter, IncidentRow, NewRecord, PlaceRow, PostcodeRow, SessionRow,
    SignInAttemptRow, Store, StoreError, StoreResult, StreetPoint, StreetRow, UserRow, WriteTx,
};
use sqlx::pool::PoolOptions;
use sqlx::query::Query;
use sqlx::{
    AssertSqlSafe, ColumnIndex, Connection, Database, Decode, Encode, Executor, IntoArguments,
    Pool, Row, Transaction, Type,
};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

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

    /// Reads `seq, hash` of the chain head as a write transaction's first statement; on a
    /// backend whose `BEGIN` does not lock, it takes the chain lock (`FOR UPDATE`).
    const LOCK_CHAIN_HEAD: &'static str;

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

/// A row of a backend the store runs on: it reads every type the store keeps.
pub trait SqlRow:
    Reads<String>
    + Reads<Option<String>>
    + Reads<i64>
    + Reads<Option<i64>>
    + Reads<f64>
    + Reads<Option<f64>>
    + Reads<i32>
{
}

impl<R> SqlRow for R where
    R: Reads<String>
        + Reads<Option<String>>
        + Reads<i64>
        + Reads<Option<i64>>
        + Reads<f64>
        + Reads<Option<f64>>
        + Reads<i32>
{
}

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
}

impl<D: Dialect> SqlStore<D> {
    /// Open the database at `url` (see the dialect's `connect`).
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let Pools { writer, reader } = D::connect(url).await?;
        Ok(Self {
            writer,
            reader,
            seal_key: None,
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

fn audit_record<R: SqlRow>(row: &R) -> Result<AuditRecord, sqlx::Error> {
    Ok(AuditRecord {
        seq: row.col("seq")?,
        category: row.col("category")?,
        stream: row.col("stream")?,
        kind: row.col("kind")?,
        actor: row.col("actor")?,
        at_micros: row.col("at_micros")?,
        payload: row.col("payload")?,
        role: row.col("role")?,
    })
}

fn incident_row<R: SqlRow>(row: &R) -> Result<IncidentRow, sqlx::Error> {
    Ok(IncidentRow {
        id: row.col("id")?,
        reference: row.col("reference")?,
        status: row.col("status")?,
        grade: row.col("grade")?,
        incident_type: row.col("incident_type")?,
        channel: row.col("channel")?,
        location_text: row.col("location_text")?,
        summary: row.col("summary")?,
        contact_count: row.col("contact_count")?,
        opened_at_micros: row.col("opened_at_micros")?,
        last_changed_at_micros: row.col("last_changed_at_micros")?,
        version: row.col("version")?,
        attend_by_micros: row.col("attend_by_micros")?,
        crime_report_at_micros: row.col("crime_report_at_micros")?,
        recording_decided_at_micros: row.col("recording_decided_at_micros")?,
        recording_decision: row.col("recording_decision")?,
        lat: row.col("lat")?,
        lon: row.col("lon")?,
    })
}

fn crime_row<R: SqlRow>(row: &R) -> Result<CrimeRow, sqlx::Error> {
    Ok(CrimeRow {
        id: row.col("id")?,
        reference: row.col("reference")?,
        classification: row.col("classification")?,
        status: row.col("status")?,
        reported_at_micros: row.col("reported_at_micros")?,
        recorded_at_micros: row.col("recorded_at_micros")?,
        recorded_by: row.col("recorded_by")?,
        incident_id: row.col("incident_id")?,
        location_text: row.col("location_text")?,
        last_changed_at_micros: row.col("last_changed_at_micros")?,
        version: row.col("version")?,
    })
}

/// The user's row; its roles are read from `user_roles` afterwards.
fn user_row<R: SqlRow>(row: &R) -> Result<UserRow, sqlx::Error> {
    Ok(UserRow {
        username: row.col("username")?,
        roles: Vec::new(),
        password_hash: row.col("password_hash")?,
        created_at_micros: row.col("created_at_micros")?,
    })
}

fn sign_in_attempt_row<R: SqlRow>(
    row: &R,
) -> Result<controlroom_store::SignInAttemptRow, sqlx::Error> {
    let counts: i32 = row.col("counts_for_name")?;
    Ok(controlroom_store::SignInAttemptRow {
        username: row.col("username")?,
        address: row.col("address")?,
        at_micros: row.col("at_micros")?,
        counts_for_name: counts != 0,
    })
}

fn session_row<R: SqlRow>(row: &R) -> Result<SessionRow, sqlx::Error> {
    Ok(SessionRow {
        token_hash: row.col("token_hash")?,
        username: row.col("username")?,
        created_at_micros: row.col("created_at_micros")?,
        last_seen_at_micros: row.col("last_seen_at_micros")?,
    })
}

fn address_row<R: SqlRow>(row: &R) -> Result<AddressRow, sqlx::Error> {
    Ok(AddressRow {
        uprn: row.col("uprn")?,
        single_line: row.col("single_line")?,
        organisation: row.col("organisation")?,
        building: row.col("building")?,
        number: row.col("number")?,
        street: row.col("street")?,
        locality: row.col("locality")?,
        town: row.col("town")?,
        postcode: row.col("postcode")?,
        classification: row.col("classification")?,
        usrn: row.col("usrn")?,
        lat: row.col("lat")?,
        lon: row.col("lon")?,
    })
}

fn street_row<R: SqlRow>(row: &R) -> Result<StreetRow, sqlx::Error> {
    let min_lat: Option<f64> = row.col("min_lat")?;
    let min_lon: Option<f64> = row.col("min_lon")?;
    let max_lat: Option<f64> = row.col("max_lat")?;
    let max_lon: Option<f64> = row.col("max_lon")?;
    Ok(StreetRow {
        id: row.col("id")?,
        usrn: row.col("usrn")?,
        name: row.col("name")?,
        locality: row.col("locality")?,
        town: row.col("town")?,
        lat: row.col("lat")?,
        lon: row.col("lon")?,
        extent: match (min_lat, min_lon, max_lat, max_lon) {
            (Some(a), Some(b), Some(c), Some(d)) => Some((a, b, c, d)),
            _ => None,
        },
    })
}

fn place_row<R: SqlRow>(row: &R) -> Result<PlaceRow, sqlx::Error> {
    let aliases: String = row.col("aliases")?;
    Ok(PlaceRow {
        id: row.col("id")?,
        name: row.col("name")?,
        aliases: controlroom_store::sql::split_aliases(&aliases),
        kind: row.col("kind")?,
        locality: row.col("locality")?,
        postcode_district: row.col("postcode_district")?,
        lat: row.col("lat")?,
        lon: row.col("lon")?,
    })
}

fn postcode_row<R: SqlRow>(row: &R) -> Result<PostcodeRow, sqlx::Error> {
    Ok(PostcodeRow {
        postcode: row.col("postcode")?,
        lat: row.col("lat")?,
        lon: row.col("lon")?,
    })
}

/// Every row `query` returns, read by `map`.
async fn fetch_all<'e, DB: SqlDb, T>(
    query: Query<'e, DB, DB::Arguments>,
    on: impl Executor<'e, Database = DB>,
    map: impl Fn(&DB::Row) -> Result<T, sqlx::Error>,
) -> Result<Vec<T>, sqlx::Error> {
    query.fetch_all(on).await?.iter().map(map).collect()
}

/// The one row `query` returns, read by `map`.
async fn fetch_one<'e, DB: SqlDb, T>(
    query: Query<'e, DB, DB::Arguments>,
    on: impl Executor<'e, Database = DB>,
    map: impl Fn(&DB::Row) -> Result<T, sqlx::Error>,
) -> Result<T, sqlx::Error> {
    map(&query.fetch_one(on).await?)
}

/// The row `query` returns, if any, read by `map`.
async fn fetch_optional<'e, DB: SqlDb, T>(
    query: Query<'e, DB, DB::Arguments>,
    on: impl Executor<'e, Database = DB>,
    map: impl Fn(&DB::Row) -> Result<T, sqlx::Error>,
) -> Result<Option<T>, sqlx::Error> {
    query
        .fetch_optional(on)
        .await?
        .as_ref()
        .map(map)
        .transpose()
}

/// A stream's change records, oldest first, read on the pool or in a write transaction.
async fn stream_on<'e, DB: SqlDb>(
    on: impl Executor<'e, Database = DB>,
    stream: &str,
) -> Result<Vec<AuditRecord>, sqlx::Error> {
    fetch_all(
        sqlx::query(sql::SELECT_STREAM).arg(stream),
        on,
        audit_record,
    )
    .await
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
        let mut tx = match D::BEGIN_WRITE {
            Some(statement) => self.writer.begin_with(statement).await,
            None => self.writer.begin().await,
        }
        .map_err(D::error)?;
        let head = sqlx::query(D::LOCK_CHAIN_HEAD)
            .fetch_one(D::Db::on(&mut tx))
            .await
            .map_err(D::error)?;
        let seq: i64 = head.col("seq").map_err(D::error)?;
        let hash: String = head.col("hash").map_err(D::error)?;
        Ok(Box::new(SqlTx::<D> {
            tx,
            tip: ChainTip::read(seq, &hash, self.seal_key.clone())?,
            appended: false,
            streams: Vec::new(),
        }))
    }

    async fn stream(&self, stream: &str) -> StoreResult<Vec<AuditRecord>> {
        stream_on(self.reader(), stream).await.map_err(D::error)
    }

    async fn streams(&self, kind: StreamKind, prefix: &str) -> StoreResult<Vec<String>> {
        let query = sqlx::query(sql::SELECT_STREAMS)
            .arg(kind.as_str())
            .arg(sql::prefix_pattern(prefix).as_str());
        fetch_all(query, self.reader(), Reads::first)
            .await
            .map_err(D::error)
    }

    async fn streams_page(
        &self,
        kind: StreamKind,
        after: &str,
        limit: i64,
    ) -> StoreResult<Vec<AuditRecord>> {
        let query = sqlx::query(sql::SELECT_STREAMS_PAGE)
            .arg(kind.as_str())
            .arg(after)
            .arg(limit);
        fetch_all(query, self.reader(), audit_record)
            .await
            .map_err(D::error)
    }

    async fn list_crimes(&self, filter: &CrimeFilter) -> StoreResult<Vec<CrimeRow>> {
        let query = sqlx::query(AssertSqlSafe(sql::list_crimes()))
            .arg(filter.status.as_deref())
            .arg(filter.limit);
        fetch_all(query, self.reader(), crime_row)
            .await
            .map_err(D::error)
    }

    async fn list_incidents(&self, filter: &IncidentFilter) -> StoreResult<Vec<IncidentRow>> {
        let (text, args) = sql::list_incidents(filter);
        let mut query = sqlx::query(AssertSqlSafe(text));
        for arg in args {
            query = match arg {
                sql::FilterArg::Text(t) => query.arg(t.as_str()),
                sql::FilterArg::Int(i) => query.arg(i),
            };
        }
        fetch_all(query, self.reader(), incident_row)
            .await
            .map_err(D::error)
    }

    async fn user(&self, username: &Username) -> StoreResult<Option<UserRow>> {
        let query = sqlx::query(sql::SELECT_USER).arg(username.as_str());
        let rows = fetch_all(query, self.reader(), |row| {
            Ok((user_row(row)?, {
                let role: Option<String> = row.col("role")?;
                role
            }))
        })
        .await
        .map_err(D::error)?;
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
        let mut users = fetch_all(sqlx::query(sql::SELECT_USERS), self.reader(), user_row)
            .await
            .map_err(D::error)?;
        let roles: Vec<(String, String)> = fetch_all(
            sqlx::query(sql::SELECT_ALL_USER_ROLES),
            self.reader(),
            |row| Ok((row.col("username")?, row.col("role")?)),
        )
        .await
        .map_err(D::error)?;
        for (username, role) in roles {
            if let Some(user) = users.iter_mut().find(|u| u.username == username) {
                user.roles.push(role);
            }
        }
        Ok(users)
    }

    async fn setting(&self, name: &str) -> StoreResult<Option<String>> {
        let query = sqlx::query(sql::SELECT_SETTING).arg(name);
        fetch_optional(query, self.reader(), Reads::first)
            .await
            .map_err(D::error)
    }

    async fn session(&self, token_hash: &str) -> StoreResult<Option<SessionRow>> {
        let query = sqlx::query(sql::SELECT_SESSION).arg(token_hash);
        fetch_optional(query, self.reader(), session_row)
            .await
            .map_err(D::error)
    }

    async fn list_sessions(&self) -> StoreResult<Vec<SessionRow>> {
        let query = sqlx::query(sql::SELECT_SESSIONS);
        fetch_all(query, self.reader(), session_row)
            .await
            .map_err(D::error)
    }

    async fn touch_session(&self, token_hash: &str, at_micros: i64) -> StoreResult<()> {
        sqlx::query(sql::TOUCH_SESSION)
            .arg(token_hash)
            .arg(at_micros)
            .execute(self.writer())
            .await
            .map_err(D::error)?;
        Ok(())
    }

    async fn audit_records(&self, after: i64, limit: i64) -> StoreResult<Vec<StoredRecord>> {
        let query = sqlx::query(sql::SELECT_AUDIT_PAGE).arg(after).arg(limit);
        fetch_all(query, self.reader(), |row| {
            Ok(StoredRecord {
                record: audit_record(row)?,
                prev_hash: row.col("prev_hash")?,
                hash: row.col("hash")?,
                seal: row.col("seal")?,
            })
        })
        .await
        .map_err(D::error)
    }

    async fn chain_head(&self) -> StoreResult<Option<(i64, String)>> {
        let query = sqlx::query(sql::SELECT_CHAIN_HEAD);
        fetch_optional(query, self.reader(), |r| {
            Ok((r.col("seq")?, r.col("hash")?))
        })
        .await
        .map_err(D::error)
    }

    async fn gazetteer_revision(&self) -> StoreResult<i64> {
        let query = sqlx::query(sql::GAZETTEER_REVISION);
        fetch_one(query, self.reader(), Reads::first)
            .await
            .map_err(D::error)
    }

    async fn gazetteer_changes(&self, after: i64, upto: i64) -> StoreResult<GazetteerChanges> {
        let changed = |table: &str, columns: &str| {
            sqlx::query(AssertSqlSafe(sql::gazetteer_changes(table, columns)))
                .arg(after)
                .arg(upto)
        };
        let on = || self.reader();
        Ok(GazetteerChanges {
            addresses: fetch_all(
                changed("gazetteer_addresses", sql::ADDRESS_COLUMNS),
                on(),
                address_row,
            )
            .await
            .map_err(D::error)?,
            streets: fetch_all(
                changed("gazetteer_streets", sql::STREET_COLUMNS),
                on(),
                street_row,
            )
            .await
            .map_err(D::error)?,
            places: fetch_all(
                changed("gazetteer_places", sql::PLACE_COLUMNS),
                on(),
                place_row,
            )
            .await
            .map_err(D::error)?,
            postcodes: fetch_all(
                changed("gazetteer_postcodes", "postcode, lat, lon"),
                on(),
                postcode_row,
            )
            .await
            .map_err(D::error)?,
        })
    }

    async fn gazetteer_address(&self, uprn: i64) -> StoreResult<Option<AddressRow>> {
        let query = sqlx::query(AssertSqlSafe(sql::select_address())).arg(uprn);
        fetch_optional(query, self.reader(), address_row)
            .await
            .map_err(D::error)
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
            let positions = fetch_all(query, self.reader(), |r| {
                Ok((r.col("uprn")?, r.col("lat")?, r.col("lon")?))
            });
            found.extend(positions.await.map_err(D::error)?);
        }
        Ok(found)
    }

    async fn gazetteer_street(&self, id: &str) -> StoreResult<Option<StreetRow>> {
        let query = sqlx::query(AssertSqlSafe(sql::select_street())).arg(id);
        fetch_optional(query, self.reader(), street_row)
            .await
            .map_err(D::error)
    }

    async fn gazetteer_place(&self, id: &str) -> StoreResult<Option<PlaceRow>> {
        let query = sqlx::query(AssertSqlSafe(sql::select_place())).arg(id);
        fetch_optional(query, self.reader(), place_row)
            .await
            .map_err(D::error)
    }

    async fn gazetteer_postcode(&self, postcode: &str) -> StoreResult<Option<PostcodeRow>> {
        let query = sqlx::query(sql::SELECT_POSTCODE).arg(postcode);
        fetch_optional(query, self.reader(), postcode_row)
            .await
            .map_err(D::error)
    }

    async fn gazetteer_addresses_within(
        &self,
        bbox: (f64, f64, f64, f64),
        limit: i64,
    ) -> StoreResult<Vec<AddressRow>> {
        let query = sqlx::query(AssertSqlSafe(sql::addresses_within())).within(bbox, limit);
        fetch_all(query, self.reader(), address_row)
            .await
            .map_err(D::error)
    }

    async fn gazetteer_streets_within(
        &self,
        bbox: (f64, f64, f64, f64),
        limit: i64,
    ) -> StoreResult<Vec<StreetRow>> {
        let query = sqlx::query(AssertSqlSafe(sql::streets_within())).within(bbox, limit);
        fetch_all(query, self.reader(), street_row)
            .await
            .map_err(D::error)
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
        fetch_all(query.arg(limit), self.reader(), |r| {
            Ok(StreetPoint {
                usrn: r.col("usrn")?,
                number: r.col("number")?,
                lat: r.col("lat")?,
                lon: r.col("lon")?,
            })
        })
        .await
        .map_err(D::error)
    }

    async fn gazetteer_counts(&self) -> StoreResult<GazetteerCounts> {
        let query = sqlx::query(sql::GAZETTEER_COUNTS);
        fetch_one(query, self.reader(), |row| {
            Ok(GazetteerCounts {
                addresses: row.col("addresses")?,
                streets: row.col("streets")?,
                places: row.col("places")?,
                postcodes: row.col("postcodes")?,
            })
        })
        .await
        .map_err(D::error)
    }

    async fn close(&self) {
        self.writer.close().await;
        if let Some(reader) = &self.reader {
            reader.close().await;
        }
    }
}

/// A write transaction: holds the chain lock from `begin` to `commit`. The chain head row
/// and the streams first written here are stored once, at commit, not after every record
/// (nothing reads them inside the transaction: the tip is kept in memory).
struct SqlTx<D: Dialect> {
    tx: Transaction<'static, D::Db>,
    tip: ChainTip,
    /// Whether anything was appended (the head row must move).
    appended: bool,
    /// Streams given a change here, with the seq of their first: registered at commit (a
    /// no-op for streams that already exist). Few per transaction, so a list.
    streams: Vec<(String, i64)>,
}

impl<D: Dialect> SqlTx<D> {
    fn conn(&mut self) -> impl Executor<'_, Database = D::Db> {
        D::Db::on(&mut self.tx)
    }

    /// Run a statement in the transaction; returns how many rows it changed.
    async fn run(
        &mut self,
        query: Query<'_, D::Db, <D::Db as Database>::Arguments>,
    ) -> StoreResult<u64> {
        let done = query.execute(self.conn()).await.map_err(D::error)?;
        Ok(D::rows_affected(&done))
    }
}

#[async_trait]
impl<D: Dialect> WriteTx for SqlTx<D> {
    async fn append(&mut self, new: NewRecord) -> StoreResult<i64> {
        let link = self.tip.link(new);
        let StoredRecord {
            record,
            prev_hash,
            hash,
            seal,
        } = &link.stored;
        let query = sqlx::query(sql::INSERT_AUDIT)
            .arg(record.seq)
            .arg(&record.category)
            .arg(&record.stream)
            .arg(&record.kind)
            .arg(&record.actor)
            .arg(record.at_micros)
            .arg(&record.payload)
            .arg(prev_hash)
            .arg(hash)
            .arg(record.role.as_deref())
            .arg(seal.as_deref());
        self.run(query).await?;
        if record.category == Category::Change.as_str()
            && !self.streams.iter().any(|(s, _)| *s == record.stream)
        {
            self.streams.push((record.stream.clone(), record.seq));
        }
        self.appended = true;
        Ok(self.tip.advance(link))
    }

    async fn stream(&mut self, stream: &str) -> StoreResult<Vec<AuditRecord>> {
        stream_on(self.conn(), stream).await.map_err(D::error)
    }

    async fn next_incident_number(&mut self, day: &str) -> StoreResult<u32> {
        let query = sqlx::query(sql::NEXT_INCIDENT_NUMBER).arg(day);
        let last: i64 = fetch_one(query, self.conn(), Reads::first)
            .await
            .map_err(D::error)?;
        u32::try_from(last)
            .map_err(|_| StoreError::Corrupt(format!("incident counter for {day} is {last}")))
    }

    async fn save_crime_row(&mut self, row: &CrimeRow) -> StoreResult<()> {
        let query = sqlx::query(sql::UPSERT_CRIME)
            .arg(&row.id)
            .arg(&row.reference)
            .arg(&row.classification)
            .arg(&row.status)
            .arg(row.reported_at_micros)
            .arg(row.recorded_at_micros)
            .arg(&row.recorded_by)
            .arg(row.incident_id.as_deref())
            .arg(&row.location_text)
            .arg(row.last_changed_at_micros)
            .arg(row.version);
        self.run(query).await?;
        Ok(())
    }

    async fn save_incident_row(&mut self, row: &IncidentRow) -> StoreResult<()> {
        let query = sqlx::query(sql::UPSERT_INCIDENT)
            .arg(&row.id)
            .arg(&row.reference)
            .arg(&row.status)
            .arg(&row.grade)
            .arg(&row.incident_type)
            .arg(&row.channel)
            .arg(&row.location_text)
            .arg(&row.summary)
            .arg(row.contact_count)
            .arg(row.opened_at_micros)
            .arg(row.last_changed_at_micros)
            .arg(row.version)
            .arg(row.attend_by_micros)
            .arg(row.crime_report_at_micros)
            .arg(row.recording_decided_at_micros)
            .arg(row.recording_decision.as_deref())
            .arg(row.lat)
            .arg(row.lon);
        self.run(query).await?;
        Ok(())
    }

    async fn insert_user(&mut self, user: &UserRow) -> StoreResult<()> {
        let Some(first) = user.roles.first() else {
            return Err(StoreError::Corrupt(format!(
                "user {} has no role",
                user.username
            )));
        };
        let query = sqlx::query(sql::INSERT_USER)
            .arg(&user.username)
            .arg(first)
            .arg(&user.password_hash)
            .arg(user.created_at_micros);
        self.run(query).await.map_err(|e| match e {
            StoreError::Conflict(_) => StoreError::Conflict(format!("user {}", user.username)),
            other => other,
        })?;
        for (position, role) in (0_i64..).zip(&user.roles) {
            let query = sqlx::query(sql::INSERT_USER_ROLE)
                .arg(&user.username)
                .arg(role)
                .arg(position);
            self.run(query).await?;
        }
        Ok(())
    }

    async fn insert_setting(&mut self, name: &str, value: &str, at_micros: i64) -> StoreResult<()> {
        let query = sqlx::query(sql::INSERT_SETTING)
            .arg(name)
            .arg(value)
            .arg(at_micros);
        self.run(query).await.map_err(|e| match e {
            StoreError::Conflict(_) => StoreError::Conflict(format!("the setting {name}")),
            other => other,
        })?;
        Ok(())
    }

    async fn insert_session(&mut self, session: &SessionRow) -> StoreResult<()> {
        let query = sqlx::query(sql::INSERT_SESSION)
            .arg(&session.token_hash)
            .arg(&session.username)
            .arg(session.created_at_micros)
            .arg(session.last_seen_at_micros);
        self.run(query).await?;
        Ok(())
    }

    async fn delete_user_sessions(&mut self, username: &str) -> StoreResult<u64> {
        self.run(sqlx::query(sql::DELETE_USER_SESSIONS).arg(username))
            .await
    }

    async fn replace_user_roles(&mut self, username: &str, roles: &[String]) -> StoreResult<()> {
        let Some(first) = roles.first() else {
            return Err(StoreError::Corrupt(format!(
                "user {username} would have no role"
            )));
        };
        let updated = self
            .run(
                sqlx::query(sql::UPDATE_USER_FIRST_ROLE)
                    .arg(username)
                    .arg(first),
            )
            .await?;
        if updated == 0 {
            return Err(StoreError::Corrupt(format!(
                "user {username} is not on file"
            )));
        }
        self.run(sqlx::query(sql::DELETE_USER_ROLES).arg(username))
            .await?;
        for (position, role) in (0_i64..).zip(roles) {
            let query = sqlx::query(sql::INSERT_USER_ROLE)
                .arg(username)
                .arg(role)
                .arg(position);
            self.run(query).await?;
        }
        Ok(())
    }

    async fn set_password_hash(&mut self, username: &str, password_hash: &str) -> StoreResult<()> {
        let updated = self
            .run(
                sqlx::query(sql::UPDATE_PASSWORD_HASH)
                    .arg(username)
                    .arg(password_hash),
            )
            .await?;
        if updated == 0 {
            return Err(StoreError::Corrupt(format!(
                "user {username} is not on file"
            )));
        }
        Ok(())
    }

    async fn delete_session(&mut self, token_hash: &str) -> StoreResult<()> {
        self.run(sqlx::query(sql::DELETE_SESSION).arg(token_hash))
            .await?;
        Ok(())
    }

    async fn sign_in_attempts(
        &mut self,
        username: &str,
        address: &str,
        since_micros: i64,
    ) -> StoreResult<Vec<SignInAttemptRow>> {
        let query = sqlx::query(sql::SELECT_SIGN_IN_ATTEMPTS)
            .arg(username)
            .arg(address)
            .arg(since_micros);
        fetch_all(query, self.conn(), sign_in_attempt_row)
            .await
            .map_err(D::error)
    }

    async fn known_sign_in_address(
        &mut self,
        username: &str,
        address: &str,
        since_micros: i64,
    ) -> StoreResult<bool> {
        let query = sqlx::query(sql::SELECT_KNOWN_SIGN_IN_ADDRESS)
            .arg(username)
            .arg(address)
            .arg(since_micros);
        let count: i64 = fetch_one(query, self.conn(), Reads::first)
            .await
            .map_err(D::error)?;
        Ok(count > 0)
    }

    async fn record_sign_in_attempt(
        &mut self,
        username: &str,
        address: &str,
        at_micros: i64,
        forget_before_micros: i64,
    ) -> StoreResult<i64> {
        self.run(sqlx::query(sql::FORGET_SIGN_IN_ATTEMPTS).arg(forget_before_micros))
            .await?;
        let query = sqlx::query(sql::INSERT_SIGN_IN_ATTEMPT)
            .arg(username)
            .arg(address)
            .arg(at_micros);
        fetch_one(query, self.conn(), Reads::first)
            .await
            .map_err(D::error)
    }

    async fn sign_in_succeeded(
        &mut self,
        attempt_id: i64,
        username: &str,
        address: &str,
        at_micros: i64,
        forget_before_micros: i64,
    ) -> StoreResult<()> {
        self.run(sqlx::query(sql::DELETE_SIGN_IN_ATTEMPT).arg(attempt_id))
            .await?;
        self.run(sqlx::query(sql::CLEAR_SIGN_IN_NAME).arg(username))
            .await?;
        self.run(sqlx::query(sql::FORGET_SIGN_IN_ADDRESSES).arg(forget_before_micros))
            .await?;
        let query = sqlx::query(sql::UPSERT_SIGN_IN_ADDRESS)
            .arg(username)
            .arg(address)
            .arg(at_micros);
        self.run(query).await?;
        Ok(())
    }

    async fn idempotent_response(
        &mut self,
        actor: &str,
        key: &str,
    ) -> StoreResult<Option<IdempotentResponse>> {
        let query = sqlx::query(sql::SELECT_IDEMPOTENT).arg(actor).arg(key);
        fetch_optional(query, self.conn(), |r| {
            Ok(IdempotentResponse {
                fingerprint: r.col("fingerprint")?,
                body: r.col("body")?,
            })
        })
        .await
        .map_err(D::error)
    }

    async fn save_idempotent_response(
        &mut self,
        actor: &str,
        key: &str,
        response: &IdempotentResponse,
        at_micros: i64,
    ) -> StoreResult<()> {
        let query = sqlx::query(sql::INSERT_IDEMPOTENT)
            .arg(actor)
            .arg(key)
            .arg(&response.fingerprint)
            .arg(&response.body)
            .arg(at_micros);
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
            let query = sqlx::query(sql::UPSERT_ADDRESS)
                .arg(a.uprn)
                .arg(&a.single_line)
                .arg(a.organisation.as_deref())
                .arg(a.building.as_deref())
                .arg(a.number.as_deref())
                .arg(a.street.as_deref())
                .arg(a.locality.as_deref())
                .arg(a.town.as_deref())
                .arg(a.postcode.as_deref())
                .arg(&a.classification)
                .arg(a.usrn)
                .arg(a.lat)
                .arg(a.lon)
                .arg(revision);
            changed += self.run(query).await?;
        }
        for (uprn, lat, lon) in &batch.positions {
            let query = sqlx::query(sql::UPSERT_UPRN_POSITION)
                .arg(uprn)
                .arg(lat)
                .arg(lon)
                .arg(revision);
            changed += self.run(query).await?;
        }
        for s in &batch.streets {
            let extent = s.extent;
            let query = sqlx::query(sql::UPSERT_STREET)
                .arg(&s.id)
                .arg(s.usrn)
                .arg(&s.name)
                .arg(s.locality.as_deref())
                .arg(s.town.as_deref())
                .arg(s.lat)
                .arg(s.lon)
                .arg(extent.map(|e| e.0))
                .arg(extent.map(|e| e.1))
                .arg(extent.map(|e| e.2))
                .arg(extent.map(|e| e.3))
                .arg(revision);
            changed += self.run(query).await?;
        }
        for p in &batch.places {
            let query = sqlx::query(sql::UPSERT_PLACE)
                .arg(&p.id)
                .arg(&p.name)
                .arg(sql::join_aliases(&p.aliases).as_str())
                .arg(&p.kind)
                .arg(p.locality.as_deref())
                .arg(p.postcode_district.as_deref())
                .arg(p.lat)
                .arg(p.lon)
                .arg(revision);
            changed += self.run(query).await?;
        }
        for p in &batch.postcodes {
            let query = sqlx::query(sql::UPSERT_POSTCODE)
                .arg(&p.postcode)
                .arg(p.lat)
                .arg(p.lon)
                .arg(revision);
            changed += self.run(query).await?;
        }
        Ok(changed)
    }

    async fn derive_streets(&mut self, revision: i64) -> StoreResult<u64> {
        Ok(self
            .run(sqlx::query(sql::DERIVE_STREETS).arg(revision))
            .await?)
    }

    async fn commit(mut self: Box<Self>) -> StoreResult<()> {
        if self.appended {
            let (seq, head) = self.tip.head();
            self.run(
                sqlx::query(sql::UPDATE_CHAIN_HEAD)
                    .arg(seq)
                    .arg(head.as_str()),
            )
            .await?;
        }
        for (stream, first_seq) in std::mem::take(&mut self.streams) {
            let query = sqlx::query(sql::INSERT_STREAM)
                .arg(stream.as_str())
                .arg(sql::stream_kind(&stream))
                .arg(first_seq);
            self.run(query).await?;
        }
        self.tx.commit().await.map_err(D::error)
    }
}
