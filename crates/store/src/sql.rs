//! SQL both backends run word for word (sqlx accepts `$1` placeholders on both). What differs
//! (taking the chain lock) is in each adapter's `Dialect`.

use std::sync::LazyLock;

/// Audit records, a batch's worth at its commit ([`RowsInsert`]).
pub static INSERT_AUDIT: LazyLock<RowsInsert> = LazyLock::new(|| {
    RowsInsert::new(
        "audit_log",
        "seq, category, stream, kind, actor, at_micros, payload, prev_hash, hash, role, seal",
        "",
    )
});

pub const SELECT_STREAM: &str = "SELECT seq, category, stream, kind, actor, at_micros, payload, role FROM audit_log \
     WHERE stream = $1 AND category = 'change' ORDER BY seq";

/// [`SELECT_STREAM`] after seq `$2` only (the index on `(stream, seq)` starts there).
pub const SELECT_STREAM_AFTER: &str = "SELECT seq, category, stream, kind, actor, at_micros, payload, role FROM audit_log \
     WHERE stream = $1 AND category = 'change' AND seq > $2 ORDER BY seq";

/// `$1` is the stream kind, `$2` a LIKE pattern built by [`prefix_pattern`]: the index on
/// (kind, stream) keeps other kinds out of the scan.
pub const SELECT_STREAMS: &str =
    "SELECT stream FROM streams WHERE kind = $1 AND stream LIKE $2 ESCAPE '\\' ORDER BY stream";

/// The change records of the next `$3` streams of kind `$1` whose names sort after `$2`,
/// ordered by stream then seq: a whole kind read a page at a time, one query per page.
pub const SELECT_STREAMS_PAGE: &str = "SELECT seq, category, stream, kind, actor, at_micros, payload, role FROM audit_log \
     WHERE stream IN (SELECT stream FROM streams WHERE kind = $1 AND stream > $2 ORDER BY stream LIMIT $3) \
     AND category = 'change' ORDER BY stream, seq";

/// Streams at their first change, `(stream, kind, first_seq)` each (a no-op for streams
/// already registered): what a batch of writes registers at its commit.
pub static INSERT_STREAMS: LazyLock<RowsInsert> = LazyLock::new(|| {
    RowsInsert::new(
        "streams",
        "stream, kind, first_seq",
        "ON CONFLICT (stream) DO NOTHING",
    )
});

/// One insert statement in a few sizes, so that a batch's rows go to the database a few
/// hundred to a statement (one hand-off to the driver, not one each) while each connection
/// prepares only a handful of statement texts.
pub struct RowsInsert {
    /// The statement for each of [`RowsInsert::SIZES`] rows, in that order, with numbered
    /// placeholders (`$1, $2`), which PostgreSQL needs.
    numbered: Vec<String>,
    /// The same with bare `?` placeholders, for SQLite: it finds a numbered placeholder's
    /// name by walking a list of all of them, so binding a few thousand numbered parameters
    /// costs time that grows with their square (two thirds of a bulk load's CPU, measured).
    bare: Vec<String>,
}

/// How a statement's parameters are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholders {
    /// `$1, $2, ...`
    Numbered,
    /// `?, ?, ...`, bound in order.
    Bare,
}

impl RowsInsert {
    /// The row counts a statement is prepared for, largest first. At 11 parameters a row,
    /// the largest stays well inside both databases' limits on parameters.
    pub const SIZES: [usize; 5] = [256, 64, 16, 4, 1];

    /// Rows of `columns` (comma-separated) into `table`; `tail` is what follows the rows
    /// (`ON CONFLICT ...`). Rows are bound in column order, row after row.
    pub fn new(table: &str, columns: &str, tail: &str) -> Self {
        let head = format!("INSERT INTO {table} ({columns})");
        let columns = columns.split(',').count();
        let texts = |placeholder: &dyn Fn(usize) -> String| -> Vec<String> {
            Self::SIZES
                .iter()
                .map(|&rows| {
                    let values: Vec<String> = (0..rows)
                        .map(|row| {
                            let params: Vec<String> = (1..=columns)
                                .map(|column| placeholder(row * columns + column))
                                .collect();
                            format!("({})", params.join(", "))
                        })
                        .collect();
                    format!("{head} VALUES {} {tail}", values.join(", "))
                        .trim_end()
                        .to_owned()
                })
                .collect()
        };
        Self {
            numbered: texts(&|n| format!("${n}")),
            bare: texts(&|_| "?".to_owned()),
        }
    }

    /// Split `rows` into runs of the prepared sizes, each with the statement that stores it.
    pub fn runs<'r, T>(
        &'r self,
        placeholders: Placeholders,
        mut rows: &'r [T],
    ) -> impl Iterator<Item = (&'r str, &'r [T])> {
        let texts = match placeholders {
            Placeholders::Numbered => &self.numbered,
            Placeholders::Bare => &self.bare,
        };
        std::iter::from_fn(move || {
            let (size, text) = Self::SIZES
                .iter()
                .zip(texts)
                .find(|(size, _)| **size <= rows.len())?;
            let (run, rest) = rows.split_at(*size);
            rows = rest;
            Some((text.as_str(), run))
        })
    }
}

/// The kind of a stream named `kind/key` (see `controlroom_domain::stream`).
pub fn stream_kind(stream: &str) -> &str {
    stream.split_once('/').map_or(stream, |(kind, _)| kind)
}

/// A LIKE pattern matching everything that starts with `prefix`, taken literally.
pub fn prefix_pattern(prefix: &str) -> String {
    let mut pattern = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

pub const SELECT_AUDIT_PAGE: &str = "SELECT seq, category, stream, kind, actor, at_micros, payload, role, prev_hash, hash, seal FROM audit_log \
     WHERE seq > $1 ORDER BY seq LIMIT $2";

/// What a follower of the log needs of each record after `$1` (at most `$2`): no payloads.
pub const SELECT_LOG_ENTRIES: &str = "SELECT seq, category, stream, at_micros FROM audit_log \
     WHERE seq > $1 ORDER BY seq LIMIT $2";

pub const SELECT_CHAIN_HEAD: &str = "SELECT seq, hash FROM chain_head WHERE id = 1";

pub const UPDATE_CHAIN_HEAD: &str = "UPDATE chain_head SET seq = $1, hash = $2 WHERE id = 1";

/// The last incident number given on day `$1`, if any: read once by a write batch, which
/// counts on in memory and stores where it got to with [`SET_INCIDENT_COUNTERS`].
pub const SELECT_INCIDENT_COUNTER: &str = "SELECT last FROM incident_counters WHERE day = $1";

/// Each user's last change to what the search index holds, one row a user.
pub static SET_SEARCH_MARKS: LazyLock<RowsInsert> = LazyLock::new(|| {
    RowsInsert::new(
        "search_marks",
        "username, seq",
        "ON CONFLICT (username) DO UPDATE SET seq = excluded.seq",
    )
});

pub const SELECT_SEARCH_MARK: &str = "SELECT seq FROM search_marks WHERE username = $1";

/// Where a batch's incident numbers got to, one row a day.
pub static SET_INCIDENT_COUNTERS: LazyLock<RowsInsert> = LazyLock::new(|| {
    RowsInsert::new(
        "incident_counters",
        "day, last",
        "ON CONFLICT (day) DO UPDATE SET last = excluded.last",
    )
});

/// Insert or replace; never replaces a row with an older version of itself (a rebuild that
/// read the events before a concurrent change committed).
pub static UPSERT_INCIDENTS: LazyLock<RowsInsert> = LazyLock::new(|| {
    RowsInsert::new(
        "incidents",
        INCIDENT_COLUMNS,
        "ON CONFLICT (id) DO UPDATE SET status = excluded.status, grade = excluded.grade, \
         incident_type = excluded.incident_type, contact_count = excluded.contact_count, \
         last_changed_at_micros = excluded.last_changed_at_micros, version = excluded.version, \
         attend_by_micros = excluded.attend_by_micros, crime_report_at_micros = excluded.crime_report_at_micros, \
         recording_decided_at_micros = excluded.recording_decided_at_micros, \
         recording_decision = excluded.recording_decision, lat = excluded.lat, lon = excluded.lon \
         WHERE incidents.version <= excluded.version",
    )
});

pub const INCIDENT_COLUMNS: &str = "id, reference, status, grade, incident_type, channel, location_text, summary, \
     contact_count, opened_at_micros, last_changed_at_micros, version, attend_by_micros, \
     crime_report_at_micros, recording_decided_at_micros, recording_decision, lat, lon";

pub const INSERT_USER: &str =
    "INSERT INTO users (username, role, password_hash, created_at_micros) VALUES ($1, $2, $3, $4)";

/// A user with their roles, one row per role (a user with none yet: one row, role NULL), in
/// the order they were given: one query for what every request's sign-in check needs.
pub const SELECT_USER: &str = "SELECT u.username, u.password_hash, u.created_at_micros, r.role FROM users u \
     LEFT JOIN user_roles r ON r.username = u.username WHERE u.username = $1 ORDER BY r.position, r.role";

pub const SELECT_USERS: &str =
    "SELECT username, password_hash, created_at_micros FROM users ORDER BY username";

pub const INSERT_USER_ROLE: &str =
    "INSERT INTO user_roles (username, role, position) VALUES ($1, $2, $3)";

pub const SELECT_ALL_USER_ROLES: &str =
    "SELECT username, role FROM user_roles ORDER BY username, position, role";

pub const SELECT_SETTING: &str = "SELECT value FROM settings WHERE name = $1";

pub const INSERT_SETTING: &str =
    "INSERT INTO settings (name, value, set_at_micros) VALUES ($1, $2, $3)";

pub const INSERT_SESSION: &str = "INSERT INTO sessions (token_hash, username, created_at_micros, last_seen_at_micros) \
     VALUES ($1, $2, $3, $4)";

/// A session with its user and each of the user's roles (one row a role, in their order).
pub const SELECT_SESSION_USER: &str = "SELECT s.token_hash, s.username, s.created_at_micros, s.last_seen_at_micros, \
     u.password_hash, u.created_at_micros AS user_created_at_micros, r.role FROM sessions s \
     JOIN users u ON u.username = s.username LEFT JOIN user_roles r ON r.username = u.username \
     WHERE s.token_hash = $1 ORDER BY r.position, r.role";

pub const SELECT_SESSION: &str = "SELECT token_hash, username, created_at_micros, last_seen_at_micros FROM sessions WHERE token_hash = $1";

pub const TOUCH_SESSION: &str = "UPDATE sessions SET last_seen_at_micros = $2 WHERE token_hash = $1 AND last_seen_at_micros < $2";

pub const DELETE_SESSION: &str = "DELETE FROM sessions WHERE token_hash = $1";

pub const SELECT_SESSIONS: &str = "SELECT token_hash, username, created_at_micros, last_seen_at_micros FROM sessions ORDER BY created_at_micros, token_hash";

pub const DELETE_USER_SESSIONS: &str = "DELETE FROM sessions WHERE username = $1";

pub const DELETE_USER_ROLES: &str = "DELETE FROM user_roles WHERE username = $1";

pub const UPDATE_USER_FIRST_ROLE: &str = "UPDATE users SET role = $2 WHERE username = $1";

pub const UPDATE_PASSWORD_HASH: &str = "UPDATE users SET password_hash = $2 WHERE username = $1";

/// `$1` username, `$2` address, `$3` since.
pub const SELECT_SIGN_IN_ATTEMPTS: &str = "SELECT username, address, at_micros, counts_for_name FROM sign_in_attempts \
     WHERE at_micros >= $3 AND ((username = $1 AND counts_for_name = 1) OR address = $2) ORDER BY at_micros";

pub const SELECT_KNOWN_SIGN_IN_ADDRESS: &str = "SELECT COUNT(*) FROM sign_in_addresses \
     WHERE username = $1 AND address = $2 AND last_success_micros >= $3";

pub const INSERT_SIGN_IN_ATTEMPT: &str = "INSERT INTO sign_in_attempts (username, address, at_micros, counts_for_name) \
     VALUES ($1, $2, $3, 1) RETURNING id";

pub const FORGET_SIGN_IN_ATTEMPTS: &str = "DELETE FROM sign_in_attempts WHERE at_micros < $1";

pub const DELETE_SIGN_IN_ATTEMPT: &str = "DELETE FROM sign_in_attempts WHERE id = $1";

/// Only attempts still counted (`$2`: since when): older rows are the next attempt's to
/// forget, and leaving them alone means the two never wait on each other's rows.
pub const CLEAR_SIGN_IN_NAME: &str = "UPDATE sign_in_attempts SET counts_for_name = 0 \
     WHERE username = $1 AND counts_for_name = 1 AND at_micros >= $2";

pub const UPSERT_SIGN_IN_ADDRESS: &str = "INSERT INTO sign_in_addresses (username, address, last_success_micros) \
     VALUES ($1, $2, $3) ON CONFLICT (username, address) DO UPDATE SET last_success_micros = excluded.last_success_micros";

pub const FORGET_SIGN_IN_ADDRESSES: &str =
    "DELETE FROM sign_in_addresses WHERE last_success_micros < $1";

pub const SELECT_IDEMPOTENT: &str =
    "SELECT fingerprint, body FROM idempotency WHERE actor = $1 AND key = $2";

pub const INSERT_IDEMPOTENT: &str = "INSERT INTO idempotency (actor, key, fingerprint, body, created_at_micros) \
     VALUES ($1, $2, $3, $4, $5)";

/// As [`UPSERT_INCIDENTS`], for the crime list.
pub static UPSERT_CRIMES: LazyLock<RowsInsert> = LazyLock::new(|| {
    RowsInsert::new(
        "crimes",
        CRIME_COLUMNS,
        "ON CONFLICT (id) DO UPDATE SET classification = excluded.classification, status = excluded.status, \
         last_changed_at_micros = excluded.last_changed_at_micros, version = excluded.version, \
         in_work = excluded.in_work WHERE crimes.version <= excluded.version",
    )
});

pub const CRIME_COLUMNS: &str = "id, reference, classification, status, reported_at_micros, recorded_at_micros, \
     recorded_by, incident_id, location_text, last_changed_at_micros, version, in_work";

/// The crime list, newest recorded first: `$1` a status or NULL for all, `$2` a reference or
/// NULL, `$3` 1 for only the crimes still in work (0 for all), `$4` the limit.
pub fn list_crimes() -> String {
    format!(
        "SELECT {CRIME_COLUMNS} FROM crimes WHERE ($1 IS NULL OR status = $1) \
         AND ($2 IS NULL OR reference = $2) AND ($3 = 0 OR in_work = 1) \
         ORDER BY recorded_at_micros DESC, reference DESC LIMIT $4"
    )
}

/// A unit's call sign (`$1`) taken by its stream (`$2`); a second claim is a conflict.
pub const CLAIM_CALL_SIGN: &str = "INSERT INTO call_signs (call_sign, stream) VALUES ($1, $2)";

/// The list rows of `count` incidents named by id (`$1`…`$count`).
pub fn incident_rows(count: usize) -> String {
    let marks: Vec<String> = (1..=count).map(|n| format!("${n}")).collect();
    format!(
        "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE id IN ({})",
        marks.join(", ")
    )
}

/// The incident list query with its filters as `$n` placeholders. Built from a fixed set of
/// fragments only: no caller text ever enters the SQL.
pub fn list_incidents(filter: &crate::IncidentFilter) -> (String, Vec<FilterArg>) {
    let mut clauses = Vec::new();
    let mut args = Vec::new();
    let placeholder = |arg: FilterArg, args: &mut Vec<FilterArg>| {
        args.push(arg);
        format!("${}", args.len())
    };
    for (column, values) in [("status", &filter.statuses), ("grade", &filter.grades)] {
        if !values.is_empty() {
            let marks: Vec<String> = values
                .iter()
                .map(|v| placeholder(FilterArg::Text(v.clone()), &mut args))
                .collect();
            clauses.push(format!("{column} IN ({})", marks.join(", ")));
        }
    }
    let opened = [
        (">=", filter.opened_from_micros),
        ("<", filter.opened_before_micros),
    ];
    for (test, bound) in opened {
        if let Some(bound) = bound {
            let mark = placeholder(FilterArg::Int(bound), &mut args);
            clauses.push(format!("opened_at_micros {test} {mark}"));
        }
    }
    let mut order = "opened_at_micros DESC, reference DESC";
    match filter.recording {
        Some(crate::RecordingFilter::AwaitingDecision) => {
            clauses.push(
                "crime_report_at_micros IS NOT NULL AND recording_decided_at_micros IS NULL".into(),
            );
            order = "crime_report_at_micros ASC, reference ASC";
        }
        Some(crate::RecordingFilter::CrimeReports) => {
            clauses.push("crime_report_at_micros IS NOT NULL".into());
        }
        Some(crate::RecordingFilter::Undecided) => {
            clauses.push("recording_decided_at_micros IS NULL".into());
        }
        None => {}
    }
    let filter_sql = if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", clauses.join(" AND "))
    };
    let limit = placeholder(FilterArg::Int(filter.limit), &mut args);
    (
        format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents{filter_sql} ORDER BY {order} LIMIT {limit}"
        ),
        args,
    )
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterArg {
    Text(String),
    Int(i64),
}

// The gazetteer. Upserts leave a row that would not change alone (`IS DISTINCT FROM`, which
// SQLite has since 3.39), so a re-import of the same file changes nothing and re-indexes
// nothing.

pub const ADDRESS_COLUMNS: &str = "uprn, single_line, organisation, building, number, street, locality, town, \
     postcode, classification, usrn, lat, lon";

/// An upsert into the gazetteer table `table` of `columns` (its key first) and the revision
/// (the last placeholder). A row that would not change is left alone, keeping its revision.
fn upsert_gazetteer(table: &str, columns: &str) -> String {
    let (key, rest) = columns.split_once(',').unwrap_or((columns, ""));
    let rest: Vec<&str> = rest.split(',').map(str::trim).collect();
    let marks: Vec<String> = (1..=rest.len() + 2).map(|n| format!("${n}")).collect();
    let set: Vec<String> = rest
        .iter()
        .chain(&["revision"])
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    let changed: Vec<String> = rest
        .iter()
        .map(|c| format!("{table}.{c} IS DISTINCT FROM excluded.{c}"))
        .collect();
    format!(
        "INSERT INTO {table} ({columns}, revision) VALUES ({}) ON CONFLICT ({key}) \
         DO UPDATE SET {} WHERE {}",
        marks.join(", "),
        set.join(", "),
        changed.join(" OR ")
    )
}

pub static UPSERT_ADDRESS: LazyLock<String> =
    LazyLock::new(|| upsert_gazetteer("gazetteer_addresses", ADDRESS_COLUMNS));

/// OS Open UPRN: a position by UPRN. A known address keeps its words.
pub const UPSERT_UPRN_POSITION: &str = "INSERT INTO gazetteer_addresses (uprn, single_line, classification, lat, lon, revision) \
     VALUES ($1, '', 'other', $2, $3, $4) \
     ON CONFLICT (uprn) DO UPDATE SET lat = excluded.lat, lon = excluded.lon, revision = excluded.revision \
     WHERE gazetteer_addresses.lat IS DISTINCT FROM excluded.lat \
     OR gazetteer_addresses.lon IS DISTINCT FROM excluded.lon";

pub const STREET_COLUMNS: &str =
    "id, usrn, name, locality, town, lat, lon, min_lat, min_lon, max_lat, max_lon";

pub static UPSERT_STREET: LazyLock<String> =
    LazyLock::new(|| upsert_gazetteer("gazetteer_streets", STREET_COLUMNS));

/// Streets by USRN from their addresses; `$1` the revision.
pub const DERIVE_STREETS: &str = "INSERT INTO gazetteer_streets (id, usrn, name, locality, town, lat, lon, \
     min_lat, min_lon, max_lat, max_lon, revision) \
     SELECT 'usrn:' || CAST(usrn AS TEXT), usrn, MIN(street), MIN(locality), MIN(town), AVG(lat), AVG(lon), \
     MIN(lat), MIN(lon), MAX(lat), MAX(lon), CAST($1 AS BIGINT) \
     FROM gazetteer_addresses WHERE usrn IS NOT NULL AND street IS NOT NULL GROUP BY usrn \
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, locality = excluded.locality, town = excluded.town, \
     lat = excluded.lat, lon = excluded.lon, min_lat = excluded.min_lat, min_lon = excluded.min_lon, \
     max_lat = excluded.max_lat, max_lon = excluded.max_lon, revision = excluded.revision \
     WHERE gazetteer_streets.name IS DISTINCT FROM excluded.name \
     OR gazetteer_streets.locality IS DISTINCT FROM excluded.locality \
     OR gazetteer_streets.town IS DISTINCT FROM excluded.town \
     OR gazetteer_streets.min_lat IS DISTINCT FROM excluded.min_lat \
     OR gazetteer_streets.max_lat IS DISTINCT FROM excluded.max_lat \
     OR gazetteer_streets.min_lon IS DISTINCT FROM excluded.min_lon \
     OR gazetteer_streets.max_lon IS DISTINCT FROM excluded.max_lon";

pub const PLACE_COLUMNS: &str = "id, name, aliases, kind, locality, postcode_district, lat, lon";

pub static UPSERT_PLACE: LazyLock<String> =
    LazyLock::new(|| upsert_gazetteer("gazetteer_places", PLACE_COLUMNS));

pub const POSTCODE_COLUMNS: &str = "postcode, lat, lon";

pub static UPSERT_POSTCODE: LazyLock<String> =
    LazyLock::new(|| upsert_gazetteer("gazetteer_postcodes", POSTCODE_COLUMNS));

pub const GAZETTEER_REVISION: &str = "SELECT COALESCE(MAX(r), 0) AS revision FROM ( \
     SELECT MAX(revision) AS r FROM gazetteer_addresses UNION ALL \
     SELECT MAX(revision) AS r FROM gazetteer_streets UNION ALL \
     SELECT MAX(revision) AS r FROM gazetteer_places UNION ALL \
     SELECT MAX(revision) AS r FROM gazetteer_postcodes) AS revisions";

pub fn gazetteer_changes(table: &str, columns: &str) -> String {
    format!(
        "SELECT {columns} FROM {table} WHERE revision > $1 AND revision <= $2 ORDER BY revision"
    )
}

pub fn select_address() -> String {
    format!("SELECT {ADDRESS_COLUMNS} FROM gazetteer_addresses WHERE uprn = $1")
}

pub fn select_street() -> String {
    format!("SELECT {STREET_COLUMNS} FROM gazetteer_streets WHERE id = $1")
}

pub fn select_place() -> String {
    format!("SELECT {PLACE_COLUMNS} FROM gazetteer_places WHERE id = $1")
}

pub const SELECT_POSTCODE: &str =
    "SELECT postcode, lat, lon FROM gazetteer_postcodes WHERE postcode = $1";

/// Addresses (with words, not bare Open UPRN positions) inside the box `$1..$4` (min lat, min
/// lon, max lat, max lon), at most `$5`: the candidates for a handset location's circle.
pub fn addresses_within() -> String {
    format!(
        "SELECT {ADDRESS_COLUMNS} FROM gazetteer_addresses \
         WHERE lat BETWEEN $1 AND $3 AND lon BETWEEN $2 AND $4 AND single_line <> '' \
         ORDER BY uprn LIMIT $5"
    )
}

/// Streets with a USRN and an extent meeting the box `$1..$4` (min lat, min lon, max lat, max
/// lon), longest first, at most `$5`: what a map draws when it has no tiles.
pub fn streets_within() -> String {
    format!(
        "SELECT {STREET_COLUMNS} FROM gazetteer_streets \
         WHERE usrn IS NOT NULL AND min_lat IS NOT NULL \
         AND max_lat >= $1 AND min_lat <= $3 AND max_lon >= $2 AND min_lon <= $4 \
         ORDER BY (max_lat - min_lat) + (max_lon - min_lon) DESC, id LIMIT $5"
    )
}

/// The positions held for `count` UPRNs (`$1..$count`).
pub fn uprn_positions(count: usize) -> String {
    let list: Vec<String> = (1..=count).map(|n| format!("${n}")).collect();
    format!(
        "SELECT uprn, lat, lon FROM gazetteer_addresses WHERE uprn IN ({})",
        list.join(", ")
    )
}

/// The positions and house numbers of the addresses on `count` USRNs (`$1..$count`), at
/// most `$count+1` rows.
pub fn street_points(count: usize) -> String {
    let list: Vec<String> = (1..=count).map(|n| format!("${n}")).collect();
    format!(
        "SELECT usrn, number, lat, lon FROM gazetteer_addresses WHERE usrn IN ({}) \
         ORDER BY usrn, uprn LIMIT ${}",
        list.join(", "),
        count + 1
    )
}

pub const GAZETTEER_COUNTS: &str = "SELECT \
     (SELECT COUNT(*) FROM gazetteer_addresses) AS addresses, \
     (SELECT COUNT(*) FROM gazetteer_streets) AS streets, \
     (SELECT COUNT(*) FROM gazetteer_places) AS places, \
     (SELECT COUNT(*) FROM gazetteer_postcodes) AS postcodes";

/// Aliases are kept in one column, one per line (an alias never holds a line break).
pub fn join_aliases(aliases: &[String]) -> String {
    aliases
        .iter()
        .map(|a| a.replace(['\n', '\r'], " "))
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn split_aliases(column: &str) -> Vec<String> {
    column
        .split('\n')
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{Placeholders, RowsInsert};

    #[test]
    fn rows_go_in_runs_of_the_prepared_sizes_each_with_its_own_placeholders() {
        let insert = RowsInsert::new("t", "a, b", "ON CONFLICT (a) DO NOTHING");
        let rows: Vec<usize> = (0..347).collect();
        let runs: Vec<(&str, &[usize])> = insert.runs(Placeholders::Numbered, &rows).collect();
        let sizes: Vec<usize> = runs.iter().map(|(_, run)| run.len()).collect();
        assert_eq!(sizes, [256, 64, 16, 4, 4, 1, 1, 1]);
        let back: Vec<usize> = runs
            .iter()
            .flat_map(|(_, run)| run.iter().copied())
            .collect();
        assert_eq!(back, rows, "every row once, in order");
        let (one, _) = runs[7];
        assert_eq!(
            one,
            "INSERT INTO t (a, b) VALUES ($1, $2) ON CONFLICT (a) DO NOTHING"
        );
        let (four, _) = runs[3];
        assert_eq!(
            four,
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4), ($5, $6), ($7, $8) ON CONFLICT (a) DO NOTHING"
        );
        assert_eq!(insert.runs::<usize>(Placeholders::Numbered, &[]).count(), 0);
        let (bare, _) = insert.runs(Placeholders::Bare, &rows[..4]).next().unwrap();
        assert_eq!(
            bare,
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?), (?, ?), (?, ?) ON CONFLICT (a) DO NOTHING"
        );
    }

    #[test]
    fn a_gazetteer_upsert_sets_every_column_and_skips_an_unchanged_row() {
        assert_eq!(
            super::UPSERT_POSTCODE.as_str(),
            "INSERT INTO gazetteer_postcodes (postcode, lat, lon, revision) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (postcode) DO UPDATE SET lat = excluded.lat, lon = excluded.lon, \
             revision = excluded.revision WHERE gazetteer_postcodes.lat IS DISTINCT FROM excluded.lat \
             OR gazetteer_postcodes.lon IS DISTINCT FROM excluded.lon"
        );
    }
}
