//! Intelligence-check search: people by name with spelling variants, phonetic matches and
//! typos; phones in E.164; registrations; locations by address, postcode or distance; and the
//! previous history of any of them. Built on tantivy; the store stays the source of truth and
//! the index is rebuilt from it (`controlroom reindex`) or kept in step as records change.
//!
//! Ids are plain strings here, so this crate knows nothing of the store.

pub mod gazetteer;
mod names;

use std::ops::Bound;
use std::path::Path;
use std::sync::Mutex;
use tantivy::collector::TopDocs;
use tantivy::query::{
    BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::tokenizer::{AsciiFoldingFilter, LowerCaser, SimpleTokenizer, TextAnalyzer};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

pub use gazetteer::{GazetteerIndex, PlaceDoc, PlaceHit};
pub use names::phonetic_codes;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index folder: {0}")]
    Folder(#[from] tantivy::directory::error::OpenDirectoryError),
    #[error("search index is busy: {0}")]
    Poisoned(String),
}

pub type SearchResult<T> = Result<T, SearchError>;

/// A record to index. Every field is already normalised (E.164 phones, compact VRMs,
/// standard postcodes) by the domain.
#[derive(Debug, Clone, PartialEq)]
pub enum IndexDoc {
    Person {
        id: String,
        names: Vec<String>,
        date_of_birth: Option<String>,
        /// Every birth year the person may have: one with a date of birth, the span of an
        /// age range otherwise.
        birth_years: Vec<i64>,
        age_range: Option<(u8, u8)>,
        phones: Vec<String>,
        addresses: Vec<String>,
        merged_into: Option<String>,
    },
    Vehicle {
        id: String,
        vrm: String,
        description: String,
    },
    Property {
        id: String,
        description: String,
        serial: Option<String>,
    },
    Location {
        id: String,
        address: String,
        postcode: Option<String>,
        /// The gazetteer's UPRN, as digits without leading zeros.
        uprn: Option<String>,
        point: Option<(f64, f64)>,
    },
    Incident {
        id: String,
        reference: String,
        opened_at_micros: i64,
        status: String,
        incident_type: Option<String>,
        caller_name: String,
        caller_phone: Option<String>,
        location: String,
        /// The gazetteer's UPRN of the first contact's location, digits without leading zeros.
        uprn: Option<String>,
        point: Option<(f64, f64)>,
    },
    /// A crime record, found through the people linked to it (victim, suspect, witness).
    Crime {
        id: String,
        reference: String,
        classification: String,
        /// The offence's name, e.g. "Assault with injury".
        offence: String,
        recorded_at_micros: i64,
        /// `recorded`, `removal_requested` or `removed`.
        status: String,
    },
    Link {
        id: String,
        from: String,
        to: String,
        role: String,
        at_micros: i64,
    },
}

impl IndexDoc {
    pub fn id(&self) -> &str {
        match self {
            Self::Person { id, .. }
            | Self::Vehicle { id, .. }
            | Self::Location { id, .. }
            | Self::Property { id, .. }
            | Self::Incident { id, .. }
            | Self::Crime { id, .. }
            | Self::Link { id, .. } => id,
        }
    }
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    kind: Field,
    label: Field,
    name: Field,
    phonetic: Field,
    dob: Field,
    birth_year: Field,
    phone: Field,
    vrm: Field,
    address: Field,
    postcode: Field,
    district: Field,
    lat: Field,
    lon: Field,
    at: Field,
    status: Field,
    itype: Field,
    from: Field,
    to: Field,
    role: Field,
    merged_into: Field,
    cell: Field,
    serial: Field,
    uprn: Field,
}

/// Grid cells for "near" searches: 0.002 degrees (about 220 m north-south and 130 m east-west
/// at Leeds). A radius search asks for the few cells that cover it, instead of scanning a band
/// of latitude and a band of longitude across the whole force.
const CELL_DEGREES: f64 = 0.002;

fn cell(lat: f64, lon: f64) -> String {
    format!(
        "{}:{}",
        (lat / CELL_DEGREES).floor() as i64,
        (lon / CELL_DEGREES).floor() as i64
    )
}

const NAMES: &str = "names";

/// A stored text field split into words by the tokenizer registered as `tokenizer`, counting
/// each word's occurrences (ranking weighs them).
fn words_field(tokenizer: &str) -> TextOptions {
    TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqs),
        )
        .set_stored()
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = words_field(NAMES);
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        kind: b.add_text_field("kind", STRING | STORED),
        label: b.add_text_field("label", STORED),
        name: b.add_text_field("name", text.clone()),
        phonetic: b.add_text_field("phonetic", STRING),
        dob: b.add_text_field("dob", STRING | STORED),
        birth_year: b.add_i64_field("birth_year", INDEXED | FAST | STORED),
        phone: b.add_text_field("phone", STRING | STORED),
        vrm: b.add_text_field("vrm", STRING | STORED),
        address: b.add_text_field("address", text),
        postcode: b.add_text_field("postcode", STRING | STORED),
        district: b.add_text_field("district", STRING),
        lat: b.add_f64_field("lat", INDEXED | FAST | STORED),
        lon: b.add_f64_field("lon", INDEXED | FAST | STORED),
        at: b.add_i64_field("at", INDEXED | FAST | STORED),
        status: b.add_text_field("status", STRING | STORED),
        itype: b.add_text_field("itype", STRING | STORED),
        from: b.add_text_field("from", STRING | STORED),
        to: b.add_text_field("to", STRING | STORED),
        role: b.add_text_field("role", STRING | STORED),
        merged_into: b.add_text_field("merged_into", STRING | STORED),
        cell: b.add_text_field("cell", STRING),
        serial: b.add_text_field("serial", STRING | STORED),
        uprn: b.add_text_field("uprn", STRING | STORED),
    };
    (b.build(), fields)
}

/// A matching document with its time and position, read from the fast fields.
type Matched = (tantivy::DocAddress, Option<i64>, Option<(f64, f64)>);
type FastColumns = (
    tantivy::columnar::Column<i64>,
    tantivy::columnar::Column<f64>,
    tantivy::columnar::Column<f64>,
);

/// One record found, with what made it match.
// The API answers with it as it is (schema `HitView`): a web view copying it field by field
// had to be kept in step by hand, so its wire names and rounding are declared here.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = HitView)]
pub struct Hit {
    pub kind: String,
    pub id: String,
    pub label: String,
    /// 0 to 1: how close the match is (1 is exact); to three decimal places in an answer.
    #[serde(serialize_with = "wire::thousandths")]
    pub score: f64,
    /// Why it matched, in words: "exact name", "sounds like Smith", "1 typo".
    pub reasons: Vec<String>,
    pub merged_into: Option<String>,
    /// A person's date of birth (YYYY-MM-DD) or estimated age ("age 30-35"), as recorded:
    /// what tells two people of the same name apart.
    pub born: Option<String>,
    /// To the whole metre in an answer.
    #[serde(serialize_with = "wire::whole")]
    pub distance_metres: Option<f64>,
    /// When it happened: microseconds since the epoch, `at` in RFC 3339 in an answer.
    #[serde(rename = "at", serialize_with = "wire::micros_time")]
    #[schema(value_type = Option<String>)]
    pub at_micros: Option<i64>,
    pub role: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub status: Option<String>,
}

/// How a [`Hit`]'s numbers are written in an answer.
mod wire {
    use serde::{Serialize, Serializer};

    pub fn thousandths<S: Serializer>(score: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64((score * 1000.0).round() / 1000.0)
    }

    pub fn whole<S: Serializer>(metres: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        metres.map(f64::round).serialize(s)
    }

    /// RFC 3339; null when absent or out of range.
    pub fn micros_time<S: Serializer>(micros: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        let at = micros.and_then(|m| jiff::Timestamp::from_microsecond(m).ok());
        at.serialize(s)
    }
}

pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    /// Documents added since the last commit (committed by the log's follower, never by a
    /// read).
    dirty: std::sync::atomic::AtomicBool,
    /// Commits made since the index was opened (for `/metrics`, and the test that reads
    /// never commit).
    commits: std::sync::atomic::AtomicU64,
    /// The last audit sequence whose changes the committed index holds, kept in each commit's
    /// payload: after a crash the index catches up from here (`app::search_feed`).
    applied: std::sync::atomic::AtomicI64,
    /// A rebuild is under way ([`Self::begin_rebuild`]): nothing is committed until it
    /// finishes, so searches meanwhile see the whole old index, never half of the new.
    rebuilding: std::sync::atomic::AtomicBool,
    f: Fields,
}

/// What a commit's payload records.
#[derive(serde::Serialize, serde::Deserialize)]
struct CommitPayload {
    applied_seq: i64,
}

/// On a clean shutdown what was upserted is committed, so it is on disk for the next start.
impl Drop for SearchIndex {
    fn drop(&mut self) {
        if let Err(e) = self.flush() {
            tracing::warn!(error = %e, "search index not committed at shutdown; run controlroom reindex");
        }
    }
}

/// Writer memory: enough for bulk indexing on a small machine.
const WRITER_BUDGET: usize = 100_000_000;

/// The folder `dir`, made if missing, as a tantivy directory.
fn folder_directory(dir: &Path) -> SearchResult<tantivy::directory::MmapDirectory> {
    std::fs::create_dir_all(dir)
        .map_err(|e| SearchError::Poisoned(format!("{}: {e}", dir.display())))?;
    Ok(tantivy::directory::MmapDirectory::open(dir)?)
}

/// What an opened index needs: the payload its last commit wrote (`None` for an index from
/// before payloads were written, or one never committed), a one-thread writer with `budget`
/// bytes and a reader reloaded by hand.
fn open_parts<P: serde::de::DeserializeOwned>(
    index: &Index,
    budget: usize,
) -> SearchResult<(Option<P>, IndexWriter, IndexReader)> {
    let payload = index
        .load_metas()?
        .payload
        .and_then(|p| serde_json::from_str::<P>(&p).ok());
    let writer = index.writer_with_num_threads(1, budget)?;
    let reader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()?;
    Ok((payload, writer, reader))
}

impl SearchIndex {
    /// Open (or create) the index in `folder`, or in memory when `None`.
    pub fn open(folder: Option<&Path>) -> SearchResult<Self> {
        let (schema, f) = schema();
        let index = match folder {
            None => Index::create_in_ram(schema),
            Some(dir) => {
                match Index::open_or_create(folder_directory(dir)?, schema.clone()) {
                    // An index written by an older binary, with fewer fields: the index is
                    // derived, never the truth, so it is emptied and rebuilt from the store
                    // (an empty index reads the audit log from the start).
                    Err(tantivy::TantivyError::SchemaError(_)) => {
                        std::fs::remove_dir_all(dir).map_err(|e| {
                            SearchError::Poisoned(format!("{}: {e}", dir.display()))
                        })?;
                        Index::open_or_create(folder_directory(dir)?, schema)?
                    }
                    other => other?,
                }
            }
        };
        index.tokenizers().register(
            NAMES,
            TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(LowerCaser)
                .filter(AsciiFoldingFilter)
                .build(),
        );
        // An index from before payloads were written says nothing: it is caught up from the
        // start of the audit log, which rewrites every document it holds.
        let (payload, writer, reader) = open_parts::<CommitPayload>(&index, WRITER_BUDGET)?;
        let applied = payload.map_or(0, |p| p.applied_seq);
        Ok(Self {
            index,
            reader,
            writer: Mutex::new(writer),
            dirty: std::sync::atomic::AtomicBool::new(false),
            commits: std::sync::atomic::AtomicU64::new(0),
            applied: std::sync::atomic::AtomicI64::new(applied),
            rebuilding: std::sync::atomic::AtomicBool::new(false),
            f,
        })
    }

    fn writer(&self) -> SearchResult<std::sync::MutexGuard<'_, IndexWriter>> {
        self.writer
            .lock()
            .map_err(|e| SearchError::Poisoned(e.to_string()))
    }

    /// Add or replace records. They are committed with the next [`Self::apply`] or
    /// [`Self::flush`], not here (a commit per contact cost a tenth of the contact
    /// throughput), and searchable from then on: a read never commits.
    pub fn upsert(&self, docs: &[IndexDoc]) -> SearchResult<()> {
        let writer = self.writer()?;
        for doc in docs {
            writer.delete_term(Term::from_field_text(self.f.id, doc.id()));
            writer.add_document(self.document(doc))?;
        }
        // Marked under the writer lock, so a flush that takes the lock after us commits these.
        self.dirty.store(true, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    /// Commit what upserts have added, if anything, and make it searchable. The server also
    /// calls this every second, so that what reaches disk lags the store by at most that.
    pub fn flush(&self) -> SearchResult<()> {
        // The flag is read, and the commit and reload done, under the writer lock: a read that
        // finds nothing dirty is then sure that any flush which took the flag before it (the
        // server's ticker, another request) has finished reloading the reader. Taking the flag
        // outside the lock let a search run between another flush's swap and its reload, and
        // miss what had just been recorded.
        let mut writer = self.writer()?;
        // During a rebuild the pending changes are the half-built index: they wait for
        // `finish_rebuild`, and reads see the old index whole.
        if self.is_rebuilding() || !self.dirty.swap(false, std::sync::atomic::Ordering::SeqCst) {
            return Ok(());
        }
        self.commit(&mut writer, self.applied_seq())
    }

    /// Whether a rebuild is under way.
    pub fn is_rebuilding(&self) -> bool {
        self.rebuilding.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Start rebuilding the index from scratch beside the one searches use: every document
    /// goes, and what [`Self::add_rebuilt`] adds takes their place, all unseen until
    /// [`Self::finish_rebuild`] commits them at once ([`Self::abandon_rebuild`] keeps the
    /// old). Upserts meanwhile go into the new index too. The writer is taken per call, not
    /// held for the whole rebuild, so writes carry on.
    pub fn begin_rebuild(&self) -> SearchResult<()> {
        let writer = self.writer()?;
        if self
            .rebuilding
            .swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            return Err(SearchError::Poisoned(
                "a rebuild is already under way".into(),
            ));
        }
        writer.delete_all_documents()?;
        Ok(())
    }

    /// Add documents to the rebuild (replacing any of the same id added meanwhile).
    pub fn add_rebuilt(&self, docs: &[IndexDoc]) -> SearchResult<()> {
        let writer = self.writer()?;
        for doc in docs {
            writer.delete_term(Term::from_field_text(self.f.id, doc.id()));
            writer.add_document(self.document(doc))?;
        }
        Ok(())
    }

    /// Switch to the rebuilt index in one commit, holding every change up to `seq`.
    pub fn finish_rebuild(&self, seq: i64) -> SearchResult<()> {
        let mut writer = self.writer()?;
        self.rebuilding
            .store(false, std::sync::atomic::Ordering::SeqCst);
        self.dirty.store(false, std::sync::atomic::Ordering::SeqCst);
        self.commit(&mut writer, seq)
    }

    /// Drop the rebuild: the old index stays as it was (what was upserted meanwhile is
    /// dropped with it and comes back with the next catch-up, which reads the log after the
    /// old index's mark).
    pub fn abandon_rebuild(&self) -> SearchResult<()> {
        let mut writer = self.writer()?;
        self.rebuilding
            .store(false, std::sync::atomic::Ordering::SeqCst);
        writer.rollback()?;
        Ok(())
    }

    /// The last audit sequence the committed index is known to hold.
    pub fn applied_seq(&self) -> i64 {
        self.applied.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Add or replace `docs` and commit, recording that every change up to `seq` is indexed.
    /// Never moves the mark back. With nothing to add and nothing pending (a stretch of the
    /// log that was all consultations), the mark moves on in memory only: a commit is about
    /// twenty flushes to disk, and a restart reading those records again finds nothing
    /// to index either.
    pub fn apply(&self, docs: &[IndexDoc], seq: i64) -> SearchResult<()> {
        let mut writer = self.writer()?;
        let seq = seq.max(self.applied_seq());
        if docs.is_empty() && !self.dirty.load(std::sync::atomic::Ordering::SeqCst) {
            self.applied.store(seq, std::sync::atomic::Ordering::SeqCst);
            return Ok(());
        }
        for doc in docs {
            writer.delete_term(Term::from_field_text(self.f.id, doc.id()));
            writer.add_document(self.document(doc))?;
        }
        self.dirty.store(false, std::sync::atomic::Ordering::SeqCst);
        self.commit(&mut writer, seq)
    }

    /// How many commits this index has made since it was opened.
    pub fn commits(&self) -> u64 {
        self.commits.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Commit with the applied mark in the payload, then make it searchable.
    fn commit(&self, writer: &mut IndexWriter, seq: i64) -> SearchResult<()> {
        let payload = serde_json::to_string(&CommitPayload { applied_seq: seq })
            .map_err(|e| SearchError::Poisoned(e.to_string()))?;
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        self.commits
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.applied.store(seq, std::sync::atomic::Ordering::SeqCst);
        self.reader.reload()?;
        Ok(())
    }

    /// A searcher on what is committed. Reads never write (issue 21): committing is the
    /// log follower's job (`app::search_feed`), and a search that must see the latest changes
    /// waits for it. Use one searcher for a whole query: document addresses belong to the
    /// searcher that found them.
    fn searcher(&self) -> tantivy::Searcher {
        self.reader.searcher()
    }

    /// Replace the whole index (a rebuild from the store) with `docs`, which hold every change
    /// up to audit sequence `seq`.
    pub fn rebuild(
        &self,
        docs: impl IntoIterator<Item = IndexDoc>,
        seq: i64,
    ) -> SearchResult<usize> {
        let mut writer = self.writer()?;
        writer.delete_all_documents()?;
        let mut count = 0;
        for doc in docs {
            writer.add_document(self.document(&doc))?;
            count += 1;
        }
        self.dirty.store(false, std::sync::atomic::Ordering::SeqCst);
        self.commit(&mut writer, seq)?;
        Ok(count)
    }

    pub fn len(&self) -> SearchResult<u64> {
        Ok(self.searcher().num_docs())
    }

    pub fn is_empty(&self) -> SearchResult<bool> {
        Ok(self.len()? == 0)
    }

    fn document(&self, doc: &IndexDoc) -> TantivyDocument {
        let f = self.f;
        let mut d = TantivyDocument::default();
        d.add_text(f.id, doc.id());
        let point = |d: &mut TantivyDocument, p: &Option<(f64, f64)>| {
            if let Some((lat, lon)) = p {
                d.add_f64(f.lat, *lat);
                d.add_f64(f.lon, *lon);
                d.add_text(f.cell, cell(*lat, *lon));
            }
        };
        match doc {
            IndexDoc::Person {
                names,
                date_of_birth,
                birth_years,
                age_range,
                phones,
                addresses,
                merged_into,
                ..
            } => {
                d.add_text(f.kind, "person");
                d.add_text(
                    f.label,
                    names.first().map(String::as_str).unwrap_or_default(),
                );
                for name in names {
                    d.add_text(f.name, name);
                    for code in phonetic_codes(name) {
                        d.add_text(f.phonetic, &code);
                    }
                }
                if let Some(dob) = date_of_birth {
                    d.add_text(f.dob, dob);
                }
                for year in birth_years {
                    d.add_i64(f.birth_year, *year);
                }
                if let Some((from, to)) = age_range {
                    d.add_text(f.dob, format!("age {from}-{to}"));
                }
                for phone in phones {
                    d.add_text(f.phone, phone);
                }
                for address in addresses {
                    d.add_text(f.address, address);
                }
                if let Some(into) = merged_into {
                    d.add_text(f.merged_into, into);
                }
            }
            IndexDoc::Property {
                description,
                serial,
                ..
            } => {
                d.add_text(f.kind, "property");
                d.add_text(f.label, description);
                if let Some(serial) = serial {
                    d.add_text(f.serial, serial);
                }
            }
            IndexDoc::Vehicle {
                vrm, description, ..
            } => {
                d.add_text(f.kind, "vehicle");
                d.add_text(f.label, format!("{vrm} {description}").trim());
                d.add_text(f.vrm, vrm);
            }
            IndexDoc::Location {
                address,
                postcode,
                uprn,
                point: p,
                ..
            } => {
                d.add_text(f.kind, "location");
                d.add_text(f.label, address);
                d.add_text(f.address, address);
                if let Some(u) = uprn {
                    d.add_text(f.uprn, u);
                }
                if let Some(pc) = postcode {
                    d.add_text(f.postcode, pc);
                    d.add_text(f.district, pc.split(' ').next().unwrap_or_default());
                }
                point(&mut d, p);
            }
            IndexDoc::Incident {
                reference,
                opened_at_micros,
                status,
                incident_type,
                caller_name,
                caller_phone,
                location,
                uprn,
                point: p,
                ..
            } => {
                if let Some(u) = uprn {
                    d.add_text(f.uprn, u);
                }
                d.add_text(f.kind, "incident");
                d.add_text(
                    f.label,
                    format!("{reference} {}", incident_type.as_deref().unwrap_or("")).trim(),
                );
                d.add_i64(f.at, *opened_at_micros);
                d.add_text(f.status, status);
                if let Some(t) = incident_type {
                    d.add_text(f.itype, t);
                }
                d.add_text(f.name, caller_name);
                if let Some(phone) = caller_phone {
                    d.add_text(f.phone, phone);
                }
                d.add_text(f.address, location);
                point(&mut d, p);
            }
            IndexDoc::Crime {
                reference,
                classification,
                offence,
                recorded_at_micros,
                status,
                ..
            } => {
                d.add_text(f.kind, "crime");
                d.add_text(
                    f.label,
                    format!("{reference} {classification} {offence}").trim(),
                );
                d.add_i64(f.at, *recorded_at_micros);
                d.add_text(f.status, status);
                d.add_text(f.itype, classification);
            }
            IndexDoc::Link {
                from,
                to,
                role,
                at_micros,
                ..
            } => {
                d.add_text(f.kind, "link");
                d.add_text(f.from, from);
                d.add_text(f.to, to);
                d.add_text(f.role, role);
                d.add_i64(f.at, *at_micros);
            }
        }
        d
    }

    fn term(&self, field: Field, value: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(field, value),
            IndexRecordOption::Basic,
        ))
    }

    fn kind(&self, kind: &str) -> (Occur, Box<dyn Query>) {
        (Occur::Must, self.term(self.f.kind, kind))
    }

    fn run(&self, query: &dyn Query, limit: usize) -> SearchResult<Vec<TantivyDocument>> {
        let searcher = self.searcher();
        let top = searcher.search(query, &TopDocs::with_limit(limit).order_by_score())?;
        top.into_iter()
            .map(|(_, address)| searcher.doc(address).map_err(SearchError::from))
            .collect()
    }

    /// Every document matching `query`, with its `at`, `lat` and `lon` read from the fast
    /// fields (no stored document is decompressed until [`Self::load`]).
    fn matching(
        &self,
        searcher: &tantivy::Searcher,
        query: &dyn Query,
    ) -> SearchResult<Vec<Matched>> {
        use std::collections::hash_map::Entry;
        let addresses = searcher.search(query, &tantivy::collector::DocSetCollector)?;
        let mut out = Vec::with_capacity(addresses.len());
        let mut columns: std::collections::HashMap<u32, FastColumns> =
            std::collections::HashMap::new();
        for address in addresses {
            let (at, lat, lon) = match columns.entry(address.segment_ord) {
                Entry::Occupied(found) => found.into_mut(),
                Entry::Vacant(slot) => {
                    let fast = searcher.segment_reader(address.segment_ord).fast_fields();
                    slot.insert((fast.i64("at")?, fast.f64("lat")?, fast.f64("lon")?))
                }
            };
            let point = lat.first(address.doc_id).zip(lon.first(address.doc_id));
            out.push((address, at.first(address.doc_id), point));
        }
        Ok(out)
    }

    fn load(
        &self,
        searcher: &tantivy::Searcher,
        address: tantivy::DocAddress,
    ) -> SearchResult<Hit> {
        let doc: TantivyDocument = searcher.doc(address)?;
        Ok(self.hit(&doc))
    }

    fn text(doc: &TantivyDocument, field: Field) -> Option<String> {
        doc.get_first(field)
            .and_then(|v| v.as_str().map(str::to_owned))
    }

    fn hit(&self, doc: &TantivyDocument) -> Hit {
        let f = self.f;
        Hit {
            kind: Self::text(doc, f.kind).unwrap_or_default(),
            id: Self::text(doc, f.id).unwrap_or_default(),
            label: Self::text(doc, f.label).unwrap_or_default(),
            score: 1.0,
            reasons: Vec::new(),
            merged_into: Self::text(doc, f.merged_into),
            born: Self::text(doc, f.dob),
            distance_metres: None,
            at_micros: doc.get_first(f.at).and_then(|v| v.as_i64()),
            role: Self::text(doc, f.role),
            from: Self::text(doc, f.from),
            to: Self::text(doc, f.to),
            status: Self::text(doc, f.status),
        }
    }

    /// People by name: each word of the name must match exactly, by sound (Double Metaphone)
    /// or with a typo or two; then ranked by Jaro-Winkler similarity with reasons. Narrowed by
    /// date of birth, or by birth years, when given.
    pub fn people(
        &self,
        name: &str,
        date_of_birth: Option<&str>,
        birth_years: Option<(i64, i64)>,
        limit: usize,
    ) -> SearchResult<Vec<Hit>> {
        let words = names::words(name);
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let mut clauses = vec![self.kind("person")];
        for word in &words {
            let exact = Term::from_field_text(self.f.name, word);
            let mut alternatives: Vec<(Occur, Box<dyn Query>)> = vec![(
                Occur::Should,
                Box::new(BoostQuery::new(
                    Box::new(TermQuery::new(exact.clone(), IndexRecordOption::Basic)),
                    3.0,
                )),
            )];
            let distance = if word.chars().count() >= 6 { 2 } else { 1 };
            alternatives.push((
                Occur::Should,
                Box::new(FuzzyTermQuery::new(exact, distance, true)),
            ));
            for code in phonetic_codes(word) {
                alternatives.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(self.term(self.f.phonetic, &code), 2.0)),
                ));
            }
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(alternatives))));
        }
        if let Some(dob) = date_of_birth {
            clauses.push((Occur::Must, self.term(self.f.dob, dob)));
        }
        if let Some((from, to)) = birth_years {
            clauses.push((
                Occur::Must,
                Box::new(RangeQuery::new(
                    Bound::Included(Term::from_field_i64(self.f.birth_year, from)),
                    Bound::Included(Term::from_field_i64(self.f.birth_year, to)),
                )),
            ));
        }
        let docs = self.run(&BooleanQuery::new(clauses), limit.saturating_mul(2).max(10))?;
        let mut hits: Vec<Hit> = docs
            .iter()
            .map(|doc| {
                let known: Vec<String> = doc
                    .get_all(self.f.name)
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect();
                let (score, reasons) = names::explain(name, &known);
                Hit {
                    score,
                    reasons,
                    ..self.hit(doc)
                }
            })
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score));
        hits.truncate(limit);
        Ok(hits)
    }

    /// People and incidents with this (E.164) phone number.
    pub fn phone(&self, e164: &str, limit: usize) -> SearchResult<Vec<Hit>> {
        self.same(self.f.phone, e164, "same phone number", limit)
    }

    /// Property with this (compact, upper-case) serial number or IMEI.
    pub fn serial(&self, serial: &str, limit: usize) -> SearchResult<Vec<Hit>> {
        self.same(self.f.serial, serial, "same serial number", limit)
    }

    /// Vehicles with this (compact, upper-case) registration.
    pub fn vrm(&self, vrm: &str, limit: usize) -> SearchResult<Vec<Hit>> {
        self.same(self.f.vrm, vrm, "same registration", limit)
    }

    /// Locations by full postcode, by postcode district (`LS1`), or by words of the address
    /// (each word must match, allowing one typo).
    pub fn locations(
        &self,
        postcode: Option<&str>,
        district: Option<&str>,
        text: &str,
        limit: usize,
    ) -> SearchResult<Vec<Hit>> {
        let mut clauses = vec![self.kind("location")];
        if let Some(pc) = postcode {
            clauses.push((Occur::Must, self.term(self.f.postcode, pc)));
        } else if let Some(d) = district {
            clauses.push((Occur::Must, self.term(self.f.district, d)));
        } else {
            let words = names::words(text);
            if words.is_empty() {
                return Ok(Vec::new());
            }
            for word in words {
                let term = Term::from_field_text(self.f.address, &word);
                let fuzzy: Box<dyn Query> = if word.chars().count() >= 5 {
                    Box::new(FuzzyTermQuery::new(term, 1, true))
                } else {
                    Box::new(TermQuery::new(term, IndexRecordOption::Basic))
                };
                clauses.push((Occur::Must, fuzzy));
            }
        }
        let docs = self.run(&BooleanQuery::new(clauses), limit)?;
        Ok(docs.iter().map(|d| self.hit(d)).collect())
    }

    /// Records of `kind` (incidents, locations) at the address with this UPRN (digits without
    /// leading zeros), newest first, optionally since a time. However the address was typed:
    /// the UPRN is the place, the text only a description of it.
    pub fn same_uprn(
        &self,
        kind: &str,
        uprn: &str,
        since_micros: Option<i64>,
        limit: usize,
    ) -> SearchResult<Vec<Hit>> {
        let mut clauses = vec![self.kind(kind), (Occur::Must, self.term(self.f.uprn, uprn))];
        clauses.extend(self.since(since_micros));
        self.newest(
            &BooleanQuery::new(clauses),
            limit,
            Some(&format!("same address (UPRN {uprn})")),
        )
    }

    /// Records of `kind` within `metres` of a point, nearest first, optionally since a time.
    pub fn near(
        &self,
        kind: &str,
        lat: f64,
        lon: f64,
        metres: f64,
        since_micros: Option<i64>,
        limit: usize,
    ) -> SearchResult<Vec<Hit>> {
        // A box around the point narrows the candidates; the great-circle distance decides.
        let dlat = metres / 111_320.0;
        let dlon = metres / (111_320.0 * lat.to_radians().cos().abs().max(0.01));
        let range = |field: Field, from: f64, to: f64| -> Box<dyn Query> {
            Box::new(RangeQuery::new(
                Bound::Included(Term::from_field_f64(field, from)),
                Bound::Included(Term::from_field_f64(field, to)),
            ))
        };
        let (row0, row1) = (
            ((lat - dlat) / CELL_DEGREES).floor() as i64,
            ((lat + dlat) / CELL_DEGREES).floor() as i64,
        );
        let (col0, col1) = (
            ((lon - dlon) / CELL_DEGREES).floor() as i64,
            ((lon + dlon) / CELL_DEGREES).floor() as i64,
        );
        let area: Box<dyn Query> = if (row1 - row0 + 1) * (col1 - col0 + 1) <= 400 {
            let cells: Vec<(Occur, Box<dyn Query>)> = (row0..=row1)
                .flat_map(|r| (col0..=col1).map(move |c| format!("{r}:{c}")))
                .map(|c| (Occur::Should, self.term(self.f.cell, &c)))
                .collect();
            Box::new(BooleanQuery::new(cells))
        } else {
            Box::new(BooleanQuery::new(vec![
                (Occur::Must, range(self.f.lat, lat - dlat, lat + dlat)),
                (Occur::Must, range(self.f.lon, lon - dlon, lon + dlon)),
            ]))
        };
        let mut clauses = vec![self.kind(kind), (Occur::Must, area)];
        clauses.extend(self.since(since_micros));
        let searcher = self.searcher();
        let mut found: Vec<(tantivy::DocAddress, f64)> = self
            .matching(&searcher, &BooleanQuery::new(clauses))?
            .into_iter()
            .filter_map(|(address, _, point)| {
                let (lat2, lon2) = point?;
                let distance = haversine_metres(lat, lon, lat2, lon2);
                (distance <= metres).then_some((address, distance))
            })
            .collect();
        found.sort_by(|a, b| a.1.total_cmp(&b.1));
        let mut hits = Vec::new();
        for (address, distance) in found.into_iter().take(limit) {
            hits.push(Hit {
                distance_metres: Some(distance),
                reasons: vec![format!("{} m away", distance.round())],
                ..self.load(&searcher, address)?
            });
        }
        Ok(hits)
    }

    /// Documents whose `field` holds exactly `value`, each with the one `reason`.
    fn same(
        &self,
        field: Field,
        value: &str,
        reason: &str,
        limit: usize,
    ) -> SearchResult<Vec<Hit>> {
        let docs = self.run(self.term(field, value).as_ref(), limit)?;
        Ok(docs
            .iter()
            .map(|d| Hit {
                reasons: vec![reason.to_owned()],
                ..self.hit(d)
            })
            .collect())
    }

    /// Documents with any of these field values.
    fn any<'a>(&self, terms: impl IntoIterator<Item = (Field, &'a String)>) -> Box<dyn Query> {
        let clauses = terms
            .into_iter()
            .map(|(field, value)| (Occur::Should, self.term(field, value)))
            .collect();
        Box::new(BooleanQuery::new(clauses))
    }

    /// The clause that keeps documents at or after `since_micros`, when given.
    fn since(&self, since_micros: Option<i64>) -> Option<(Occur, Box<dyn Query>)> {
        let since = since_micros?;
        Some((
            Occur::Must,
            Box::new(RangeQuery::new(
                Bound::Included(Term::from_field_i64(self.f.at, since)),
                Bound::Unbounded,
            )),
        ))
    }

    /// The newest `limit` documents matching `query`, loaded.
    fn newest(
        &self,
        query: &dyn Query,
        limit: usize,
        reason: Option<&str>,
    ) -> SearchResult<Vec<Hit>> {
        let searcher = self.searcher();
        let mut found = self.matching(&searcher, query)?;
        found.sort_by_key(|(_, at, _)| std::cmp::Reverse(*at));
        found
            .into_iter()
            .take(limit)
            .map(|(address, _, _)| {
                let hit = self.load(&searcher, address)?;
                Ok(match reason {
                    Some(r) => Hit {
                        reasons: vec![r.to_owned()],
                        ..hit
                    },
                    None => hit,
                })
            })
            .collect()
    }

    /// Links from or to any of `ids`, newest first.
    pub fn links(
        &self,
        ids: &[String],
        since_micros: Option<i64>,
        limit: usize,
    ) -> SearchResult<Vec<Hit>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let either = self.any(
            ids.iter()
                .flat_map(|id| [(self.f.from, id), (self.f.to, id)]),
        );
        let mut clauses = vec![self.kind("link"), (Occur::Must, either)];
        clauses.extend(self.since(since_micros));
        self.newest(&BooleanQuery::new(clauses), limit, None)
    }

    /// People recorded as merged into `id`.
    pub fn merged_into(&self, id: &str) -> SearchResult<Vec<String>> {
        let docs = self.run(self.term(self.f.merged_into, id).as_ref(), 1_000)?;
        Ok(docs
            .iter()
            .filter_map(|d| Self::text(d, self.f.id))
            .collect())
    }

    /// Records by id (any kind), in no particular order.
    pub fn get(&self, ids: &[String]) -> SearchResult<Vec<Hit>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let any = self.any(ids.iter().map(|id| (self.f.id, id)));
        let docs = self.run(any.as_ref(), ids.len())?;
        Ok(docs.iter().map(|d| self.hit(d)).collect())
    }

    /// Incidents with a caller phone among `phones`, since a time.
    pub fn incidents_by_phone(
        &self,
        phones: &[String],
        since_micros: Option<i64>,
        limit: usize,
    ) -> SearchResult<Vec<Hit>> {
        if phones.is_empty() {
            return Ok(Vec::new());
        }
        let any = self.any(phones.iter().map(|p| (self.f.phone, p)));
        let mut clauses = vec![self.kind("incident"), (Occur::Must, any)];
        clauses.extend(self.since(since_micros));
        self.newest(
            &BooleanQuery::new(clauses),
            limit,
            Some("called from the same number"),
        )
    }

    /// The underlying tantivy index, for its statistics.
    pub fn index(&self) -> &Index {
        &self.index
    }
}

/// Great-circle distance in metres: the domain's one distance function.
pub fn haversine_metres(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    controlroom_domain::resources::metres_between((lat1, lon1), (lat2, lon2))
}

#[cfg(test)]
mod tests;
