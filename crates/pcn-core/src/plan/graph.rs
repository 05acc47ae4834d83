//! The contiguity graph of a commissioner group's practices.
//!
//! Two practices are neighbours when their locations are joined by an edge of
//! the Delaunay triangulation of the group's distinct locations, or when they
//! share a location (co-located practices, such as two practices in one
//! health centre, are merged into one point before triangulating, because a
//! triangulation cannot hold two vertices at the same place). Practices
//! without coordinates are not in the graph: they have no neighbours.
//!
//! Locations are projected onto a plane in kilometres (an equirectangular
//! projection about the group's mean latitude, accurate to well under 1% over
//! the size of an ICB) and rounded to the metre; practices whose rounded
//! points coincide are co-located. The triangulation (the `spade` crate, with
//! exact predicates) handles any number of points: one location gives no
//! edges, two give one, and points all on one line give the path along it.

use std::collections::HashMap;

use spade::{DelaunayTriangulation, HasPosition, Point2, Triangulation};

use crate::facts::LatLon;

/// Mean Earth radius in kilometres (IUGG), as `geo` uses.
const EARTH_RADIUS_KM: f64 = 6371.0088;

/// A flat projection of one group's locations, in kilometres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Projection {
    lat0: f64,
    lon0: f64,
    cos_lat0: f64,
}

impl Projection {
    /// A projection centred on the mean of these points (the equator and the
    /// prime meridian when there are none).
    pub fn centred_on<'a>(points: impl IntoIterator<Item = &'a LatLon>) -> Projection {
        let (mut lat, mut lon, mut n) = (0.0, 0.0, 0usize);
        for p in points {
            lat += p.lat;
            lon += p.lon;
            n += 1;
        }
        let (lat0, lon0) = if n == 0 {
            (0.0, 0.0)
        } else {
            (lat / n as f64, lon / n as f64)
        };
        Projection {
            lat0,
            lon0,
            cos_lat0: lat0.to_radians().cos(),
        }
    }

    /// A point's east and north offsets from the centre, in kilometres.
    pub fn to_km(&self, p: LatLon) -> (f64, f64) {
        let x = EARTH_RADIUS_KM * (p.lon - self.lon0).to_radians() * self.cos_lat0;
        let y = EARTH_RADIUS_KM * (p.lat - self.lat0).to_radians();
        (x, y)
    }

    /// The inverse of [`Projection::to_km`].
    pub fn to_lat_lon(&self, x: f64, y: f64) -> LatLon {
        let lat = self.lat0 + (y / EARTH_RADIUS_KM).to_degrees();
        let lon = if self.cos_lat0 > 0.0 {
            self.lon0 + (x / (EARTH_RADIUS_KM * self.cos_lat0)).to_degrees()
        } else {
            self.lon0
        };
        LatLon { lat, lon }
    }
}

/// A vertex of the triangulation: a distinct location and its index.
struct Site {
    position: Point2<f64>,
    index: usize,
}

impl HasPosition for Site {
    type Scalar = f64;
    fn position(&self) -> Point2<f64> {
        self.position
    }
}

/// Practices as nodes (in the order given), with their neighbours.
#[derive(Debug, Clone, PartialEq)]
pub struct PracticeGraph {
    /// Compressed adjacency: the neighbours of node `i` are
    /// `targets[offsets[i]..offsets[i + 1]]`, ascending, without `i`.
    offsets: Vec<usize>,
    targets: Vec<u32>,
    /// The distinct location of each node, or `None` without coordinates.
    location_of: Vec<Option<u32>>,
    locations: usize,
}

impl PracticeGraph {
    /// Builds the graph of these practice locations (`None`: no coordinates).
    /// Coordinates must be finite (the planner checks them before this).
    pub fn build(points: &[Option<LatLon>]) -> PracticeGraph {
        let projection = Projection::centred_on(points.iter().flatten());
        let mut site_of_key: HashMap<(i64, i64), u32> = HashMap::new();
        let mut sites: Vec<(i64, i64)> = Vec::new();
        let location_of: Vec<Option<u32>> = points
            .iter()
            .map(|p| {
                p.map(|p| {
                    let (x, y) = projection.to_km(p);
                    // Rounded to the metre: points closer than that are one place.
                    let key = ((x * 1000.0).round() as i64, (y * 1000.0).round() as i64);
                    *site_of_key.entry(key).or_insert_with(|| {
                        sites.push(key);
                        (sites.len() - 1) as u32
                    })
                })
            })
            .collect();

        let site_edges = delaunay_edges(&sites);

        // Nodes at each site, so co-located practices can be joined to each
        // other and to every practice at a neighbouring site.
        let mut at_site: Vec<Vec<u32>> = vec![Vec::new(); sites.len()];
        for (node, site) in location_of.iter().enumerate() {
            if let Some(site) = site {
                at_site[*site as usize].push(node as u32);
            }
        }
        let mut lists: Vec<Vec<u32>> = vec![Vec::new(); points.len()];
        for nodes in &at_site {
            for &a in nodes {
                for &b in nodes {
                    if a != b {
                        lists[a as usize].push(b);
                    }
                }
            }
        }
        for (s, t) in site_edges {
            for &a in &at_site[s] {
                for &b in &at_site[t] {
                    lists[a as usize].push(b);
                    lists[b as usize].push(a);
                }
            }
        }
        let mut offsets = Vec::with_capacity(points.len() + 1);
        let mut targets = Vec::new();
        offsets.push(0);
        for mut list in lists {
            list.sort_unstable();
            list.dedup();
            targets.extend(list);
            offsets.push(targets.len());
        }
        PracticeGraph {
            offsets,
            targets,
            location_of,
            locations: sites.len(),
        }
    }

    /// Number of nodes (practices, with or without coordinates).
    pub fn len(&self) -> usize {
        self.location_of.len()
    }

    pub fn is_empty(&self) -> bool {
        self.location_of.is_empty()
    }

    /// Number of distinct locations (co-located practices count once).
    pub fn locations(&self) -> usize {
        self.locations
    }

    /// The distinct location of a node, `None` without coordinates.
    pub fn location_of(&self, node: usize) -> Option<u32> {
        self.location_of[node]
    }

    /// The neighbours of a node, ascending.
    pub fn neighbours(&self, node: usize) -> &[u32] {
        &self.targets[self.offsets[node]..self.offsets[node + 1]]
    }

    /// Number of undirected edges.
    pub fn edges(&self) -> usize {
        self.targets.len() / 2
    }

    /// True when these nodes (ignoring any without coordinates) form one
    /// connected piece of the graph, using only edges between them. An empty
    /// set, or one with a single located node, is connected.
    pub fn is_connected(&self, nodes: &[usize]) -> bool {
        let located: Vec<usize> = nodes
            .iter()
            .copied()
            .filter(|&n| self.location_of[n].is_some())
            .collect();
        let Some(&start) = located.first() else {
            return true;
        };
        let mut inside = vec![false; self.len()];
        for &n in &located {
            inside[n] = true;
        }
        let mut seen = vec![false; self.len()];
        seen[start] = true;
        let mut stack = vec![start];
        let mut reached = 1;
        while let Some(n) = stack.pop() {
            for &m in self.neighbours(n) {
                let m = m as usize;
                if inside[m] && !seen[m] {
                    seen[m] = true;
                    reached += 1;
                    stack.push(m);
                }
            }
        }
        reached == located.len()
    }
}

/// The undirected edges of the Delaunay triangulation of distinct points
/// (given in metres), as pairs of point indices.
fn delaunay_edges(sites: &[(i64, i64)]) -> Vec<(usize, usize)> {
    if sites.len() < 2 {
        return Vec::new();
    }
    let vertices: Vec<Site> = sites
        .iter()
        .enumerate()
        .map(|(index, &(x, y))| Site {
            position: Point2::new(x as f64, y as f64),
            index,
        })
        .collect();
    // Integer metres within a few hundred kilometres are far inside the range
    // spade accepts, so this cannot fail on checked input; if it ever did,
    // joining the points in order keeps the graph connected rather than
    // dropping practices.
    match DelaunayTriangulation::<Site>::bulk_load(vertices) {
        Ok(triangulation) => triangulation
            .undirected_edges()
            .map(|edge| {
                let [a, b] = edge.vertices();
                (a.data().index, b.data().index)
            })
            .collect(),
        Err(_) => (1..sites.len()).map(|i| (i - 1, i)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(lat: f64, lon: f64) -> Option<LatLon> {
        Some(LatLon { lat, lon })
    }

    #[test]
    fn empty_single_and_pair() {
        assert!(PracticeGraph::build(&[]).is_empty());
        let one = PracticeGraph::build(&[p(52.0, -1.0)]);
        assert_eq!(one.edges(), 0);
        assert!(one.is_connected(&[0]));
        let two = PracticeGraph::build(&[p(52.0, -1.0), p(52.1, -1.0)]);
        assert_eq!(two.neighbours(0), &[1]);
        assert_eq!(two.neighbours(1), &[0]);
    }

    #[test]
    fn collinear_points_make_a_path() {
        let line: Vec<_> = (0..5).map(|i| p(52.0 + 0.01 * i as f64, -1.0)).collect();
        let g = PracticeGraph::build(&line);
        // Each point joins its neighbours along the line, and only them.
        assert_eq!(g.neighbours(0), &[1]);
        assert_eq!(g.neighbours(2), &[1, 3]);
        assert_eq!(g.neighbours(4), &[3]);
        assert!(g.is_connected(&[0, 1, 2, 3, 4]));
        assert!(!g.is_connected(&[0, 2]));
    }

    #[test]
    fn co_located_practices_share_neighbours() {
        let g = PracticeGraph::build(&[
            p(52.0, -1.0),
            p(52.0, -1.0),
            p(52.1, -1.0),
            None,
            p(52.05, -0.9),
        ]);
        assert_eq!(g.locations(), 3);
        assert_eq!(g.neighbours(0), &[1, 2, 4]);
        assert_eq!(g.neighbours(1), &[0, 2, 4]);
        assert_eq!(g.neighbours(3), &[] as &[u32]);
        assert_eq!(g.location_of(3), None);
        // The node without coordinates is ignored by the connectivity test.
        assert!(g.is_connected(&[0, 3, 2]));
        // Two co-located practices alone are connected.
        assert!(g.is_connected(&[0, 1]));
    }

    #[test]
    fn square_triangulates() {
        let g = PracticeGraph::build(&[
            p(52.0, -1.0),
            p(52.0, -0.9),
            p(52.1, -1.0),
            p(52.1, -0.9),
            p(52.05, -0.95),
        ]);
        // Four sides, four spokes to the centre.
        assert_eq!(g.edges(), 8);
        assert_eq!(g.neighbours(4), &[0, 1, 2, 3]);
    }

    #[test]
    fn projection_round_trips() {
        let a = LatLon {
            lat: 53.4,
            lon: -2.2,
        };
        let b = LatLon {
            lat: 53.7,
            lon: -1.8,
        };
        let proj = Projection::centred_on([&a, &b]);
        let (x, y) = proj.to_km(a);
        let back = proj.to_lat_lon(x, y);
        assert!((back.lat - a.lat).abs() < 1e-9 && (back.lon - a.lon).abs() < 1e-9);
        // Agrees with the great-circle distance over an ICB's size.
        let (bx, by) = proj.to_km(b);
        let flat = ((bx - x).powi(2) + (by - y).powi(2)).sqrt();
        let round = crate::geo::distance_km(a, b);
        assert!((flat - round).abs() / round < 0.01, "{flat} {round}");
    }
}
