//! The audit chain as a write transaction extends it: the one place a new record's sequence
//! number, hash and seal are worked out from the head before it. The adapters only store what
//! [`ChainTip::link`] returns, and move the tip on with [`ChainTip::advance`] once it is stored.

use crate::{NewRecord, StoreError, StoreResult};
use controlroom_domain::audit::{AuditRecord, ChainHash, SealKey, StoredRecord};
use std::sync::Arc;

/// The last record of the chain (its `seq` and hash) as seen under the chain lock, and the
/// key that seals every record appended after it, if the store holds one.
#[derive(Debug, Clone)]
pub struct ChainTip {
    seq: i64,
    hash: ChainHash,
    seal_key: Option<Arc<SealKey>>,
}

/// A record linked to the tip: the row to store in `audit_log` (the `chain_head` row follows
/// [`ChainTip::head`] at commit).
#[derive(Debug, Clone)]
pub struct Link {
    pub stored: StoredRecord,
    hash: ChainHash,
}

impl ChainTip {
    /// The tip read from `chain_head` (`seq`, hash in hex).
    pub fn read(seq: i64, hash_hex: &str, seal_key: Option<Arc<SealKey>>) -> StoreResult<Self> {
        let hash = ChainHash::from_hex(hash_hex).ok_or_else(|| {
            StoreError::Corrupt("the chain head hash is not a SHA-256 digest".into())
        })?;
        Ok(Self {
            seq,
            hash,
            seal_key,
        })
    }

    /// The next record: numbered after the tip, hashed over the tip's hash, sealed when a key
    /// is held. The tip itself moves only with [`ChainTip::advance`].
    pub fn link(&self, new: NewRecord) -> Link {
        let record = AuditRecord {
            seq: self.seq + 1,
            category: new.category.as_str().to_owned(),
            stream: new.stream,
            kind: new.kind,
            actor: new.actor,
            at_micros: new.at_micros,
            payload: new.payload,
            role: new.role,
        };
        let hash = record.link(&self.hash);
        let seal = self
            .seal_key
            .as_ref()
            .map(|key| key.seal(record.seq, &hash));
        Link {
            stored: StoredRecord {
                record,
                prev_hash: self.hash.to_hex(),
                hash: hash.to_hex(),
                seal,
            },
            hash,
        }
    }

    /// The tip as the `chain_head` row stores it: `(seq, hash in hex)`.
    pub fn head(&self) -> (i64, String) {
        (self.seq, self.hash.to_hex())
    }

    /// The record `link` is stored: it is the tip now. Returns its `seq`.
    pub fn advance(&mut self, link: Link) -> i64 {
        self.seq = link.stored.record.seq;
        self.hash = link.hash;
        self.seq
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use controlroom_domain::audit::{Category, ChainVerifier};

    #[test]
    fn linked_records_verify_and_the_tip_moves_only_when_told() {
        let mut tip = ChainTip::read(0, &ChainHash::GENESIS.to_hex(), None).unwrap();
        let new = || NewRecord {
            category: Category::Change,
            stream: "incident/a".into(),
            kind: "incident_opened".into(),
            actor: "handler".into(),
            at_micros: 1,
            payload: "{}".into(),
            role: None,
            searchable: false,
        };
        let first = tip.link(new());
        assert_eq!(
            tip.link(new()).stored,
            first.stored,
            "link alone moves nothing"
        );
        let mut verifier = ChainVerifier::default();
        verifier.check(&first.stored).unwrap();
        assert_eq!(tip.advance(first), 1);
        let second = tip.link(new());
        assert_eq!(second.stored.record.seq, 2);
        assert_eq!(tip.head().0, 1, "the head is the last record advanced to");
        verifier.check(&second.stored).unwrap();
    }

    #[test]
    fn a_head_that_is_not_a_digest_is_corrupt() {
        assert!(matches!(
            ChainTip::read(1, "zz", None),
            Err(StoreError::Corrupt(_))
        ));
    }
}
