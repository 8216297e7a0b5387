//! The tamper-evident audit trail (Data Protection Act 2018 s.62: logging of collection,
//! alteration, consultation, disclosure and erasure).
//!
//! Every record, whether a state change or a look at personal data, is one link in a single
//! hash chain: `hash = SHA-256(prev_hash ‖ canonical bytes of the record)`. The canonical bytes
//! are versioned and length-prefixed, so no two different records encode alike. Changing,
//! removing, inserting or reordering a row breaks the chain at that row, and the recorded chain
//! head catches rows removed from the end. Someone able to rewrite the whole chain and its head
//! could still forge it, unless the head was written down elsewhere: a [`Checkpoint`] (the
//! head's number and hash at a moment, kept outside the database) pins the chain up to it, and
//! the verifier refuses a chain that no longer passes through it.
//!
//! A force can also give its servers an audit key kept outside the database ([`SealKey`]).
//! Each record is then sealed as it is appended: an HMAC of its number and hash. Anyone with
//! only the database cannot make a seal, so a record appended, altered or re-hashed outside
//! the server is caught even after the last checkpoint, and checkpoints are signed with the
//! same key so the file they are kept in cannot be edited to match a forged chain.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::fmt;

/// A SHA-256 digest, shown and stored as 64 lower-case hex characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChainHash(pub [u8; 32]);

impl ChainHash {
    /// The `prev_hash` of the first record.
    pub const GENESIS: ChainHash = ChainHash([0; 32]);

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub fn from_hex(text: &str) -> Option<Self> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes).ok()?;
        Some(Self(bytes))
    }
}

impl fmt::Debug for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChainHash({})", self.to_hex())
    }
}

impl fmt::Display for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Whether a record changes state (replayed to rebuild it) or records access to personal data
/// (never replayed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum Category {
    Change,
    Access,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "change" => Some(Category::Change),
            "access" => Some(Category::Access),
            _ => None,
        }
    }
}

/// One record of the audit log, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// 1, 2, 3… with no gaps: the position in the chain.
    pub seq: i64,
    /// Stored as text so that a tampered value is still read and reported, not rejected on load.
    pub category: String,
    /// What the record is about, e.g. `incident/0190…` or `user/jsmith`.
    pub stream: String,
    pub kind: String,
    /// The username of whoever did it (who).
    pub actor: String,
    /// When, in microseconds since the Unix epoch (UTC).
    pub at_micros: i64,
    /// What and why, as JSON.
    pub payload: String,
    /// The role the actor acted in (`contact_handler`…), for a user who may hold several.
    /// `None` on records written before roles were recorded, and where no role applies
    /// (signing in, the system's own records).
    pub role: Option<String>,
}

/// Records without a role: the encoding every record had before roles were recorded, kept
/// byte for byte so that existing chains still verify.
const FORMAT_TAG: &[u8] = b"controlroom-audit-v1\0";
/// Records with a role: the version 1 fields, then the role. A different tag, so no record
/// of one version encodes like a record of the other.
const FORMAT_TAG_V2: &[u8] = b"controlroom-audit-v2\0";

impl AuditRecord {
    /// The bytes that are hashed. Changing this changes every hash: add a new tag if you must,
    /// and keep the old encoding for the records written under it.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(FORMAT_TAG_V2.len() + 96 + self.payload.len());
        out.extend_from_slice(if self.role.is_some() {
            FORMAT_TAG_V2
        } else {
            FORMAT_TAG
        });
        out.extend_from_slice(&self.seq.to_be_bytes());
        for field in [&self.category, &self.stream, &self.kind, &self.actor] {
            push_field(&mut out, field.as_bytes());
        }
        out.extend_from_slice(&self.at_micros.to_be_bytes());
        push_field(&mut out, self.payload.as_bytes());
        if let Some(role) = &self.role {
            push_field(&mut out, role.as_bytes());
        }
        out
    }

    /// This record's hash, given the hash of the record before it.
    pub fn link(&self, prev: &ChainHash) -> ChainHash {
        let mut hasher = Sha256::new();
        hasher.update(prev.0);
        hasher.update(self.canonical_bytes());
        ChainHash(hasher.finalize().into())
    }
}

fn push_field(out: &mut Vec<u8>, bytes: &[u8]) {
    // u64 length: no field can be long enough to wrap it.
    out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// A record with its chain columns, exactly as read back from the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    pub record: AuditRecord,
    pub prev_hash: String,
    pub hash: String,
    /// The record's seal ([`SealKey::seal`]), when the server that appended it held a key.
    pub seal: Option<String>,
}

/// Where the chain first fails, and how.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit chain broken at event {seq}: {problem}")]
pub struct ChainBreak {
    /// The sequence number of the first bad record (or where one is missing).
    pub seq: i64,
    pub problem: String,
}

/// The chain head written down outside the database (`controlroom audit checkpoint`). A chain
/// rewritten from the start, hashes and head included, no longer passes through it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    pub taken_at: jiff::Timestamp,
    /// [`SealKey::sign_checkpoint`], when the checkpoint was written by a server with a key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// Why an audit key cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the audit key {0}")]
pub struct BadKey(&'static str);

/// The force's audit key: at least 32 random bytes, written as hex, kept in a file outside
/// the database (`controlroom audit new-key`). Every server of the force holds the same key.
#[derive(Clone)]
pub struct SealKey(Vec<u8>);

impl fmt::Debug for SealKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the key itself: logs are read by more people than the key file.
        write!(f, "SealKey({})", self.id())
    }
}

/// Domain separation: a seal can never be passed off as a checkpoint signature or the reverse.
const SEAL_TAG: &[u8] = b"controlroom-audit-seal-v1\0";
const CHECKPOINT_TAG: &[u8] = b"controlroom-audit-checkpoint-v1\0";

impl SealKey {
    pub const MIN_BYTES: usize = 32;

    /// Read a key from the text of its file: hex, surrounding whitespace ignored.
    pub fn from_hex(text: &str) -> Result<Self, BadKey> {
        let bytes = hex::decode(text.trim()).map_err(|_| BadKey("is not hexadecimal"))?;
        if bytes.len() < Self::MIN_BYTES {
            return Err(BadKey(
                "is too short: it needs at least 32 bytes (64 hex digits)",
            ));
        }
        Ok(Self(bytes))
    }

    /// A new key's file text from random bytes the caller supplies (the domain does no I/O).
    pub fn hex_from_random(bytes: &[u8; 32]) -> String {
        hex::encode(bytes)
    }

    /// Names the key without revealing it: which key sealed a chain, in messages and logs.
    pub fn id(&self) -> String {
        hex::encode(&Sha256::digest(&self.0)[..4])
    }

    fn mac(&self, tag: &[u8], parts: &[&[u8]]) -> String {
        // HMAC accepts keys of any length, so this cannot fail for a key we hold.
        let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(&self.0) {
            Ok(mac) => mac,
            Err(_) => return String::new(),
        };
        mac.update(tag);
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        hex::encode(mac.finalize().into_bytes())
    }

    /// The seal of the record at `seq` with hash `hash`.
    pub fn seal(&self, seq: i64, hash: &ChainHash) -> String {
        self.mac(SEAL_TAG, &[&seq.to_be_bytes(), &hash.0])
    }

    pub fn sign_checkpoint(&self, checkpoint: &Checkpoint) -> String {
        self.mac(
            CHECKPOINT_TAG,
            &[
                &checkpoint.seq.to_be_bytes(),
                checkpoint.hash.to_lowercase().as_bytes(),
                checkpoint.taken_at.to_string().as_bytes(),
            ],
        )
    }

    fn matches(expected: &str, given: &str) -> bool {
        // Constant time, so a forger cannot learn a seal byte by byte from timings.
        let (a, b) = (expected.as_bytes(), given.to_ascii_lowercase().into_bytes());
        a.len() == b.len() && a.iter().zip(&b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedChain {
    pub records: u64,
    pub head_seq: i64,
    pub head_hash: ChainHash,
}

/// Checks records one at a time, in `seq` order, so a chain of any length is verified in
/// constant memory.
#[derive(Debug)]
pub struct ChainVerifier {
    expected_seq: i64,
    prev: ChainHash,
    records: u64,
    /// Hashes the chain must have at these sequence numbers, with when each was written down.
    checkpoints: std::collections::BTreeMap<i64, (String, jiff::Timestamp)>,
    /// The force's key, when seals are to be checked.
    key: Option<SealKey>,
    /// The first sealed record seen: from there on, every record must be sealed.
    sealed_from: Option<i64>,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            expected_seq: 1,
            prev: ChainHash::GENESIS,
            records: 0,
            checkpoints: std::collections::BTreeMap::new(),
            key: None,
            sealed_from: None,
        }
    }
}

impl ChainVerifier {
    /// A verifier that carries on from a checkpoint already verified: it checks that the
    /// records after it follow on from its hash, without reading the chain before it.
    pub fn resume(from: &Checkpoint) -> Result<Self, ChainBreak> {
        let prev = ChainHash::from_hex(&from.hash).ok_or_else(|| ChainBreak {
            seq: from.seq,
            problem: "the checkpoint's hash is not a SHA-256 digest".into(),
        })?;
        Ok(Self {
            expected_seq: from.seq + 1,
            prev,
            ..Self::default()
        })
    }

    /// The last record verified so far (`seq`, hash): where a new checkpoint stands.
    pub fn position(&self) -> (i64, ChainHash) {
        (self.expected_seq - 1, self.prev)
    }

    /// A verifier that also holds the chain to checkpoints kept outside the database.
    pub fn with_checkpoints<'a>(checkpoints: impl IntoIterator<Item = &'a Checkpoint>) -> Self {
        Self {
            checkpoints: checkpoints
                .into_iter()
                .map(|c| (c.seq, (c.hash.to_lowercase(), c.taken_at)))
                .collect(),
            ..Self::default()
        }
    }

    /// A verifier that also checks every record's seal and every checkpoint's signature with
    /// the force's key. Records written before the servers had the key carry no seal; from
    /// the first sealed record on, every record must be sealed, the last one included.
    pub fn with_key<'a>(
        checkpoints: impl IntoIterator<Item = &'a Checkpoint>,
        key: SealKey,
    ) -> Result<Self, ChainBreak> {
        let checkpoints: Vec<&Checkpoint> = checkpoints.into_iter().collect();
        for checkpoint in &checkpoints {
            let signed = checkpoint
                .signature
                .as_deref()
                .is_some_and(|s| SealKey::matches(&key.sign_checkpoint(checkpoint), s));
            if !signed {
                return Err(ChainBreak {
                    seq: checkpoint.seq,
                    problem: format!(
                        "the checkpoint written down at {} is not signed with audit key {}: the checkpoint file was edited, or written with another key",
                        checkpoint.taken_at,
                        key.id()
                    ),
                });
            }
        }
        Ok(Self {
            key: Some(key),
            ..Self::with_checkpoints(checkpoints)
        })
    }

    /// Also check seals with the force's key from here on (a resumed verifier).
    pub fn checking_seals(self, key: SealKey) -> Self {
        Self {
            key: Some(key),
            ..self
        }
    }

    pub fn check(&mut self, stored: &StoredRecord) -> Result<(), ChainBreak> {
        let seq = stored.record.seq;
        let brk = |problem: String| Err(ChainBreak { seq, problem });
        if seq != self.expected_seq {
            let problem = if seq > self.expected_seq {
                format!(
                    "events {} to {} are missing (deleted), or the rows were renumbered",
                    self.expected_seq,
                    seq - 1
                )
            } else {
                format!(
                    "sequence number {seq} appears where {} was expected (rows reordered or duplicated)",
                    self.expected_seq
                )
            };
            return Err(ChainBreak {
                seq: self.expected_seq.min(seq),
                problem,
            });
        }
        if Category::parse(&stored.record.category).is_none() {
            return brk(format!(
                "unknown category '{}': the row was altered",
                stored.record.category
            ));
        }
        let Some(prev) = ChainHash::from_hex(&stored.prev_hash) else {
            return brk("prev_hash is not a SHA-256 digest: the row was altered".into());
        };
        if prev != self.prev {
            return brk(
                "prev_hash does not match the event before it: a row was inserted, deleted or moved here".into(),
            );
        }
        let Some(hash) = ChainHash::from_hex(&stored.hash) else {
            return brk("hash is not a SHA-256 digest: the row was altered".into());
        };
        if stored.record.link(&prev) != hash {
            return brk("its content does not match its hash: the row was altered".into());
        }
        if let Some((pinned, taken_at)) = self.checkpoints.get(&seq)
            && *pinned != hash.to_hex()
        {
            return brk(format!(
                "it differs from the checkpoint written down at {taken_at}: the chain was rewritten at or before this event, hashes and all"
            ));
        }
        if let Some(key) = &self.key {
            match &stored.seal {
                Some(seal) if SealKey::matches(&key.seal(seq, &hash), seal) => {
                    self.sealed_from.get_or_insert(seq);
                }
                Some(_) => {
                    return brk(format!(
                        "its seal was not made with audit key {}: the event was written or re-hashed outside the server",
                        key.id()
                    ));
                }
                None if self.sealed_from.is_some() => {
                    return brk(
                        "it carries no seal though the events before it do: it was written outside the server".into(),
                    );
                }
                None => {}
            }
        }
        self.prev = hash;
        self.expected_seq += 1;
        self.records += 1;
        Ok(())
    }

    /// Compare the end of the chain with the head the store recorded at the last append.
    pub fn finish(self, recorded_head: Option<(i64, String)>) -> Result<VerifiedChain, ChainBreak> {
        let last_seq = self.expected_seq - 1;
        if let Some((&seq, (_, taken_at))) = self.checkpoints.range(last_seq + 1..).next() {
            return Err(ChainBreak {
                seq: last_seq + 1,
                problem: format!(
                    "the checkpoint written down at {taken_at} records event {seq}, but the chain ends at event {last_seq}: events were removed"
                ),
            });
        }
        if self.key.is_some() && self.records > 0 {
            let last_sealed = self.sealed_from.is_some();
            if !last_sealed {
                return Err(ChainBreak {
                    seq: last_seq,
                    problem: "no event carries a seal made with this audit key: either the servers run without it (--audit-key-file), or every seal was stripped".into(),
                });
            }
        }
        match recorded_head {
            None if self.records == 0 => {}
            None => {
                return Err(ChainBreak {
                    seq: 1,
                    problem: "the chain head record is missing: it was deleted".into(),
                });
            }
            Some((head_seq, head_hash)) => {
                if head_seq > last_seq {
                    return Err(ChainBreak {
                        seq: last_seq + 1,
                        problem: format!(
                            "the chain ends at event {last_seq} but the head records event {head_seq}: events were deleted from the end"
                        ),
                    });
                }
                if head_seq < last_seq {
                    return Err(ChainBreak {
                        seq: head_seq + 1,
                        problem: format!(
                            "events after {head_seq} were never appended through the system: they were inserted directly"
                        ),
                    });
                }
                if ChainHash::from_hex(&head_hash) != Some(self.prev) {
                    return Err(ChainBreak {
                        seq: last_seq,
                        problem: "the chain head's hash does not match the last event: the head or the event was altered".into(),
                    });
                }
            }
        }
        Ok(VerifiedChain {
            records: self.records,
            head_seq: last_seq,
            head_hash: self.prev,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<StoredRecord> {
        chain_saying(n, "entry")
    }

    /// A consistent chain whose payloads say `word`: with another word, what a forger who
    /// rewrites everything, hashes included, produces.
    fn chain_saying(n: i64, word: &str) -> Vec<StoredRecord> {
        let mut prev = ChainHash::GENESIS;
        (1..=n)
            .map(|seq| {
                let record = AuditRecord {
                    seq,
                    category: "change".into(),
                    stream: format!("incident/{}", seq % 3),
                    kind: "log_entry_added".into(),
                    actor: "handler".into(),
                    at_micros: 1_700_000_000_000_000 + seq,
                    payload: format!("{{\"text\":\"{word} {seq}\"}}"),
                    // Records before roles were recorded and after, in one chain.
                    role: (seq % 2 == 0).then(|| "contact_handler".to_owned()),
                };
                let hash = record.link(&prev);
                let stored = StoredRecord {
                    record,
                    prev_hash: prev.to_hex(),
                    hash: hash.to_hex(),
                    seal: None,
                };
                prev = hash;
                stored
            })
            .collect()
    }

    fn head(records: &[StoredRecord]) -> Option<(i64, String)> {
        records.last().map(|r| (r.record.seq, r.hash.clone()))
    }

    fn verify(
        records: &[StoredRecord],
        head: Option<(i64, String)>,
    ) -> Result<VerifiedChain, ChainBreak> {
        verify_with(ChainVerifier::default(), records, head)
    }

    /// `verifier` checks every record, then the head: what it verified, or the first break.
    fn verify_with(
        mut verifier: ChainVerifier,
        records: &[StoredRecord],
        head: Option<(i64, String)>,
    ) -> Result<VerifiedChain, ChainBreak> {
        for record in records {
            verifier.check(record)?;
        }
        verifier.finish(head)
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let records = chain(5);
        let verified = verify(&records, head(&records)).unwrap();
        assert_eq!(verified.records, 5);
        assert_eq!(verified.head_seq, 5);
        assert!(verify(&[], None).is_ok());
    }

    #[test]
    fn an_altered_row_is_named() {
        let mut records = chain(5);
        let h = head(&records);
        records[2].record.payload = "{\"text\":\"nothing happened\"}".into();
        assert_eq!(verify(&records, h).unwrap_err().seq, 3);
    }

    #[test]
    fn an_altered_actor_or_time_is_named() {
        let mut records = chain(4);
        let h = head(&records);
        records[1].record.actor = "someone_else".into();
        assert_eq!(verify(&records, h.clone()).unwrap_err().seq, 2);
        let mut records = chain(4);
        records[3].record.at_micros += 1;
        assert_eq!(verify(&records, h).unwrap_err().seq, 4);
    }

    #[test]
    fn a_deleted_row_is_named() {
        let mut records = chain(5);
        let h = head(&records);
        records.remove(1);
        let err = verify(&records, h).unwrap_err();
        assert_eq!(err.seq, 2);
        assert!(err.problem.contains("missing"));
    }

    #[test]
    fn a_deleted_last_row_is_caught_by_the_head() {
        let mut records = chain(5);
        let h = head(&records);
        records.pop();
        assert_eq!(verify(&records, h).unwrap_err().seq, 5);
    }

    #[test]
    fn swapped_rows_are_named() {
        let mut records = chain(5);
        let h = head(&records);
        // Swap the contents of rows 2 and 4 but keep their positions (seq) in place.
        let (a, b) = (records[1].clone(), records[3].clone());
        records[1] = StoredRecord {
            record: AuditRecord { seq: 2, ..b.record },
            ..b
        };
        records[3] = StoredRecord {
            record: AuditRecord { seq: 4, ..a.record },
            ..a
        };
        assert_eq!(verify(&records, h).unwrap_err().seq, 2);
    }

    #[test]
    fn an_inserted_row_is_named() {
        let records = chain(5);
        let h = head(&records);
        let mut forged = records[..2].to_vec();
        let mut fake = records[2].clone();
        fake.record.payload = "{\"text\":\"forged\"}".into();
        forged.push(fake);
        forged.extend(records[2..].iter().cloned().map(|mut r| {
            r.record.seq += 1;
            r
        }));
        assert_eq!(verify(&forged, h.clone()).unwrap_err().seq, 3);

        // Appended at the end with a correct link, but not through the system: the head catches it.
        let mut appended = records.clone();
        let last = appended.last().unwrap();
        let record = AuditRecord {
            seq: 6,
            ..last.record.clone()
        };
        let prev = ChainHash::from_hex(&last.hash).unwrap();
        let hash = record.link(&prev);
        appended.push(StoredRecord {
            record,
            prev_hash: prev.to_hex(),
            hash: hash.to_hex(),
            seal: None,
        });
        assert_eq!(verify(&appended, h).unwrap_err().seq, 6);
    }

    #[test]
    fn fields_cannot_bleed_into_each_other() {
        let a = AuditRecord {
            seq: 1,
            category: "change".into(),
            stream: "ab".into(),
            kind: "c".into(),
            actor: "x".into(),
            at_micros: 0,
            payload: "{}".into(),
            role: None,
        };
        let b = AuditRecord {
            stream: "a".into(),
            kind: "bc".into(),
            ..a.clone()
        };
        assert_ne!(a.canonical_bytes(), b.canonical_bytes());
        // A role cannot pass for the end of the payload, nor be taken off unnoticed.
        let with_role = AuditRecord {
            role: Some("x".into()),
            ..a.clone()
        };
        let longer_payload = AuditRecord {
            payload: "{}\0\0\0\0\0\0\0\x01x".into(),
            ..a.clone()
        };
        assert_ne!(with_role.canonical_bytes(), a.canonical_bytes());
        assert_ne!(
            with_role.canonical_bytes(),
            longer_payload.canonical_bytes()
        );
        let empty_role = AuditRecord {
            role: Some(String::new()),
            ..a.clone()
        };
        assert_ne!(empty_role.canonical_bytes(), a.canonical_bytes());
    }

    // Records written before roles were recorded hash exactly as they always did (the value
    // below was computed from the version 1 encoding), so existing chains still verify.
    #[test]
    fn a_record_without_a_role_hashes_as_before() {
        let record = AuditRecord {
            seq: 1,
            category: "change".into(),
            stream: "incident/x".into(),
            kind: "log_entry_added".into(),
            actor: "handler".into(),
            at_micros: 1_700_000_000_000_001,
            payload: r#"{"text":"entry 1"}"#.into(),
            role: None,
        };
        assert_eq!(
            record.link(&ChainHash::GENESIS).to_hex(),
            "8ba1d7c20240cb23276444ffe2f6c3be55f1e2857e9549412d8a1207e86ac6ca"
        );
        let with_role = AuditRecord {
            role: Some("contact_handler".into()),
            ..record.clone()
        };
        assert_ne!(
            with_role.link(&ChainHash::GENESIS),
            record.link(&ChainHash::GENESIS)
        );
    }

    #[test]
    fn a_changed_role_is_named() {
        let mut records = chain(4);
        let h = head(&records);
        records[1].record.role = Some("supervisor".into());
        assert_eq!(verify(&records, h.clone()).unwrap_err().seq, 2);
        let mut records = chain(4);
        records[1].record.role = None;
        assert_eq!(verify(&records, h).unwrap_err().seq, 2);
    }

    mod checkpoints {
        use super::*;

        fn checkpoint(records: &[StoredRecord], seq: i64) -> Checkpoint {
            Checkpoint {
                seq,
                hash: records[usize::try_from(seq - 1).unwrap()].hash.clone(),
                taken_at: jiff::Timestamp::from_second(1_700_000_000).unwrap(),
                signature: None,
            }
        }

        fn verify(records: &[StoredRecord], checkpoints: &[Checkpoint]) -> Result<u64, ChainBreak> {
            let v = ChainVerifier::with_checkpoints(checkpoints);
            verify_with(v, records, head(records)).map(|c| c.records)
        }

        #[test]
        fn a_chain_rewritten_hashes_and_all_fails_only_against_a_checkpoint() {
            let honest = chain_saying(10, "entry");
            let pinned = [checkpoint(&honest, 6)];
            assert_eq!(verify(&honest, &pinned), Ok(10));
            // The forger's chain is internally perfect: without a checkpoint it passes.
            let forged = chain_saying(10, "forged");
            assert_eq!(verify(&forged, &[]), Ok(10));
            let broken = verify(&forged, &pinned).unwrap_err();
            assert_eq!(broken.seq, 6);
            assert!(broken.problem.contains("checkpoint"), "{broken}");
        }

        #[test]
        fn a_verifier_resumes_from_a_checkpoint() {
            let honest = chain_saying(10, "entry");
            let at6 = checkpoint(&honest, 6);
            let mut v = ChainVerifier::resume(&at6).unwrap();
            for r in &honest[6..] {
                v.check(r).unwrap();
            }
            assert_eq!(
                v.position(),
                (10, ChainHash::from_hex(&honest[9].hash).unwrap())
            );
            // A forged tail does not follow on from the checkpoint.
            let forged = chain_saying(10, "forged");
            let mut v = ChainVerifier::resume(&at6).unwrap();
            assert_eq!(v.check(&forged[6]).unwrap_err().seq, 7);
        }

        #[test]
        fn a_chain_cut_short_of_a_checkpoint_fails() {
            let honest = chain_saying(10, "entry");
            let pinned = [checkpoint(&honest, 9)];
            let broken = verify(&honest[..7], &pinned).unwrap_err();
            assert_eq!(broken.seq, 8);
            assert!(broken.problem.contains("events were removed"), "{broken}");
        }
    }

    mod seals {
        use super::*;

        fn key(byte: u8) -> SealKey {
            SealKey::from_hex(&hex::encode([byte; 32])).unwrap()
        }

        /// What a server holding `key` stores: every record from `from` on sealed.
        fn sealed(mut records: Vec<StoredRecord>, key: &SealKey, from: i64) -> Vec<StoredRecord> {
            for r in records.iter_mut().filter(|r| r.record.seq >= from) {
                let hash = ChainHash::from_hex(&r.hash).unwrap();
                r.seal = Some(key.seal(r.record.seq, &hash));
            }
            records
        }

        fn verify(records: &[StoredRecord], key: &SealKey) -> Result<u64, ChainBreak> {
            let v = ChainVerifier::with_key(&[], key.clone())?;
            verify_with(v, records, head(records)).map(|c| c.records)
        }

        #[test]
        fn keys_must_be_long_random_hex_and_never_print() {
            assert!(SealKey::from_hex("abcd").is_err());
            assert!(SealKey::from_hex(&"zz".repeat(32)).is_err());
            let k = key(7);
            assert!(!format!("{k:?}").contains(&hex::encode([7u8; 32])));
            assert_eq!(k.id().len(), 8);
        }

        #[test]
        fn a_sealed_chain_verifies_with_its_key_only() {
            let records = sealed(chain(6), &key(1), 1);
            assert_eq!(verify(&records, &key(1)), Ok(6));
            let wrong = verify(&records, &key(2)).unwrap_err();
            assert_eq!(wrong.seq, 1);
            assert!(wrong.problem.contains("seal"), "{wrong}");
        }

        #[test]
        fn records_from_before_the_key_need_no_seal() {
            let records = sealed(chain(6), &key(1), 4);
            assert_eq!(verify(&records, &key(1)), Ok(6));
        }

        // The defect: a record appended after the last checkpoint, with a correct link and a
        // head moved to it, passed. Without the key the forger cannot seal it.
        #[test]
        fn a_record_appended_outside_the_server_is_caught() {
            let mut records = sealed(chain(6), &key(1), 1);
            let forged = chain(7).pop().unwrap();
            records.push(forged);
            let broken = verify(&records, &key(1)).unwrap_err();
            assert_eq!(broken.seq, 7);
            assert!(broken.problem.contains("no seal"), "{broken}");
            // Forging a seal with a key of one's own does not help either.
            let mut records = sealed(chain(6), &key(1), 1);
            records.push(sealed(chain(7), &key(9), 7).pop().unwrap());
            assert_eq!(verify(&records, &key(1)).unwrap_err().seq, 7);
        }

        #[test]
        fn a_rewritten_chain_with_its_seals_stripped_is_caught() {
            let forged = chain_saying(6, "forged");
            let broken = verify(&forged, &key(1)).unwrap_err();
            assert!(
                broken.problem.contains("no event carries a seal"),
                "{broken}"
            );
        }

        #[test]
        fn checkpoints_must_carry_the_keys_signature() {
            let records = sealed(chain(6), &key(1), 1);
            let mut checkpoint = Checkpoint {
                seq: 4,
                hash: records[3].hash.clone(),
                taken_at: jiff::Timestamp::from_second(1_700_000_000).unwrap(),
                signature: None,
            };
            let unsigned = ChainVerifier::with_key([&checkpoint], key(1)).unwrap_err();
            assert!(unsigned.problem.contains("not signed"), "{unsigned}");
            checkpoint.signature = Some(key(1).sign_checkpoint(&checkpoint));
            assert!(ChainVerifier::with_key([&checkpoint], key(1)).is_ok());
            // Edited to match a forged chain, the signature no longer fits.
            checkpoint.hash = chain_saying(6, "forged")[3].hash.clone();
            assert!(ChainVerifier::with_key([&checkpoint], key(1)).is_err());
        }
    }
}
