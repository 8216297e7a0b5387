//! One way to start the server, used by the `controlroom serve` binary and by the test kit, so
//! the tests run the server that ships: open the derived stores (the intelligence search
//! index and the address index) and bring them up to the database before the first request,
//! load the unit registry, seed the demo force if asked, then serve with the followers that
//! keep every derived store caught up (each stopped when serving ends).

use controlroom_app::Store;
use controlroom_app::{App, AppError, Settings};
use controlroom_domain::Clock;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;

/// What a server is built from.
pub struct ServerConfig {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub settings: Settings,
    /// The intelligence search index's folder; `None` keeps it in memory (rebuilt from the
    /// audit log at every start).
    pub search_dir: Option<PathBuf>,
    /// The address index's folder; `None` keeps it in memory.
    pub gazetteer_dir: Option<PathBuf>,
    /// Seed the demo force (users, units, calls, a synthetic gazetteer) if it is not there.
    pub demo: bool,
}

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("opening the {what} in {folder}: {error}")]
    Index {
        what: &'static str,
        folder: String,
        error: String,
    },
    #[error(transparent)]
    App(#[from] AppError),
}

/// What start-up did, for the operator.
#[derive(Debug, Clone, Default)]
pub struct Started {
    /// Streams re-indexed (or records, for a rebuilt index) before the first request.
    pub search_caught_up: usize,
    pub search_rebuilt: bool,
    pub addresses_indexed: usize,
    pub units: usize,
    pub demo: Option<controlroom_app::demo::DemoSummary>,
}

/// A server ready to serve: its application, and what start-up did.
pub struct Server {
    pub app: App,
    pub started: Started,
}

impl Server {
    pub async fn build(config: ServerConfig) -> Result<Self, StartError> {
        let folder = |dir: &Option<PathBuf>| {
            dir.as_ref()
                .map_or_else(|| "memory".to_owned(), |d| d.display().to_string())
        };
        let search =
            controlroom_search::SearchIndex::open(config.search_dir.as_deref()).map_err(|e| {
                StartError::Index {
                    what: "search index",
                    folder: folder(&config.search_dir),
                    error: e.to_string(),
                }
            })?;
        let addresses = controlroom_app::gazetteer::open_index(config.gazetteer_dir.as_deref())
            .map_err(|e| StartError::Index {
                what: "address index",
                folder: folder(&config.gazetteer_dir),
                error: e.to_string(),
            })?;
        let app = App::new(config.store, config.clock, config.settings)
            .with_search(Arc::new(search))
            .with_gazetteer(Arc::new(addresses));
        let mut started = Started::default();
        // A fresh index is rebuilt from the database; one kept on disk catches up from the
        // last audit sequence it holds (after a crash it lacks what was not committed).
        if app.search()?.is_empty().map_err(|e| StartError::Index {
            what: "search index",
            folder: folder(&config.search_dir),
            error: e.to_string(),
        })? {
            started.search_caught_up = controlroom_app::intelligence::reindex(&app).await?;
            started.search_rebuilt = true;
        } else {
            started.search_caught_up = controlroom_app::search_feed::catch_up(&app).await?;
        }
        started.addresses_indexed = controlroom_app::gazetteer::catch_up(&app).await?;
        // Where the log stood before the units were read: the follower starts there, so a
        // change made meanwhile (by another server) is applied, never skipped.
        let head = app.store.chain_head().await.map_err(AppError::from)?;
        controlroom_app::follow::start_at(&app, head.map_or(0, |(seq, _)| seq));
        started.units = controlroom_app::dispatch::load(&app).await?;
        if config.demo {
            started.demo = Some(controlroom_app::demo::seed(&app).await?);
        }
        Ok(Self { app, started })
    }

    /// Serve until `shutdown` completes, then finish the requests in flight.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        crate::serve(listener, self.app, shutdown).await
    }
}
