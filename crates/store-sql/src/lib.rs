//! The one SQL implementation of the store ports ([`Store`], [`WriteTx`]), generic over the
//! database. Both backends run the same statements ([`controlroom_store::sql`]) through the
//! same code; a [`Dialect`] (in each adapter crate) supplies only what really differs:
//! connecting and migrating, how a write transaction takes the chain lock, and which error
//! codes mean "not now". A record's hash and seal come from [`ChainTip`]; this crate only
//! stores them.
//!
//! Plain generics, not `sqlx::Any`: every statement is compiled for the backend's own types,
//! with no per-row conversion.

use async_trait::async_trait;
use controlroom_domain::audit::{AuditRecord, SealKey, StoredRecord};
use controlroom_domain::user::Username;
use controlroom_store::chain::ChainTip;
use controlroom_store::sql;
use controlroom_store::{
    AddressRow, CrimeFilter, CrimeRow, GazetteerBatch, GazetteerChanges, GazetteerCounts,
    IdempotentResponse, IncidentFilter, IncidentRow, NewRecord, PlaceRow, PostcodeRow, SessionRow,
    SignInAttemptRow, Store, StoreError, StoreResult, StreetPoint, StreetRow, UserRow, WriteTx,
};
use sqlx::migrate::MigrateError;
use sqlx::pool::PoolOptions;
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
    type Db: Database;

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

/// The outcome of bringing the `database` schema up to date (`sqlx::migrate!(…).run(…)`).
pub fn migrated(database: &str, done: Result<(), MigrateError>) -> StoreResult<()> {
    done.map_err(|e| StoreError::Database(format!("migrating the {database} database: {e}")))
}

type DbRow<D> = <<D as Dialect>::Db as Database>::Row;

/// A Rust type the store both binds and reads on backend `DB`.
pub trait Value<DB: Database>: for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB> + Type<DB> {}
impl<DB: Database, T> Value<DB> for T where
    T: for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB> + Type<DB>
{
}

/// The store on one backend. `SqliteStore` and `PostgresStore` are this with their dialect.
///
/// sqlx states what a backend can do as bounds on other types (its connections execute
/// statements; `i64`, `String`… map to its SQL types), and Rust does not carry such bounds
/// from a trait to where it is used: so the three generic impls below (the row mappers,
/// [`Store`], [`WriteTx`]) each state them, the same list.
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

    fn reader(&self) -> &Pool<D::Db> {
        self.reader.as_ref().unwrap_or(&self.writer)
    }
}

/// The row mappers: the columns are the same on every backend.
struct Rows<D>(std::marker::PhantomData<D>);

impl<D: Dialect> Rows<D>
where
    for<'c> &'c mut <D::Db as Database>::Connection: Executor<'c, Database = D::Db>,
    <D::Db as Database>::Arguments: IntoArguments<D::Db>,
    for<'a> &'a str: Encode<'a, D::Db> + Type<D::Db> + ColumnIndex<DbRow<D>>,
    for<'a> Option<&'a str>: Encode<'a, D::Db>,
    usize: ColumnIndex<DbRow<D>>,
    String: Value<D::Db>,
    Option<String>: Value<D::Db>,
    i64: Value<D::Db>,
    Option<i64>: Value<D::Db>,
    f64: Value<D::Db>,
    Option<f64>: Value<D::Db>,
    i32: Value<D::Db>,
{
    fn audit_record(row: &DbRow<D>) -> Result<AuditRecord, sqlx::Error> {
        Ok(AuditRecord {
            seq: row.try_get("seq")?,
            category: row.try_get("category")?,
            stream: row.try_get("stream")?,
            kind: row.try_get("kind")?,
            actor: row.try_get("actor")?,
            at_micros: row.try_get("at_micros")?,
            payload: row.try_get("payload")?,
            role: row.try_get("role")?,
        })
    }

    fn incident_row(row: &DbRow<D>) -> Result<IncidentRow, sqlx::Error> {
        Ok(IncidentRow {
            id: row.try_get("id")?,
            reference: row.try_get("reference")?,
            status: row.try_get("status")?,
            grade: row.try_get("grade")?,
            incident_type: row.try_get("incident_type")?,
            channel: row.try_get("channel")?,
            location_text: row.try_get("location_text")?,
            summary: row.try_get("summary")?,
            contact_count: row.try_get("contact_count")?,
            opened_at_micros: row.try_get("opened_at_micros")?,
            last_changed_at_micros: row.try_get("last_changed_at_micros")?,
            version: row.try_get("version")?,
            attend_by_micros: row.try_get("attend_by_micros")?,
            crime_report_at_micros: row.try_get("crime_report_at_micros")?,
            recording_decided_at_micros: row.try_get("recording_decided_at_micros")?,
            recording_decision: row.try_get("recording_decision")?,
            lat: row.try_get("lat")?,
            lon: row.try_get("lon")?,
        })
    }

    fn crime_row(row: &DbRow<D>) -> Result<CrimeRow, sqlx::Error> {
        Ok(CrimeRow {
            id: row.try_get("id")?,
            reference: row.try_get("reference")?,
            classification: row.try_get("classification")?,
            status: row.try_get("status")?,
            reported_at_micros: row.try_get("reported_at_micros")?,
            recorded_at_micros: row.try_get("recorded_at_micros")?,
            recorded_by: row.try_get("recorded_by")?,
            incident_id: row.try_get("incident_id")?,
            location_text: row.try_get("location_text")?,
            last_changed_at_micros: row.try_get("last_changed_at_micros")?,
            version: row.try_get("version")?,
        })
    }

    /// The user's row; its roles are read from `user_roles` afterwards.
    fn user_row(row: &DbRow<D>) -> Result<UserRow, sqlx::Error> {
        Ok(UserRow {
            username: row.try_get("username")?,
            roles: Vec::new(),
            password_hash: row.try_get("password_hash")?,
            created_at_micros: row.try_get("created_at_micros")?,
        })
    }

    fn sign_in_attempt_row(
        row: &DbRow<D>,
    ) -> Result<controlroom_store::SignInAttemptRow, sqlx::Error> {
        let counts: i32 = row.try_get("counts_for_name")?;
        Ok(controlroom_store::SignInAttemptRow {
            username: row.try_get("username")?,
            address: row.try_get("address")?,
            at_micros: row.try_get("at_micros")?,
            counts_for_name: counts != 0,
        })
    }

    fn session_row(row: &DbRow<D>) -> Result<SessionRow, sqlx::Error> {
        Ok(SessionRow {
            token_hash: row.try_get("token_hash")?,
            username: row.try_get("username")?,
            created_at_micros: row.try_get("created_at_micros")?,
            last_seen_at_micros: row.try_get("last_seen_at_micros")?,
        })
    }

    fn address_row(row: &DbRow<D>) -> Result<AddressRow, sqlx::Error> {
        Ok(AddressRow {
            uprn: row.try_get("uprn")?,
            single_line: row.try_get("single_line")?,
            organisation: row.try_get("organisation")?,
            building: row.try_get("building")?,
            number: row.try_get("number")?,
            street: row.try_get("street")?,
            locality: row.try_get("locality")?,
            town: row.try_get("town")?,
            postcode: row.try_get("postcode")?,
            classification: row.try_get("classification")?,
            usrn: row.try_get("usrn")?,
            lat: row.try_get("lat")?,
            lon: row.try_get("lon")?,
        })
    }

    fn street_row(row: &DbRow<D>) -> Result<StreetRow, sqlx::Error> {
        let min_lat: Option<f64> = row.try_get("min_lat")?;
        let min_lon: Option<f64> = row.try_get("min_lon")?;
        let max_lat: Option<f64> = row.try_get("max_lat")?;
        let max_lon: Option<f64> = row.try_get("max_lon")?;
        Ok(StreetRow {
            id: row.try_get("id")?,
            usrn: row.try_get("usrn")?,
            name: row.try_get("name")?,
            locality: row.try_get("locality")?,
            town: row.try_get("town")?,
            lat: row.try_get("lat")?,
            lon: row.try_get("lon")?,
            extent: match (min_lat, min_lon, max_lat, max_lon) {
                (Some(a), Some(b), Some(c), Some(d)) => Some((a, b, c, d)),
                _ => None,
            },
        })
    }

    fn place_row(row: &DbRow<D>) -> Result<PlaceRow, sqlx::Error> {
        let aliases: String = row.try_get("aliases")?;
        Ok(PlaceRow {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            aliases: controlroom_store::sql::split_aliases(&aliases),
            kind: row.try_get("kind")?,
            locality: row.try_get("locality")?,
            postcode_district: row.try_get("postcode_district")?,
            lat: row.try_get("lat")?,
            lon: row.try_get("lon")?,
        })
    }

    fn postcode_row(row: &DbRow<D>) -> Result<PostcodeRow, sqlx::Error> {
        Ok(PostcodeRow {
            postcode: row.try_get("postcode")?,
            lat: row.try_get("lat")?,
            lon: row.try_get("lon")?,
        })
    }
}

#[async_trait]
impl<D: Dialect> Store for SqlStore<D>
where
    for<'c> &'c mut <D::Db as Database>::Connection: Executor<'c, Database = D::Db>,
    <D::Db as Database>::Arguments: IntoArguments<D::Db>,
    for<'a> &'a str: Encode<'a, D::Db> + Type<D::Db> + ColumnIndex<DbRow<D>>,
    for<'a> Option<&'a str>: Encode<'a, D::Db>,
    usize: ColumnIndex<DbRow<D>>,
    String: Value<D::Db>,
    Option<String>: Value<D::Db>,
    i64: Value<D::Db>,
    Option<i64>: Value<D::Db>,
    f64: Value<D::Db>,
    Option<f64>: Value<D::Db>,
    i32: Value<D::Db>,
{
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
            .fetch_one(&mut *tx)
            .await
            .map_err(D::error)?;
        let seq: i64 = head.try_get("seq").map_err(D::error)?;
        let hash: String = head.try_get("hash").map_err(D::error)?;
        Ok(Box::new(SqlTx::<D> {
            tx,
            tip: ChainTip::read(seq, &hash, self.seal_key.clone())?,
        }))
    }

    async fn stream(&self, stream: &str) -> StoreResult<Vec<AuditRecord>> {
        let rows = sqlx::query(sql::SELECT_STREAM)
            .bind(stream)
            .fetch_all(self.reader())
            .await
            .map_err(D::error)?;
        rows.iter()
            .map(Rows::<D>::audit_record)
            .collect::<Result<_, _>>()
            .map_err(D::error)
    }

    async fn streams(&self, prefix: &str) -> StoreResult<Vec<String>> {
        sqlx::query_scalar(sql::SELECT_STREAMS)
            .bind(sql::prefix_pattern(prefix))
            .fetch_all(self.reader())
            .await
            .map_err(D::error)
    }

    async fn list_crimes(&self, filter: &CrimeFilter) -> StoreResult<Vec<CrimeRow>> {
        let rows = sqlx::query(AssertSqlSafe(sql::list_crimes()))
            .bind(filter.status.as_deref())
            .bind(filter.limit)
            .fetch_all(self.reader())
            .await
            .map_err(D::error)?;
        rows.iter()
            .map(Rows::<D>::crime_row)
            .collect::<Result<_, _>>()
            .map_err(D::error)
    }

    async fn list_incidents(&self, filter: &IncidentFilter) -> StoreResult<Vec<IncidentRow>> {
        let (text, args) = sql::list_incidents(filter);
        let mut query = sqlx::query(AssertSqlSafe(text));
        for arg in args {
            query = match arg {
                sql::FilterArg::Text(t) => query.bind(t),
                sql::FilterArg::Int(i) => query.bind(i),
            };
        }
        let rows = query.fetch_all(self.reader()).await.map_err(D::error)?;
        rows.iter()
            .map(Rows::<D>::incident_row)
            .collect::<Result<_, _>>()
            .map_err(D::error)
    }

    async fn user(&self, username: &Username) -> StoreResult<Option<UserRow>> {
        let row = sqlx::query(sql::SELECT_USER)
            .bind(username.as_str())
            .fetch_optional(self.reader())
            .await
            .map_err(D::error)?;
        let Some(mut user) = row
            .as_ref()
            .map(Rows::<D>::user_row)
            .transpose()
            .map_err(D::error)?
        else {
            return Ok(None);
        };
        user.roles = sqlx::query_scalar(sql::SELECT_USER_ROLES)
            .bind(username.as_str())
            .fetch_all(self.reader())
            .await
            .map_err(D::error)?;
        Ok(Some(user))
    }

    async fn list_users(&self) -> StoreResult<Vec<UserRow>> {
        let rows = sqlx::query(sql::SELECT_USERS)
            .fetch_all(self.reader())
            .await
            .map_err(D::error)?;
        let mut users: Vec<UserRow> = rows
            .iter()
            .map(Rows::<D>::user_row)
            .collect::<Result<_, _>>()
            .map_err(D::error)?;
        let roles = sqlx::query(sql::SELECT_ALL_USER_ROLES)
            .fetch_all(self.reader())
            .await
            .map_err(D::error)?;
        for row in &roles {
            let username: String = row.try_get("username").map_err(D::error)?;
            let role: String = row.try_get("role").map_err(D::error)?;
            if let Some(user) = users.iter_mut().find(|u| u.username == username) {
                user.roles.push(role);
            }
        }
        Ok(users)
    }

    async fn setting(&self, name: &str) -> StoreResult<Option<String>> {
        sqlx::query_scalar(sql::SELECT_SETTING)
            .bind(name)
            .fetch_optional(self.reader())
            .await
            .map_err(D::error)
    }

    async fn session(&self, token_hash: &str) -> StoreResult<Option<SessionRow>> {
        let row = sqlx::query(sql::SELECT_SESSION)
            .bind(token_hash)
            .fetch_optional(self.reader())
            .await
            .map_err(D::error)?;
        row.as_ref()
            .map(Rows::<D>::session_row)
            .transpose()
            .map_err(D::error)
    }

    async fn list_sessions(&self) -> StoreResult<Vec<SessionRow>> {
        let rows = sqlx::query(sql::SELECT_SESSIONS)
            .fetch_all(self.reader())
            .await
            .map_err(D::error)?;
        rows.iter()
            .map(Rows::<D>::session_row)
            .collect::<Result<_, _>>()
            .map_err(D::error)
    }

    async fn touch_session(&self, token_hash: &str, at_micros: i64) -> StoreResult<()> {
        sqlx::query(sql::TOUCH_SESSION)
            .bind(token_hash)
            .bind(at_micros)
            .execute(&self.writer)
            .await
            .map_err(D::error)?;
        Ok(())
    }

    async fn audit_records(&self, after: i64, limit: i64) -> StoreResult<Vec<StoredRecord>> {
        let rows = sqlx::query(sql::SELECT_AUDIT_PAGE)
            .bind(after)
            .bind(limit)
            .fetch_all(self.reader())
            .await
            .map_err(D::error)?;
        rows.iter()
            .map(|row| {
                Ok(StoredRecord {
                    record: Rows::<D>::audit_record(row)?,
                    prev_hash: row.try_get("prev_hash")?,
                    hash: row.try_get("hash")?,
                    seal: row.try_get("seal")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(D::error)
    }

    async fn chain_head(&self) -> StoreResult<Option<(i64, String)>> {
        let row = sqlx::query(sql::SELECT_CHAIN_HEAD)
            .fetch_optional(self.reader())
            .await
            .map_err(D::error)?;
        row.map(|r| Ok((r.try_get("seq")?, r.try_get("hash")?)))
            .transpose()
            .map_err(D::error)
    }

    async fn gazetteer_revision(&self) -> StoreResult<i64> {
        sqlx::query_scalar(sql::GAZETTEER_REVISION)
            .fetch_one(self.reader())
            .await
            .map_err(D::error)
    }

    async fn gazetteer_changes(&self, after: i64, upto: i64) -> StoreResult<GazetteerChanges> {
        let fetch = |table: &str, columns: &str| {
            sqlx::query(AssertSqlSafe(sql::gazetteer_changes(table, columns)))
                .bind(after)
                .bind(upto)
                .fetch_all(self.reader())
        };
        let addresses = fetch("gazetteer_addresses", sql::ADDRESS_COLUMNS)
            .await
            .map_err(D::error)?;
        let streets = fetch("gazetteer_streets", sql::STREET_COLUMNS)
            .await
            .map_err(D::error)?;
        let places = fetch("gazetteer_places", sql::PLACE_COLUMNS)
            .await
            .map_err(D::error)?;
        let postcodes = fetch("gazetteer_postcodes", "postcode, lat, lon")
            .await
            .map_err(D::error)?;
        let all = || -> Result<GazetteerChanges, sqlx::Error> {
            Ok(GazetteerChanges {
                addresses: addresses
                    .iter()
                    .map(Rows::<D>::address_row)
                    .collect::<Result<_, _>>()?,
                streets: streets
                    .iter()
                    .map(Rows::<D>::street_row)
                    .collect::<Result<_, _>>()?,
                places: places
                    .iter()
                    .map(Rows::<D>::place_row)
                    .collect::<Result<_, _>>()?,
                postcodes: postcodes
                    .iter()
                    .map(Rows::<D>::postcode_row)
                    .collect::<Result<_, _>>()?,
            })
        };
        all().map_err(D::error)
    }

    async fn gazetteer_address(&self, uprn: i64) -> StoreResult<Option<AddressRow>> {
        let row = sqlx::query(AssertSqlSafe(sql::select_address()))
            .bind(uprn)
            .fetch_optional(self.reader())
            .await
            .map_err(D::error)?;
        row.as_ref()
            .map(Rows::<D>::address_row)
            .transpose()
            .map_err(D::error)
    }

    async fn gazetteer_positions(&self, uprns: &[i64]) -> StoreResult<Vec<(i64, f64, f64)>> {
        let mut found = Vec::with_capacity(uprns.len());
        // In pieces well inside either database's limit on bound parameters.
        for chunk in uprns.chunks(1_000) {
            let text = sql::uprn_positions(chunk.len());
            let mut query = sqlx::query(AssertSqlSafe(text));
            for uprn in chunk {
                query = query.bind(*uprn);
            }
            let rows = query.fetch_all(self.reader()).await.map_err(D::error)?;
            for r in &rows {
                found.push((
                    r.try_get("uprn").map_err(D::error)?,
                    r.try_get("lat").map_err(D::error)?,
                    r.try_get("lon").map_err(D::error)?,
                ));
            }
        }
        Ok(found)
    }

    async fn gazetteer_street(&self, id: &str) -> StoreResult<Option<StreetRow>> {
        let row = sqlx::query(AssertSqlSafe(sql::select_street()))
            .bind(id)
            .fetch_optional(self.reader())
            .await
            .map_err(D::error)?;
        row.as_ref()
            .map(Rows::<D>::street_row)
            .transpose()
            .map_err(D::error)
    }

    async fn gazetteer_place(&self, id: &str) -> StoreResult<Option<PlaceRow>> {
        let row = sqlx::query(AssertSqlSafe(sql::select_place()))
            .bind(id)
            .fetch_optional(self.reader())
            .await
            .map_err(D::error)?;
        row.as_ref()
            .map(Rows::<D>::place_row)
            .transpose()
            .map_err(D::error)
    }

    async fn gazetteer_postcode(&self, postcode: &str) -> StoreResult<Option<PostcodeRow>> {
        let row = sqlx::query(sql::SELECT_POSTCODE)
            .bind(postcode)
            .fetch_optional(self.reader())
            .await
            .map_err(D::error)?;
        row.as_ref()
            .map(Rows::<D>::postcode_row)
            .transpose()
            .map_err(D::error)
    }

    async fn gazetteer_addresses_within(
        &self,
        bbox: (f64, f64, f64, f64),
        limit: i64,
    ) -> StoreResult<Vec<AddressRow>> {
        let rows = sqlx::query(AssertSqlSafe(sql::addresses_within()))
            .bind(bbox.0)
            .bind(bbox.1)
            .bind(bbox.2)
            .bind(bbox.3)
            .bind(limit)
            .fetch_all(self.reader())
            .await
            .map_err(D::error)?;
        rows.iter()
            .map(Rows::<D>::address_row)
            .collect::<Result<_, _>>()
            .map_err(D::error)
    }

    async fn gazetteer_streets_within(
        &self,
        bbox: (f64, f64, f64, f64),
        limit: i64,
    ) -> StoreResult<Vec<StreetRow>> {
        let rows = sqlx::query(AssertSqlSafe(sql::streets_within()))
            .bind(bbox.0)
            .bind(bbox.1)
            .bind(bbox.2)
            .bind(bbox.3)
            .bind(limit)
            .fetch_all(self.reader())
            .await
            .map_err(D::error)?;
        rows.iter()
            .map(Rows::<D>::street_row)
            .collect::<Result<_, _>>()
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
            query = query.bind(*usrn);
        }
        let rows = query
            .bind(limit)
            .fetch_all(self.reader())
            .await
            .map_err(D::error)?;
        let point = |r: &DbRow<D>| -> Result<StreetPoint, sqlx::Error> {
            Ok(StreetPoint {
                usrn: r.try_get("usrn")?,
                number: r.try_get("number")?,
                lat: r.try_get("lat")?,
                lon: r.try_get("lon")?,
            })
        };
        rows.iter()
            .map(point)
            .collect::<Result<_, _>>()
            .map_err(D::error)
    }

    async fn gazetteer_counts(&self) -> StoreResult<GazetteerCounts> {
        let row = sqlx::query(sql::GAZETTEER_COUNTS)
            .fetch_one(self.reader())
            .await
            .map_err(D::error)?;
        let get = |name: &str| row.try_get::<i64, _>(name);
        let counts = || -> Result<GazetteerCounts, sqlx::Error> {
            Ok(GazetteerCounts {
                addresses: get("addresses")?,
                streets: get("streets")?,
                places: get("places")?,
                postcodes: get("postcodes")?,
            })
        };
        counts().map_err(D::error)
    }

    async fn close(&self) {
        self.writer.close().await;
        if let Some(reader) = &self.reader {
            reader.close().await;
        }
    }
}

/// A write transaction: holds the chain lock from `begin` to `commit`.
struct SqlTx<D: Dialect> {
    tx: Transaction<'static, D::Db>,
    tip: ChainTip,
}

#[async_trait]
impl<D: Dialect> WriteTx for SqlTx<D>
where
    for<'c> &'c mut <D::Db as Database>::Connection: Executor<'c, Database = D::Db>,
    <D::Db as Database>::Arguments: IntoArguments<D::Db>,
    for<'a> &'a str: Encode<'a, D::Db> + Type<D::Db> + ColumnIndex<DbRow<D>>,
    for<'a> Option<&'a str>: Encode<'a, D::Db>,
    usize: ColumnIndex<DbRow<D>>,
    String: Value<D::Db>,
    Option<String>: Value<D::Db>,
    i64: Value<D::Db>,
    Option<i64>: Value<D::Db>,
    f64: Value<D::Db>,
    Option<f64>: Value<D::Db>,
    i32: Value<D::Db>,
{
    async fn append(&mut self, new: NewRecord) -> StoreResult<i64> {
        let link = self.tip.link(new);
        let StoredRecord {
            record,
            prev_hash,
            hash,
            seal,
        } = &link.stored;
        sqlx::query(sql::INSERT_AUDIT)
            .bind(record.seq)
            .bind(&record.category)
            .bind(&record.stream)
            .bind(&record.kind)
            .bind(&record.actor)
            .bind(record.at_micros)
            .bind(&record.payload)
            .bind(prev_hash)
            .bind(hash)
            .bind(record.role.as_deref())
            .bind(seal.as_deref())
            .execute(&mut *self.tx)
            .await
            .map_err(D::error)?;
        let (seq, head) = link.head();
        sqlx::query(sql::UPDATE_CHAIN_HEAD)
            .bind(seq)
            .bind(head)
            .execute(&mut *self.tx)
            .await
            .map_err(D::error)?;
        Ok(self.tip.advance(link))
    }

    async fn stream(&mut self, stream: &str) -> StoreResult<Vec<AuditRecord>> {
        let rows = sqlx::query(sql::SELECT_STREAM)
            .bind(stream)
            .fetch_all(&mut *self.tx)
            .await
            .map_err(D::error)?;
        rows.iter()
            .map(Rows::<D>::audit_record)
            .collect::<Result<_, _>>()
            .map_err(D::error)
    }

    async fn next_incident_number(&mut self, day: &str) -> StoreResult<u32> {
        let last: i64 = sqlx::query_scalar(sql::NEXT_INCIDENT_NUMBER)
            .bind(day)
            .fetch_one(&mut *self.tx)
            .await
            .map_err(D::error)?;
        u32::try_from(last)
            .map_err(|_| StoreError::Corrupt(format!("incident counter for {day} is {last}")))
    }

    async fn save_crime_row(&mut self, row: &CrimeRow) -> StoreResult<()> {
        sqlx::query(sql::UPSERT_CRIME)
            .bind(&row.id)
            .bind(&row.reference)
            .bind(&row.classification)
            .bind(&row.status)
            .bind(row.reported_at_micros)
            .bind(row.recorded_at_micros)
            .bind(&row.recorded_by)
            .bind(row.incident_id.as_deref())
            .bind(&row.location_text)
            .bind(row.last_changed_at_micros)
            .bind(row.version)
            .execute(&mut *self.tx)
            .await
            .map_err(D::error)?;
        Ok(())
    }

    async fn save_incident_row(&mut self, row: &IncidentRow) -> StoreResult<()> {
        sqlx::query(sql::UPSERT_INCIDENT)
            .bind(&row.id)
            .bind(&row.reference)
            .bind(&row.status)
            .bind(&row.grade)
            .bind(&row.incident_type)
            .bind(&row.channel)
            .bind(&row.location_text)
            .bind(&row.summary)
            .bind(row.contact_count)
            .bind(row.opened_at_micros)
            .bind(row.last_changed_at_micros)
            .bind(row.version)
            .bind(row.attend_by_micros)
            .bind(row.crime_report_at_micros)
            .bind(row.recording_decided_at_micros)
            .bind(row.recording_decision.as_deref())
            .bind(row.lat)
            .bind(row.lon)
            .execute(&mut *self.tx)
            .await
            .map_err(D::error)?;
        Ok(())
    }

    async fn insert_user(&mut self, user: &UserRow) -> StoreResult<()> {
        let Some(first) = user.roles.first() else {
            return Err(StoreError::Corrupt(format!(
                "user {} has no role",
                user.username
            )));
        };
        sqlx::query(sql::INSERT_USER)
            .bind(&user.username)
            .bind(first)
            .bind(&user.password_hash)
            .bind(user.created_at_micros)
            .execute(&mut *self.tx)
            .await
            .map_err(|e| match D::error(e) {
                StoreError::Conflict(_) => StoreError::Conflict(format!("user {}", user.username)),
                other => other,
            })?;
        for (position, role) in (0_i64..).zip(&user.roles) {
            sqlx::query(sql::INSERT_USER_ROLE)
                .bind(&user.username)
                .bind(role)
                .bind(position)
                .execute(&mut *self.tx)
                .await
                .map_err(D::error)?;
        }
        Ok(())
    }

    async fn insert_setting(&mut self, name: &str, value: &str, at_micros: i64) -> StoreResult<()> {
        sqlx::query(sql::INSERT_SETTING)
            .bind(name)
            .bind(value)
            .bind(at_micros)
            .execute(&mut *self.tx)
            .await
            .map_err(|e| match D::error(e) {
                StoreError::Conflict(_) => StoreError::Conflict(format!("the setting {name}")),
                other => other,
            })?;
        Ok(())
    }

    async fn insert_session(&mut self, session: &SessionRow) -> StoreResult<()> {
        sqlx::query(sql::INSERT_SESSION)
            .bind(&session.token_hash)
            .bind(&session.username)
            .bind(session.created_at_micros)
            .bind(session.last_seen_at_micros)
            .execute(&mut *self.tx)
            .await
            .map_err(D::error)?;
        Ok(())
    }

    async fn delete_user_sessions(&mut self, username: &str) -> StoreResult<u64> {
        let done = sqlx::query(sql::DELETE_USER_SESSIONS)
            .bind(username)
            .execute(&mut *self.tx)
            .await
            .map_err(D::error)?;
        Ok(D::rows_affected(&done))
    }

    async fn replace_user_roles(&mut self, username: &str, roles: &[String]) -> StoreResult<()> {
        let Some(first) = roles.first() else {
            return Err(StoreError::Corrupt(format!(
                "user {username} would have no role"
            )));
        };
        let updated = sqlx::query(sql::UPDATE_USER_FIRST_ROLE)
            .bind(username)
            .bind(first)
            .execute(&mut *self.tx)
            .await
            .map_err(D::error)?;
        if D::rows_affected(&updated) == 0 {
            return Err(StoreError::Corrupt(format!(
                "user {username} is not on file"
            )));
        }
        sqlx::query(sql::DELETE_USER_ROLES)
            .bind(username)
            .execute(&mut *self.tx)
            .await
            .map_err(D::error)?;
        for (position, role) in (0_i64..).zip(roles) {
            sqlx::query(sql::INSERT_USER_ROLE)
                .bind(username)
                .bind(role)
                .bind(position)
                .execute(&mut *self.tx)
                .await
                .map_err(D::error)?;
        }
        Ok(())
    }

    async fn set_password_hash(&mut self, username: &str, password_hash: &str) -> StoreResult<()> {
        let updated = sqlx::query(sql::UPDATE_PASSWORD_HASH)
            .bind(username)
            .bind(password_hash)
            .execute(&mut *self.tx)
            .await
            .map_err(D::error)?;
        if D::rows_affected(&updated) == 0 {
            return Err(StoreError::Corrupt(format!(
                "user {username} is not on file"
            )));
        }
        Ok(())
    }

    async fn delete_session(&mut self, token_hash: &str) -> StoreResult<()> {
        sqlx::query(sql::DELETE_SESSION)
            .bind(token_hash)
            .execute(&mut *self.tx)
            .await
            .map_err(D::error)?;
        Ok(())
    }

    async fn sign_in_attempts(
        &mut self,
        username: &str,
        address: &str,
        since_micros: i64,
    ) -> StoreResult<Vec<SignInAttemptRow>> {
        let rows = sqlx::query(sql::SELECT_SIGN_IN_ATTEMPTS)
            .bind(username)
            .bind(address)
            .bind(since_micros)
            .fetch_all(&mut *self.tx)
            .await
            .map_err(D::error)?;
        rows.iter()
            .map(Rows::<D>::sign_in_attempt_row)
            .collect::<Result<_, _>>()
            .map_err(D::error)
    }

    async fn known_sign_in_address(
        &mut self,
        username: &str,
        address: &str,
        since_micros: i64,
    ) -> StoreResult<bool> {
        let count: i64 = sqlx::query_scalar(sql::SELECT_KNOWN_SIGN_IN_ADDRESS)
            .bind(username)
            .bind(address)
            .bind(since_micros)
            .fetch_one(&mut *self.tx)
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
        sqlx::query(sql::FORGET_SIGN_IN_ATTEMPTS)
            .bind(forget_before_micros)
            .execute(&mut *self.tx)
            .await
            .map_err(D::error)?;
        sqlx::query_scalar(sql::INSERT_SIGN_IN_ATTEMPT)
            .bind(username)
            .bind(address)
            .bind(at_micros)
            .fetch_one(&mut *self.tx)
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
        sqlx::query(sql::DELETE_SIGN_IN_ATTEMPT)
            .bind(attempt_id)
            .execute(&mut *self.tx)
            .await
            .map_err(D::error)?;
        sqlx::query(sql::CLEAR_SIGN_IN_NAME)
            .bind(username)
            .execute(&mut *self.tx)
            .await
            .map_err(D::error)?;
        sqlx::query(sql::FORGET_SIGN_IN_ADDRESSES)
            .bind(forget_before_micros)
            .execute(&mut *self.tx)
            .await
            .map_err(D::error)?;
        sqlx::query(sql::UPSERT_SIGN_IN_ADDRESS)
            .bind(username)
            .bind(address)
            .bind(at_micros)
            .execute(&mut *self.tx)
            .await
            .map_err(D::error)?;
        Ok(())
    }

    async fn idempotent_response(
        &mut self,
        actor: &str,
        key: &str,
    ) -> StoreResult<Option<IdempotentResponse>> {
        let row = sqlx::query(sql::SELECT_IDEMPOTENT)
            .bind(actor)
            .bind(key)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(D::error)?;
        row.map(|r| {
            Ok(IdempotentResponse {
                fingerprint: r.try_get("fingerprint")?,
                body: r.try_get("body")?,
            })
        })
        .transpose()
        .map_err(D::error)
    }

    async fn save_idempotent_response(
        &mut self,
        actor: &str,
        key: &str,
        response: &IdempotentResponse,
        at_micros: i64,
    ) -> StoreResult<()> {
        sqlx::query(sql::INSERT_IDEMPOTENT)
            .bind(actor)
            .bind(key)
            .bind(&response.fingerprint)
            .bind(&response.body)
            .bind(at_micros)
            .execute(&mut *self.tx)
            .await
            .map_err(D::error)?;
        Ok(())
    }

    async fn upsert_gazetteer(
        &mut self,
        batch: &GazetteerBatch,
        revision: i64,
    ) -> StoreResult<u64> {
        let mut changed = 0;
        for a in &batch.addresses {
            changed += sqlx::query(sql::UPSERT_ADDRESS)
                .bind(a.uprn)
                .bind(&a.single_line)
                .bind(a.organisation.as_deref())
                .bind(a.building.as_deref())
                .bind(a.number.as_deref())
                .bind(a.street.as_deref())
                .bind(a.locality.as_deref())
                .bind(a.town.as_deref())
                .bind(a.postcode.as_deref())
                .bind(&a.classification)
                .bind(a.usrn)
                .bind(a.lat)
                .bind(a.lon)
                .bind(revision)
                .execute(&mut *self.tx)
                .await
                .map_err(D::error)
                .map(|done| D::rows_affected(&done))?;
        }
        for (uprn, lat, lon) in &batch.positions {
            changed += sqlx::query(sql::UPSERT_UPRN_POSITION)
                .bind(uprn)
                .bind(lat)
                .bind(lon)
                .bind(revision)
                .execute(&mut *self.tx)
                .await
                .map_err(D::error)
                .map(|done| D::rows_affected(&done))?;
        }
        for s in &batch.streets {
            let extent = s.extent;
            changed += sqlx::query(sql::UPSERT_STREET)
                .bind(&s.id)
                .bind(s.usrn)
                .bind(&s.name)
                .bind(s.locality.as_deref())
                .bind(s.town.as_deref())
                .bind(s.lat)
                .bind(s.lon)
                .bind(extent.map(|e| e.0))
                .bind(extent.map(|e| e.1))
                .bind(extent.map(|e| e.2))
                .bind(extent.map(|e| e.3))
                .bind(revision)
                .execute(&mut *self.tx)
                .await
                .map_err(D::error)
                .map(|done| D::rows_affected(&done))?;
        }
        for p in &batch.places {
            changed += sqlx::query(sql::UPSERT_PLACE)
                .bind(&p.id)
                .bind(&p.name)
                .bind(sql::join_aliases(&p.aliases))
                .bind(&p.kind)
                .bind(p.locality.as_deref())
                .bind(p.postcode_district.as_deref())
                .bind(p.lat)
                .bind(p.lon)
                .bind(revision)
                .execute(&mut *self.tx)
                .await
                .map_err(D::error)
                .map(|done| D::rows_affected(&done))?;
        }
        for p in &batch.postcodes {
            changed += sqlx::query(sql::UPSERT_POSTCODE)
                .bind(&p.postcode)
                .bind(p.lat)
                .bind(p.lon)
                .bind(revision)
                .execute(&mut *self.tx)
                .await
                .map_err(D::error)
                .map(|done| D::rows_affected(&done))?;
        }
        Ok(changed)
    }

    async fn derive_streets(&mut self, revision: i64) -> StoreResult<u64> {
        Ok(sqlx::query(sql::DERIVE_STREETS)
            .bind(revision)
            .execute(&mut *self.tx)
            .await
            .map_err(D::error)
            .map(|done| D::rows_affected(&done))?)
    }

    async fn commit(self: Box<Self>) -> StoreResult<()> {
        self.tx.commit().await.map_err(D::error)
    }
}
