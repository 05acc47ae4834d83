//! Distances between practices, for the "member far from the rest of its
//! network" check.

use crate::facts::LatLon;

/// Mean Earth radius in kilometres (IUGG).
const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Great-circle distance in kilometres (haversine formula). Accurate to well
/// under 0.5% at the scale of England, which is all a contiguity check needs.
pub fn distance_km(a: LatLon, b: LatLon) -> f64 {
    let (lat1, lat2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.lon - a.lon).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn london_to_manchester() {
        // Charing Cross to Manchester Piccadilly: about 262 km as the crow flies.
        let london = LatLon {
            lat: 51.5074,
            lon: -0.1278,
        };
        let manchester = LatLon {
            lat: 53.4808,
            lon: -2.2426,
        };
        let d = distance_km(london, manchester);
        assert!((255.0..270.0).contains(&d), "{d}");
        assert_eq!(distance_km(london, london), 0.0);
        assert!((distance_km(london, manchester) - distance_km(manchester, london)).abs() < 1e-9);
    }
}
