//! British National Grid (OSGB36 eastings and northings) to WGS84 latitude and longitude.
//!
//! The published Ordnance Survey method, "A guide to coordinate systems in Great Britain"
//! (OS, v3.6 and later): the inverse Transverse Mercator projection on the Airy 1830
//! ellipsoid (Annex C), then OSGB36 geodetic to Cartesian coordinates, the 7-parameter
//! Helmert transformation to WGS84/ETRS89 (section 6.6, parameters in Table 4 with their signs
//! reversed for this direction), and back to geodetic on GRS80 (Annex B). The OS states the
//! Helmert transformation is good to about 5 metres across Great Britain; OSTN15 would give
//! centimetres but needs its 15 MB grid, which a control room placing calls on a map does not.
//! ETRS89 and WGS84 differ by well under a metre here, which we ignore.

use crate::text::Invalid;

/// Airy 1830 (OSGB36) semi-major and semi-minor axes, metres.
const AIRY_A: f64 = 6_377_563.396;
const AIRY_B: f64 = 6_356_256.909;
/// GRS80 (ETRS89, and WGS84 to the millimetre) semi-major and semi-minor axes, metres.
const GRS80_A: f64 = 6_378_137.0;
const GRS80_B: f64 = 6_356_752.314_1;
/// National Grid projection: scale on the central meridian, true origin, false origin.
const F0: f64 = 0.999_601_271_7;
const LAT0_DEG: f64 = 49.0;
const LON0_DEG: f64 = -2.0;
const E0: f64 = 400_000.0;
const N0: f64 = -100_000.0;

/// OSGB36 → WGS84 Helmert parameters: translations in metres, scale in parts per million,
/// rotations in arc-seconds (the guide's WGS84 → OSGB36 values, negated).
const TX: f64 = 446.448;
const TY: f64 = -125.157;
const TZ: f64 = 542.060;
const S_PPM: f64 = -20.4894;
const RX_SEC: f64 = 0.1502;
const RY_SEC: f64 = 0.2470;
const RZ_SEC: f64 = 0.8421;

/// The grid covers Great Britain: eastings 0-700 km, northings 0-1300 km.
pub const MAX_EASTING: f64 = 700_000.0;
pub const MAX_NORTHING: f64 = 1_300_000.0;

/// Meridional arc from the true origin's latitude to `phi` (guide, Annex C, equation C3).
fn meridional_arc(b: f64, n: f64, phi: f64, phi0: f64) -> f64 {
    let (n2, n3) = (n * n, n * n * n);
    b * F0
        * ((1.0 + n + 1.25 * n2 + 1.25 * n3) * (phi - phi0)
            - (3.0 * n + 3.0 * n2 + 2.625 * n3) * (phi - phi0).sin() * (phi + phi0).cos()
            + (1.875 * n2 + 1.875 * n3) * (2.0 * (phi - phi0)).sin() * (2.0 * (phi + phi0)).cos()
            - (35.0 / 24.0) * n3 * (3.0 * (phi - phi0)).sin() * (3.0 * (phi + phi0)).cos())
}

/// Eastings and northings to OSGB36 latitude and longitude in radians (Annex C, C6-C8).
fn grid_to_osgb36(easting: f64, northing: f64) -> (f64, f64) {
    let (a, b) = (AIRY_A, AIRY_B);
    let e2 = 1.0 - (b * b) / (a * a);
    let n = (a - b) / (a + b);
    let phi0 = LAT0_DEG.to_radians();
    let lambda0 = LON0_DEG.to_radians();
    let mut phi = (northing - N0) / (a * F0) + phi0;
    let mut m = meridional_arc(b, n, phi, phi0);
    // Iterate until the arc matches to 0.01 mm (the guide iterates to 0.01 mm).
    for _ in 0..20 {
        if (northing - N0 - m).abs() < 0.000_01 {
            break;
        }
        phi += (northing - N0 - m) / (a * F0);
        m = meridional_arc(b, n, phi, phi0);
    }
    let (sin, cos, tan) = (phi.sin(), phi.cos(), phi.tan());
    let nu = a * F0 / (1.0 - e2 * sin * sin).sqrt();
    let rho = a * F0 * (1.0 - e2) / (1.0 - e2 * sin * sin).powf(1.5);
    let eta2 = nu / rho - 1.0;
    let (t2, t4, t6) = (tan * tan, tan.powi(4), tan.powi(6));
    let sec = 1.0 / cos;
    let vii = tan / (2.0 * rho * nu);
    let viii = tan / (24.0 * rho * nu.powi(3)) * (5.0 + 3.0 * t2 + eta2 - 9.0 * t2 * eta2);
    let ix = tan / (720.0 * rho * nu.powi(5)) * (61.0 + 90.0 * t2 + 45.0 * t4);
    let x = sec / nu;
    let xi = sec / (6.0 * nu.powi(3)) * (nu / rho + 2.0 * t2);
    let xii = sec / (120.0 * nu.powi(5)) * (5.0 + 28.0 * t2 + 24.0 * t4);
    let xiia = sec / (5040.0 * nu.powi(7)) * (61.0 + 662.0 * t2 + 1320.0 * t4 + 720.0 * t6);
    let de = easting - E0;
    let lat = phi - vii * de.powi(2) + viii * de.powi(4) - ix * de.powi(6);
    let lon = lambda0 + x * de - xi * de.powi(3) + xii * de.powi(5) - xiia * de.powi(7);
    (lat, lon)
}

/// Geodetic (radians, height 0) to Cartesian on an ellipsoid (Annex B, B1-B3).
fn to_cartesian(lat: f64, lon: f64, a: f64, b: f64) -> (f64, f64, f64) {
    let e2 = 1.0 - (b * b) / (a * a);
    let nu = a / (1.0 - e2 * lat.sin().powi(2)).sqrt();
    (
        nu * lat.cos() * lon.cos(),
        nu * lat.cos() * lon.sin(),
        (1.0 - e2) * nu * lat.sin(),
    )
}

/// Cartesian to geodetic (radians) on an ellipsoid, iterating for latitude (Annex B, B5-B7).
fn to_geodetic(x: f64, y: f64, z: f64, a: f64, b: f64) -> (f64, f64) {
    let e2 = 1.0 - (b * b) / (a * a);
    let p = (x * x + y * y).sqrt();
    let mut lat = z.atan2(p * (1.0 - e2));
    for _ in 0..10 {
        let nu = a / (1.0 - e2 * lat.sin().powi(2)).sqrt();
        let next = (z + e2 * nu * lat.sin()).atan2(p);
        if (next - lat).abs() < 1e-12 {
            lat = next;
            break;
        }
        lat = next;
    }
    (lat, y.atan2(x))
}

/// The Helmert transformation, small-angle form (guide, section 6.2).
fn helmert(x: f64, y: f64, z: f64) -> (f64, f64, f64) {
    let s = S_PPM * 1e-6;
    let sec = |v: f64| (v / 3600.0).to_radians();
    let (rx, ry, rz) = (sec(RX_SEC), sec(RY_SEC), sec(RZ_SEC));
    (
        TX + (1.0 + s) * x - rz * y + ry * z,
        TY + rz * x + (1.0 + s) * y - rx * z,
        TZ - ry * x + rx * y + (1.0 + s) * z,
    )
}

/// WGS84 latitude and longitude in degrees of a National Grid position. Refuses positions off
/// the grid (negative, or beyond 700 km east or 1300 km north): they are not in Great Britain.
pub fn grid_to_wgs84(easting: f64, northing: f64) -> Result<(f64, f64), Invalid> {
    if !easting.is_finite()
        || !northing.is_finite()
        || !(0.0..=MAX_EASTING).contains(&easting)
        || !(0.0..=MAX_NORTHING).contains(&northing)
    {
        return Err(Invalid::new(
            "easting/northing",
            format!(
                "{easting}, {northing} is not on the British National Grid (eastings 0-700000, northings 0-1300000)"
            ),
        ));
    }
    let (lat, lon) = grid_to_osgb36(easting, northing);
    let (x, y, z) = to_cartesian(lat, lon, AIRY_A, AIRY_B);
    let (x, y, z) = helmert(x, y, z);
    let (lat, lon) = to_geodetic(x, y, z, GRS80_A, GRS80_B);
    Ok((lat.to_degrees(), lon.to_degrees()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metres_apart(a: (f64, f64), b: (f64, f64)) -> f64 {
        let dlat = (a.0 - b.0).to_radians() * 6_371_000.0;
        let dlon = (a.1 - b.1).to_radians() * 6_371_000.0 * a.0.to_radians().cos();
        (dlat * dlat + dlon * dlon).sqrt()
    }

    /// Published control points: OSGB36 grid position and its ETRS89 latitude and longitude
    /// by the OS's exact transformation (OSTN02/OSTN15).
    const CONTROL: [(&str, f64, f64, f64, f64); 3] = [
        // The worked example of the OS guide (Annex C), near Caister, Norfolk; its ETRS89
        // position as transformed by OSTN02 in the OS's own test of the example.
        (
            "OS guide example",
            651_409.792,
            313_177.448,
            52.658_007_833,
            1.716_073_973,
        ),
        // OS map reference TR 143 599 (Kent), the OSTN02 paper's example.
        ("TR143599", 614_300.0, 159_900.0, 51.297_880, 1.072_628),
        // A point in Twickenham, London, as published with the lonlat_bng OSTN15 tests.
        (
            "Twickenham",
            516_276.0,
            173_141.0,
            51.445_332_67,
            -0.328_248_66,
        ),
    ];

    #[test]
    fn control_points_convert_to_within_five_metres() {
        for (name, e, n, lat, lon) in CONTROL {
            let got = grid_to_wgs84(e, n).unwrap();
            let error = metres_apart(got, (lat, lon));
            assert!(
                error < 5.0,
                "{name}: {got:?} is {error:.2} m from ({lat}, {lon})"
            );
        }
    }

    #[test]
    fn the_inverse_projection_matches_the_guides_worked_example() {
        // Annex C worked example: 651409.903 E, 313177.270 N is OSGB36 52°39'27.2531"N,
        // 1°43'4.5177"E.
        let (lat, lon) = grid_to_osgb36(651_409.903, 313_177.270);
        let expected_lat = 52.0 + 39.0 / 60.0 + 27.2531 / 3600.0;
        let expected_lon = 1.0 + 43.0 / 60.0 + 4.5177 / 3600.0;
        assert!(
            (lat.to_degrees() - expected_lat).abs() < 1e-6,
            "{}",
            lat.to_degrees()
        );
        assert!(
            (lon.to_degrees() - expected_lon).abs() < 1e-6,
            "{}",
            lon.to_degrees()
        );
    }

    #[test]
    fn positions_off_the_grid_are_refused() {
        for (e, n) in [
            (-1.0, 100.0),
            (700_001.0, 10.0),
            (10.0, 1_300_001.0),
            (f64::NAN, 1.0),
        ] {
            assert!(grid_to_wgs84(e, n).is_err(), "{e} {n}");
        }
    }
}
