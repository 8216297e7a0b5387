//! The live feed: every committed change to an incident or a unit, pushed to the consoles
//! watching (Server-Sent Events in `web`). Fed only by [`crate::follow`], which reads the
//! audit log: a change made on another server reaches this server's consoles the same way as
//! one made here, and each change carries its audit `seq`, so a console that reconnects says
//! where it was and is sent what it missed.

use controlroom_domain::resources::Unit;
use controlroom_store::IncidentRow;
use jiff::Timestamp;
use tokio::sync::broadcast;

/// What changed: an incident's row as listed, a unit's state, or a task (issue 17: a task to
/// a team appears on its members' consoles as it is set).
#[derive(Debug, Clone, PartialEq)]
pub enum Changed {
    Incident(IncidentRow),
    Unit(Unit),
    Task(Box<controlroom_domain::tasking::TaskState>),
    Message(Box<controlroom_domain::tasking::messages::Message>),
}

/// One change as the log has it: the `seq` of the last audit record that made it (the live
/// feed's event id) and when that record was written.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveChange {
    pub seq: i64,
    pub committed_at: Timestamp,
    pub changed: Changed,
}

#[derive(Debug, Clone)]
pub struct Live {
    changes: broadcast::Sender<LiveChange>,
    /// Sessions signed out (their token hashes): their live feeds close at once.
    ended: broadcast::Sender<String>,
}

/// How many changes a slow console may fall behind before it is told to reload its list.
const BACKLOG: usize = 1024;

impl Default for Live {
    fn default() -> Self {
        Self {
            changes: broadcast::channel(BACKLOG).0,
            ended: broadcast::channel(BACKLOG).0,
        }
    }
}

impl Live {
    pub fn subscribe(&self) -> broadcast::Receiver<LiveChange> {
        self.changes.subscribe()
    }

    /// Sessions that have just signed out, by token hash.
    pub fn subscribe_session_ends(&self) -> broadcast::Receiver<String> {
        self.ended.subscribe()
    }

    pub(crate) fn publish_session_ended(&self, token_hash: String) {
        let _ = self.ended.send(token_hash);
    }

    pub(crate) fn publish(&self, change: LiveChange) {
        // No subscribers is normal (no console open): nothing to do.
        let _ = self.changes.send(change);
    }
}
