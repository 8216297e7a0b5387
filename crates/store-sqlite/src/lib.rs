//! SQLite adapter: the embedded default. One file, WAL mode, `synchronous=FULL` so an
//! acknowledged write survives a power cut, and a single writer connection so writes queue in
//! the process instead of failing with "database is locked". The store itself is
//! [`controlroom_store_sql::SqlStore`]; this crate holds only what SQLite does differently.

pub mod mbtiles;

use controlroom_store::StoreError;
use controlroom_store::StoreResult;
use controlroom_store_sql::{Dialect, Pools, STORE_TIMEOUT, SqlStore, migrate, open_pool};
use sqlx::Sqlite;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteQueryResult, SqliteSynchronous};
use std::str::FromStr;

/// The store on SQLite: `SqliteStore::connect("sqlite://path/to/file.db")`.
pub type SqliteStore = SqlStore<SqliteDialect>;

pub struct SqliteDialect;

impl Dialect for SqliteDialect {
    type Db = Sqlite;

    const BACKEND: &'static str = "sqlite";

    // IMMEDIATE takes the write lock now, so another process (`controlroom user add` while
    // the server runs) waits on busy_timeout instead of failing mid-transaction.
    const BEGIN_WRITE: Option<&'static str> = Some("BEGIN IMMEDIATE");
    const PLACEHOLDERS: controlroom_store::sql::Placeholders =
        controlroom_store::sql::Placeholders::Bare;

    // The lock is held since BEGIN IMMEDIATE: reading the head is enough.
    const LOCK_CHAIN_HEAD: &'static str = controlroom_store::sql::SELECT_CHAIN_HEAD;

    /// Open (creating if needed) the database at `url` (`sqlite://path/to/file.db`) and bring
    /// its schema up to date: one writer connection, and four read-only ones.
    async fn connect(url: &str) -> StoreResult<Pools<Sqlite>> {
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
        let writer = open_pool::<Self>(1, Some(STORE_TIMEOUT), options.clone()).await?;
        migrate(controlroom_store_sql::migrations::Schema::Sqlite, &writer).await?;
        let reader = open_pool::<Self>(4, Some(STORE_TIMEOUT), options.read_only(true)).await?;
        Ok(Pools {
            writer,
            reader: Some(reader),
        })
    }

    /// SQLITE_BUSY (5, and 517 BUSY_SNAPSHOT) and SQLITE_LOCKED (6): another writer held the
    /// file past the busy timeout; "try again", not an internal error.
    fn unavailable(code: &str) -> bool {
        matches!(code, "5" | "6" | "517")
    }

    fn rows_affected(done: &SqliteQueryResult) -> u64 {
        done.rows_affected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use controlroom_store::Store;

    /// A fresh store in a file of its own; the directory goes when the check is over.
    async fn fresh() -> Option<(Box<dyn Store>, tempfile::TempDir)> {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("conformance.db").display());
        Some((Box::new(SqliteStore::connect(&url).await.unwrap()), dir))
    }

    controlroom_store::conformance_tests!(fresh);

    /// Migration 25 registers the streams an existing log already holds, each under its kind,
    /// once, and only those with changes.
    #[tokio::test]
    async fn existing_streams_are_registered_by_kind() {
        use controlroom_store_sql::migrations::{Schema, migrator};
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("old.db").display());
        let options = SqliteConnectOptions::from_str(&url)
            .unwrap()
            .create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        migrator(Schema::Sqlite).run_to(24, &pool).await.unwrap();
        for (seq, category, stream) in [
            (1, "change", "unit/u1"),
            (2, "change", "incident/i1"),
            (3, "change", "unit/u1"),
            (4, "access", "person/p1"),
        ] {
            sqlx::query(
                "INSERT INTO audit_log (seq, category, stream, kind, actor, at_micros, payload, prev_hash, hash) \
                 VALUES ($1, $2, $3, 'k', 'a', 0, '{}', '', '')",
            )
            .bind(seq)
            .bind(category)
            .bind(stream)
            .execute(&pool)
            .await
            .unwrap();
        }
        migrator(Schema::Sqlite).run(&pool).await.unwrap();
        let rows: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT stream, kind, first_seq FROM streams ORDER BY stream")
                .fetch_all(&pool)
                .await
                .unwrap();
        assert_eq!(
            rows,
            [
                ("incident/i1".to_owned(), "incident".to_owned(), 2),
                ("unit/u1".to_owned(), "unit".to_owned(), 1),
            ]
        );
    }
}
