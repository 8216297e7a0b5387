//! The live feed: every committed change to an incident, pushed to the consoles watching
//! (Server-Sent Events in `web`). In-process for now; a change is published only after its
//! transaction commits, so a console never shows what the store does not hold.

use controlroom_store::IncidentRow;
use jiff::Timestamp;
use tokio::sync::broadcast;

/// One incident's new state, as listed, and when it was committed.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveChange {
    pub row: IncidentRow,
    pub committed_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct Live {
    sender: broadcast::Sender<LiveChange>,
    units: broadcast::Sender<controlroom_domain::resources::Unit>,
    /// Sessions signed out (their token hashes): their live feeds close at once.
    ended: broadcast::Sender<String>,
}

/// How many changes a slow console may fall behind before it is told to reload its list.
const BACKLOG: usize = 1024;

impl Default for Live {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(BACKLOG).0,
            units: broadcast::channel(BACKLOG).0,
            ended: broadcast::channel(BACKLOG).0,
        }
    }
}

impl Live {
    pub fn subscribe(&self) -> broadcast::Receiver<LiveChange> {
        self.sender.subscribe()
    }

    /// Unit changes (status, position), for the dispatch board.
    pub fn subscribe_units(&self) -> broadcast::Receiver<controlroom_domain::resources::Unit> {
        self.units.subscribe()
    }

    /// Sessions that have just signed out, by token hash.
    pub fn subscribe_session_ends(&self) -> broadcast::Receiver<String> {
        self.ended.subscribe()
    }

    pub(crate) fn publish_session_ended(&self, token_hash: String) {
        let _ = self.ended.send(token_hash);
    }

    pub(crate) fn publish_unit(&self, unit: controlroom_domain::resources::Unit) {
        let _ = self.units.send(unit);
    }

    pub(crate) fn publish(&self, row: IncidentRow) {
        // No subscribers is normal (no console open): nothing to do.
        let _ = self.sender.send(LiveChange {
            row,
            committed_at: Timestamp::now(),
        });
    }
}
