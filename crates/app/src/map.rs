//! The map: where its tiles come from (a tile server the force names, a tile file this server
//! reads, or none), and, with none, the gazetteer's streets drawn as lines so the map is still
//! a map. The gazetteer holds no street geometry, so a street's line is derived from its
//! addresses: ordered along the street's longer axis and smoothed in small groups (houses
//! either side of the road average to its middle).

use crate::{Actor, App, AppError};
use controlroom_domain::Invalid;
use controlroom_domain::roles::Permission;
use controlroom_store::{StreetPoint, TileSource};
use std::collections::HashMap;
use std::sync::Arc;

/// Where the map's tiles come from.
#[derive(Debug, Clone, Default)]
pub struct MapSettings {
    /// A tile server's XYZ template, e.g. `https://tiles.force.example/{z}/{x}/{y}.png`.
    pub tiles_url: Option<String>,
    /// A tile file this server serves at `/tiles/{z}/{x}/{y}`.
    pub tiles_file: Option<Arc<dyn TileSource>>,
    /// Credit shown on the map (the tile file's own when it has one and this is not set).
    pub attribution: Option<String>,
}

impl MapSettings {
    /// The template the console asks tiles from, or `None` (draw the streets instead).
    pub fn template(&self) -> Option<String> {
        if self.tiles_file.is_some() {
            Some(TILES_PATH.to_owned())
        } else {
            self.tiles_url.clone()
        }
    }

    pub fn attribution(&self) -> Option<String> {
        self.attribution.clone().or_else(|| {
            self.tiles_file
                .as_ref()
                .and_then(|f| f.attribution().map(str::to_owned))
        })
    }

    /// The origin images may come from besides this server (for the Content-Security-Policy).
    pub fn tile_origin(&self) -> Option<String> {
        if self.tiles_file.is_some() {
            return None;
        }
        self.tiles_url
            .as_deref()
            .and_then(|u| check_template(u).ok())
    }
}

/// Where this server serves a tile file's tiles.
pub const TILES_PATH: &str = "/tiles/{z}/{x}/{y}";

/// Check a tile server's URL template and answer its origin (`https://host[:port]`): http or
/// https, a plain host name, and `{z}`, `{x}` and `{y}` in the path.
pub fn check_template(url: &str) -> Result<String, String> {
    let rest = url
        .strip_prefix("https://")
        .map(|r| ("https://", r))
        .or_else(|| url.strip_prefix("http://").map(|r| ("http://", r)));
    let Some((scheme, rest)) = rest else {
        return Err(format!(
            "the map tiles URL must start with https:// (or http://): {url}"
        ));
    };
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !host_ok {
        return Err(format!(
            "the map tiles URL has no plain host name (letters, digits, dots, hyphens, a port): {url}"
        ));
    }
    for part in ["{z}", "{x}", "{y}"] {
        if !path.contains(part) {
            return Err(format!(
                "the map tiles URL must hold {{z}}, {{x}} and {{y}} in its path, e.g. https://tiles.example/{{z}}/{{x}}/{{y}}.png: {url}"
            ));
        }
    }
    if path
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '\'')
    {
        return Err(format!("the map tiles URL holds spaces or quotes: {url}"));
    }
    Ok(format!("{scheme}{host}"))
}

/// The largest box, in degrees of latitude and of longitude, the streets are asked for.
pub const MAX_SPAN_DEGREES: f64 = 0.5;
/// Streets answered at most (the longest first).
pub const MAX_STREETS: i64 = 400;
/// Address points read at most for one answer.
const MAX_POINTS: i64 = 40_000;
/// Points in one street's line at most.
pub const MAX_LINE_POINTS: usize = 24;

/// One street to draw: its name and a line through its addresses.
#[derive(Debug, Clone, PartialEq)]
pub struct StreetLine {
    pub id: String,
    pub name: String,
    /// (lat, lon), from one end to the other.
    pub points: Vec<(f64, f64)>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct StreetMap {
    pub streets: Vec<StreetLine>,
    /// More streets lie in the box than were answered (the shortest left out).
    pub truncated: bool,
}

/// A box on the map, checked: finite, south-west below north-east, not too large.
pub fn check_box(min_lat: f64, min_lon: f64, max_lat: f64, max_lon: f64) -> Result<(), Invalid> {
    let all = [min_lat, min_lon, max_lat, max_lon];
    if all.iter().any(|v| !v.is_finite()) {
        return Err(Invalid::new("min_lat", "the box needs four numbers"));
    }
    if !(-90.0..=90.0).contains(&min_lat) || !(-90.0..=90.0).contains(&max_lat) {
        return Err(Invalid::new("min_lat", "latitudes run from -90 to 90"));
    }
    if !(-180.0..=180.0).contains(&min_lon) || !(-180.0..=180.0).contains(&max_lon) {
        return Err(Invalid::new("min_lon", "longitudes run from -180 to 180"));
    }
    if min_lat >= max_lat || min_lon >= max_lon {
        return Err(Invalid::new(
            "max_lat",
            "the box's north-east corner (max_lat, max_lon) must lie north and east of its south-west corner",
        ));
    }
    if max_lat - min_lat > MAX_SPAN_DEGREES || max_lon - min_lon > MAX_SPAN_DEGREES {
        return Err(Invalid::new(
            "max_lat",
            format!("the box may span at most {MAX_SPAN_DEGREES} degrees each way; zoom in"),
        ));
    }
    Ok(())
}

/// The streets in a box, each with its line: for a map with no tiles.
pub async fn streets(
    app: &App,
    actor: &Actor,
    (min_lat, min_lon, max_lat, max_lon): (f64, f64, f64, f64),
) -> Result<StreetMap, AppError> {
    actor.require(Permission::ViewIncidents, "see the map")?;
    check_box(min_lat, min_lon, max_lat, max_lon)?;
    let rows = app
        .store
        .gazetteer_streets_within((min_lat, min_lon, max_lat, max_lon), MAX_STREETS + 1)
        .await?;
    let truncated = rows.len() as i64 > MAX_STREETS;
    let rows = &rows[..rows.len().min(MAX_STREETS as usize)];
    let usrns: Vec<i64> = rows.iter().filter_map(|s| s.usrn).collect();
    let points = app
        .store
        .gazetteer_street_points(&usrns, MAX_POINTS)
        .await?;
    // Streets whose addresses fell past the cap are left out, and the answer says so.
    let truncated = truncated || points.len() as i64 >= MAX_POINTS;
    let mut by_usrn: HashMap<i64, Vec<StreetPoint>> = HashMap::new();
    for p in points {
        by_usrn.entry(p.usrn).or_default().push(p);
    }
    let streets = rows
        .iter()
        .filter_map(|s| {
            let points = street_line(by_usrn.get(&s.usrn?)?);
            (points.len() >= 2).then(|| StreetLine {
                id: s.id.clone(),
                name: s.name.clone(),
                points,
            })
        })
        .collect();
    Ok(StreetMap { streets, truncated })
}

/// A line through a street's addresses: ordered along the longer axis of their extent
/// (metres, not degrees), then averaged in consecutive groups of at least two so houses on
/// either side meet in the middle of the road, at most [`MAX_LINE_POINTS`] points.
pub fn street_line(points: &[StreetPoint]) -> Vec<(f64, f64)> {
    let mut unique: Vec<(f64, f64)> = Vec::new();
    for p in points {
        if p.lat.is_finite() && p.lon.is_finite() && !unique.contains(&(p.lat, p.lon)) {
            unique.push((p.lat, p.lon));
        }
    }
    if unique.len() < 2 {
        return unique;
    }
    let lat0 = unique.iter().map(|p| p.0).sum::<f64>() / unique.len() as f64;
    let squash = lat0.to_radians().cos();
    let (mut lo_y, mut hi_y, mut lo_x, mut hi_x) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(lat, lon) in &unique {
        lo_y = lo_y.min(lat);
        hi_y = hi_y.max(lat);
        lo_x = lo_x.min(lon * squash);
        hi_x = hi_x.max(lon * squash);
    }
    let along_x = hi_x - lo_x >= hi_y - lo_y;
    let key = |p: &(f64, f64)| if along_x { p.1 } else { p.0 };
    unique.sort_by(|a, b| key(a).total_cmp(&key(b)));
    if unique.len() <= 3 {
        return vec![unique[0], unique[unique.len() - 1]];
    }
    let group = unique.len().div_ceil(MAX_LINE_POINTS).max(2);
    unique
        .chunks(group)
        .map(|c| {
            let n = c.len() as f64;
            (
                c.iter().map(|p| p.0).sum::<f64>() / n,
                c.iter().map(|p| p.1).sum::<f64>() / n,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(lat: f64, lon: f64) -> StreetPoint {
        StreetPoint {
            usrn: 1,
            number: None,
            lat,
            lon,
        }
    }

    #[test]
    fn a_street_line_runs_along_the_longer_axis_through_the_middle_of_the_road() {
        // Houses every 10 m east, odd north of the road, even south, given out of order.
        let mut houses = Vec::new();
        for n in (0..40).rev() {
            let side = if n % 2 == 0 { 0.0001 } else { -0.0001 };
            houses.push(at(53.8 + side, -1.55 + f64::from(n) * 0.00015));
        }
        let line = street_line(&houses);
        assert!(line.len() >= 2 && line.len() <= MAX_LINE_POINTS);
        assert!(line.windows(2).all(|w| w[1].1 > w[0].1), "west to east");
        assert!(
            line.iter().all(|p| (p.0 - 53.8).abs() < 1e-9),
            "the middle of the road: {line:?}"
        );
    }

    #[test]
    fn a_north_south_street_is_ordered_by_latitude_and_tiny_streets_are_their_ends() {
        let line = street_line(&[at(53.82, -1.5), at(53.80, -1.5001), at(53.81, -1.5)]);
        assert_eq!(line, vec![(53.80, -1.5001), (53.82, -1.5)]);
        assert_eq!(street_line(&[at(53.8, -1.5)]).len(), 1);
        assert!(street_line(&[]).is_empty());
    }

    #[test]
    fn a_tiles_template_is_checked_and_its_origin_found() {
        assert_eq!(
            check_template("https://tiles.force.example/{z}/{x}/{y}.png").unwrap(),
            "https://tiles.force.example"
        );
        assert_eq!(
            check_template("http://10.0.0.5:8081/osm/{z}/{x}/{y}").unwrap(),
            "http://10.0.0.5:8081"
        );
        for bad in [
            "ftp://x/{z}/{x}/{y}",
            "https://tiles.example/{z}/{x}.png",
            "https://ti les.example/{z}/{x}/{y}",
            "https://tiles.example;script-src *//{z}/{x}/{y}",
            "https:///{z}/{x}/{y}",
        ] {
            assert!(check_template(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_box_must_be_the_right_way_round_and_small() {
        assert!(check_box(53.7, -1.6, 53.9, -1.4).is_ok());
        assert!(check_box(53.9, -1.6, 53.7, -1.4).is_err());
        assert!(check_box(53.0, -2.0, 54.0, -1.0).is_err());
        assert!(check_box(f64::NAN, -1.6, 53.9, -1.4).is_err());
        assert!(check_box(95.0, -1.6, 96.0, -1.4).is_err());
    }
}
