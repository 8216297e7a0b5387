//! Control Room's use cases. Each module is one thing a user does; each write is one
//! transaction that appends its events and audit records together, so the system never
//! shows a change it has not recorded, nor records one it has not made.
//!
//! Roles are checked here, not only at the HTTP edge: every door into the system (API,
//! console, CLI, demo seeding) goes through these functions.

pub mod audit_trail;
pub mod auth;
pub mod crimes;
pub mod demo;
pub mod demo_gazetteer;
pub mod diary;
pub mod dispatch;
mod error;
pub mod event_store;
pub mod first_contact;
pub mod follow;
pub mod gazetteer;
pub mod generate;
mod idempotency;
pub mod incidents;
pub mod intelligence;
pub mod investigation;
pub mod live;
pub mod map;
pub mod messages;
pub mod partners;
pub mod recording;
mod records;
pub mod reference;
pub mod referrals;
pub mod report;
pub mod search_feed;
pub mod take_contact;
pub mod tasks;
pub mod users;

/// Store errors reach the edge inside [`AppError::Store`]; the edge maps them to HTTP without
/// depending on the store itself.
pub use controlroom_store::{Store, StoreError, WriteStats};
pub use error::AppError;
pub use idempotency::Idempotency;

use controlroom_domain::Clock;
use controlroom_domain::incident::{Incident, IncidentId};
use controlroom_domain::roles::{Permission, Role, Roles, list_in_words};
use controlroom_domain::user::Username;
use jiff::{SignedDuration, Timestamp};
use std::sync::Arc;

/// The real clock. Lives here, not in the domain, because reading the system time is I/O.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// A session unused for this long is ended (default 15 minutes).
    pub session_idle_timeout: SignedDuration,
    /// A session ends this long after sign-in however active it is (default 14 hours: a
    /// 12-hour shift and a margin), so a token cannot live for ever.
    pub session_max_lifetime: SignedDuration,
    /// Where the force is: incident references use this zone's date.
    pub time_zone: jiff::tz::TimeZone,
    /// Code lists and grading policy.
    pub reference: Arc<controlroom_domain::reference::ReferenceData>,
    /// Incidents in 12 months that make a caller, victim or location a "repeat".
    pub repeat_threshold: usize,
    /// Proxies (load balancers) whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed;
    /// from anyone else those headers are ignored and the TCP peer is the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The address users reach the server at, e.g. `https://controlroom.example.police.uk`;
    /// when it is https the session cookie is marked `Secure`.
    pub public_url: Option<String>,
    /// Where the map's tiles come from (none: the gazetteer's streets are drawn).
    pub map: map::MapSettings,
    /// `/readyz` says "not ready" while the live feed or the search index is more than this
    /// many audit records behind the log (`follow::lag`), so a balancer sends no one to a
    /// server that would show them a stale picture. Default 10,000: about ten seconds of the
    /// busiest intake measured, so a burst does not take every server out at once.
    pub ready_max_lag: i64,
    /// Partner incidents (issue 17): our agency id, and the directory the file adapter
    /// writes messages for partners into.
    pub partner: partners::PartnerSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            session_idle_timeout: SignedDuration::from_mins(15),
            session_max_lifetime: SignedDuration::from_hours(14),
            // The time zone database is built in (jiff's bundled tzdb), and the shipped lists
            // are checked by tests and again by `serve` at start-up (`reference::load`), which
            // refuses to start on a failure. Neither can fail here; if one ever did, it is said
            // loudly rather than running on UTC or on empty lists unannounced.
            time_zone: jiff::tz::TimeZone::get("Europe/London").unwrap_or_else(|e| {
                tracing::error!(error = %e, "the Europe/London time zone is missing: times are in UTC");
                jiff::tz::TimeZone::UTC
            }),
            reference: Arc::new(reference::shipped().unwrap_or_else(|e| {
                tracing::error!(error = %e, "the shipped reference data failed to load: code lists are empty");
                controlroom_domain::reference::ReferenceData::default()
            })),
            repeat_threshold: 3,
            trusted_proxies: Vec::new(),
            public_url: None,
            map: map::MapSettings::default(),
            ready_max_lag: 10_000,
            partner: partners::PartnerSettings::default(),
        }
    }
}

/// How many incidents' committed states a process keeps to start folding from (see
/// [`App::remember_incident`]): a busy shift's open incidents, many times over.
pub const REMEMBER_INCIDENTS: usize = 2_000;

/// Everything a use case needs: the store, the clock, the settings and the live feed.
/// Cheap to clone.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub settings: Settings,
    pub live: live::Live,
    /// Units and where they are, for dispatch.
    pub units: Arc<dispatch::Units>,
    /// The last audit seq the live feed and the unit registry have applied (`follow`).
    pub(crate) followed: Arc<std::sync::atomic::AtomicI64>,
    /// Serialises reading the log on for them.
    pub(crate) follow_lock: Arc<tokio::sync::Mutex<()>>,
    /// The intelligence search index (in memory unless `with_search` gives a folder's).
    search: Option<Arc<controlroom_search::SearchIndex>>,
    /// Serialises catching the search index up with the audit log (`search_feed`).
    pub(crate) search_feed: Arc<tokio::sync::Mutex<()>>,
    /// The search index's follower, and the searches waiting for it (`search_feed::run`).
    pub(crate) search_follower: Arc<search_feed::Follower>,
    /// This server's search index rebuild, if one was asked for (`search_feed::start_rebuild`).
    pub(crate) rebuild: Arc<std::sync::Mutex<search_feed::RebuildStatus>>,
    /// Streams this process indexed as it changed them, with the last audit sequence each
    /// change wrote: the catch-up skips folding them again. Forgotten once caught up past.
    pub(crate) indexed_here: Arc<std::sync::Mutex<std::collections::HashMap<String, i64>>>,
    /// Incidents as this process last committed them, with the seq of their last event:
    /// where `records::load_incident` starts folding. Only states a commit has proven are
    /// kept (a batch can fail), and the events after are always read from the store.
    incidents: Arc<std::sync::Mutex<std::collections::HashMap<IncidentId, (i64, Incident)>>>,
    /// The address search index (in memory unless `with_gazetteer` gives a folder's).
    gazetteer: Option<Arc<controlroom_search::GazetteerIndex>>,
    /// Serialises catching the address index up with the gazetteer tables.
    pub(crate) gazetteer_feed: Arc<tokio::sync::Mutex<()>>,
}

impl App {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        Self {
            store,
            clock,
            settings,
            live: live::Live::default(),
            units: Arc::new(dispatch::Units::default()),
            followed: Arc::default(),
            follow_lock: Arc::default(),
            search_feed: Arc::default(),
            search_follower: Arc::default(),
            rebuild: Arc::default(),
            indexed_here: Arc::default(),
            incidents: Arc::default(),
            search: controlroom_search::SearchIndex::open(None)
                .ok()
                .map(Arc::new),
            gazetteer: controlroom_search::GazetteerIndex::open(None)
                .ok()
                .map(Arc::new),
            gazetteer_feed: Arc::default(),
        }
    }

    /// Use this address index (e.g. one kept on disk beside the database).
    pub fn with_gazetteer(mut self, index: Arc<controlroom_search::GazetteerIndex>) -> Self {
        self.gazetteer = Some(index);
        self
    }

    pub fn gazetteer(&self) -> Result<&controlroom_search::GazetteerIndex, AppError> {
        self.gazetteer.as_deref().ok_or_else(|| {
            AppError::Store(controlroom_store::StoreError::Unavailable(
                "the address index is not open".into(),
            ))
        })
    }

    /// Use this search index (e.g. one kept on disk beside the database).
    pub fn with_search(mut self, index: Arc<controlroom_search::SearchIndex>) -> Self {
        self.search = Some(index);
        self
    }

    /// What this process has indexed itself, by stream. A thread that panicked while holding
    /// the lock left at worst a mark too low (the catch-up then re-indexes that stream): the
    /// map is used, and the poisoning is logged, never silently skipped.
    pub(crate) fn indexed_here(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, i64>> {
        self.indexed_here.lock().unwrap_or_else(|poisoned| {
            tracing::error!(
                "the indexed-here map's lock was poisoned by a panic; carrying on with it"
            );
            poisoned.into_inner()
        })
    }

    /// Note that `stream` is indexed here up to audit sequence `seq`.
    /// An incident as committed, up to and including audit seq `seq`, for the next command
    /// on it to start from. Kept for the busiest [`REMEMBER_INCIDENTS`]: when full, the
    /// oldest by seq are forgotten (they are read whole again when next needed).
    pub(crate) fn remember_incident(&self, incident: &Incident, seq: i64) {
        let mut known = self
            .incidents
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if known.len() >= REMEMBER_INCIDENTS && !known.contains_key(&incident.id) {
            let mut seqs: Vec<i64> = known.values().map(|(s, _)| *s).collect();
            seqs.sort_unstable();
            let cut = seqs[seqs.len() / 2];
            known.retain(|_, (s, _)| *s > cut);
        }
        known.insert(incident.id, (seq, incident.clone()));
    }

    pub(crate) fn remembered_incident(&self, id: IncidentId) -> Option<(i64, Incident)> {
        self.incidents
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&id)
            .cloned()
    }

    pub(crate) fn note_indexed_here(&self, stream: &str, seq: i64) {
        let mut map = self.indexed_here();
        let at = map.entry(stream.to_owned()).or_insert(seq);
        *at = (*at).max(seq);
    }

    pub fn search(&self) -> Result<&controlroom_search::SearchIndex, AppError> {
        self.search.as_deref().ok_or_else(|| {
            AppError::Store(controlroom_store::StoreError::Unavailable(
                "the search index is not open".into(),
            ))
        })
    }

    /// Commit what has been indexed since the last commit (reads do this themselves; the
    /// server also calls it every second so the index on disk lags the store by at most that).
    pub fn flush_search(&self) {
        if let Some(index) = &self.search
            && let Err(e) = index.flush()
        {
            tracing::warn!(error = %e, "search index commit failed; run controlroom reindex");
        }
    }

    /// Now, to the microsecond: the precision the store keeps, so a state built in memory is
    /// identical to the same state rebuilt from the store.
    fn now(&self) -> Timestamp {
        let now = self.clock.now();
        Timestamp::from_microsecond(now.as_microsecond()).unwrap_or(now)
    }
}

/// Who is acting: a signed-in user and the roles they hold. What they may do is the union of
/// their roles; each change is recorded with the role it was made under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub username: Username,
    pub roles: Roles,
    /// The role this use case runs under, once [`Actor::require`] has chosen it.
    acting_as: Option<Role>,
}

impl Actor {
    pub fn new(username: Username, roles: Roles) -> Self {
        Self {
            username,
            roles,
            acting_as: None,
        }
    }

    pub fn with_role(username: Username, role: Role) -> Self {
        Self::new(username, Roles::one(role))
    }

    /// Check that one of the actor's roles allows `permission`; the actor returned acts
    /// under that role, and the records it writes say so. Use it from then on:
    /// `let actor = &actor.require(…)?;`.
    pub fn require(&self, permission: Permission, doing: &str) -> Result<Actor, AppError> {
        match self.roles.granting(permission) {
            Some(role) => Ok(self.acting_as(role)),
            None => {
                let one = self.roles.len() == 1;
                Err(AppError::Forbidden(format!(
                    "your {} ({}) {} not allow you to {doing}; {} may",
                    if one { "role" } else { "roles" },
                    self.roles.label(),
                    if one { "does" } else { "do" },
                    list_in_words(Role::allowed(permission).into_iter().map(Role::label)),
                )))
            }
        }
    }

    /// The same actor acting under `role` (one of theirs).
    pub(crate) fn acting_as(&self, role: Role) -> Actor {
        Actor {
            acting_as: self.roles.contains(role).then_some(role),
            ..self.clone()
        }
    }

    /// The role to record with a change or a consultation: the one chosen by
    /// [`Actor::require`], or the only one the actor holds.
    pub fn role_in_use(&self) -> Option<Role> {
        self.acting_as
            .or_else(|| (self.roles.len() == 1).then(|| self.roles.first()))
    }

    pub(crate) fn role_to_record(&self) -> Option<String> {
        self.role_in_use().map(|r| r.as_str().to_owned())
    }
}
