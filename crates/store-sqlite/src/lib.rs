//! SQLite adapter: the embedded default. One file, WAL mode, `synchronous=FULL` so an
//! acknowledged write survives a power cut, and a single writer connection so writes queue in
//! the process instead of failing with "database is locked".

pub mod mbtiles;

use async_trait::async_trait;
use controlroom_domain::audit::{AuditRecord, ChainHash, SealKey, StoredRecord};
use controlroom_domain::user::Username;
use controlroom_store::sql;
use controlroom_store::{
    AddressRow, CrimeFilter, CrimeRow, GazetteerBatch, GazetteerChanges, GazetteerCounts,
    IdempotentResponse, IncidentFilter, IncidentRow, NewRecord, PlaceRow, PostcodeRow, SessionRow,
    Store, StoreError, StoreResult, StreetPoint, StreetRow, UserRow, WriteTx,
};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, Row, Sqlite, SqlitePool, Transaction};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    seal_key: Option<Arc<SealKey>>,
}

fn db_error(err: sqlx::Error) -> StoreError {
    match err {
        sqlx::Error::Database(e) if e.is_unique_violation() => {
            StoreError::Conflict(e.message().to_owned())
        }
        // SQLITE_BUSY (5) and SQLITE_LOCKED (6): another writer held the file past the busy
        // timeout; "try again", not an internal error.
        sqlx::Error::Database(e) if matches!(e.code().as_deref(), Some("5" | "6" | "517")) => {
            StoreError::Unavailable(e.message().to_owned())
        }
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            StoreError::Unavailable(err.to_string())
        }
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_) => StoreError::Corrupt(err.to_string()),
        other => StoreError::Database(other.to_string()),
    }
}

/// How long a request waits for the database before it is told to try again.
const STORE_TIMEOUT: Duration = Duration::from_secs(3);

impl SqliteStore {
    /// Open (creating if needed) the database at `url` (`sqlite://path/to/file.db`) and bring
    /// its schema up to date.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("{url}: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(STORE_TIMEOUT)
            .foreign_keys(true);
        if let Some(parent) = options.get_filename().parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Unavailable(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(STORE_TIMEOUT)
            .connect_with(options.clone())
            .await
            .map_err(db_error)?;
        sqlx::migrate!("./migrations")
            .run(&writer)
            .await
            .map_err(|e| StoreError::Database(format!("migrating the SQLite database: {e}")))?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(STORE_TIMEOUT)
            .connect_with(options.read_only(true))
            .await
            .map_err(db_error)?;
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
}

controlroom_store::row_mappers!(SqliteRow);
controlroom_store::gazetteer_row_mappers!(SqliteRow);

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.reader)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn begin(&self) -> StoreResult<Box<dyn WriteTx>> {
        // IMMEDIATE takes the write lock now, so another process (`controlroom user add`
        // while the server runs) waits on busy_timeout instead of failing mid-transaction.
        let mut tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db_error)?;
        let head = sqlx::query(sql::SELECT_CHAIN_HEAD)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_error)?;
        let seq: i64 = head.try_get("seq").map_err(db_error)?;
        let hash: String = head.try_get("hash").map_err(db_error)?;
        let hash = ChainHash::from_hex(&hash).ok_or_else(|| {
            StoreError::Corrupt("the chain head hash is not a SHA-256 digest".into())
        })?;
        Ok(Box::new(SqliteTx {
            tx,
            head_seq: seq,
            head_hash: hash,
            seal_key: self.seal_key.clone(),
        }))
    }

    async fn stream(&self, stream: &str) -> StoreResult<Vec<AuditRecord>> {
        let rows = sqlx::query(sql::SELECT_STREAM)
            .bind(stream)
            .fetch_all(&self.reader)
            .await
            .map_err(db_error)?;
        rows.iter()
            .map(audit_record)
            .collect::<Result<_, _>>()
            .map_err(db_error)
    }

    async fn streams(&self, prefix: &str) -> StoreResult<Vec<String>> {
        sqlx::query_scalar(sql::SELECT_STREAMS)
            .bind(sql::prefix_pattern(prefix))
            .fetch_all(&self.reader)
            .await
            .map_err(db_error)
    }

    async fn list_crimes(&self, filter: &CrimeFilter) -> StoreResult<Vec<CrimeRow>> {
        let rows = sqlx::query(AssertSqlSafe(sql::list_crimes()))
            .bind(filter.status.as_deref())
            .bind(filter.limit)
            .fetch_all(&self.reader)
            .await
            .map_err(db_error)?;
        rows.iter()
            .map(crime_row)
            .collect::<Result<_, _>>()
            .map_err(db_error)
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
        let rows = query.fetch_all(&self.reader).await.map_err(db_error)?;
        rows.iter()
            .map(incident_row)
            .collect::<Result<_, _>>()
            .map_err(db_error)
    }

    async fn user(&self, username: &Username) -> StoreResult<Option<UserRow>> {
        let row = sqlx::query(sql::SELECT_USER)
            .bind(username.as_str())
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error)?;
        let Some(mut user) = row.as_ref().map(user_row).transpose().map_err(db_error)? else {
            return Ok(None);
        };
        user.roles = sqlx::query_scalar(sql::SELECT_USER_ROLES)
            .bind(username.as_str())
            .fetch_all(&self.reader)
            .await
            .map_err(db_error)?;
        Ok(Some(user))
    }

    async fn list_users(&self) -> StoreResult<Vec<UserRow>> {
        let rows = sqlx::query(sql::SELECT_USERS)
            .fetch_all(&self.reader)
            .await
            .map_err(db_error)?;
        let mut users: Vec<UserRow> = rows
            .iter()
            .map(user_row)
            .collect::<Result<_, _>>()
            .map_err(db_error)?;
        let roles = sqlx::query(sql::SELECT_ALL_USER_ROLES)
            .fetch_all(&self.reader)
            .await
            .map_err(db_error)?;
        for row in &roles {
            let username: String = row.try_get("username").map_err(db_error)?;
            let role: String = row.try_get("role").map_err(db_error)?;
            if let Some(user) = users.iter_mut().find(|u| u.username == username) {
                user.roles.push(role);
            }
        }
        Ok(users)
    }

    async fn setting(&self, name: &str) -> StoreResult<Option<String>> {
        sqlx::query_scalar(sql::SELECT_SETTING)
            .bind(name)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error)
    }

    async fn session(&self, token_hash: &str) -> StoreResult<Option<SessionRow>> {
        let row = sqlx::query(sql::SELECT_SESSION)
            .bind(token_hash)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error)?;
        row.as_ref().map(session_row).transpose().map_err(db_error)
    }

    async fn list_sessions(&self) -> StoreResult<Vec<SessionRow>> {
        let rows = sqlx::query(sql::SELECT_SESSIONS)
            .fetch_all(&self.reader)
            .await
            .map_err(db_error)?;
        rows.iter()
            .map(session_row)
            .collect::<Result<_, _>>()
            .map_err(db_error)
    }

    async fn touch_session(&self, token_hash: &str, at_micros: i64) -> StoreResult<()> {
        sqlx::query(sql::TOUCH_SESSION)
            .bind(token_hash)
            .bind(at_micros)
            .execute(&self.writer)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn audit_records(&self, after: i64, limit: i64) -> StoreResult<Vec<StoredRecord>> {
        let rows = sqlx::query(sql::SELECT_AUDIT_PAGE)
            .bind(after)
            .bind(limit)
            .fetch_all(&self.reader)
            .await
            .map_err(db_error)?;
        rows.iter()
            .map(|row| {
                Ok(StoredRecord {
                    record: audit_record(row)?,
                    prev_hash: row.try_get("prev_hash")?,
                    hash: row.try_get("hash")?,
                    seal: row.try_get("seal")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(db_error)
    }

    async fn chain_head(&self) -> StoreResult<Option<(i64, String)>> {
        let row = sqlx::query(sql::SELECT_CHAIN_HEAD)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error)?;
        row.map(|r| Ok((r.try_get("seq")?, r.try_get("hash")?)))
            .transpose()
            .map_err(db_error)
    }

    async fn gazetteer_revision(&self) -> StoreResult<i64> {
        sqlx::query_scalar(sql::GAZETTEER_REVISION)
            .fetch_one(&self.reader)
            .await
            .map_err(db_error)
    }

    async fn gazetteer_changes(&self, after: i64, upto: i64) -> StoreResult<GazetteerChanges> {
        let fetch = |table: &str, columns: &str| {
            sqlx::query(AssertSqlSafe(sql::gazetteer_changes(table, columns)))
                .bind(after)
                .bind(upto)
                .fetch_all(&self.reader)
        };
        let addresses = fetch("gazetteer_addresses", sql::ADDRESS_COLUMNS)
            .await
            .map_err(db_error)?;
        let streets = fetch("gazetteer_streets", sql::STREET_COLUMNS)
            .await
            .map_err(db_error)?;
        let places = fetch("gazetteer_places", sql::PLACE_COLUMNS)
            .await
            .map_err(db_error)?;
        let postcodes = fetch("gazetteer_postcodes", "postcode, lat, lon")
            .await
            .map_err(db_error)?;
        let all = || -> Result<GazetteerChanges, sqlx::Error> {
            Ok(GazetteerChanges {
                addresses: addresses
                    .iter()
                    .map(address_row)
                    .collect::<Result<_, _>>()?,
                streets: streets.iter().map(street_row).collect::<Result<_, _>>()?,
                places: places.iter().map(place_row).collect::<Result<_, _>>()?,
                postcodes: postcodes
                    .iter()
                    .map(postcode_row)
                    .collect::<Result<_, _>>()?,
            })
        };
        all().map_err(db_error)
    }

    async fn gazetteer_address(&self, uprn: i64) -> StoreResult<Option<AddressRow>> {
        let row = sqlx::query(AssertSqlSafe(sql::select_address()))
            .bind(uprn)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error)?;
        row.as_ref().map(address_row).transpose().map_err(db_error)
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
            let rows = query.fetch_all(&self.reader).await.map_err(db_error)?;
            for r in &rows {
                found.push((
                    r.try_get("uprn").map_err(db_error)?,
                    r.try_get("lat").map_err(db_error)?,
                    r.try_get("lon").map_err(db_error)?,
                ));
            }
        }
        Ok(found)
    }

    async fn gazetteer_street(&self, id: &str) -> StoreResult<Option<StreetRow>> {
        let row = sqlx::query(AssertSqlSafe(sql::select_street()))
            .bind(id)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error)?;
        row.as_ref().map(street_row).transpose().map_err(db_error)
    }

    async fn gazetteer_place(&self, id: &str) -> StoreResult<Option<PlaceRow>> {
        let row = sqlx::query(AssertSqlSafe(sql::select_place()))
            .bind(id)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error)?;
        row.as_ref().map(place_row).transpose().map_err(db_error)
    }

    async fn gazetteer_postcode(&self, postcode: &str) -> StoreResult<Option<PostcodeRow>> {
        let row = sqlx::query(sql::SELECT_POSTCODE)
            .bind(postcode)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error)?;
        row.as_ref().map(postcode_row).transpose().map_err(db_error)
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
            .fetch_all(&self.reader)
            .await
            .map_err(db_error)?;
        rows.iter()
            .map(address_row)
            .collect::<Result<_, _>>()
            .map_err(db_error)
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
            .fetch_all(&self.reader)
            .await
            .map_err(db_error)?;
        rows.iter()
            .map(street_row)
            .collect::<Result<_, _>>()
            .map_err(db_error)
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
            .fetch_all(&self.reader)
            .await
            .map_err(db_error)?;
        let point = |r: &SqliteRow| -> Result<StreetPoint, sqlx::Error> {
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
            .map_err(db_error)
    }

    async fn gazetteer_counts(&self) -> StoreResult<GazetteerCounts> {
        let row = sqlx::query(sql::GAZETTEER_COUNTS)
            .fetch_one(&self.reader)
            .await
            .map_err(db_error)?;
        let get = |name: &str| row.try_get::<i64, _>(name);
        let counts = || -> Result<GazetteerCounts, sqlx::Error> {
            Ok(GazetteerCounts {
                addresses: get("addresses")?,
                streets: get("streets")?,
                places: get("places")?,
                postcodes: get("postcodes")?,
            })
        };
        counts().map_err(db_error)
    }

    async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}

struct SqliteTx {
    tx: Transaction<'static, Sqlite>,
    head_seq: i64,
    head_hash: ChainHash,
    seal_key: Option<Arc<SealKey>>,
}

#[async_trait]
impl WriteTx for SqliteTx {
    async fn append(&mut self, new: NewRecord) -> StoreResult<i64> {
        let record = AuditRecord {
            seq: self.head_seq + 1,
            category: new.category.as_str().to_owned(),
            stream: new.stream,
            kind: new.kind,
            actor: new.actor,
            at_micros: new.at_micros,
            payload: new.payload,
            role: new.role,
        };
        let hash = record.link(&self.head_hash);
        sqlx::query(sql::INSERT_AUDIT)
            .bind(record.seq)
            .bind(&record.category)
            .bind(&record.stream)
            .bind(&record.kind)
            .bind(&record.actor)
            .bind(record.at_micros)
            .bind(&record.payload)
            .bind(self.head_hash.to_hex())
            .bind(hash.to_hex())
            .bind(record.role.as_deref())
            .bind(
                self.seal_key
                    .as_ref()
                    .map(|key| key.seal(record.seq, &hash)),
            )
            .execute(&mut *self.tx)
            .await
            .map_err(db_error)?;
        sqlx::query(sql::UPDATE_CHAIN_HEAD)
            .bind(record.seq)
            .bind(hash.to_hex())
            .execute(&mut *self.tx)
            .await
            .map_err(db_error)?;
        self.head_seq = record.seq;
        self.head_hash = hash;
        Ok(record.seq)
    }

    async fn stream(&mut self, stream: &str) -> StoreResult<Vec<AuditRecord>> {
        let rows = sqlx::query(sql::SELECT_STREAM)
            .bind(stream)
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db_error)?;
        rows.iter()
            .map(audit_record)
            .collect::<Result<_, _>>()
            .map_err(db_error)
    }

    async fn next_incident_number(&mut self, day: &str) -> StoreResult<u32> {
        let last: i64 = sqlx::query_scalar(sql::NEXT_INCIDENT_NUMBER)
            .bind(day)
            .fetch_one(&mut *self.tx)
            .await
            .map_err(db_error)?;
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
            .map_err(db_error)?;
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
            .map_err(db_error)?;
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
            .map_err(|e| match db_error(e) {
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
                .map_err(db_error)?;
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
            .map_err(|e| match db_error(e) {
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
            .map_err(db_error)?;
        Ok(())
    }

    async fn delete_user_sessions(&mut self, username: &str) -> StoreResult<u64> {
        let done = sqlx::query(sql::DELETE_USER_SESSIONS)
            .bind(username)
            .execute(&mut *self.tx)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected())
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
            .map_err(db_error)?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::Corrupt(format!(
                "user {username} is not on file"
            )));
        }
        sqlx::query(sql::DELETE_USER_ROLES)
            .bind(username)
            .execute(&mut *self.tx)
            .await
            .map_err(db_error)?;
        for (position, role) in (0_i64..).zip(roles) {
            sqlx::query(sql::INSERT_USER_ROLE)
                .bind(username)
                .bind(role)
                .bind(position)
                .execute(&mut *self.tx)
                .await
                .map_err(db_error)?;
        }
        Ok(())
    }

    async fn set_password_hash(&mut self, username: &str, password_hash: &str) -> StoreResult<()> {
        let updated = sqlx::query(sql::UPDATE_PASSWORD_HASH)
            .bind(username)
            .bind(password_hash)
            .execute(&mut *self.tx)
            .await
            .map_err(db_error)?;
        if updated.rows_affected() == 0 {
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
            .map_err(db_error)?;
        Ok(())
    }

    async fn sign_in_attempts(
        &mut self,
        username: &str,
        address: &str,
        since_micros: i64,
    ) -> StoreResult<Vec<controlroom_store::SignInAttemptRow>> {
        let rows = sqlx::query(sql::SELECT_SIGN_IN_ATTEMPTS)
            .bind(username)
            .bind(address)
            .bind(since_micros)
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db_error)?;
        rows.iter()
            .map(sign_in_attempt_row)
            .collect::<Result<_, _>>()
            .map_err(db_error)
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
            .map_err(db_error)?;
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
            .map_err(db_error)?;
        sqlx::query_scalar(sql::INSERT_SIGN_IN_ATTEMPT)
            .bind(username)
            .bind(address)
            .bind(at_micros)
            .fetch_one(&mut *self.tx)
            .await
            .map_err(db_error)
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
            .map_err(db_error)?;
        sqlx::query(sql::CLEAR_SIGN_IN_NAME)
            .bind(username)
            .execute(&mut *self.tx)
            .await
            .map_err(db_error)?;
        sqlx::query(sql::FORGET_SIGN_IN_ADDRESSES)
            .bind(forget_before_micros)
            .execute(&mut *self.tx)
            .await
            .map_err(db_error)?;
        sqlx::query(sql::UPSERT_SIGN_IN_ADDRESS)
            .bind(username)
            .bind(address)
            .bind(at_micros)
            .execute(&mut *self.tx)
            .await
            .map_err(db_error)?;
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
            .map_err(db_error)?;
        row.map(|r| {
            Ok(IdempotentResponse {
                fingerprint: r.try_get("fingerprint")?,
                body: r.try_get("body")?,
            })
        })
        .transpose()
        .map_err(db_error)
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
            .map_err(db_error)?;
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
                .map_err(db_error)?
                .rows_affected();
        }
        for (uprn, lat, lon) in &batch.positions {
            changed += sqlx::query(sql::UPSERT_UPRN_POSITION)
                .bind(uprn)
                .bind(lat)
                .bind(lon)
                .bind(revision)
                .execute(&mut *self.tx)
                .await
                .map_err(db_error)?
                .rows_affected();
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
                .map_err(db_error)?
                .rows_affected();
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
                .map_err(db_error)?
                .rows_affected();
        }
        for p in &batch.postcodes {
            changed += sqlx::query(sql::UPSERT_POSTCODE)
                .bind(&p.postcode)
                .bind(p.lat)
                .bind(p.lon)
                .bind(revision)
                .execute(&mut *self.tx)
                .await
                .map_err(db_error)?
                .rows_affected();
        }
        Ok(changed)
    }

    async fn derive_streets(&mut self, revision: i64) -> StoreResult<u64> {
        Ok(sqlx::query(sql::DERIVE_STREETS)
            .bind(revision)
            .execute(&mut *self.tx)
            .await
            .map_err(db_error)?
            .rows_affected())
    }

    async fn commit(self: Box<Self>) -> StoreResult<()> {
        self.tx.commit().await.map_err(db_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn conforms_to_the_store_suite() {
        let dir = tempfile::tempdir().unwrap();
        let counter = std::sync::atomic::AtomicUsize::new(0);
        controlroom_store::conformance::run_all(|| {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let url = format!(
                "sqlite://{}",
                dir.path().join(format!("conformance-{n}.db")).display()
            );
            async move { Box::new(SqliteStore::connect(&url).await.unwrap()) as Box<dyn Store> }
        })
        .await;
    }
}
