//! Address search as you type: the gazetteer's addresses, streets, named places (and their
//! aliases) and postcodes, found by house number, flat, full or partial postcode, words with
//! typos, a street alone or a place's name; best first, each with why it matched.
//!
//! A separate index (its own folder) from the intelligence index, on purpose: the
//! intelligence index follows the audit log (its commits carry the last audit sequence, and
//! `reindex` deletes every document it holds), while the gazetteer is bulk reference data
//! that follows the gazetteer tables' revisions; millions of addresses would also slow every
//! intelligence query and commit, and each can now be rebuilt without the other.

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, Value};
use tantivy::tokenizer::{AsciiFoldingFilter, LowerCaser, SimpleTokenizer, TextAnalyzer};
use tantivy::{Index, IndexReader, IndexWriter, TantivyDocument, Term};

use crate::{SearchError, SearchResult};

/// A gazetteer entry to index, already normalised by the domain.
#[derive(Debug, Clone, PartialEq)]
pub enum PlaceDoc {
    Address {
        uprn: i64,
        label: String,
        /// Flat or building ("Flat 2").
        building: Option<String>,
        /// Street number ("10", "10A").
        number: Option<String>,
        postcode: Option<String>,
        lat: f64,
        lon: f64,
    },
    Street {
        id: String,
        label: String,
        lat: f64,
        lon: f64,
    },
    Place {
        id: String,
        label: String,
        aliases: Vec<String>,
        kind: String,
        lat: f64,
        lon: f64,
    },
    Postcode {
        postcode: String,
        lat: f64,
        lon: f64,
    },
}

/// What every entry has: its kind, key (UPRN, street or place id, postcode), label and
/// position.
struct Common<'a> {
    kind: &'static str,
    key: String,
    label: &'a str,
    lat: f64,
    lon: f64,
}

impl PlaceDoc {
    fn common(&self) -> Common<'_> {
        let (kind, key, label, lat, lon) = match self {
            Self::Address {
                uprn,
                label,
                lat,
                lon,
                ..
            } => ("address", uprn.to_string(), label, lat, lon),
            Self::Street {
                id,
                label,
                lat,
                lon,
            } => ("street", id.clone(), label, lat, lon),
            Self::Place {
                id,
                label,
                lat,
                lon,
                ..
            } => ("place", id.clone(), label, lat, lon),
            Self::Postcode { postcode, lat, lon } => {
                ("postcode", postcode.clone(), postcode, lat, lon)
            }
        };
        Common {
            kind,
            key,
            label,
            lat: *lat,
            lon: *lon,
        }
    }

    fn id(&self) -> String {
        let Common { kind, key, .. } = self.common();
        format!("{kind}:{key}")
    }
}

/// One suggestion.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaceHit {
    /// `address`, `street`, `place` or `postcode`.
    pub kind: String,
    pub uprn: Option<i64>,
    /// The street or place id, or the postcode.
    pub key: String,
    pub label: String,
    pub lat: f64,
    pub lon: f64,
    /// 0 to 1: how well it matches (1 is every word exactly, nothing else).
    pub score: f64,
    /// Why it matched, in words.
    pub reasons: Vec<String>,
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    kind: Field,
    label: Field,
    words: Field,
    number: Field,
    building: Field,
    postcode: Field,
    alias: Field,
    place_kind: Field,
    uprn: Field,
    key: Field,
    lat: Field,
    lon: Field,
}

const WORDS: &str = "gazetteer_words";

/// Words a caller says that do not name the place: they may match, they need not.
const OPTIONAL: &[&str] = &[
    "flat",
    "apartment",
    "apt",
    "unit",
    "the",
    "of",
    "on",
    "at",
    "in",
    "near",
    "by",
    "and",
    "opposite",
    "outside",
    "behind",
    "house",
];

/// Common abbreviations, both ways.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("rd", "road"),
    ("st", "street"),
    ("ln", "lane"),
    ("ave", "avenue"),
    ("av", "avenue"),
    ("cres", "crescent"),
    ("dr", "drive"),
    ("gr", "grove"),
    ("gdns", "gardens"),
    ("pl", "place"),
    ("sq", "square"),
    ("ter", "terrace"),
    ("tce", "terrace"),
    ("ct", "court"),
    ("cl", "close"),
    ("mt", "mount"),
];

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let words = crate::words_field(WORDS);
    let f = Fields {
        id: b.add_text_field("id", STRING),
        kind: b.add_text_field("kind", STRING | STORED),
        label: b.add_text_field("label", STORED),
        words: b.add_text_field("words", words),
        number: b.add_text_field("number", STORED),
        building: b.add_text_field("building", STORED),
        postcode: b.add_text_field("postcode", STRING | STORED),
        alias: b.add_text_field("alias", STORED),
        place_kind: b.add_text_field("place_kind", STORED),
        uprn: b.add_i64_field("uprn", INDEXED | STORED),
        key: b.add_text_field("key", STORED),
        lat: b.add_f64_field("lat", STORED),
        lon: b.add_f64_field("lon", STORED),
    };
    (b.build(), f)
}

fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// The words of `text` as the index keeps them (lower case, accents folded).
pub fn words(text: &str) -> Vec<String> {
    let mut analyzer = analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while let Some(token) = stream.next() {
        out.push(token.text.clone());
    }
    out
}

#[derive(serde::Serialize, serde::Deserialize)]
struct CommitPayload {
    applied_revision: i64,
}

pub struct GazetteerIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    applied: AtomicI64,
    f: Fields,
}

/// Writer memory: bulk loads of millions of addresses commit in a few large segments.
const WRITER_BUDGET: usize = 200_000_000;

/// Candidates read before ranking by our own rules.
const CANDIDATES: usize = 60;

impl GazetteerIndex {
    /// Open (or create) the index in `folder`, or in memory when `None`.
    pub fn open(folder: Option<&Path>) -> SearchResult<Self> {
        let (schema, f) = schema();
        let (index, budget) = match folder {
            None => (Index::create_in_ram(schema), 30_000_000),
            Some(dir) => (
                Index::open_or_create(crate::folder_directory(dir)?, schema)?,
                WRITER_BUDGET,
            ),
        };
        index.tokenizers().register(WORDS, analyzer());
        let (payload, writer, reader) = crate::open_parts::<CommitPayload>(&index, budget)?;
        let applied = payload.map_or(0, |p| p.applied_revision);
        Ok(Self {
            index,
            reader,
            writer: Mutex::new(writer),
            applied: AtomicI64::new(applied),
            f,
        })
    }

    /// The last gazetteer revision the committed index holds.
    pub fn applied_revision(&self) -> i64 {
        self.applied.load(Ordering::SeqCst)
    }

    /// Add or replace `docs` and commit, recording that every revision up to `revision` is in.
    pub fn apply(&self, docs: &[PlaceDoc], revision: i64) -> SearchResult<()> {
        let mut writer = self
            .writer
            .lock()
            .map_err(|e| SearchError::Poisoned(e.to_string()))?;
        for doc in docs {
            writer.delete_term(Term::from_field_text(self.f.id, &doc.id()));
            writer.add_document(self.document(doc))?;
        }
        let revision = revision.max(self.applied_revision());
        let payload = serde_json::to_string(&CommitPayload {
            applied_revision: revision,
        })
        .map_err(|e| SearchError::Poisoned(e.to_string()))?;
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        self.applied.store(revision, Ordering::SeqCst);
        self.reader.reload()?;
        Ok(())
    }

    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The underlying tantivy index, for its statistics.
    pub fn index(&self) -> &Index {
        &self.index
    }

    fn document(&self, doc: &PlaceDoc) -> TantivyDocument {
        let f = self.f;
        let mut d = TantivyDocument::default();
        d.add_text(f.id, doc.id());
        let postcode_words = |d: &mut TantivyDocument, pc: &str| {
            d.add_text(f.postcode, pc);
            // "LS83AA" as typed without its space, and the sector "LS83" ("LS8 3" typed so
            // far), so a partial postcode is one term, not every word starting with "3".
            let compact = pc.replace(' ', "");
            d.add_text(f.words, &compact);
            if compact.len() > 2 {
                d.add_text(f.words, &compact[..compact.len() - 2]);
            }
        };
        let Common {
            kind,
            key,
            label,
            lat,
            lon,
        } = doc.common();
        d.add_text(f.kind, kind);
        d.add_text(f.label, label);
        d.add_text(f.words, label);
        d.add_text(f.key, key);
        d.add_f64(f.lat, lat);
        d.add_f64(f.lon, lon);
        match doc {
            PlaceDoc::Address {
                uprn,
                building,
                number,
                postcode,
                ..
            } => {
                d.add_i64(f.uprn, *uprn);
                if let Some(n) = number {
                    d.add_text(f.number, n);
                }
                if let Some(b) = building {
                    d.add_text(f.building, b);
                }
                if let Some(pc) = postcode {
                    postcode_words(&mut d, pc);
                }
            }
            PlaceDoc::Street { .. } => {}
            PlaceDoc::Place { aliases, kind, .. } => {
                for alias in aliases {
                    d.add_text(f.alias, alias);
                    d.add_text(f.words, alias);
                }
                d.add_text(f.place_kind, kind);
            }
            PlaceDoc::Postcode { postcode, .. } => postcode_words(&mut d, postcode),
        }
        d
    }

    fn term(&self, word: &str) -> Term {
        Term::from_field_text(self.f.words, word)
    }

    /// The alternatives one typed word may match.
    fn word_query(&self, word: &str, partial: bool) -> Box<dyn Query> {
        let exact: Box<dyn Query> = Box::new(BoostQuery::new(
            Box::new(TermQuery::new(
                self.term(word),
                IndexRecordOption::WithFreqs,
            )),
            3.0,
        ));
        let mut alternatives: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Should, exact)];
        let numeric = word.chars().next().is_some_and(|c| c.is_ascii_digit());
        let length = word.chars().count();
        if partial {
            // As you type: the last word may be the start of one (a number too: "1" of "14").
            let typo =
                usize::from(!numeric && length >= 5 && !word.chars().any(|c| c.is_ascii_digit()));
            alternatives.push((
                Occur::Should,
                Box::new(FuzzyTermQuery::new_prefix(
                    self.term(word),
                    typo as u8,
                    true,
                )),
            ));
        } else if !numeric && length >= 4 && !word.chars().any(|c| c.is_ascii_digit()) {
            // Nor is a postcode ("ls83aa" is not "ls83ab").
            // A house number is never "nearly" right: a wrong number is another house.
            let distance = if length >= 8 { 2 } else { 1 };
            alternatives.push((
                Occur::Should,
                Box::new(FuzzyTermQuery::new(self.term(word), distance, true)),
            ));
        }
        for (short, long) in ABBREVIATIONS {
            let other = if word == *short {
                Some(*long)
            } else if word == *long {
                Some(*short)
            } else {
                None
            };
            if let Some(other) = other {
                alternatives.push((
                    Occur::Should,
                    Box::new(TermQuery::new(self.term(other), IndexRecordOption::Basic)),
                ));
            }
        }
        Box::new(BooleanQuery::new(alternatives))
    }

    fn candidates(
        &self,
        searcher: &tantivy::Searcher,
        typed: &[(String, bool)],
        skip_numbers: bool,
    ) -> SearchResult<Vec<TantivyDocument>> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut required = 0;
        for (word, partial) in typed {
            let numeric = word.chars().next().is_some_and(|c| c.is_ascii_digit());
            if skip_numbers && numeric && !looks_like_postcode_part(word) {
                continue;
            }
            let occur = if OPTIONAL.contains(&word.as_str()) && !*partial {
                Occur::Should
            } else {
                required += 1;
                Occur::Must
            };
            clauses.push((occur, self.word_query(word, *partial)));
        }
        if required == 0 {
            return Ok(Vec::new());
        }
        let top = searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(CANDIDATES).order_by_score(),
        )?;
        top.into_iter()
            .map(|(_, address)| searcher.doc(address).map_err(SearchError::from))
            .collect()
    }

    /// Suggestions for what the handler has typed so far, best first. The last word counts as
    /// the start of a word unless the text ends with a space. Nothing found with every word:
    /// the street without the house number ("no number 99 on record").
    pub fn search(&self, text: &str, limit: usize) -> SearchResult<Vec<PlaceHit>> {
        let all = words(text);
        if all.is_empty() {
            return Ok(Vec::new());
        }
        let ends_open = !text.ends_with(char::is_whitespace);
        let mut typed: Vec<(String, bool)> = all
            .iter()
            .enumerate()
            .map(|(i, w)| (w.clone(), ends_open && i + 1 == all.len()))
            .collect();
        // "LS8 3" or "LS8 3A" being typed: one postcode, not an outward code and a number.
        if typed.len() >= 2 {
            let (last, partial) = typed[typed.len() - 1].clone();
            let outward = &typed[typed.len() - 2].0;
            let inward_start = last.len() <= 2
                && last.chars().next().is_some_and(|c| c.is_ascii_digit())
                && last.chars().skip(1).all(|c| c.is_ascii_alphabetic());
            if partial && inward_start && is_outward_code(outward) {
                let joined = format!("{outward}{last}");
                typed.truncate(typed.len() - 2);
                typed.push((joined, true));
            }
        }
        let searcher = self.reader.searcher();
        let mut docs = self.candidates(&searcher, &typed, false)?;
        let mut missing_number = None;
        if docs.is_empty() {
            let numbers: Vec<&String> = all
                .iter()
                .filter(|w| {
                    w.chars().next().is_some_and(|c| c.is_ascii_digit())
                        && !looks_like_postcode_part(w)
                })
                .collect();
            if !numbers.is_empty() {
                docs = self.candidates(&searcher, &typed, true)?;
                missing_number = numbers.first().map(|n| (*n).clone());
            }
        }
        let mut hits: Vec<PlaceHit> = docs
            .iter()
            .map(|doc| self.rank(doc, &typed, missing_number.as_deref()))
            .collect();
        if missing_number.is_some() {
            // Without its number an address is only a guess: offer the street first.
            hits.retain(|h| h.kind != "address" || h.score > 0.0);
        }
        hits.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.label.len().cmp(&b.label.len()))
                .then_with(|| a.label.cmp(&b.label))
        });
        hits.truncate(limit);
        Ok(hits)
    }

    fn text(doc: &TantivyDocument, field: Field) -> Option<String> {
        doc.get_first(field)
            .and_then(|v| v.as_str().map(str::to_owned))
    }

    /// Our own ranking of one candidate: each typed word found exactly, as the start of a
    /// word, through an abbreviation or with a typo; the house and flat number; the kind of
    /// entry; and how much of it was not asked for.
    fn rank(
        &self,
        doc: &TantivyDocument,
        typed: &[(String, bool)],
        missing_number: Option<&str>,
    ) -> PlaceHit {
        let f = self.f;
        let kind = Self::text(doc, f.kind).unwrap_or_default();
        let label = Self::text(doc, f.label).unwrap_or_default();
        let aliases: Vec<String> = doc
            .get_all(f.alias)
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        let label_words = words(&label);
        let mut doc_words: Vec<String> = label_words.clone();
        for alias in &aliases {
            doc_words.extend(words(alias));
        }
        let postcode = Self::text(doc, f.postcode);
        if let Some(pc) = &postcode {
            doc_words.push(pc.replace(' ', "").to_lowercase());
        }
        let number = Self::text(doc, f.number).map(|n| n.to_lowercase());
        let building = Self::text(doc, f.building).map(|b| words(&b));
        let mut reasons = Vec::new();
        let mut points: f64 = 0.0;
        let mut counted: f64 = 0.0;
        let mut used = vec![false; doc_words.len()];
        for (word, partial) in typed {
            let optional = OPTIONAL.contains(&word.as_str()) && !*partial;
            if !optional {
                counted += 1.0;
            }
            let found = doc_words.iter().enumerate().find_map(|(i, w)| {
                if used[i] {
                    return None;
                }
                if w == word {
                    return Some((i, 1.0, None));
                }
                if ABBREVIATIONS
                    .iter()
                    .any(|(s, l)| (s == word && l == w) || (l == word && s == w))
                {
                    return Some((i, 0.95, None));
                }
                if *partial && w.starts_with(word.as_str()) {
                    return Some((i, 0.85, None));
                }
                None
            });
            let found = found.or_else(|| {
                // A typo: the closest word by edit distance, for the reason given.
                doc_words
                    .iter()
                    .enumerate()
                    .filter(|(i, w)| {
                        !used[*i] && !w.chars().next().is_some_and(|c| c.is_ascii_digit())
                    })
                    .map(|(i, w)| {
                        let compared = if *partial && w.len() > word.len() {
                            w.chars().take(word.chars().count()).collect::<String>()
                        } else {
                            w.clone()
                        };
                        (i, strsim::damerau_levenshtein(word, &compared))
                    })
                    .filter(|(_, d)| *d <= 2 && word.chars().count() >= 4)
                    .min_by_key(|(_, d)| *d)
                    .map(|(i, d)| {
                        (
                            i,
                            if d == 1 { 0.7 } else { 0.55 },
                            Some(format!("'{word}' read as '{}'", doc_words[i])),
                        )
                    })
            });
            if let Some((i, weight, reason)) = found {
                used[i] = true;
                if !optional {
                    points += weight;
                }
                if let Some(r) = reason {
                    reasons.push(r);
                }
            }
        }
        let numbers: Vec<&String> = typed
            .iter()
            .map(|(w, _)| w)
            .filter(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))
            .collect();
        if let Some(n) = &number
            && numbers.contains(&n)
        {
            points += 0.5;
            reasons.insert(0, format!("house number {n}"));
        }
        if let Some(b) = &building
            && b.iter().any(|w| numbers.contains(&w))
            && numbers
                .iter()
                .any(|w| Some(String::as_str(w)) != number.as_deref())
        {
            reasons.insert(
                0,
                format!(
                    "flat or unit {}",
                    Self::text(doc, f.building).unwrap_or_default()
                ),
            );
        }
        if let Some(pc) = &postcode {
            let compact = pc.replace(' ', "").to_lowercase();
            let outward = pc.split(' ').next().unwrap_or_default().to_lowercase();
            let typed_compact: String = typed.iter().map(|(w, _)| w.as_str()).collect();
            if typed_compact.contains(&compact) {
                reasons.push(format!("postcode {pc}"));
            } else if typed
                .iter()
                .any(|(w, p)| *p && w.len() > outward.len() && compact.starts_with(w.as_str()))
            {
                reasons.push(format!("postcode {pc} begins with what was typed"));
            } else if typed.iter().any(|(w, _)| *w == outward) {
                reasons.push(format!(
                    "postcode district {outward}",
                    outward = outward.to_uppercase()
                ));
            }
        }
        match kind.as_str() {
            "street" => reasons.push("street".into()),
            "postcode" => reasons.push("postcode centroid".into()),
            "place" => {
                let kind = Self::text(doc, f.place_kind).unwrap_or_default();
                let by_alias = aliases.iter().find(|a| {
                    let aw = words(a);
                    typed.iter().all(|(w, p)| {
                        OPTIONAL.contains(&w.as_str()) || aw.iter().any(|x| same_word(w, x, *p))
                    })
                });
                match by_alias {
                    Some(alias) => reasons.push(format!("{kind} also called '{alias}'")),
                    None => reasons.push(format!("named place ({kind})")),
                }
            }
            _ => {}
        }
        if let Some(n) = missing_number {
            reasons.push(format!("no number {n} on record here"));
        }
        // What the entry holds beyond what was typed counts a little against it, so
        // "14 Harehills Lane" comes before "Flat 2, 14 Harehills Lane".
        let unasked = used.iter().take(label_words.len()).filter(|u| !**u).count() as f64;
        // A street typed without a house number ("harehills lane") means the street: each
        // numbered house on it is only a guess at which door, so the street comes first.
        let number_not_typed = kind == "address" && number.is_some() && numbers.is_empty();
        if number_not_typed {
            reasons.push("no house number typed".into());
        }
        let kind_weight = match kind.as_str() {
            "address" if number_not_typed => 0.85,
            "address" => 1.0,
            "place" => 0.97,
            "street" => 0.95,
            _ => 0.9,
        };
        let raw = (points / (counted + 0.5).max(1.0)) * kind_weight - unasked * 0.01;
        let score = if missing_number.is_some() && kind == "address" {
            0.0
        } else {
            raw.clamp(0.0, 1.0)
        };
        if reasons.is_empty() {
            reasons.push("every word".into());
        }
        PlaceHit {
            uprn: doc.get_first(f.uprn).and_then(|v| v.as_i64()),
            key: Self::text(doc, f.key).unwrap_or_default(),
            lat: doc
                .get_first(f.lat)
                .and_then(|v| v.as_f64())
                .unwrap_or_default(),
            lon: doc
                .get_first(f.lon)
                .and_then(|v| v.as_f64())
                .unwrap_or_default(),
            kind,
            label,
            score: (score * 1000.0).round() / 1000.0,
            reasons,
        }
    }
}

/// "ls8", "ls17", "w1a", "ec1v": a postcode's outward code.
fn is_outward_code(word: &str) -> bool {
    let letters = word.chars().take_while(|c| c.is_ascii_alphabetic()).count();
    let rest: Vec<char> = word.chars().skip(letters).collect();
    (1..=2).contains(&letters)
        && (1..=3).contains(&rest.len())
        && rest.first().is_some_and(|c| c.is_ascii_digit())
        && rest.iter().all(|c| c.is_ascii_alphanumeric())
}

/// The typed word is this word, its abbreviation (or the other way round), or, while typing,
/// its start.
fn same_word(typed: &str, word: &str, partial: bool) -> bool {
    typed == word
        || ABBREVIATIONS
            .iter()
            .any(|(s, l)| (*s == typed && *l == word) || (*l == typed && *s == word))
        || (partial && word.starts_with(typed))
}

/// "3aa" of "LS8 3AA", or "ls8": digits and letters that are part of a postcode, not a
/// house number.
fn looks_like_postcode_part(word: &str) -> bool {
    let mut chars = word.chars();
    let first_digit = chars.next().is_some_and(|c| c.is_ascii_digit());
    let rest: String = chars.collect();
    (first_digit && rest.len() == 2 && rest.chars().all(|c| c.is_ascii_alphabetic()))
        || word.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(uprn: i64, label: &str, building: Option<&str>, number: &str, pc: &str) -> PlaceDoc {
        PlaceDoc::Address {
            uprn,
            label: label.into(),
            building: building.map(str::to_owned),
            number: Some(number.into()),
            postcode: Some(pc.into()),
            lat: 53.81,
            lon: -1.5,
        }
    }

    fn index() -> GazetteerIndex {
        let index = GazetteerIndex::open(None).unwrap();
        index
            .apply(
                &[
                    address(1, "10 Harehills Lane, Leeds LS8 3AA", None, "10", "LS8 3AA"),
                    address(
                        2,
                        "Flat 2, 10 Harehills Lane, Leeds LS8 3AA",
                        Some("Flat 2"),
                        "10",
                        "LS8 3AA",
                    ),
                    address(3, "14 Harehills Lane, Leeds LS8 3AB", None, "14", "LS8 3AB"),
                    address(
                        4,
                        "Flat 10, 2 Harehills Avenue, Leeds LS8 4EU",
                        Some("Flat 10"),
                        "2",
                        "LS8 4EU",
                    ),
                    address(5, "14 Roundhay Road, Leeds LS7 1AB", None, "14", "LS7 1AB"),
                    PlaceDoc::Street {
                        id: "usrn:1".into(),
                        label: "Harehills Lane, Harehills, Leeds".into(),
                        lat: 53.81,
                        lon: -1.5,
                    },
                    PlaceDoc::Place {
                        id: "p1".into(),
                        label: "Co-operative Food, Roundhay Road".into(),
                        aliases: vec!["the Co-op on Roundhay Road".into()],
                        kind: "Supermarket".into(),
                        lat: 53.81,
                        lon: -1.52,
                    },
                    PlaceDoc::Place {
                        id: "p2".into(),
                        label: "Roundhay Park".into(),
                        aliases: vec![],
                        kind: "Park".into(),
                        lat: 53.84,
                        lon: -1.49,
                    },
                    PlaceDoc::Postcode {
                        postcode: "LS8 3AA".into(),
                        lat: 53.8135,
                        lon: -1.5004,
                    },
                ],
                7,
            )
            .unwrap();
        index
    }

    fn labels(hits: &[PlaceHit]) -> Vec<&str> {
        hits.iter().map(|h| h.label.as_str()).collect()
    }

    /// Asserts that one of the hit's reasons passes `test`, showing the hit if none does.
    fn assert_reason(hit: &PlaceHit, test: impl Fn(&str) -> bool) {
        assert!(hit.reasons.iter().any(|r| test(r)), "{hit:?}");
    }

    /// Asserts that the hit's first reason passes `test`, showing the hit if it does not.
    fn assert_first_reason(hit: &PlaceHit, test: impl Fn(&str) -> bool) {
        assert!(test(&hit.reasons[0]), "{hit:?}");
    }

    #[test]
    fn a_house_number_and_street_finds_that_house_first() {
        let index = index();
        assert_eq!(index.applied_revision(), 7);
        let hits = index.search("14 harehills lane", 5).unwrap();
        assert_eq!(hits[0].label, "14 Harehills Lane, Leeds LS8 3AB");
        assert_eq!(hits[0].uprn, Some(3));
        assert_reason(&hits[0], |r| r == "house number 14");
        assert!(!labels(&hits).contains(&"14 Roundhay Road, Leeds LS7 1AB"));
        let hits = index.search("10 Harehills Lane", 5).unwrap();
        assert_eq!(
            hits[0].uprn,
            Some(1),
            "the house before its flats: {hits:?}"
        );
        assert_eq!(hits[1].uprn, Some(2));
    }

    #[test]
    fn flats_are_found_by_flat_and_house_number() {
        let hits = index().search("Flat 2, 10 Harehills", 5).unwrap();
        assert_eq!(hits[0].uprn, Some(2), "{hits:?}");
        assert_first_reason(&hits[0], |r| r.starts_with("flat or unit Flat 2"));
    }

    #[test]
    fn as_you_type_the_last_word_is_the_start_of_one() {
        let hits = index().search("14 hareh", 5).unwrap();
        assert_eq!(hits[0].uprn, Some(3), "{hits:?}");
    }

    #[test]
    fn misspellings_are_forgiven_and_said() {
        let hits = index().search("14 Harehils Lane ", 5).unwrap();
        assert_eq!(hits[0].uprn, Some(3), "{hits:?}");
        assert_reason(&hits[0], |r| r == "'harehils' read as 'harehills'");
    }

    #[test]
    fn full_and_partial_postcodes() {
        let index = index();
        let hits = index.search("LS8 3AA", 5).unwrap();
        assert!(hits.iter().all(|h| h.label.contains("LS8 3AA")), "{hits:?}");
        assert!(hits.iter().any(|h| h.kind == "postcode"));
        assert_reason(&hits[0], |r| r == "postcode LS8 3AA");
        let hits = index.search("ls83aa ", 5).unwrap();
        assert!(!hits.is_empty() && hits.iter().all(|h| h.label.contains("LS8 3AA")));
        let hits = index.search("LS8 3", 10).unwrap();
        assert!(hits.iter().all(|h| h.label.contains("LS8 3")), "{hits:?}");
        assert_reason(&hits[0], |r| r.ends_with("begins with what was typed"));
        assert!(hits.len() >= 4);
    }

    #[test]
    fn a_street_alone_and_a_number_not_on_record_offer_the_street() {
        let index = index();
        let hits = index.search("harehills lane", 5).unwrap();
        assert_eq!(
            hits[0].label, "Harehills Lane, Harehills, Leeds",
            "{hits:?}"
        );
        assert_eq!(hits[0].kind, "street");
        assert!(
            hits.iter()
                .filter(|h| h.kind == "address")
                .all(|h| h.reasons.contains(&"no house number typed".to_owned())),
            "{hits:?}"
        );
        let hits = index.search("99 Harehills Lane", 5).unwrap();
        assert_eq!(hits[0].kind, "street", "{hits:?}");
        assert_reason(&hits[0], |r| r == "no number 99 on record here");
    }

    #[test]
    fn named_places_and_their_aliases() {
        let index = index();
        let hits = index.search("roundhay park", 5).unwrap();
        assert_eq!(hits[0].label, "Roundhay Park");
        assert_eq!(hits[0].reasons, vec!["named place (Park)"]);
        let hits = index.search("the co-op on roundhay rd", 5).unwrap();
        assert_eq!(hits[0].key, "p1", "{hits:?}");
        assert_first_reason(&hits[0], |r| {
            r.contains("also called 'the Co-op on Roundhay Road'")
        });
    }

    #[test]
    fn a_replaced_entry_is_not_found_twice() {
        let index = index();
        index
            .apply(
                &[address(
                    3,
                    "14 Harehills Lane, Leeds LS8 3AB",
                    None,
                    "14",
                    "LS8 3AB",
                )],
                8,
            )
            .unwrap();
        let hits = index.search("14 harehills lane", 10).unwrap();
        assert_eq!(hits.iter().filter(|h| h.uprn == Some(3)).count(), 1);
        assert_eq!(index.applied_revision(), 8);
        assert!(index.search("   ", 5).unwrap().is_empty());
    }
}
