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

/// Lower-case ASCII where the name allows it: accents come off by Unicode decomposition
/// (NFKD, then the combining marks dropped), so every accented Latin letter is folded, not
/// only the ones someone listed; the letters that do not decompose (ø, ł, ß, æ…) are spelt
/// as English-speaking call handlers would type them.
fn fold(word: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    let mut out = String::with_capacity(word.len());
    for c in word.nfkd().filter(|c| !is_combining_mark(*c)) {
        match c {
            'ø' | 'Ø' => out.push('o'),
            'ł' | 'Ł' => out.push('l'),
            'đ' | 'Đ' | 'ð' | 'Ð' => out.push('d'),
            'ı' => out.push('i'),
            'ß' => out.push_str("ss"),
            'æ' | 'Æ' => out.push_str("ae"),
            'œ' | 'Œ' => out.push_str("oe"),
            'þ' | 'Þ' => out.push_str("th"),
            other => out.extend(other.to_lowercase()),
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_and_letters_without_decomposition_are_folded() {
        assert_eq!(words("Zoë Ñúñez-Brontë"), vec!["zoe", "nunez", "bronte"]);
        assert_eq!(words("Søren Łukasz Weiß"), vec!["soren", "lukasz", "weiss"]);
        assert_eq!(
            words("Ægir Œuvre Þór Đorđe"),
            vec!["aegir", "oeuvre", "thor", "dorde"]
        );
        assert_eq!(
            words("Ştefan Çelik Ľubomír"),
            vec!["stefan", "celik", "lubomir"]
        );
        assert_eq!(words("O'Neill"), vec!["oneill"]);
    }
}
