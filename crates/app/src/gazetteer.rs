//! The gazetteer: importing the force's address files, keeping the address search index in
//! step with the store, and searching it as a handler types.
//!
//! Importing is bulk reference data, not a change to a record: rows are upserted in batches
//! (each its own short transaction, so calls are never held up behind an import), and the run
//! as a whole is one audit record (who, which files, how many rows read, imported, left alone
//! and refused). Each search is an access record, as every other read is.

use crate::records::{micros, record_access};
use crate::{Actor, App, AppError};
use controlroom_domain::Invalid;
use controlroom_domain::audit::Category;
use controlroom_domain::contact::{Coordinates, GazetteerFix};
use controlroom_domain::gazetteer::import::{FileParser, Format, Line, Record};
use controlroom_domain::gazetteer::{
    Address, NamedPlace, PostcodeCentroid, Precision, Street, Uprn,
};
use controlroom_domain::resources::metres_between;
use controlroom_domain::roles::Permission;
use controlroom_search::{GazetteerIndex, PlaceDoc, PlaceHit};
use controlroom_store::{
    AddressRow, GazetteerBatch, GazetteerChanges, NewRecord, PlaceRow, PostcodeRow, StreetRow,
};
use serde_json::json;
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// Rows written per transaction.
pub const BATCH: usize = 2_000;

/// Refusals kept in the report (and the audit record); the rest are counted.
pub const REFUSALS_KEPT: usize = 1_000;

/// One refused line: where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub file: String,
    /// 0 for the file as a whole (cannot be read, empty).
    pub line: u64,
    pub reason: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.reason)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.reason)
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileReport {
    pub file: String,
    /// Lines with data (not blank, not a header).
    pub read: u64,
    /// New or changed rows written.
    pub imported: u64,
    /// Rows already held exactly so (a re-import).
    pub unchanged: u64,
    /// Deliberately left out (terminated postcodes, deletions), by reason.
    pub skipped: u64,
    pub refused: u64,
}

/// A UPRN the import moved: a property does not move, so a new position is a correction
/// (or a mistake in the file) that a force wants to see, not a silent update.
#[derive(Debug, Clone, PartialEq)]
pub struct Moved {
    pub file: String,
    pub line: u64,
    pub uprn: i64,
    pub metres: f64,
    /// The position held before, `(lat, lon)`.
    pub was: (f64, f64),
}

impl std::fmt::Display for Moved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: UPRN {} moved {:.0} m (was {:.6}, {:.6})",
            self.file, self.line, self.uprn, self.metres, self.was.0, self.was.1
        )
    }
}

/// Moves shorter than this are re-surveys, not worth a line.
pub const MOVE_REPORTED_METRES: f64 = 1.0;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportReport {
    pub format: String,
    pub files: Vec<FileReport>,
    /// The first [`REFUSALS_KEPT`] refusals, in order.
    pub refusals: Vec<Refusal>,
    /// UPRNs given a position more than [`MOVE_REPORTED_METRES`] from the one held.
    pub moved: u64,
    /// The first [`REFUSALS_KEPT`] of them.
    pub moves: Vec<Moved>,
    /// Streets (by USRN) rebuilt from the addresses.
    pub streets_derived: u64,
}

impl ImportReport {
    pub fn total(&self, pick: impl Fn(&FileReport) -> u64) -> u64 {
        self.files.iter().map(pick).sum()
    }
}

/// Where an import has got to, for a progress bar.
#[derive(Debug, Clone)]
pub struct Progress<'a> {
    pub file: &'a str,
    pub bytes_read: u64,
    pub bytes_total: u64,
    pub rows: u64,
}

/// An import that could not finish (the database went away): what was done is kept and said.
#[derive(Debug, thiserror::Error)]
#[error(
    "{error}; stopped in {file} before line {line}: the {imported} rows before it are imported, run the same command again to finish (a re-import changes nothing already done)"
)]
pub struct Interrupted {
    pub file: String,
    pub line: u64,
    pub imported: u64,
    #[source]
    pub error: AppError,
}

fn address_row(a: &Address) -> AddressRow {
    AddressRow {
        uprn: a.uprn.get(),
        single_line: a.single_line.clone(),
        organisation: a.organisation.clone(),
        building: a.building.clone(),
        number: a.number.clone(),
        street: a.street.clone(),
        locality: a.locality.clone(),
        town: a.town.clone(),
        postcode: a.postcode.clone().map(String::from),
        classification: a.classification.as_str().to_owned(),
        usrn: a.usrn.map(|u| u.get()),
        lat: a.position.lat,
        lon: a.position.lon,
    }
}

fn street_row(s: &Street) -> StreetRow {
    StreetRow {
        id: s.id.clone(),
        usrn: s.usrn.map(|u| u.get()),
        name: s.name.clone(),
        locality: s.locality.clone(),
        town: s.town.clone(),
        lat: s.point.lat,
        lon: s.point.lon,
        extent: s
            .extent
            .map(|e| (e.min.lat, e.min.lon, e.max.lat, e.max.lon)),
    }
}

fn place_row(p: &NamedPlace) -> PlaceRow {
    PlaceRow {
        id: p.id.clone(),
        name: p.name.clone(),
        aliases: p.aliases.clone(),
        kind: p.kind.clone(),
        locality: p.locality.clone(),
        postcode_district: p.postcode_district.clone(),
        lat: p.position.lat,
        lon: p.position.lon,
    }
}

fn postcode_row(p: &PostcodeCentroid) -> PostcodeRow {
    PostcodeRow {
        postcode: p.postcode.to_string(),
        lat: p.position.lat,
        lon: p.position.lon,
    }
}

/// Add a record to a batch.
pub fn add(batch: &mut GazetteerBatch, record: &Record) {
    match record {
        Record::Address(a) => batch.addresses.push(address_row(a)),
        Record::UprnPosition { uprn, position } => {
            batch
                .positions
                .push((uprn.get(), position.lat, position.lon));
        }
        Record::Street(s) => batch.streets.push(street_row(s)),
        Record::Place(p) => batch.places.push(place_row(p)),
        Record::Postcode(p) => batch.postcodes.push(postcode_row(p)),
    }
}

/// The UPRNs in `batch` the gazetteer already holds at another position, with the line each
/// came from.
async fn moves_in(
    app: &App,
    batch: &GazetteerBatch,
    lines: &std::collections::HashMap<i64, u64>,
    file: &str,
) -> Result<Vec<Moved>, AppError> {
    let new: Vec<(i64, f64, f64)> = batch
        .addresses
        .iter()
        .map(|a| (a.uprn, a.lat, a.lon))
        .chain(batch.positions.iter().copied())
        .collect();
    if new.is_empty() {
        return Ok(Vec::new());
    }
    let uprns: Vec<i64> = new.iter().map(|p| p.0).collect();
    let held: std::collections::HashMap<i64, (f64, f64)> = app
        .store
        .gazetteer_positions(&uprns)
        .await?
        .into_iter()
        .map(|(u, lat, lon)| (u, (lat, lon)))
        .collect();
    Ok(new
        .into_iter()
        .filter_map(|(uprn, lat, lon)| {
            let was = *held.get(&uprn)?;
            let metres = metres_between(was, (lat, lon));
            (metres > MOVE_REPORTED_METRES).then(|| Moved {
                file: file.to_owned(),
                line: lines.get(&uprn).copied().unwrap_or(0),
                uprn,
                metres,
                was,
            })
        })
        .collect())
}

fn note_moves(report: &mut ImportReport, moves: Vec<Moved>) {
    report.moved += moves.len() as u64;
    let room = REFUSALS_KEPT.saturating_sub(report.moves.len());
    report.moves.extend(moves.into_iter().take(room));
}

/// Write a batch read from `lines` of `file`, noting the addresses it moves and counting what
/// it changed in the file's report; how many rows it changed.
async fn flush(
    app: &App,
    batch: &GazetteerBatch,
    lines: &std::collections::HashMap<i64, u64>,
    file: &str,
    report: &mut ImportReport,
    file_report: &mut FileReport,
) -> Result<u64, AppError> {
    let rows = batch.len() as u64;
    note_moves(report, moves_in(app, batch, lines, file).await?);
    let changed = write_batch(app, batch).await?;
    file_report.imported += changed;
    file_report.unchanged += rows - changed.min(rows);
    Ok(changed)
}

/// The longest line read whole. The longest published row (AddressBase Plus, 77 columns) is
/// well under 2 KB; a file with no line breaks (a 2 GB binary file given by mistake) must not
/// be read into memory as one line.
pub const LONGEST_LINE: usize = 64 * 1024;

/// Read one line into `buffer`, keeping at most [`LONGEST_LINE`] + 1 bytes of it and skipping
/// the rest. Returns the bytes consumed (0 at the end of the file).
fn read_line(reader: &mut impl BufRead, buffer: &mut Vec<u8>) -> std::io::Result<usize> {
    use std::io::Read;
    let limit = LONGEST_LINE as u64 + 1;
    let mut consumed = reader.by_ref().take(limit).read_until(b'\n', buffer)?;
    if buffer.len() as u64 == limit && buffer.last() != Some(&b'\n') {
        // Too long: consume up to the next line break in bounded pieces, keeping none.
        let mut rest = Vec::with_capacity(8 * 1024);
        loop {
            rest.clear();
            let n = reader
                .by_ref()
                .take(64 * 1024)
                .read_until(b'\n', &mut rest)?;
            consumed += n;
            if n == 0 || rest.last() == Some(&b'\n') {
                break;
            }
        }
    }
    Ok(consumed)
}

/// Write one batch in its own transaction; returns the rows changed.
pub async fn write_batch(app: &App, batch: &GazetteerBatch) -> Result<u64, AppError> {
    let mut tx = app.store.begin().await?;
    let revision = tx.next_gazetteer_revision().await?;
    let changed = tx.upsert_gazetteer(batch, revision).await?;
    tx.commit().await?;
    Ok(changed)
}

/// Import `files` in `format`. Bad lines are refused with file, line and reason and never stop
/// the good ones; a file that cannot be read or holds nothing is refused as a whole. Returns
/// `Err` only when the import cannot go on (the database), saying how far it got.
pub async fn import(
    app: &App,
    actor: &Actor,
    format: Format,
    files: &[PathBuf],
    progress: &mut (dyn FnMut(&Progress<'_>) + Send),
) -> Result<ImportReport, Interrupted> {
    let interrupted = |file: &str, line: u64, imported: u64, error: AppError| Interrupted {
        file: file.to_owned(),
        line,
        imported,
        error,
    };
    let actor = &actor
        .require(Permission::ManageGazetteer, "load the gazetteer")
        .map_err(|e| interrupted("", 0, 0, e))?;
    let mut report = ImportReport {
        format: format.as_str().to_owned(),
        ..ImportReport::default()
    };
    let mut imported_total = 0;
    for path in files {
        let name = path.display().to_string();
        let mut file_report = FileReport {
            file: name.clone(),
            ..FileReport::default()
        };
        let refuse = |report: &mut ImportReport, line: u64, reason: String| {
            if report.refusals.len() < REFUSALS_KEPT {
                report.refusals.push(Refusal {
                    file: name.clone(),
                    line,
                    reason,
                });
            }
        };
        let opened = std::fs::File::open(path).and_then(|f| {
            let size = f.metadata()?.len();
            Ok((f, size))
        });
        let (file, size) = match opened {
            Ok(opened) => opened,
            Err(e) => {
                refuse(&mut report, 0, format!("cannot be read: {e}"));
                file_report.refused += 1;
                report.files.push(file_report);
                continue;
            }
        };
        let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
        let mut parser = FileParser::new(format);
        let mut batch = GazetteerBatch::default();
        let mut batch_lines: std::collections::HashMap<i64, u64> = Default::default();
        let mut batch_first_line = 1;
        let mut bytes = 0u64;
        let mut buffer = Vec::with_capacity(1024);
        let mut number = 0u64;
        loop {
            buffer.clear();
            let at_end = match read_line(&mut reader, &mut buffer) {
                Ok(0) => true,
                Ok(n) => {
                    number += 1;
                    bytes += n as u64;
                    false
                }
                Err(e) => {
                    refuse(
                        &mut report,
                        number + 1,
                        format!("reading stopped here: {e}"),
                    );
                    file_report.refused += 1;
                    true
                }
            };
            if !at_end {
                let parsed = if buffer.len() > LONGEST_LINE {
                    Err(format!(
                        "is longer than {LONGEST_LINE} bytes (no gazetteer row is): not a CSV file of this layout?"
                    ))
                } else {
                    match std::str::from_utf8(&buffer) {
                        Ok(text) => parser.line(number, text),
                        Err(_) => Err("is not UTF-8 text".to_owned()),
                    }
                };
                match parsed {
                    Ok(Line::Record(record)) => {
                        file_report.read += 1;
                        match &record {
                            Record::Address(a) => {
                                batch_lines.insert(a.uprn.get(), number);
                            }
                            Record::UprnPosition { uprn, .. } => {
                                batch_lines.insert(uprn.get(), number);
                            }
                            _ => {}
                        }
                        add(&mut batch, &record);
                    }
                    Ok(Line::Skipped(_)) => {
                        file_report.read += 1;
                        file_report.skipped += 1;
                    }
                    Ok(Line::Nothing) => {}
                    Err(reason) => {
                        file_report.read += 1;
                        file_report.refused += 1;
                        refuse(&mut report, number, reason);
                    }
                }
            }
            // A full batch is written as soon as it fills; the last, part-full one at the end.
            if at_end || batch.len() >= BATCH {
                if !batch.is_empty() {
                    imported_total += flush(
                        app,
                        &batch,
                        &batch_lines,
                        &name,
                        &mut report,
                        &mut file_report,
                    )
                    .await
                    .map_err(|e| interrupted(&name, batch_first_line, imported_total, e))?;
                    batch_lines.clear();
                    batch = GazetteerBatch::default();
                    batch_first_line = number + 1;
                }
                progress(&Progress {
                    file: &name,
                    bytes_read: bytes,
                    bytes_total: size,
                    rows: file_report.read,
                });
            }
            if at_end {
                break;
            }
        }
        if file_report.read == 0 {
            refuse(
                &mut report,
                0,
                format!(
                    "holds no {} rows (the file is empty or only a header)",
                    format.as_str()
                ),
            );
            file_report.refused += 1;
        }
        report.files.push(file_report);
    }
    let finish = async {
        let mut tx = app.store.begin().await?;
        if format == Format::AddressBasePlus && imported_total > 0 {
            let revision = tx.next_gazetteer_revision().await?;
            report.streets_derived = tx.derive_streets(revision).await?;
        }
        let files: Vec<_> = report
            .files
            .iter()
            .map(|f| {
                json!({
                    "file": f.file, "read": f.read, "imported": f.imported,
                    "unchanged": f.unchanged, "skipped": f.skipped, "refused": f.refused,
                })
            })
            .collect();
        tx.append(NewRecord {
            category: Category::Change,
            stream: "gazetteer".into(),
            kind: "gazetteer_imported".into(),
            actor: actor.username.to_string(),
            role: actor.role_to_record(),
            searchable: false,
            at_micros: micros(app.now()),
            payload: json!({
                "format": format.as_str(),
                "files": files,
                "streets_derived": report.streets_derived,
                "moved": report.moved,
                "moves": report.moves.iter().take(20).map(ToString::to_string).collect::<Vec<_>>(),
                "refusals": report.refusals.iter().take(20).map(ToString::to_string).collect::<Vec<_>>(),
            })
            .to_string(),
        })
        .await?;
        tx.commit().await?;
        Ok::<(), AppError>(())
    };
    finish
        .await
        .map_err(|e| interrupted("(the import's record)", 0, imported_total, e))?;
    Ok(report)
}

/// The search index's documents for changed rows.
pub fn documents(changes: &GazetteerChanges) -> Vec<PlaceDoc> {
    let mut docs = Vec::with_capacity(
        changes.addresses.len()
            + changes.streets.len()
            + changes.places.len()
            + changes.postcodes.len(),
    );
    for a in &changes.addresses {
        // A position without an address (OS Open UPRN) is placed by UPRN, not searched.
        if a.single_line.is_empty() {
            continue;
        }
        docs.push(PlaceDoc::Address {
            uprn: a.uprn,
            label: a.single_line.clone(),
            building: a.building.clone(),
            number: a.number.clone(),
            postcode: a.postcode.clone(),
            lat: a.lat,
            lon: a.lon,
        });
    }
    for s in &changes.streets {
        let label = [
            Some(s.name.as_str()),
            s.locality.as_deref(),
            s.town.as_deref(),
        ]
        .into_iter()
        .flatten()
        .fold(Vec::<&str>::new(), |mut parts, p| {
            if !parts.iter().any(|q| q.eq_ignore_ascii_case(p)) {
                parts.push(p);
            }
            parts
        })
        .join(", ");
        docs.push(PlaceDoc::Street {
            id: s.id.clone(),
            label,
            lat: s.lat,
            lon: s.lon,
        });
    }
    for p in &changes.places {
        let label = match &p.locality {
            Some(l) if !p.name.contains(l.as_str()) => format!("{}, {l}", p.name),
            _ => p.name.clone(),
        };
        docs.push(PlaceDoc::Place {
            id: p.id.clone(),
            label,
            aliases: p.aliases.clone(),
            kind: p.kind.clone(),
            lat: p.lat,
            lon: p.lon,
        });
    }
    for p in &changes.postcodes {
        docs.push(PlaceDoc::Postcode {
            postcode: p.postcode.clone(),
            lat: p.lat,
            lon: p.lon,
        });
    }
    docs
}

/// Revisions read at once while catching up (each at most [`BATCH`] rows, but for the
/// streets derived in one go).
const REVISIONS_PER_PAGE: i64 = 25;

fn index_error(e: controlroom_search::SearchError) -> AppError {
    AppError::Store(controlroom_store::StoreError::Unavailable(e.to_string()))
}

/// Bring the address index up to the store's latest gazetteer revision. Returns the entries
/// (re)indexed. One catch-up at a time; a second caller waits, then finds little to do.
pub async fn catch_up(app: &App) -> Result<usize, AppError> {
    let _one_at_a_time = app.gazetteer_feed.lock().await;
    catch_up_locked(app).await
}

async fn catch_up_locked(app: &App) -> Result<usize, AppError> {
    let index = app.gazetteer()?;
    let latest = app.store.gazetteer_revision().await?;
    let mut after = index.applied_revision();
    let mut indexed = 0;
    while after < latest {
        let upto = (after + REVISIONS_PER_PAGE).min(latest);
        let changes = app.store.gazetteer_changes(after, upto).await?;
        let docs = documents(&changes);
        indexed += docs.len();
        index.apply(&docs, upto).map_err(index_error)?;
        after = upto;
    }
    Ok(indexed)
}

/// How many entries the address index holds.
pub async fn index_len(app: &App) -> Result<u64, AppError> {
    Ok(app.gazetteer()?.len())
}

/// One suggestion for what the handler typed.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    /// `address`, `street`, `place` or `postcode`.
    pub kind: String,
    pub uprn: Option<i64>,
    /// The street or place id, or the postcode.
    pub key: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    pub precision: Precision,
    pub score: f64,
    pub reasons: Vec<String>,
}

impl From<PlaceHit> for Suggestion {
    fn from(hit: PlaceHit) -> Self {
        let precision = match hit.kind.as_str() {
            "address" => Precision::ExactAddress,
            "street" => Precision::Street,
            "place" => Precision::NamedPlace,
            _ => Precision::Postcode,
        };
        Self {
            precision,
            kind: hit.kind,
            uprn: hit.uprn,
            key: hit.key,
            address: hit.label,
            lat: hit.lat,
            lon: hit.lon,
            score: hit.score,
            reasons: hit.reasons,
        }
    }
}

/// Longest search text accepted.
pub const MAX_QUERY: usize = controlroom_domain::limits::ADDRESS_QUERY;

/// If the index is this many revisions behind, a search catches up first; further behind (a
/// bulk import under way) it answers from what is indexed while the server's once-a-second
/// catch-up does the work, so typing is never held up behind an import.
const CATCH_UP_IN_SEARCH: i64 = 5;

/// Addresses, streets, named places and postcodes for `text`, best first. Audited as a read
/// (what was searched and how many were offered).
pub async fn search(
    app: &App,
    actor: &Actor,
    text: &str,
    limit: usize,
) -> Result<Vec<Suggestion>, AppError> {
    let actor = &actor.require(Permission::ViewIncidents, "search addresses")?;
    let text = text.trim_start();
    if text.trim().is_empty() {
        return Err(Invalid::new("q", "type part of an address, a postcode or a place").into());
    }
    if text.chars().count() > MAX_QUERY || text.chars().any(char::is_control) {
        return Err(
            Invalid::new("q", format!("at most {MAX_QUERY} characters, on one line")).into(),
        );
    }
    let index = app.gazetteer()?;
    if let Ok(_alone) = app.gazetteer_feed.try_lock() {
        let latest = app.store.gazetteer_revision().await?;
        if latest > index.applied_revision()
            && latest - index.applied_revision() <= CATCH_UP_IN_SEARCH
        {
            catch_up_locked(app).await?;
        }
    }
    let hits = index
        .search(text, limit.clamp(1, 50))
        .map_err(index_error)?;
    record_access(
        app,
        actor,
        "gazetteer".into(),
        "address_search",
        json!({ "searched": text, "found": hits.len() }),
    )
    .await?;
    Ok(hits.into_iter().map(Suggestion::from).collect())
}

/// The size of a folder's files, for reports.
pub fn folder_bytes(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// Open (or create) the address index in `folder`.
pub fn open_index(folder: Option<&Path>) -> Result<GazetteerIndex, AppError> {
    GazetteerIndex::open(folder).map_err(index_error)
}

/// The suggestion a handler picked from the address search, as the search named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen {
    /// `address`, `street`, `place` or `postcode`.
    pub kind: String,
    /// The UPRN, the street or place id, or the postcode.
    pub key: String,
}

/// Where the gazetteer puts the handler's choice, or the UPRN a client sent. The server reads
/// the position itself: a console never has to send coordinates, and cannot send wrong ones
/// for an address. A UPRN the gazetteer does not hold (from a partner's system, or an
/// address not yet imported) is accepted with the position sent with it, if any.
pub async fn locate(
    app: &App,
    chosen: Option<&Chosen>,
    uprn: Option<&str>,
    pin: Option<(f64, f64)>,
) -> Result<Option<GazetteerFix>, AppError> {
    let field = "location.gazetteer";
    let fix = |lat: f64, lon: f64, precision: Precision| GazetteerFix {
        position: Coordinates { lat, lon },
        precision,
    };
    let Some(chosen) = chosen else {
        let Some(uprn) = uprn.map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(None);
        };
        let Ok(number) = Uprn::parse(uprn) else {
            return Ok(None); // the contact's own check names the field
        };
        return Ok(match app.store.gazetteer_address(number.get()).await? {
            Some(a) => Some(fix(a.lat, a.lon, Precision::ExactAddress)),
            None => pin.map(|(lat, lon)| fix(lat, lon, Precision::ExactAddress)),
        });
    };
    let key = chosen.key.trim();
    let missing = || {
        Invalid::new(
            field,
            format!(
                "{} '{key}' is not in the gazetteer (it may have been withdrawn): search again, or drop a pin on the map",
                chosen.kind
            ),
        )
    };
    let found = match chosen.kind.as_str() {
        "address" => {
            let number = Uprn::parse(key).map_err(|e| Invalid::new(field, e.message))?;
            if let Some(sent) = uprn.map(str::trim).filter(|u| !u.is_empty())
                && sent != number.to_string()
            {
                return Err(Invalid::new(
                    "location.uprn",
                    format!("UPRN {sent} is not the chosen address's ({number})"),
                )
                .into());
            }
            app.store
                .gazetteer_address(number.get())
                .await?
                .map(|a| fix(a.lat, a.lon, Precision::ExactAddress))
        }
        "street" => app
            .store
            .gazetteer_street(key)
            .await?
            .map(|s| fix(s.lat, s.lon, Precision::Street)),
        "place" => app
            .store
            .gazetteer_place(key)
            .await?
            .map(|p| fix(p.lat, p.lon, Precision::NamedPlace)),
        "postcode" => {
            let postcode = controlroom_domain::pole::Postcode::parse(field, key)?;
            app.store
                .gazetteer_postcode(postcode.as_str())
                .await?
                .map(|p| fix(p.lat, p.lon, Precision::Postcode))
        }
        other => {
            return Err(Invalid::new(
                "location.gazetteer.kind",
                format!("'{other}' is not address, street, place or postcode"),
            )
            .into());
        }
    };
    found.map(Some).ok_or_else(|| missing().into())
}

/// One address near a point, with how far away it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Nearby {
    pub address: Suggestion,
    pub metres: f64,
}

/// Addresses shown at once inside a handset circle.
pub const NEARBY_MAX: usize = 50;

/// The addresses inside a circle, nearest first: what a handset location (AML) could mean.
/// Audited as a read, as a search is.
pub async fn near(
    app: &App,
    actor: &Actor,
    centre: Coordinates,
    radius_metres: f64,
    limit: usize,
) -> Result<Vec<Nearby>, AppError> {
    let actor = &actor.require(Permission::ViewIncidents, "search addresses")?;
    if !radius_metres.is_finite() || !(1.0..=2_000.0).contains(&radius_metres) {
        return Err(Invalid::new(
            "radius_metres",
            "between 1 and 2,000 metres: a wider circle is better searched by street or postcode",
        )
        .into());
    }
    // A box around the circle: 1° of latitude is 111.2 km; longitude shrinks with latitude.
    let dlat = radius_metres / 111_195.0;
    let dlon = dlat / centre.lat.to_radians().cos().max(0.01);
    // Read more than shown: the box's corners lie outside the circle.
    let rows = app
        .store
        .gazetteer_addresses_within(
            (
                centre.lat - dlat,
                centre.lon - dlon,
                centre.lat + dlat,
                centre.lon + dlon,
            ),
            5_000,
        )
        .await?;
    let mut inside: Vec<Nearby> = rows
        .into_iter()
        .map(|a| {
            let metres = metres_between((centre.lat, centre.lon), (a.lat, a.lon));
            (a, metres)
        })
        .filter(|(_, metres)| *metres <= radius_metres)
        .map(|(a, metres)| Nearby {
            metres,
            address: Suggestion {
                kind: "address".into(),
                uprn: Some(a.uprn),
                key: a.uprn.to_string(),
                address: a.single_line,
                lat: a.lat,
                lon: a.lon,
                precision: Precision::ExactAddress,
                score: 1.0 - metres / radius_metres,
                reasons: vec![format!("{} m from the centre", metres.round())],
            },
        })
        .collect();
    inside.sort_by(|a, b| a.metres.total_cmp(&b.metres));
    inside.truncate(limit.clamp(1, NEARBY_MAX));
    record_access(
        app,
        actor,
        "gazetteer".into(),
        "address_near",
        json!({
            "lat": centre.lat, "lon": centre.lon, "radius_metres": radius_metres,
            "found": inside.len(),
        }),
    )
    .await?;
    Ok(inside)
}
