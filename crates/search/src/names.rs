//! Names: words, sounds and closeness. Double Metaphone (Lawrence Philips, 2000) gives the
//! sound of a word, so Smith and Smyth, Mohammed and Muhammad share a code; Jaro-Winkler
//! similarity ranks the candidates and says how close each is.

use rphonetic::DoubleMetaphone;
use std::sync::OnceLock;

/// Lower-case, accent-free words of a name.
pub(crate) fn words(name: &str) -> Vec<String> {
    name.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(|w| fold(&w.replace('\'', "")))
        .filter(|w| !w.is_empty())
        .collect()
}

fn fold(word: &str) -> String {
    word.chars()
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' | 'À' | 'Á' | 'Â' | 'Ä' | 'Ã' | 'Å' => {
                'a'
            }
            'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
            'ò' | 'ó' | 'ô' | 'ö' | 'õ' | 'Ò' | 'Ó' | 'Ô' | 'Ö' | 'Õ' => 'o',
            'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'u',
            'ç' | 'Ç' => 'c',
            'ñ' | 'Ñ' => 'n',
            other => other.to_ascii_lowercase(),
        })
        .collect()
}

fn metaphone() -> &'static DoubleMetaphone {
    static ENCODER: OnceLock<DoubleMetaphone> = OnceLock::new();
    ENCODER.get_or_init(DoubleMetaphone::default)
}

/// The Double Metaphone codes (primary and alternate) of every word of a name, prefixed so
/// that codes of different words cannot be confused with other terms.
pub fn phonetic_codes(name: &str) -> Vec<String> {
    let mut codes = Vec::new();
    for word in words(name) {
        let result = metaphone().double_metaphone(&word);
        for code in [result.primary(), result.alternate()] {
            if !code.is_empty() {
                let code = format!("dm:{code}");
                if !codes.contains(&code) {
                    codes.push(code);
                }
            }
        }
    }
    codes
}

/// How close `query` is to the best of `known` names, and why, for the handler.
pub(crate) fn explain(query: &str, known: &[String]) -> (f64, Vec<String>) {
    let q = words(query).join(" ");
    let mut best = (0.0_f64, String::new());
    for name in known {
        let candidate = words(name).join(" ");
        let score = strsim::jaro_winkler(&q, &candidate);
        if score > best.0 {
            best = (score, name.clone());
        }
    }
    let mut reasons = Vec::new();
    let candidate = words(&best.1).join(" ");
    if candidate == q {
        reasons.push("exact name".to_owned());
    } else {
        let q_codes = phonetic_codes(query);
        if q_codes.iter().all(|c| phonetic_codes(&best.1).contains(c)) {
            reasons.push(format!("sounds like {}", best.1));
        }
        let edits = strsim::damerau_levenshtein(&q, &candidate);
        if edits <= 2 {
            reasons.push(format!(
                "{edits} letter{} different from {}",
                if edits == 1 { "" } else { "s" },
                best.1
            ));
        }
        if reasons.is_empty() {
            reasons.push(format!("similar to {}", best.1));
        }
    }
    (best.0, reasons)
}
