//! `controlroom`: run the Control Room server and look after its data.
//!
//! Exit codes: 0 success; 1 the job failed (database unreachable, audit chain broken);
//! 2 the command line or its input was wrong.

#[cfg(feature = "bench")]
mod bench;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use controlroom_app::{Actor, App, AppError, Settings, SystemClock, audit_trail, demo, users};
use controlroom_domain::audit::SealKey;
use controlroom_store::Store;
use controlroom_store_postgres::PostgresStore;
use controlroom_store_sqlite::SqliteStore;
use jiff::SignedDuration;
use std::io::Read;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "controlroom",
    version,
    about = "Control Room: police contact management and command and control"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Database {
    /// `sqlite://path/file.db` (embedded, the default) or `postgres://user@host:5432/db`.
    #[arg(
        long,
        env = "CONTROLROOM_DATABASE_URL",
        default_value = "sqlite://data/controlroom.db",
        global = true
    )]
    database_url: String,
    /// The force's audit key (made once with `controlroom audit new-key`), kept outside the
    /// database and given to every server and command: each record written is sealed with
    /// it, and `audit verify` checks the seals, so a record written behind the system's back
    /// is caught even after the last checkpoint.
    #[arg(long, env = "CONTROLROOM_AUDIT_KEY_FILE", global = true)]
    audit_key_file: Option<std::path::PathBuf>,
}

impl Database {
    /// The audit key, when one is configured. A key file that cannot be read or is not a key
    /// stops the command (exit 2): writing unsealed records would look like tampering later.
    fn seal_key(&self) -> Result<Option<SealKey>, Failure> {
        let Some(path) = &self.audit_key_file else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(path).map_err(|e| Failure {
            code: 2,
            error: anyhow::anyhow!("reading the audit key {}: {e}", path.display()),
        })?;
        SealKey::from_hex(&text).map(Some).map_err(|e| Failure {
            code: 2,
            error: anyhow::anyhow!("{}: {e}", path.display()),
        })
    }

    /// Open the database; with a key, every record appended through it is sealed.
    async fn open(&self) -> Result<Arc<dyn Store>, Failure> {
        Ok(open_store_sealed(&self.database_url, self.seal_key()?).await?)
    }

    /// The database opened, and the application on it ([`app_on`]).
    async fn app(&self) -> Result<(Arc<dyn Store>, App), Failure> {
        let store = self.open().await?;
        let app = app_on(&store);
        Ok((store, app))
    }

    /// Run `work` on the application over the database, and close the database after it,
    /// whatever the outcome.
    async fn run<T>(
        &self,
        work: impl AsyncFnOnce(&App) -> Result<T, controlroom_app::AppError>,
    ) -> Result<T, Failure> {
        let (store, app) = self.app().await?;
        let result = work(&app).await;
        store.close().await;
        Ok(result?)
    }
}

#[derive(Args, Clone)]
struct SearchDir {
    /// Folder of the intelligence search index (rebuilt from the database when empty).
    #[arg(long, env = "CONTROLROOM_SEARCH_DIR", default_value = "data/search")]
    search_dir: std::path::PathBuf,
}

#[derive(Args, Clone)]
struct GazetteerDir {
    /// Folder of the address search index (caught up from the database's gazetteer).
    /// Default: `gazetteer` inside `--search-dir`, so each server has its own beside its
    /// intelligence index (tantivy only touches the files it wrote, never a subfolder).
    #[arg(long, env = "CONTROLROOM_GAZETTEER_DIR")]
    gazetteer_dir: Option<std::path::PathBuf>,
}

/// The gazetteer layouts `gazetteer import --format` reads.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum GazetteerFormat {
    /// OS AddressBase Plus CSV (with or without its header row).
    AddressbasePlus,
    /// OS Open UPRN CSV: positions by UPRN.
    OpenUprn,
    /// ONS Postcode Directory CSV: postcode centroids.
    Onspd,
    /// OS Open Names CSV: streets, named places and postcodes.
    OpenNames,
    /// The force's own named places and aliases: ID,NAME,ALIASES,KIND,LOCALITY,
    /// POSTCODE_DISTRICT,LAT,LON (or EASTING,NORTHING); aliases separated by ';'.
    ForcePlaces,
}

impl GazetteerFormat {
    fn domain(self) -> controlroom_domain::gazetteer::import::Format {
        use controlroom_domain::gazetteer::import::Format;
        match self {
            Self::AddressbasePlus => Format::AddressBasePlus,
            Self::OpenUprn => Format::OpenUprn,
            Self::Onspd => Format::Onspd,
            Self::OpenNames => Format::OpenNames,
            Self::ForcePlaces => Format::ForcePlaces,
        }
    }
}

#[derive(Subcommand)]
enum GazetteerCommand {
    /// Load gazetteer files into the database. Bad rows are refused (file:line and reason)
    /// and never stop the good ones; a re-import updates what changed and duplicates nothing,
    /// so an interrupted import is finished by running it again. Exit 0 when every row was
    /// taken, 2 when rows or files were refused (the rest is imported), 1 when the import
    /// could not finish. A running server indexes the new rows within a second.
    Import {
        #[command(flatten)]
        db: Database,
        #[arg(long, value_enum)]
        format: GazetteerFormat,
        /// The files, in order.
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
    },
}

// Parsed once at start-up and matched at once: `serve`'s many options cost nothing to
// carry inline, and boxing them would only obscure the argument definitions.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Run the server (creates and migrates the database if needed).
    Serve {
        #[command(flatten)]
        db: Database,
        /// Address to listen on; port 0 picks a free port (printed at start-up).
        #[arg(long, env = "CONTROLROOM_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Create a demo force: one user per role and a night shift of incidents.
        #[arg(long)]
        demo: bool,
        /// Minutes without activity after which a session ends.
        #[arg(long, env = "CONTROLROOM_SESSION_IDLE_MINUTES", default_value_t = 15)]
        session_idle_minutes: u16,
        /// Hours after sign-in at which a session ends however active (a shift and a margin).
        #[arg(long, env = "CONTROLROOM_SESSION_MAX_HOURS", default_value_t = 14)]
        session_max_hours: u16,
        /// A folder of the force's own reference files (*.psv) that extend the national lists.
        #[arg(long, env = "CONTROLROOM_REFERENCE_DIR")]
        reference_dir: Option<std::path::PathBuf>,
        #[command(flatten)]
        search: SearchDir,
        #[command(flatten)]
        gazetteer: GazetteerDir,
        /// Incidents in 12 months that make a caller, victim or location a repeat.
        #[arg(long, env = "CONTROLROOM_REPEAT_THRESHOLD", default_value_t = 3)]
        repeat_threshold: usize,
        /// Keep audit checkpoints in this file (on another disk or a mounted share, out of
        /// the database administrators' reach): one at start-up and one every
        /// `--checkpoint-minutes`, each after verifying what was written since the last.
        #[arg(long, env = "CONTROLROOM_CHECKPOINT_FILE")]
        checkpoint_file: Option<std::path::PathBuf>,
        #[arg(long, env = "CONTROLROOM_CHECKPOINT_MINUTES", default_value_t = 60)]
        checkpoint_minutes: u32,
        /// A proxy or load balancer in front of the server (repeat for several; in the
        /// environment, comma-separated). Only from these is `X-Forwarded-For` believed as the
        /// client's address (sign-in throttling) and `X-Forwarded-Proto: https` as HTTPS.
        #[arg(
            long = "trusted-proxy",
            env = "CONTROLROOM_TRUSTED_PROXY",
            value_delimiter = ','
        )]
        trusted_proxies: Vec<std::net::IpAddr>,
        /// The address users reach the server at (e.g. `https://controlroom.example`); when it
        /// is https the session cookie is marked `Secure`.
        #[arg(long, env = "CONTROLROOM_PUBLIC_URL")]
        public_url: Option<String>,
        /// The force's tile server for the map, an XYZ template such as
        /// `https://tiles.force.example/{z}/{x}/{y}.png` (browsers fetch from it directly).
        #[arg(long, env = "CONTROLROOM_MAP_TILES", conflicts_with = "map_tiles_file")]
        map_tiles: Option<String>,
        /// A tile file (MBTiles) this server serves to the map at `/tiles/{z}/{x}/{y}`.
        #[arg(long, env = "CONTROLROOM_MAP_TILES_FILE")]
        map_tiles_file: Option<std::path::PathBuf>,
        /// Credit for the map's tiles, shown on the map (e.g. "© Crown copyright and database
        /// rights 2026 OS AC0000000000").
        #[arg(long, env = "CONTROLROOM_MAP_ATTRIBUTION")]
        map_attribution: Option<String>,
        /// `/readyz` fails while this server's live feed or search index is more than this
        /// many audit records behind the log, so the load balancer sends consoles elsewhere.
        #[arg(long, env = "CONTROLROOM_READY_MAX_LAG", default_value_t = 10_000)]
        ready_max_lag: u32,
        /// Where incidents sent to partner agencies are written, one JSON file a message in
        /// `<dir>/<AGENCY>/` (docs/PARTNER-INCIDENTS.md); without it, sending is refused.
        #[arg(long, env = "CONTROLROOM_PARTNER_OUTBOX")]
        partner_outbox: Option<std::path::PathBuf>,
        /// Our agency id in partner messages (the force's domain, e.g. `police.example.uk`).
        #[arg(
            long,
            env = "CONTROLROOM_AGENCY_ID",
            default_value = "controlroom.police.example"
        )]
        agency_id: String,
    },
    /// Home Office Counting Rules.
    Hocr {
        #[command(subcommand)]
        command: HocrCommand,
    },
    /// Demo and test data.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
    /// Rebuild the intelligence search index from the database.
    Reindex {
        #[command(flatten)]
        db: Database,
        #[command(flatten)]
        search: SearchDir,
    },
    /// Create or update the database schema, then exit.
    Migrate {
        #[command(flatten)]
        db: Database,
    },
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Check the tamper-evident audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Crime recording reports.
    Crime {
        #[command(subcommand)]
        command: CrimeCommand,
    },
    /// Measure contacts per second and latency over HTTP against a fresh database.
    #[cfg(feature = "bench")]
    Bench(bench::BenchArgs),
    /// The gazetteer: addresses, streets, named places and postcodes.
    Gazetteer {
        #[command(subcommand)]
        command: GazetteerCommand,
    },
}

#[derive(Subcommand)]
enum CrimeCommand {
    /// The crime data integrity check: incidents opened in the period whose codes,
    /// qualifiers or account suggest a crime, with no crime record and no non-crime decision
    /// (for the force crime registrar's audit). At most 31 days at a time; the run is
    /// recorded in the audit trail.
    IntegrityCheck {
        #[command(flatten)]
        db: Database,
        /// Start of the period (RFC 3339); default seven days before `--to`.
        #[arg(long)]
        from: Option<String>,
        /// End of the period (RFC 3339); default now.
        #[arg(long)]
        to: Option<String>,
        #[arg(long, env = "CONTROLROOM_REFERENCE_DIR")]
        reference_dir: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user. The password is read from standard input, so it stays out of shell history.
    Add {
        #[command(flatten)]
        db: Database,
        #[arg(long)]
        username: String,
        /// contact_handler, dispatcher, crime_recorder, crime_registrar, supervisor, auditor or
        /// admin. Give it more than once for a user with several roles (`--role
        /// contact_handler --role crime_recorder`): they may do what any of them may.
        #[arg(long = "role")]
        role: Vec<String>,
        /// Several roles at once, comma-separated (`--roles contact_handler,crime_recorder`).
        #[arg(long = "roles", value_name = "ROLE,ROLE")]
        roles: Vec<String>,
        /// Read the password from standard input (required).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Replace a user's roles (audited; `audit verify` holds the users table to it).
    SetRoles {
        #[command(flatten)]
        db: Database,
        #[arg(long)]
        username: String,
        /// The new roles, comma-separated, the one the console opens in first.
        #[arg(long = "roles", value_name = "ROLE,ROLE", required = true)]
        roles: Vec<String>,
    },
    /// Reset a user's password (read from standard input); their open sessions end.
    SetPassword {
        #[command(flatten)]
        db: Database,
        #[arg(long)]
        username: String,
        /// Read the new password from standard input (required).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum HocrCommand {
    /// Count the crimes in a case file (format: shared/domain/hocr-cases/FORMAT.md) and print
    /// them as JSON, each with the rules applied. Exit 2 when the case is malformed.
    Count {
        /// The case file.
        case: std::path::PathBuf,
        /// A folder of the force's own reference files (*.psv).
        #[arg(long, env = "CONTROLROOM_REFERENCE_DIR")]
        reference_dir: Option<std::path::PathBuf>,
        /// When the recording decision is made (RFC 3339, e.g. 2022-06-01T10:00:00Z): the
        /// counting rules in force that day are applied. Default: the case's own
        /// `decided_at`, else the day of its latest report.
        #[arg(long)]
        decided_at: Option<jiff::Timestamp>,
    },
}

#[derive(Subcommand)]
enum DemoCommand {
    /// Generate a synthetic population (people with realistic spelling variety, vehicles,
    /// incidents with links) into the database, through the ordinary use cases.
    Generate {
        #[command(flatten)]
        db: Database,
        #[command(flatten)]
        search: SearchDir,
        #[arg(long, default_value_t = 1000)]
        people: usize,
        #[arg(long, default_value_t = 300)]
        vehicles: usize,
        #[arg(long, default_value_t = 3000)]
        incidents: usize,
        /// Links from a person to an incident as victim or suspect (default: a third of
        /// `--incidents`).
        #[arg(long)]
        links: Option<usize>,
        /// Phone numbers from Ofcom's drama ranges (4,000 numbers, for demonstrations), or a
        /// million under +999 (for measuring at force scale, where each number should have
        /// a realistic handful of calls).
        #[arg(long, value_enum, default_value = "drama")]
        phones: PhoneRange,
        /// The same seed gives the same data.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum PhoneRange {
    Drama,
    Benchmark,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the whole hash chain; exit 1 naming the first broken link if anything was changed,
    /// removed, inserted or reordered behind the system's back.
    Verify {
        #[command(flatten)]
        db: Database,
        /// Checkpoints written by `audit checkpoint` (one JSON line each): the chain must still
        /// pass through every one of them.
        #[arg(long)]
        checkpoints: Option<std::path::PathBuf>,
    },
    /// Verify the chain, then print its head as one JSON line to keep outside the database
    /// (append it to a file on another system). `audit verify --checkpoints` checks against it.
    /// Signed when an audit key is given.
    Checkpoint {
        #[command(flatten)]
        db: Database,
    },
    /// Make the force's audit key: 32 random bytes written as hex to FILE (readable by its
    /// owner only). Keep it out of the database's reach and give every server the same file
    /// (`--audit-key-file`). An existing file is never overwritten.
    NewKey {
        /// Where to write the key.
        file: std::path::PathBuf,
    },
}

/// Checkpoint lines from a file; a bad line is the user's input (exit 2), named by number.
fn read_checkpoints(
    path: &std::path::Path,
) -> Result<Vec<controlroom_domain::audit::Checkpoint>, Failure> {
    let input = |e: String| Failure {
        code: 2,
        error: anyhow::anyhow!(e),
    };
    let text =
        std::fs::read_to_string(path).map_err(|e| input(format!("{}: {e}", path.display())))?;
    let mut seen: std::collections::BTreeMap<i64, (usize, String)> = Default::default();
    let mut checkpoints = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let checkpoint: controlroom_domain::audit::Checkpoint = serde_json::from_str(line)
            .map_err(|e| {
                input(format!(
                    "{} line {}: not a checkpoint written by `controlroom audit checkpoint`: {e}",
                    path.display(),
                    n + 1
                ))
            })?;
        // Two different hashes for one event: one of the lines is not genuine.
        if let Some((first, hash)) = seen.get(&checkpoint.seq)
            && !hash.eq_ignore_ascii_case(&checkpoint.hash)
        {
            return Err(input(format!(
                "{} lines {first} and {}: two different hashes for event {}; the checkpoint file itself was altered",
                path.display(),
                n + 1,
                checkpoint.seq
            )));
        }
        seen.insert(checkpoint.seq, (n + 1, checkpoint.hash.clone()));
        checkpoints.push(checkpoint);
    }
    Ok(checkpoints)
}

fn load_reference(
    dir: Option<&std::path::Path>,
) -> Result<controlroom_domain::reference::ReferenceData, Failure> {
    controlroom_app::reference::load(dir).map_err(|e| Failure {
        code: 2,
        error: anyhow::anyhow!("reference data: {e}"),
    })
}

/// Where the map's tiles come from: a tile server's template (checked), a tile file (opened
/// and checked now, so a wrong path stops start-up), or neither.
async fn map_settings(
    tiles: Option<String>,
    file: Option<std::path::PathBuf>,
    attribution: Option<String>,
) -> Result<controlroom_app::map::MapSettings, Failure> {
    let input = |error: String| Failure {
        code: 2,
        error: anyhow::anyhow!(error),
    };
    let tiles_url = match tiles.filter(|t| !t.trim().is_empty()) {
        Some(t) => {
            controlroom_app::map::check_template(t.trim()).map_err(input)?;
            Some(t.trim().to_owned())
        }
        None => None,
    };
    let tiles_file = match file {
        Some(path) => {
            let source = controlroom_store_sqlite::mbtiles::MbTiles::open(&path)
                .await
                .map_err(|e| input(e.to_string()))?;
            Some(Arc::new(source) as Arc<dyn controlroom_store::TileSource>)
        }
        None => None,
    };
    Ok(controlroom_app::map::MapSettings {
        tiles_url,
        tiles_file,
        attribution: attribution.filter(|a| !a.trim().is_empty()),
    })
}

/// The application on `store`, with the system clock and the default settings.
fn app_on(store: &Arc<dyn Store>) -> App {
    App::new(store.clone(), Arc::new(SystemClock), Settings::default())
}

/// A verification that failed: the database's error like any other; a broken chain, exit code
/// 1 with `context` before it.
fn unverified(error: audit_trail::VerifyError, context: &str) -> Failure {
    match error {
        audit_trail::VerifyError::App(e) => e.into(),
        broken => Failure {
            code: 1,
            error: anyhow::anyhow!("{context}{broken}"),
        },
    }
}

/// A failure with its exit code: 2 for the user's input, 1 for everything else.
struct Failure {
    code: u8,
    error: anyhow::Error,
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(error: E) -> Self {
        let error = error.into();
        let app_error =
            error.downcast_ref::<AppError>().or_else(|| match error
                .downcast_ref::<controlroom_web::server::StartError>(
            ) {
                Some(controlroom_web::server::StartError::App(e)) => Some(e),
                _ => None,
            });
        let code = match app_error {
            Some(AppError::Invalid(_) | AppError::Conflict(_) | AppError::Forbidden(_)) => 2,
            _ => 1,
        };
        Self { code, error }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {:#}", failure.error);
            ExitCode::from(failure.code)
        }
    }
}

pub async fn open_store(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    open_store_sealed(url, None).await
}

/// Either backend, sealing what it appends when there is a key.
fn sealed<S: Store + 'static>(
    store: S,
    key: Option<SealKey>,
    seal: fn(S, SealKey) -> S,
) -> Arc<dyn Store> {
    Arc::new(match key {
        Some(key) => seal(store, key),
        None => store,
    })
}

pub async fn open_store_sealed(url: &str, key: Option<SealKey>) -> anyhow::Result<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = PostgresStore::connect(url)
            .await
            .with_context(|| "opening the PostgreSQL database")?;
        Ok(sealed(store, key, PostgresStore::sealed_with))
    } else if url.starts_with("sqlite:") {
        let store = SqliteStore::connect(url)
            .await
            .with_context(|| "opening the SQLite database")?;
        Ok(sealed(store, key, SqliteStore::sealed_with))
    } else {
        Err(AppError::from(controlroom_domain::Invalid::new(
            "--database-url",
            "must start with sqlite:// or postgres:// (e.g. sqlite://data/controlroom.db)",
        )))?
    }
}

async fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Serve {
            db,
            listen,
            demo,
            session_idle_minutes,
            session_max_hours,
            reference_dir,
            search,
            gazetteer,
            repeat_threshold,
            checkpoint_file,
            checkpoint_minutes,
            trusted_proxies,
            public_url,
            map_tiles,
            map_tiles_file,
            map_attribution,
            ready_max_lag,
            partner_outbox,
            agency_id,
        } => {
            init_logging();
            let map = map_settings(map_tiles, map_tiles_file, map_attribution).await?;
            // Bad reference data stops start-up, naming the file and line to fix.
            let reference = load_reference(reference_dir.as_deref())?;
            let settings = Settings {
                session_idle_timeout: SignedDuration::from_mins(i64::from(
                    session_idle_minutes.max(1),
                )),
                session_max_lifetime: SignedDuration::from_hours(i64::from(
                    session_max_hours.max(1),
                )),
                reference: Arc::new(reference),
                repeat_threshold: repeat_threshold.max(1),
                trusted_proxies,
                public_url,
                map,
                ready_max_lag: i64::from(ready_max_lag),
                partner: controlroom_app::partners::PartnerSettings {
                    agency: agency_id,
                    outbox: partner_outbox,
                },
                ..Settings::default()
            };
            let checkpoints = checkpoint_file.map(|file| Checkpointing {
                file,
                every: std::time::Duration::from_secs(u64::from(checkpoint_minutes.max(1)) * 60),
            });
            serve(
                &db,
                &search.search_dir,
                &gazetteer
                    .gazetteer_dir
                    .unwrap_or_else(|| search.search_dir.join("gazetteer")),
                listen,
                demo,
                settings,
                checkpoints,
            )
            .await
        }
        Command::Migrate { db } => {
            let store = db.open().await?;
            store.close().await;
            println!("database is up to date ({})", store.backend());
            Ok(())
        }
        Command::User { command } => user(command).await,
        Command::Audit {
            command: AuditCommand::NewKey { file },
        } => new_key(&file),
        Command::Audit {
            command: AuditCommand::Verify { db, checkpoints },
        } => {
            let checkpoints = match checkpoints {
                Some(path) => read_checkpoints(&path)?,
                None => Vec::new(),
            };
            let key = db.seal_key()?;
            let store = db.open().await?;
            let result =
                audit_trail::verify_against(store.as_ref(), &checkpoints, key.as_ref()).await;
            store.close().await;
            let verified = result.map_err(|e| unverified(e, ""))?;
            println!(
                "audit trail intact: {} events, head {} ({}); {} incidents agree with their events; {} accounts and {} open sessions agree with the trail",
                verified.chain.records,
                verified.chain.head_seq,
                verified.chain.head_hash,
                verified.incidents,
                verified.accounts,
                verified.sessions,
            );
            match &key {
                Some(key) => println!("every seal checked with audit key {}", key.id()),
                None => println!(
                    "seals not checked: give --audit-key-file to catch records written after the last checkpoint"
                ),
            }
            if !verified.passwords_unchecked.is_empty() {
                println!(
                    "passwords not yet covered (added before fingerprints were kept; covered once next set): {}",
                    verified.passwords_unchecked.join(", ")
                );
            }
            Ok(())
        }
        Command::Audit {
            command: AuditCommand::Checkpoint { db },
        } => {
            let key = db.seal_key()?;
            let store = db.open().await?;
            let result =
                audit_trail::checkpoint(store.as_ref(), jiff::Timestamp::now(), key.as_ref()).await;
            store.close().await;
            let checkpoint = result.map_err(|e| unverified(e, "no checkpoint written: "))?;
            println!("{}", serde_json::to_string(&checkpoint)?);
            Ok(())
        }
        Command::Crime {
            command:
                CrimeCommand::IntegrityCheck {
                    db,
                    from,
                    to,
                    reference_dir,
                },
        } => {
            let reference = load_reference(reference_dir.as_deref())?;
            let time = |field: &str, raw: &str| {
                controlroom_domain::text::parse_time(field, raw).map_err(|e| Failure {
                    code: 2,
                    error: anyhow::anyhow!("--{field}: {}", e.message),
                })
            };
            let to = match to.as_deref() {
                Some(raw) => time("to", raw)?,
                None => jiff::Timestamp::now(),
            };
            let from = from.as_deref().map(|raw| time("from", raw)).transpose()?;
            let period = controlroom_app::recording::Period::until(to, from);
            let store = db.open().await?;
            let settings = Settings {
                reference: Arc::new(reference),
                ..Settings::default()
            };
            let app = App::new(store.clone(), Arc::new(SystemClock), settings);
            // Run by whoever operates the server, with an auditor's read-only rights.
            let actor = Actor::with_role(
                controlroom_domain::user::Username::system(),
                controlroom_domain::roles::Role::Auditor,
            );
            let result = controlroom_app::recording::integrity_check(&app, &actor, period).await;
            store.close().await;
            let check = result?;
            println!(
                "Crime data integrity check, incidents opened {} to {}: {} of {} without a recording decision suggest a crime{}",
                check.period.from,
                check.period.to,
                check.findings.len(),
                check.examined,
                if check.truncated {
                    " (more than the check reads at once: narrow the period)"
                } else {
                    ""
                }
            );
            for finding in &check.findings {
                println!(
                    "{}  {}  {}",
                    finding.incident.reference,
                    finding.incident.incident_type.as_deref().unwrap_or("-"),
                    finding.reasons.join("; ")
                );
            }
            Ok(())
        }
        #[cfg(feature = "bench")]
        Command::Bench(args) => bench::run(args).await.map_err(Failure::from),
        Command::Gazetteer {
            command: GazetteerCommand::Import { db, format, files },
        } => gazetteer_import(&db, format.domain(), &files).await,
        Command::Demo {
            command:
                DemoCommand::Generate {
                    db,
                    search,
                    people,
                    vehicles,
                    incidents,
                    links,
                    phones,
                    seed,
                },
        } => {
            let store = db.open().await?;
            let app = open_search(app_on(&store), &search.search_dir).await?;
            let started = std::time::Instant::now();
            let size = controlroom_app::generate::Population {
                seed,
                people,
                vehicles,
                incidents,
                links: links.unwrap_or(incidents / 3),
                phones: match phones {
                    PhoneRange::Drama => controlroom_app::generate::Phones::Drama,
                    PhoneRange::Benchmark => controlroom_app::generate::Phones::Benchmark,
                },
            };
            let done = controlroom_app::generate::bulk_into_store(&app, size, |_, n| {
                if n % 500_000 == 0 {
                    eprintln!("  {n} records written");
                }
            })
            .await;
            let written = started.elapsed().as_secs_f64();
            // The index is built from the log as a force's is rebuilt, so that a server
            // started on this database finds it current and starts at once.
            let indexed = match &done {
                Ok(_) => {
                    let started = std::time::Instant::now();
                    controlroom_app::intelligence::reindex(&app)
                        .await
                        .map(|count| (count, started.elapsed().as_secs_f64()))
                }
                Err(_) => Ok((0, 0.0)),
            };
            app.flush_search();
            store.close().await;
            let (done, (indexed, took)) = (done?, indexed?);
            println!(
                "generated {} people, {} vehicles, {} incidents and {} links in {written:.1} s ({:.0} records/s); search index built: {indexed} records in {took:.1} s",
                done.people,
                done.vehicles,
                done.incidents,
                done.links,
                done.records() as f64 / written.max(0.001),
            );
            Ok(())
        }
        Command::Hocr {
            command:
                HocrCommand::Count {
                    case,
                    reference_dir,
                    decided_at,
                },
        } => {
            let input = |e: String| Failure {
                code: 2,
                error: anyhow::anyhow!(e),
            };
            let reference = controlroom_app::reference::load(reference_dir.as_deref())
                .map_err(|e| input(format!("reference data: {e}")))?;
            let text = std::fs::read_to_string(&case)
                .map_err(|e| input(format!("{}: {e}", case.display())))?;
            let parsed: controlroom_domain::hocr::Case = serde_json::from_str(&text)
                .map_err(|e| input(format!("{}: not a case file: {e}", case.display())))?;
            let decided_at = decided_at.or(parsed.decided_at);
            let counted = controlroom_domain::hocr::count_at(&parsed, &reference, decided_at)
                .map_err(|e| input(e.to_string()))?;
            println!(
                "{}",
                serde_json::to_string_pretty(&counted).context("writing the answer")?
            );
            Ok(())
        }
        Command::Reindex { db, search } => {
            let store = db.open().await?;
            let index = controlroom_search::SearchIndex::open(Some(&search.search_dir))
                .with_context(|| {
                    format!(
                        "opening the search index in {}",
                        search.search_dir.display()
                    )
                })?;
            let app = app_on(&store).with_search(Arc::new(index));
            let started = std::time::Instant::now();
            let count =
                controlroom_app::intelligence::reindex_with(&app, reindex_progress(started)).await;
            if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                eprintln!();
            }
            store.close().await;
            println!(
                "search index rebuilt: {} records in {:.1} s",
                count?,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
    }
}

/// A progress line on standard error after each page: rewritten in place on a terminal, one
/// line every ten pages otherwise (a log stays readable).
fn reindex_progress(
    started: std::time::Instant,
) -> impl FnMut(&controlroom_app::intelligence::ReindexProgress) {
    use std::io::{IsTerminal, Write};
    let terminal = std::io::stderr().is_terminal();
    let mut pages = 0u64;
    move |p| {
        pages += 1;
        let seconds = started.elapsed().as_secs_f64().max(0.001);
        let line = format!(
            "reindexing {}: {} records read, {} documents, {:.0} records/s",
            p.kind.as_str(),
            p.streams,
            p.documents,
            p.streams as f64 / seconds
        );
        let mut err = std::io::stderr();
        if terminal {
            let _ = write!(err, "\r{line}   ");
            let _ = err.flush();
        } else if pages % 10 == 1 {
            let _ = writeln!(err, "{line}");
        }
    }
}

/// `controlroom user …`: accounts managed by whoever operates the server, as the system.
async fn user(command: UserCommand) -> Result<(), Failure> {
    match command {
        UserCommand::Add {
            db,
            username,
            role,
            roles,
            password_stdin: _,
        } => {
            let password = password_from_stdin()?;
            let roles: Vec<String> = role.into_iter().chain(roles).collect();
            let user = db
                .run(async |app| {
                    users::add_user(app, &Actor::system(), &username, &roles, &password).await
                })
                .await?;
            let names: Vec<&str> = user.roles.iter().map(|r| r.as_str()).collect();
            println!(
                "added user {} with role{} {}",
                user.username,
                if names.len() == 1 { "" } else { "s" },
                names.join(", ")
            );
        }
        UserCommand::SetRoles {
            db,
            username,
            roles,
        } => {
            let user = db
                .run(async |app| users::set_roles(app, &Actor::system(), &username, &roles).await)
                .await?;
            let names: Vec<&str> = user.roles.iter().map(|r| r.as_str()).collect();
            println!("{} now holds {}", user.username, names.join(", "));
        }
        UserCommand::SetPassword {
            db,
            username,
            password_stdin: _,
        } => {
            let password = password_from_stdin()?;
            db.run(async |app| {
                users::set_password(app, &Actor::system(), &username, &password, None).await
            })
            .await?;
            println!("password of {username} reset; their open sessions have ended");
        }
    }
    Ok(())
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CONTROLROOM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tantivy=error"));
    let json = std::env::var("CONTROLROOM_LOG_FORMAT").is_ok_and(|f| f == "json");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Open the search index in `folder`; rebuild it from the store when it is empty.
async fn open_search(app: App, folder: &std::path::Path) -> Result<App, Failure> {
    let index = controlroom_search::SearchIndex::open(Some(folder))
        .with_context(|| format!("opening the search index in {}", folder.display()))?;
    let app = app.with_search(Arc::new(index));
    let empty = app
        .search()?
        .is_empty()
        .context("reading the search index")?;
    if empty {
        let count = controlroom_app::intelligence::reindex(&app).await?;
        if count > 0 {
            tracing::info!(count, "search index rebuilt from the database");
        }
    } else {
        // After a crash the index lacks what was not committed: it catches up from the last
        // audit sequence it holds before the server takes calls.
        let from = app.search()?.applied_seq();
        let streams = controlroom_app::search_feed::catch_up(&app).await?;
        tracing::info!(from, streams, "search index caught up with the audit log");
    }
    Ok(app)
}

/// `controlroom gazetteer import`: progress on standard error, the summary on standard output.
async fn gazetteer_import(
    db: &Database,
    format: controlroom_domain::gazetteer::import::Format,
    files: &[std::path::PathBuf],
) -> Result<(), Failure> {
    use std::io::Write;
    let (store, app) = db.app().await?;
    let started = std::time::Instant::now();
    let mut last_shown = std::time::Instant::now();
    let mut progress = |p: &controlroom_app::gazetteer::Progress<'_>| {
        if last_shown.elapsed() < std::time::Duration::from_millis(500)
            && p.bytes_read < p.bytes_total
        {
            return;
        }
        last_shown = std::time::Instant::now();
        let share = if p.bytes_total == 0 {
            100.0
        } else {
            100.0 * p.bytes_read as f64 / p.bytes_total as f64
        };
        let filled = (share / 5.0).round() as usize;
        eprint!(
            "\r{} [{}{}] {share:5.1}%  {} rows  {:.0} rows/s ",
            p.file,
            "#".repeat(filled.min(20)),
            " ".repeat(20 - filled.min(20)),
            p.rows,
            p.rows as f64 / started.elapsed().as_secs_f64().max(0.001)
        );
        let _ = std::io::stderr().flush();
    };
    let result =
        controlroom_app::gazetteer::import(&app, &Actor::system(), format, files, &mut progress)
            .await;
    eprintln!();
    store.close().await;
    let report = result.map_err(|e| Failure {
        code: 1,
        error: anyhow::anyhow!("{e}"),
    })?;
    let refused = report.total(|f| f.refused);
    println!(
        "gazetteer import ({}): {} rows read, {} imported (new or changed), {} already held, {} left out, {} refused{} in {:.1} s",
        report.format,
        report.total(|f| f.read),
        report.total(|f| f.imported),
        report.total(|f| f.unchanged),
        report.total(|f| f.skipped),
        refused,
        if report.streets_derived > 0 {
            format!(
                "; {} streets rebuilt from their addresses",
                report.streets_derived
            )
        } else {
            String::new()
        },
        started.elapsed().as_secs_f64()
    );
    for file in &report.files {
        println!(
            "  {}: {} read, {} imported, {} already held, {} left out, {} refused",
            file.file, file.read, file.imported, file.unchanged, file.skipped, file.refused
        );
    }
    if report.moved > 0 {
        println!(
            "{} UPRN(s) moved more than {} m (a property does not move: check these are corrections):",
            report.moved,
            controlroom_app::gazetteer::MOVE_REPORTED_METRES
        );
        for moved in &report.moves {
            println!("moved {moved}");
        }
        if report.moved > report.moves.len() as u64 {
            println!(
                "… and {} more moved",
                report.moved - report.moves.len() as u64
            );
        }
    }
    for refusal in &report.refusals {
        println!("refused {refusal}");
    }
    if refused > report.refusals.len() as u64 {
        println!(
            "… and {} more refused rows",
            refused - report.refusals.len() as u64
        );
    }
    if refused > 0 {
        return Err(Failure {
            code: 2,
            error: anyhow::anyhow!(
                "{refused} row(s) or file(s) refused (listed above); the rest is imported"
            ),
        });
    }
    Ok(())
}

/// A password piped in on standard input (kept out of shell history), without its line end.
fn password_from_stdin() -> anyhow::Result<String> {
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .context("reading the password from standard input")?;
    Ok(password.trim_end_matches(['\r', '\n']).to_owned())
}

/// `controlroom audit new-key FILE`.
fn new_key(path: &std::path::Path) -> Result<(), Failure> {
    use rand::RngCore;
    use std::io::Write;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| Failure {
        code: 2,
        error: anyhow::anyhow!("cannot create {}: {e}", path.display()),
    })?;
    writeln!(file, "{}", SealKey::hex_from_random(&bytes))?;
    file.sync_all()?;
    let key = SealKey::from_hex(&SealKey::hex_from_random(&bytes)).map_err(anyhow::Error::from)?;
    println!(
        "audit key {} written to {}: give every server --audit-key-file {} (or CONTROLROOM_AUDIT_KEY_FILE), and keep a copy where the database's administrators cannot reach it",
        key.id(),
        path.display(),
        path.display()
    );
    Ok(())
}

/// Where and how often the server writes audit checkpoints.
struct Checkpointing {
    file: std::path::PathBuf,
    every: std::time::Duration,
}

/// The last checkpoint in the file, if there is one; a line that is not a checkpoint is the
/// operator's to fix (exit 2), not something to write after.
fn last_checkpoint(
    path: &std::path::Path,
) -> Result<Option<controlroom_domain::audit::Checkpoint>, Failure> {
    if !path.exists() {
        return Ok(None);
    }
    Ok(read_checkpoints(path)?.into_iter().max_by_key(|c| c.seq))
}

fn append_checkpoint(
    path: &std::path::Path,
    checkpoint: &controlroom_domain::audit::Checkpoint,
) -> anyhow::Result<()> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    // The whole line in one write: a line made of two writes can be split by another
    // writer's (`writeln!` may write in pieces).
    let line = format!("{}\n", serde_json::to_string(checkpoint)?);
    file.write_all(line.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

/// Verify what was written since the file's last checkpoint and write one where it ends. One
/// server at a time does this (a database lock), reading the file afresh each time, so
/// several servers sharing one checkpoint file never write over each other or twice for one
/// stretch. A broken chain is reported loudly and nothing is written, but the control room
/// keeps taking calls.
async fn take_checkpoint(
    store: &dyn controlroom_store::Store,
    file: &std::path::Path,
    key: Option<&SealKey>,
) {
    let _one_server_at_a_time = match store.exclusive("audit_checkpoint").await {
        Ok(Some(held)) => held,
        Ok(None) => {
            tracing::info!("another server is writing the audit checkpoint");
            return;
        }
        Err(e) => {
            tracing::error!(error = %e, "audit checkpoint not written: the database lock could not be taken");
            return;
        }
    };
    let last = match last_checkpoint(file) {
        Ok(last) => last,
        Err(e) => {
            tracing::error!(error = %e.error, "audit checkpoint not written: the checkpoint file cannot be read");
            return;
        }
    };
    match audit_trail::extend_checkpoint(store, last.as_ref(), jiff::Timestamp::now(), key).await {
        Ok(Some(next)) => match append_checkpoint(file, &next) {
            Ok(()) => {
                tracing::info!(seq = next.seq, file = %file.display(), "audit checkpoint written");
            }
            Err(e) => tracing::error!(error = %e, "audit checkpoint not written"),
        },
        Ok(None) => {}
        Err(e) => {
            tracing::error!(error = %e, "AUDIT TRAIL BROKEN: no checkpoint written; run controlroom audit verify --checkpoints");
            eprintln!("AUDIT TRAIL BROKEN: {e}");
        }
    }
}

async fn serve(
    db: &Database,
    search_dir: &std::path::Path,
    gazetteer_dir: &std::path::Path,
    listen: SocketAddr,
    with_demo: bool,
    settings: Settings,
    checkpoints: Option<Checkpointing>,
) -> Result<(), Failure> {
    let key = db.seal_key()?;
    if let Some(key) = &key {
        tracing::info!(key = %key.id(), "audit records are sealed with the force's audit key");
    }
    let store = db.open().await?;
    let server = controlroom_web::server::Server::build(controlroom_web::server::ServerConfig {
        store: store.clone(),
        clock: Arc::new(SystemClock),
        settings,
        search_dir: Some(search_dir.to_owned()),
        gazetteer_dir: Some(gazetteer_dir.to_owned()),
        demo: with_demo,
    })
    .await?;
    let started = &server.started;
    if started.search_rebuilt {
        if started.search_caught_up > 0 {
            tracing::info!(
                count = started.search_caught_up,
                "search index rebuilt from the database"
            );
        }
    } else {
        tracing::info!(
            streams = started.search_caught_up,
            "search index caught up with the audit log"
        );
    }
    if started.addresses_indexed > 0 {
        tracing::info!(
            indexed = started.addresses_indexed,
            "address index caught up with the gazetteer"
        );
    }
    tracing::info!(units = started.units, "units loaded");
    if let Some(seeded) = &started.demo {
        println!(
            "Demo force ready ({} users and {} incidents created). Sign in as:",
            seeded.users_created, seeded.incidents_created
        );
        for user in demo::demo_users() {
            let roles: Vec<&str> = user.roles.iter().map(|r| r.as_str()).collect();
            println!(
                "  {:<11} password {:<16} ({})",
                user.username,
                user.password,
                roles.join(", ")
            );
        }
    }
    if let Some(Checkpointing { file, every }) = checkpoints {
        // A file that is not a checkpoint file stops start-up: the operator's to fix.
        let resumed = last_checkpoint(&file)?.is_some();
        // With a checkpoint to carry on from, verifying what came since is quick: do it before
        // the first call is taken. Without one the whole chain is read, which on a large
        // database takes a while, so the room starts at once and that runs alongside.
        if resumed {
            take_checkpoint(store.as_ref(), &file, key.as_ref()).await;
        }
        let store = store.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            if resumed {
                tick.tick().await;
            }
            loop {
                tick.tick().await;
                take_checkpoint(store.as_ref(), &file, key.as_ref()).await;
            }
        });
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let address = listener
        .local_addr()
        .context("reading the listening address")?;
    // Tests and scripts wait for this exact line.
    println!(
        "Control Room listening on http://{address} (database: {})",
        store.backend()
    );
    tracing::info!(%address, backend = store.backend(), "listening");
    server
        .run(listener, shutdown_signal())
        .await
        .context("serving HTTP")?;
    store.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
