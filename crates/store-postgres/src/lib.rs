//! PostgreSQL adapter: the production store. `synchronous_commit=on` on every connection, so
//! an acknowledged write is on disk; writers serialise on the chain head row (`FOR UPDATE`).
//! The store itself is [`controlroom_store_sql::SqlStore`]; this crate holds only what
//! PostgreSQL does differently.

use controlroom_store::{StoreError, StoreResult};
use controlroom_store_sql::migrations::Schema;
use controlroom_store_sql::{Dialect, Pools, STORE_TIMEOUT, SqlStore, advance, migrate, open_pool};
use sqlx::postgres::{PgConnectOptions, PgListener, PgQueryResult};
use sqlx::{Pool, Postgres};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The channel on which each server announces the log's new head (`NOTIFY`).
const CHANNEL: &str = "controlroom_log";

/// The store on PostgreSQL: `PostgresStore::connect("postgres://user@host:5432/db")`.
pub type PostgresStore = SqlStore<PostgresDialect>;

pub struct PostgresDialect;

impl Dialect for PostgresDialect {
    type Db = Postgres;

    const BACKEND: &'static str = "postgres";

    const BEGIN_WRITE: Option<&'static str> = None;

    // Locking the head row queues every writer (this process or another) behind the one
    // appending now, so the chain has one order and decisions see the latest state.
    const LOCK_CHAIN_HEAD: &'static str =
        "SELECT seq, hash FROM chain_head WHERE id = 1 FOR UPDATE";

    const TRY_LOCK: Option<&'static str> =
        Some("SELECT pg_try_advisory_xact_lock(hashtext($1))::int::int8 AS taken");

    // The two-key form (namespace, key) keeps these apart from TRY_LOCK's one-key locks.
    const LOCK_SIGN_IN: Option<&'static str> =
        Some("SELECT pg_advisory_xact_lock($1::int4, hashtext($2))::text AS locked");

    // READ COMMITTED (the default) would let each statement see later commits.
    const SNAPSHOT: Option<&'static str> =
        Some("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");

    // The other servers hear of the new head when, and only if, the write commits: a
    // notification sent in a transaction is delivered at its commit. One per batch of writes
    // (group commit), in the statement the batch runs anyway. pg_notify rather than NOTIFY:
    // the payload is a value.
    const UPDATE_CHAIN_HEAD: &'static str = "WITH head AS (UPDATE chain_head SET seq = $1, hash = $2 WHERE id = 1 RETURNING seq) \
         SELECT pg_notify('controlroom_log', seq::text)::text AS notified FROM head";

    /// One connection of its own, listening; after a lost connection, listen again a second
    /// later (the followers' poll covers what was missed meanwhile).
    async fn listen(pool: Pool<Postgres>, heard: Arc<watch::Sender<i64>>) {
        loop {
            if let Ok(mut listener) = PgListener::connect_with(&pool).await
                && listener.listen(CHANNEL).await.is_ok()
            {
                while let Ok(notification) = listener.recv().await {
                    if let Ok(seq) = notification.payload().parse::<i64>() {
                        advance(&heard, seq);
                    }
                }
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// Connect to `url` and bring the schema up to date; reads and writes share one pool.
    async fn connect(url: &str) -> StoreResult<Pools<Postgres>> {
        let base = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("{url}: {e}")))?;
        // Migrations may take as long as they need (an index on a large table), on a
        // connection of their own without the requests' statement timeout.
        let migrator = open_pool::<Self>(1, None, base.clone()).await?;
        migrate(Schema::Postgres, &migrator).await?;
        migrator.close().await;
        // A statement that has not finished in 5 s is cancelled: a request fails fast (503)
        // instead of holding the chain lock and every writer behind it.
        let options = base.options([("synchronous_commit", "on"), ("statement_timeout", "5s")]);
        // Waiting longer for a connection than a person waits for a button is no use.
        let writer = open_pool::<Self>(10, Some(STORE_TIMEOUT), options).await?;
        Ok(Pools {
            writer,
            reader: None,
        })
    }

    /// Class 08 (connection exception), 57 (operator intervention: shutdown, cancelled by the
    /// statement timeout), 53 (insufficient resources), 55000 (the database is not
    /// accepting connections) and a transaction rolled back to break a deadlock mean "not now", not a bug: the client is told to try again
    /// (503), not shown an internal error.
    fn unavailable(code: &str) -> bool {
        // 40001 and 40P01 (a serialisation failure, a deadlock broken): the transaction was
        // rolled back whole, and trying again will do.
        matches!(code, "55000" | "40001" | "40P01")
            || ["08", "57", "53"]
                .iter()
                .any(|class| code.starts_with(class))
    }

    fn rows_affected(done: &PgQueryResult) -> u64 {
        done.rows_affected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use controlroom_store::Store;
    use controlroom_store::conformance::{Fixture, postgres_url};
    use sqlx::{AssertSqlSafe, PgPool};

    /// A store on a database of its own, created on the server named by
    /// `CONTROLROOM_TEST_POSTGRES_URL` and dropped when the check is over.
    async fn fresh() -> Option<OwnDatabase> {
        let admin_url = postgres_url()?;
        let admin = PgPool::connect(&admin_url).await.unwrap();
        let name = format!("controlroom_conformance_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await
            .unwrap();
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(base, _)| base);
        let store = PostgresStore::connect(&format!("{base}/{name}"))
            .await
            .unwrap();
        Some(OwnDatabase { store, admin, name })
    }

    struct OwnDatabase {
        store: PostgresStore,
        admin: PgPool,
        name: String,
    }

    impl OwnDatabase {
        /// A second store on the same database, as another server would have.
        async fn another_server(&self) -> PostgresStore {
            let base = postgres_url().unwrap();
            let base = base.rsplit_once('/').map_or(base.as_str(), |(b, _)| b);
            PostgresStore::connect(&format!("{base}/{}", self.name))
                .await
                .unwrap()
        }
    }

    impl Fixture for OwnDatabase {
        fn store(&self) -> &dyn Store {
            &self.store
        }

        async fn finish(self) {
            self.store.close().await;
            let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
            let _ = sqlx::query(AssertSqlSafe(drop)).execute(&self.admin).await;
            self.admin.close().await;
        }
    }

    controlroom_store::conformance_tests!(fresh);

    /// Two servers on one database: the lock one holds, the other is refused, until it is
    /// let go (the conformance check sees only one store, where the process's own set of
    /// held names would answer first).
    #[tokio::test]
    async fn a_lock_held_by_one_server_is_refused_to_another() {
        let Some(own) = fresh().await else {
            return;
        };
        let other = own.another_server().await;
        let held = own.store.exclusive("audit_checkpoint").await.unwrap();
        assert!(held.is_some());
        assert!(other.exclusive("audit_checkpoint").await.unwrap().is_none());
        drop(held);
        assert!(other.exclusive("audit_checkpoint").await.unwrap().is_some());
        other.close().await;
        own.finish().await;
    }

    /// Advisory locks some transaction is waiting for, on this test's database.
    async fn waiting_for_advisory_locks(own: &OwnDatabase) -> i64 {
        sqlx::query_scalar(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
             WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = $1",
        )
        .bind(&own.name)
        .fetch_one(&own.admin)
        .await
        .unwrap()
    }

    /// Issue 13: sign-in failures are counted without the audit chain's lock, so a guess is
    /// decided while a long write holds the chain; and two guesses at one name, made on two
    /// servers, are still decided one after the other (the second sees the first's count).
    #[tokio::test]
    async fn sign_in_attempts_pass_the_chain_lock_but_queue_on_their_name() {
        let Some(own) = fresh().await else {
            return;
        };
        let other = own.another_server().await;

        // A write holds the chain lock throughout.
        let write = own.store.begin().await.unwrap();
        // Bounds on waits that must not happen at all: a hang here is the failure.
        let bound = Duration::from_secs(10);
        let mut first = tokio::time::timeout(bound, other.begin_sign_in("handler", "192.0.2.1"))
            .await
            .expect("a sign-in does not wait for the chain lock")
            .unwrap();
        assert_eq!(
            first
                .sign_in_attempts("handler", "192.0.2.1", 0)
                .await
                .unwrap(),
            vec![]
        );
        first
            .record_sign_in_attempt("handler", "192.0.2.1", 100, 0)
            .await
            .unwrap();

        // A second guess at the same name, from elsewhere, waits for the first to finish.
        let third = std::sync::Arc::new(own.another_server().await);
        let store = third.clone();
        let second = tokio::spawn(async move {
            let mut tx = store.begin_sign_in("handler", "192.0.2.2").await.unwrap();
            let seen = tx
                .sign_in_attempts("handler", "192.0.2.2", 0)
                .await
                .unwrap();
            tx.record_sign_in_attempt("handler", "192.0.2.2", 200, 0)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            seen.len()
        });
        tokio::time::timeout(bound, async {
            while waiting_for_advisory_locks(&own).await == 0 {
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("the second guess at the name waits for the first");
        assert!(!second.is_finished());
        first.commit().await.unwrap();
        assert_eq!(second.await.unwrap(), 1, "the second guess saw the first");

        // A guess at another name from another address does not wait for either.
        let mut unrelated =
            tokio::time::timeout(bound, own.store.begin_sign_in("dispatcher", "192.0.2.3"))
                .await
                .expect("another name from another address does not wait")
                .unwrap();
        unrelated
            .record_sign_in_attempt("dispatcher", "192.0.2.3", 300, 0)
            .await
            .unwrap();
        unrelated.commit().await.unwrap();
        drop(write);
        third.close().await;
        other.close().await;
        own.finish().await;
    }
}
