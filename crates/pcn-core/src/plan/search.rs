//! The search: from the current networks to networks within the band.
//!
//! The state is an assignment of units (located practices, each carrying any
//! practices without coordinates attached to it) to regions (proposed
//! networks). Every move keeps every region connected on the contiguity
//! graph: a unit joins a region only next to one of its members, and leaves
//! one only when the rest stays connected (checked by a search within the
//! region, which is small). Locked regions (pinned networks, practices alone
//! over the ceiling, isolated areas) never change.
//!
//! The cost of a state is the sum of three terms, in patient·km²:
//!
//! - **band**: for each region, the patients by which it misses the band,
//!   times [`BAND_WEIGHT`]. Under the floor a region is counted as the
//!   smaller of its shortfall and its own size plus one, so that a small
//!   region (a fragment, a practice from the `U` placeholder) is as much
//!   "on its way out" as "on its way up" and the search can dissolve it into
//!   its neighbours one practice at a time without climbing a hill.
//! - **compactness**: for each region, the sum over its units of list size
//!   times squared distance to the region's population-weighted centroid
//!   (its moment of inertia).
//! - **change**: the move cost for each practice not in the region that
//!   continues its current network, and the partner cost for each pair of
//!   recorded partners split. Which region continues which network is decided
//!   by [`Engine::rematch`]: greatest overlap first.
//!
//! The band weight makes one patient outside the band dearer than two moves,
//! so the band comes first, then few changes, then compactness. The search:
//!
//! 1. regions too big for one network, but big enough for several, are cut
//!    into as many compact connected parts as the band asks (recursive
//!    bisection along the principal axis, [`Engine::split_oversized`]);
//! 2. simulated annealing over single-unit moves ([`Engine::anneal`]), with
//!    a bias towards regions out of band and new regions budded off regions
//!    over the ceiling, stopping as soon as every region is in band;
//! 3. each region still out of band is repaired with the regions around it
//!    ([`Engine::repair`]): that cluster is annealed hot enough to make the
//!    band worse for a while, and the result kept only if fewer patients end
//!    up outside the band;
//! 4. a greedy descent ([`Engine::polish`]) of single moves and of chains of
//!    two (a practice back into its network as another leaves it) that
//!    never puts a patient out of band, to undo moves the band does not need
//!    and make networks more compact where that is worth a move.
//!
//! Everything is deterministic for a seed: the only randomness is a ChaCha8
//! generator seeded by the caller, and ties are broken by index.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// No network, no region.
pub(crate) const NONE: u32 = u32::MAX;

/// The cost of one patient outside the band, in patient·km². Twice the
/// default move cost, so a move is always worth making to bring a patient
/// into band.
pub(crate) const BAND_WEIGHT: f64 = 1.0e6;

/// The fixed description of one group's search.
pub(crate) struct Units {
    /// Projected coordinates in km.
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    /// Patients of the unit (its practice plus attached practices).
    pub w: Vec<u64>,
    /// Practices in the unit.
    pub practices: Vec<u32>,
    /// Index of the current network of the unit's practice, or [`NONE`].
    pub current: Vec<u32>,
    /// Contiguity graph over units, compressed.
    pub adj_offsets: Vec<usize>,
    pub adj: Vec<u32>,
    /// Recorded partners over units, compressed (both directions).
    pub partner_offsets: Vec<usize>,
    pub partners: Vec<u32>,
}

impl Units {
    pub fn len(&self) -> usize {
        self.w.len()
    }

    fn neighbours(&self, u: usize) -> &[u32] {
        &self.adj[self.adj_offsets[u]..self.adj_offsets[u + 1]]
    }

    fn partners_of(&self, u: usize) -> &[u32] {
        &self.partners[self.partner_offsets[u]..self.partner_offsets[u + 1]]
    }
}

/// Band and costs.
pub(crate) struct Settings {
    pub floor: u64,
    pub ceiling: u64,
    /// The floor of a region continuing each network: 0 for a network with a
    /// recorded size waiver, else the floor.
    pub network_floor: Vec<u64>,
    pub move_cost: f64,
    pub partner_cost: f64,
}

/// Why a region may not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lock {
    Free,
    /// A pinned network (the index of the network).
    Pinned(u32),
    /// A practice alone over the ceiling.
    Giant,
    /// A connected area whose patients no in-band networks can hold.
    Isolated,
}

#[derive(Debug, Clone)]
pub(crate) struct Region {
    pub members: Vec<u32>,
    pub w: u64,
    sx: f64,
    sy: f64,
    sq: f64,
    /// The current network this region continues, or [`NONE`].
    pub identity: u32,
    pub lock: Lock,
}

impl Region {
    fn empty() -> Region {
        Region {
            members: Vec::new(),
            w: 0,
            sx: 0.0,
            sy: 0.0,
            sq: 0.0,
            identity: NONE,
            lock: Lock::Free,
        }
    }

    fn compactness(&self) -> f64 {
        compactness(self.w as f64, self.sx, self.sy, self.sq)
    }
}

fn compactness(w: f64, sx: f64, sy: f64, sq: f64) -> f64 {
    if w <= 0.0 {
        0.0
    } else {
        (sq - (sx * sx + sy * sy) / w).max(0.0)
    }
}

/// The search state of one group.
pub(crate) struct Engine<'a> {
    units: &'a Units,
    settings: &'a Settings,
    /// The region of each unit.
    pub region_of: Vec<u32>,
    /// The position of each unit in its region's member list.
    position: Vec<u32>,
    pub regions: Vec<Region>,
    /// Regions emptied by the search, reused before new ones are made.
    free: Vec<u32>,
    /// Unlocked regions out of band, and each region's place in that list.
    violating: Vec<u32>,
    violating_position: Vec<u32>,
    /// Regions the search may change (all, unless a repair narrows it to a
    /// cluster); regions made during the search are in scope.
    in_scope: Vec<bool>,
    /// Scratch for connectivity searches: a visit stamp per unit.
    mark: Vec<u32>,
    stamp: u32,
    stack: Vec<u32>,
    rng: ChaCha8Rng,
    /// Moves tried so far.
    pub iterations: u64,
}

impl<'a> Engine<'a> {
    /// A state from an assignment of every unit to a region (`0..regions`),
    /// with each region's lock and identity.
    pub fn new(
        units: &'a Units,
        settings: &'a Settings,
        assignment: Vec<u32>,
        locks: Vec<(Lock, u32)>,
        seed: u64,
    ) -> Engine<'a> {
        let mut regions: Vec<Region> = locks
            .into_iter()
            .map(|(lock, identity)| Region {
                lock,
                identity,
                ..Region::empty()
            })
            .collect();
        let mut position = vec![0u32; units.len()];
        for (u, &r) in assignment.iter().enumerate() {
            let region = &mut regions[r as usize];
            position[u] = region.members.len() as u32;
            region.members.push(u as u32);
        }
        let mut engine = Engine {
            units,
            settings,
            region_of: assignment,
            position,
            regions,
            free: Vec::new(),
            violating: Vec::new(),
            violating_position: Vec::new(),
            in_scope: Vec::new(),
            mark: vec![0; units.len()],
            stamp: 0,
            stack: Vec::new(),
            rng: ChaCha8Rng::seed_from_u64(seed),
            iterations: 0,
        };
        for r in 0..engine.regions.len() {
            if engine.regions[r].members.is_empty() {
                engine.free.push(r as u32);
            }
        }
        engine.in_scope = vec![true; engine.regions.len()];
        engine.refresh();
        engine
    }

    /// Recomputes every region's sums from its members (so rounding never
    /// accumulates) and the list of regions out of band.
    fn refresh(&mut self) {
        for r in 0..self.regions.len() {
            let (mut w, mut sx, mut sy, mut sq) = (0u64, 0.0, 0.0, 0.0);
            for &u in &self.regions[r].members {
                let u = u as usize;
                let wu = self.units.w[u] as f64;
                let (x, y) = (self.units.x[u], self.units.y[u]);
                w += self.units.w[u];
                sx += wu * x;
                sy += wu * y;
                sq += wu * (x * x + y * y);
            }
            let region = &mut self.regions[r];
            region.w = w;
            region.sx = sx;
            region.sy = sy;
            region.sq = sq;
        }
        self.violating.clear();
        self.violating_position = vec![NONE; self.regions.len()];
        for r in 0..self.regions.len() {
            self.update_violation(r);
        }
    }

    fn floor_of(&self, r: usize) -> u64 {
        let identity = self.regions[r].identity;
        if identity == NONE {
            self.settings.floor
        } else {
            self.settings.network_floor[identity as usize]
        }
    }

    /// Patients by which a region of `w` patients and `n` units misses the
    /// band (see the module doc for the shape under the floor).
    fn shortfall(&self, w: u64, n: usize, floor: u64) -> f64 {
        if n == 0 {
            0.0
        } else if w < floor {
            ((floor - w).min(w + 1)) as f64
        } else if w > self.settings.ceiling {
            (w - self.settings.ceiling) as f64
        } else {
            0.0
        }
    }

    pub fn region_shortfall(&self, r: usize) -> f64 {
        let region = &self.regions[r];
        self.shortfall(region.w, region.members.len(), self.floor_of(r))
    }

    fn update_violation(&mut self, r: usize) {
        if self.violating_position.len() < self.regions.len() {
            self.violating_position.resize(self.regions.len(), NONE);
        }
        let out = self.regions[r].lock == Lock::Free && self.region_shortfall(r) > 0.0;
        let at = self.violating_position[r];
        if out && at == NONE {
            self.violating_position[r] = self.violating.len() as u32;
            self.violating.push(r as u32);
        } else if !out && at != NONE {
            let last = *self.violating.last().expect("listed region");
            self.violating.swap_remove(at as usize);
            if last as usize != r {
                self.violating_position[last as usize] = at;
            }
            self.violating_position[r] = NONE;
        }
    }

    /// The change in cost if unit `u` moves from its region to `to` (`None`:
    /// a new region).
    fn delta(&self, u: usize, to: Option<usize>) -> f64 {
        let units = self.units;
        let a = self.region_of[u] as usize;
        let wu = units.w[u];
        let wf = wu as f64;
        let (x, y) = (units.x[u], units.y[u]);
        let q = wf * (x * x + y * y);
        let ra = &self.regions[a];
        let floor_a = self.floor_of(a);
        let before_a =
            BAND_WEIGHT * self.shortfall(ra.w, ra.members.len(), floor_a) + ra.compactness();
        let after_a = BAND_WEIGHT * self.shortfall(ra.w - wu, ra.members.len() - 1, floor_a)
            + compactness(
                (ra.w - wu) as f64,
                ra.sx - wf * x,
                ra.sy - wf * y,
                ra.sq - q,
            );
        let (before_b, after_b, identity_b) = match to {
            Some(b) => {
                let rb = &self.regions[b];
                let floor_b = self.floor_of(b);
                (
                    BAND_WEIGHT * self.shortfall(rb.w, rb.members.len(), floor_b)
                        + rb.compactness(),
                    BAND_WEIGHT * self.shortfall(rb.w + wu, rb.members.len() + 1, floor_b)
                        + compactness(
                            (rb.w + wu) as f64,
                            rb.sx + wf * x,
                            rb.sy + wf * y,
                            rb.sq + q,
                        ),
                    rb.identity,
                )
            }
            None => (
                0.0,
                BAND_WEIGHT * self.shortfall(wu, 1, self.settings.floor),
                NONE,
            ),
        };
        let mut delta = after_a + after_b - before_a - before_b;
        let current = units.current[u];
        if current != NONE {
            let was_moved = ra.identity != current;
            let is_moved = identity_b != current;
            if was_moved != is_moved {
                let cost = self.settings.move_cost * units.practices[u] as f64;
                delta += if is_moved { cost } else { -cost };
            }
        }
        for &p in units.partners_of(u) {
            let rp = self.region_of[p as usize] as usize;
            let was_split = rp != a;
            let is_split = to != Some(rp);
            if was_split != is_split {
                delta += if is_split {
                    self.settings.partner_cost
                } else {
                    -self.settings.partner_cost
                };
            }
        }
        delta
    }

    /// True when moving unit `u` to region `b` would put more patients
    /// outside the band (the greedy descent never does that, whatever it
    /// gains in compactness).
    fn band_worsens(&self, u: usize, b: usize) -> bool {
        let a = self.region_of[u] as usize;
        let wu = self.units.w[u];
        let (ra, rb) = (&self.regions[a], &self.regions[b]);
        let before = self.region_shortfall(a) + self.region_shortfall(b);
        let after = self.shortfall(ra.w - wu, ra.members.len() - 1, self.floor_of(a))
            + self.shortfall(rb.w + wu, rb.members.len() + 1, self.floor_of(b));
        after > before
    }

    /// True when unit `u`'s region stays connected without it.
    fn stays_connected_without(&mut self, u: usize) -> bool {
        let a = self.region_of[u];
        if self.regions[a as usize].members.len() <= 2 {
            return true;
        }
        // The members next to u must all be reachable from one of them.
        let mut targets = 0usize;
        let mut start = NONE;
        for &v in self.units.neighbours(u) {
            if self.region_of[v as usize] == a {
                targets += 1;
                if start == NONE {
                    start = v;
                }
            }
        }
        if targets <= 1 {
            return true;
        }
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.mark.iter_mut().for_each(|m| *m = 0);
            self.stamp = 1;
        }
        let stamp = self.stamp;
        self.mark[u] = stamp;
        self.mark[start as usize] = stamp;
        self.stack.clear();
        self.stack.push(start);
        let mut found = 1;
        while let Some(v) = self.stack.pop() {
            for &n in self.units.neighbours(v as usize) {
                let n = n as usize;
                if self.region_of[n] == a && self.mark[n] != stamp {
                    self.mark[n] = stamp;
                    if self.units.neighbours(u).binary_search(&(n as u32)).is_ok() {
                        found += 1;
                        if found == targets {
                            return true;
                        }
                    }
                    self.stack.push(n as u32);
                }
            }
        }
        false
    }

    /// Moves unit `u` to region `to` (`None`: a new region); returns the region.
    fn apply(&mut self, u: usize, to: Option<usize>) -> usize {
        let b = match to {
            Some(b) => b,
            None => match self.free.pop() {
                Some(r) => {
                    self.regions[r as usize].identity = NONE;
                    self.regions[r as usize].lock = Lock::Free;
                    r as usize
                }
                None => {
                    self.regions.push(Region::empty());
                    self.violating_position.push(NONE);
                    self.in_scope.push(true);
                    self.regions.len() - 1
                }
            },
        };
        if to.is_none() {
            self.in_scope[b] = true;
        }
        let a = self.region_of[u] as usize;
        let units = self.units;
        let wu = units.w[u];
        let wf = wu as f64;
        let (x, y) = (units.x[u], units.y[u]);
        let q = wf * (x * x + y * y);

        let at = self.position[u] as usize;
        let ra = &mut self.regions[a];
        ra.members.swap_remove(at);
        if let Some(&moved) = ra.members.get(at) {
            self.position[moved as usize] = at as u32;
        }
        ra.w -= wu;
        ra.sx -= wf * x;
        ra.sy -= wf * y;
        ra.sq -= q;
        if ra.members.is_empty() {
            *ra = Region::empty();
            self.free.push(a as u32);
        }

        let rb = &mut self.regions[b];
        self.position[u] = rb.members.len() as u32;
        rb.members.push(u as u32);
        rb.w += wu;
        rb.sx += wf * x;
        rb.sy += wf * y;
        rb.sq += q;
        self.region_of[u] = b as u32;

        self.update_violation(a);
        self.update_violation(b);
        b
    }

    fn movable(&self, u: usize) -> bool {
        let r = self.region_of[u] as usize;
        self.regions[r].lock == Lock::Free && self.in_scope[r]
    }

    /// True while some region in scope is out of band.
    fn open_violations(&self) -> bool {
        self.violating.iter().any(|&r| self.in_scope[r as usize])
    }

    /// Decides which region continues which current network: the pairs with
    /// the most practices in common first (then most patients, then lowest
    /// indices), each region and network used once. Pinned regions keep
    /// their network. Returns true when any identity changed.
    pub fn rematch(&mut self) -> bool {
        let units = self.units;
        let overlaps = (0..units.len()).map(|u| {
            (
                self.region_of[u],
                units.current[u],
                units.practices[u],
                units.w[u],
            )
        });
        let pinned: Vec<(u32, u32)> = self
            .regions
            .iter()
            .enumerate()
            .filter_map(|(r, region)| match region.lock {
                Lock::Pinned(n) => Some((r as u32, n)),
                _ => None,
            })
            .collect();
        let identity = match_overlaps(
            overlaps,
            self.regions.len(),
            self.settings.network_floor.len(),
            &pinned,
        );
        let mut changed = false;
        for (r, id) in identity.into_iter().enumerate() {
            if self.regions[r].identity != id {
                self.regions[r].identity = id;
                changed = true;
            }
        }
        if changed {
            for r in 0..self.regions.len() {
                self.update_violation(r);
            }
        }
        changed
    }

    /// Simulated annealing for at most `iterations` tries, from temperature
    /// `t0` down to `t1`, stopping early once every unlocked region is in band
    /// or when `stop` says so.
    pub fn anneal(&mut self, iterations: u64, t0: f64, t1: f64, stop: &dyn Fn() -> bool) {
        let movable: Vec<u32> = (0..self.units.len())
            .filter(|&u| self.movable(u))
            .map(|u| u as u32)
            .collect();
        if movable.is_empty() || iterations == 0 {
            return;
        }
        let epoch = (movable.len() as u64 * 8).max(256);
        let ratio = (t1 / t0).ln();
        let mut done = 0u64;
        while done < iterations && self.open_violations() {
            if stop() {
                break;
            }
            self.rematch();
            let end = (done + epoch).min(iterations);
            while done < end && self.open_violations() {
                let t = t0 * (ratio * done as f64 / iterations as f64).exp();
                self.step(t, &movable);
                done += 1;
            }
        }
        self.iterations += done;
    }

    /// One try: propose a move, accept it by the Metropolis rule if the
    /// region it leaves stays connected.
    fn step(&mut self, t: f64, movable: &[u32]) {
        let (u, to) = match self.propose(movable) {
            Some(m) => m,
            None => return,
        };
        let delta = self.delta(u, to);
        let accept = delta <= 0.0 || self.rng.random::<f64>() < (-delta / t).exp();
        if accept && self.stays_connected_without(u) {
            self.apply(u, to);
        }
    }

    fn propose(&mut self, movable: &[u32]) -> Option<(usize, Option<usize>)> {
        let focus = !self.violating.is_empty() && self.rng.random_bool(0.75);
        let r = if focus {
            self.violating[self.rng.random_range(0..self.violating.len())] as usize
        } else {
            NONE as usize
        };
        if focus && self.in_scope[r] {
            let members = &self.regions[r].members;
            let u = members[self.rng.random_range(0..members.len())] as usize;
            let over = self.regions[r].w > self.settings.ceiling;
            if over && self.rng.random_bool(0.05) {
                return Some((u, None));
            }
            let v = self.random_neighbour_elsewhere(u)?;
            let b = self.region_of[v] as usize;
            if !over && self.rng.random_bool(0.5) {
                // Grow the region: bring the neighbour in.
                return Some((v, Some(r)));
            }
            Some((u, Some(b)))
        } else {
            let u = movable[self.rng.random_range(0..movable.len())] as usize;
            if !self.movable(u) {
                return None;
            }
            let v = self.random_neighbour_elsewhere(u)?;
            Some((u, Some(self.region_of[v] as usize)))
        }
    }

    /// A random neighbour of `u` in another unlocked region.
    fn random_neighbour_elsewhere(&mut self, u: usize) -> Option<usize> {
        let neighbours = self.units.neighbours(u);
        if neighbours.is_empty() {
            return None;
        }
        let start = self.rng.random_range(0..neighbours.len());
        let a = self.region_of[u];
        for i in 0..neighbours.len() {
            let v = neighbours[(start + i) % neighbours.len()] as usize;
            if self.region_of[v] != a && self.movable(v) {
                return Some(v);
            }
        }
        None
    }

    /// Total patients outside the band over the unlocked regions.
    fn total_shortfall(&self) -> f64 {
        (0..self.regions.len())
            .filter(|&r| self.regions[r].lock == Lock::Free)
            .map(|r| self.region_shortfall(r))
            .sum()
    }

    /// The unlocked regions within `hops` steps of region `r` on the graph.
    fn cluster_around(&self, r: usize, hops: usize) -> Vec<bool> {
        let mut inside = vec![false; self.regions.len()];
        inside[r] = true;
        let mut frontier = vec![r];
        for _ in 0..hops {
            let mut next = Vec::new();
            for &c in &frontier {
                for &u in &self.regions[c].members {
                    for &v in self.units.neighbours(u as usize) {
                        let b = self.region_of[v as usize] as usize;
                        if !inside[b] && self.regions[b].lock == Lock::Free {
                            inside[b] = true;
                            next.push(b);
                        }
                    }
                }
            }
            frontier = next;
        }
        inside
    }

    /// Repairs the regions still out of band after annealing, one at a time,
    /// with the regions around it (one step away, then up to five): first by
    /// annealing that cluster from where it is, then by cutting the whole
    /// cluster afresh into as many parts as the band asks and annealing
    /// those. Both anneal hot enough to make the band worse for a while, with
    /// no regard to moves; a result is kept only if fewer patients end up
    /// outside the band. `tries` is the work budget per unit of a cluster;
    /// the repair stops once it has spent `limit` tries in all.
    pub fn repair(&mut self, tries: u64, limit: u64, stop: &dyn Fn() -> bool) {
        let start = self.iterations;
        // Regions given up on (a repair elsewhere may still mend them).
        let mut given_up: Vec<u32> = Vec::new();
        loop {
            let mut targets: Vec<u32> = self
                .violating
                .iter()
                .copied()
                .filter(|r| !given_up.contains(r))
                .collect();
            targets.sort_unstable();
            let Some(&r) = targets.first() else {
                break;
            };
            let r = r as usize;
            'hops: for hops in 1..=5 {
                for afresh in [false, true] {
                    if stop()
                        || self.violating_position[r] == NONE
                        || self.iterations - start >= limit
                    {
                        break 'hops;
                    }
                    if self.repair_cluster(r, hops, afresh, tries, stop) {
                        continue 'hops;
                    }
                }
            }
            if stop() || self.iterations - start >= limit {
                break;
            }
            if self.violating_position[r] != NONE {
                given_up.push(r as u32);
            }
        }
        self.rematch();
    }

    /// One repair try (see [`Engine::repair`]); returns true when kept.
    fn repair_cluster(
        &mut self,
        r: usize,
        hops: usize,
        afresh: bool,
        tries: u64,
        stop: &dyn Fn() -> bool,
    ) -> bool {
        let before = self.total_shortfall();
        let saved = (
            self.region_of.clone(),
            self.position.clone(),
            self.regions.clone(),
            self.free.clone(),
        );
        let cluster = self.cluster_around(r, hops);
        if afresh {
            // The cluster is connected (grown by adjacency), so its union is
            // one region that bisection can cut.
            let members: Vec<u32> = (0..self.regions.len())
                .filter(|&c| cluster[c] && c != r)
                .flat_map(|c| self.regions[c].members.clone())
                .collect();
            for u in members {
                self.apply(u as usize, Some(r));
            }
            let parts = parts_for(
                self.regions[r].w,
                self.settings.floor,
                self.settings.ceiling,
            );
            match parts {
                Some(k) if k >= 2 => {
                    self.bisect(r, k);
                }
                _ => {}
            }
        }
        // The cluster, and the regions the bisection made (new, or reused
        // after being emptied).
        let scope: Vec<bool> = (0..self.regions.len())
            .map(|c| {
                let made = match saved.2.get(c) {
                    None => true,
                    Some(old) => {
                        afresh && old.members.is_empty() && !self.regions[c].members.is_empty()
                    }
                };
                cluster.get(c).copied().unwrap_or(false) || made
            })
            .collect();
        self.in_scope = scope;
        let movable = (0..self.units.len()).filter(|&u| self.movable(u)).count();
        let iterations = tries * movable as u64;
        self.anneal(iterations, BAND_WEIGHT * 2_000.0, BAND_WEIGHT, stop);
        self.in_scope = vec![true; self.regions.len()];
        let kept = self.total_shortfall() < before;
        if !kept {
            (self.region_of, self.position, self.regions, self.free) = saved;
            self.in_scope.truncate(self.regions.len());
        }
        self.refresh();
        kept
    }

    /// Greedy descent: repeatedly makes the best improving move of each unit
    /// in turn (units in index order), until no move improves or `passes`
    /// passes are done.
    pub fn polish(&mut self, passes: usize) {
        for _ in 0..passes {
            self.rematch();
            if !self.single_moves() && !self.chained_moves() {
                break;
            }
        }
        self.rematch();
        self.refresh();
    }

    /// The unlocked regions next to unit `u`, other than its own.
    fn regions_next_to(&self, u: usize, out: &mut Vec<usize>) {
        out.clear();
        let a = self.region_of[u] as usize;
        for &v in self.units.neighbours(u) {
            let b = self.region_of[v as usize] as usize;
            if b != a && self.regions[b].lock == Lock::Free && !out.contains(&b) {
                out.push(b);
            }
        }
    }

    /// One pass of the best improving single move of each unit, never
    /// putting more patients out of band. Returns true when any was made.
    fn single_moves(&mut self) -> bool {
        let mut candidates: Vec<usize> = Vec::new();
        let mut improved = false;
        for u in 0..self.units.len() {
            if !self.movable(u) {
                continue;
            }
            self.regions_next_to(u, &mut candidates);
            let mut best: Option<(f64, usize)> = None;
            for &b in &candidates {
                let d = self.delta(u, Some(b));
                self.iterations += 1;
                if d < -1e-6 && best.is_none_or(|(bd, _)| d < bd) && !self.band_worsens(u, b) {
                    best = Some((d, b));
                }
            }
            if let Some((_, b)) = best {
                if self.stays_connected_without(u) {
                    self.apply(u, Some(b));
                    improved = true;
                }
            }
        }
        improved
    }

    /// One pass of chains of two moves: unit `u` goes to a neighbouring
    /// region `y` and a unit `v` of `y` goes on to a region `z` next to it
    /// (possibly `u`'s old region), taken when together they lower the cost
    /// and put no more patients out of band. This is how a network that had
    /// to shed a practice sheds a better one: the first practice comes back
    /// and another leaves, which no single move can do without breaking the
    /// band on the way. Returns true when any chain was made.
    fn chained_moves(&mut self) -> bool {
        let mut improved = false;
        let mut next_regions: Vec<usize> = Vec::new();
        let mut onward: Vec<usize> = Vec::new();
        for u in 0..self.units.len() {
            if !self.movable(u) {
                continue;
            }
            let a = self.region_of[u] as usize;
            if self.regions[a].members.len() < 2 {
                continue;
            }
            self.regions_next_to(u, &mut next_regions);
            if next_regions.is_empty() || !self.stays_connected_without(u) {
                continue;
            }
            let band_a = self.region_shortfall(a);
            let mut best: Option<(f64, usize, usize, usize)> = None;
            for &y in &next_regions.clone() {
                let band_before_ay = band_a + self.region_shortfall(y);
                let d1 = self.delta(u, Some(y));
                self.apply(u, Some(y));
                let members = self.regions[y].members.clone();
                for v in members {
                    let v = v as usize;
                    if v == u {
                        continue;
                    }
                    self.regions_next_to(v, &mut onward);
                    for &z in &onward {
                        let d2 = self.delta(v, Some(z));
                        self.iterations += 1;
                        let total = d1 + d2;
                        if total >= -1e-6 || best.is_some_and(|(bt, ..)| total >= bt) {
                            continue;
                        }
                        let wv = self.units.w[v];
                        let (ry, rz) = (&self.regions[y], &self.regions[z]);
                        let band_after_y =
                            self.shortfall(ry.w - wv, ry.members.len() - 1, self.floor_of(y));
                        let band_after_z =
                            self.shortfall(rz.w + wv, rz.members.len() + 1, self.floor_of(z));
                        let (before, after) = if z == a {
                            (band_before_ay, band_after_y + band_after_z)
                        } else {
                            (
                                band_before_ay + self.region_shortfall(z),
                                self.region_shortfall(a) + band_after_y + band_after_z,
                            )
                        };
                        if after > before || !self.stays_connected_without(v) {
                            continue;
                        }
                        best = Some((total, y, v, z));
                    }
                }
                self.apply(u, Some(a));
            }
            if let Some((_, y, v, z)) = best {
                self.apply(u, Some(y));
                self.apply(v, Some(z));
                improved = true;
            }
        }
        improved
    }

    /// Cuts every unlocked region too big for one network, but big enough for
    /// several, into compact connected parts. Returns true when any was cut.
    pub fn split_oversized(&mut self) -> bool {
        let mut any = false;
        for r in 0..self.regions.len() {
            let region = &self.regions[r];
            if region.lock != Lock::Free || region.w <= self.settings.ceiling {
                continue;
            }
            if let Some(k) = parts_for(region.w, self.settings.floor, self.settings.ceiling) {
                if k >= 2 {
                    any |= self.bisect(r, k);
                }
            }
        }
        if any {
            self.rematch();
            self.refresh();
        }
        any
    }

    /// Cuts region `r` into `k` parts by recursive bisection: the first part
    /// grows from the member furthest along the region's principal axis,
    /// always taking the frontier member lowest along the axis, until it
    /// holds its share of patients; whatever of the rest is cut off from the
    /// largest remaining piece joins it.
    fn bisect(&mut self, r: usize, k: usize) -> bool {
        if k < 2 || self.regions[r].members.len() < 2 {
            return false;
        }
        let members = {
            let mut m = self.regions[r].members.clone();
            m.sort_unstable();
            m
        };
        let units = self.units;
        let total: u64 = members.iter().map(|&u| units.w[u as usize]).sum();
        let k1 = k / 2;
        let target = total as f64 * k1 as f64 / k as f64;

        let axis = principal_axis(units, &members);
        let along = |u: u32| units.x[u as usize] * axis.0 + units.y[u as usize] * axis.1;
        let start = *members
            .iter()
            .min_by(|&&a, &&b| along(a).total_cmp(&along(b)).then(a.cmp(&b)))
            .expect("members");

        let mut in_first = vec![false; units.len()];
        let in_region = |v: u32, this: &Self| this.region_of[v as usize] as usize == r;
        let mut frontier: Vec<u32> = vec![start];
        let mut queued = vec![false; units.len()];
        queued[start as usize] = true;
        let mut first_w = 0u64;
        let mut first: Vec<u32> = Vec::new();
        while !frontier.is_empty() && first.len() + 1 < members.len() {
            let (i, _) = frontier
                .iter()
                .enumerate()
                .min_by(|(_, &a), (_, &b)| along(a).total_cmp(&along(b)).then(a.cmp(&b)))
                .expect("frontier");
            let u = frontier.swap_remove(i);
            let wu = units.w[u as usize];
            let after = (first_w + wu) as f64;
            if !first.is_empty() && after > target && after - target > target - first_w as f64 {
                break;
            }
            in_first[u as usize] = true;
            first.push(u);
            first_w += wu;
            if first_w as f64 >= target {
                break;
            }
            for &v in units.neighbours(u as usize) {
                if in_region(v, self) && !queued[v as usize] {
                    queued[v as usize] = true;
                    frontier.push(v);
                }
            }
        }
        if first.is_empty() || first.len() == members.len() {
            return false;
        }
        // The rest, in connected pieces; all but the heaviest join the first part.
        let rest: Vec<u32> = members
            .iter()
            .copied()
            .filter(|&u| !in_first[u as usize])
            .collect();
        let pieces = pieces_of(units, &rest, |v| {
            in_region(v, self) && !in_first[v as usize]
        });
        let heaviest = pieces
            .iter()
            .enumerate()
            .max_by_key(|(i, p)| {
                (
                    p.iter().map(|&u| units.w[u as usize]).sum::<u64>(),
                    std::cmp::Reverse(*i),
                )
            })
            .map(|(i, _)| i)
            .expect("pieces");
        for (i, piece) in pieces.iter().enumerate() {
            if i != heaviest {
                first.extend(piece.iter().copied());
            }
        }
        if first.len() == members.len() {
            return false;
        }
        let new_region = self.move_all(&first, None);
        if k1 >= 2 {
            self.bisect(new_region, k1);
        }
        if k - k1 >= 2 {
            self.bisect(r, k - k1);
        }
        true
    }

    /// Moves these units (all in one region) to `to` (`None`: a new region)
    /// without connectivity checks; returns the region.
    fn move_all(&mut self, moving: &[u32], to: Option<usize>) -> usize {
        let mut target = to;
        for &u in moving {
            target = Some(self.apply(u as usize, target));
        }
        target.expect("at least one unit")
    }
}

/// Which region continues which network: pairs (region, network) with the
/// most practices in common first, then the most patients, then the lowest
/// indices; each region and each network used once; `fixed` pairs (pinned
/// networks) first. Items are (region, network or [`NONE`], practices,
/// patients). Returns the network of each region, or [`NONE`].
pub(crate) fn match_overlaps(
    items: impl Iterator<Item = (u32, u32, u32, u64)>,
    regions: usize,
    networks: usize,
    fixed: &[(u32, u32)],
) -> Vec<u32> {
    let mut overlaps: Vec<(u32, u32, u32, u64)> = items.filter(|&(_, n, _, _)| n != NONE).collect();
    overlaps.sort_unstable_by_key(|&(r, n, _, _)| (r, n));
    let mut pairs: Vec<(u32, u64, u32, u32)> = Vec::new();
    for (r, n, p, w) in overlaps {
        match pairs.last_mut() {
            Some(last) if last.2 == r && last.3 == n => {
                last.0 += p;
                last.1 += w;
            }
            _ => pairs.push((p, w, r, n)),
        }
    }
    pairs.sort_unstable_by(|a, b| {
        b.0.cmp(&a.0)
            .then(b.1.cmp(&a.1))
            .then(a.2.cmp(&b.2))
            .then(a.3.cmp(&b.3))
    });
    let mut region_taken = vec![false; regions];
    let mut network_taken = vec![false; networks];
    let mut identity = vec![NONE; regions];
    for &(r, n) in fixed {
        region_taken[r as usize] = true;
        network_taken[n as usize] = true;
        identity[r as usize] = n;
    }
    for (_, _, r, n) in pairs {
        if !region_taken[r as usize] && !network_taken[n as usize] {
            region_taken[r as usize] = true;
            network_taken[n as usize] = true;
            identity[r as usize] = n;
        }
    }
    identity
}

/// The number of parts a region of `w` patients should be cut into: the
/// count whose mean is nearest the middle of the band among those whose
/// mean is within it, or `None` when there is no such count.
pub(crate) fn parts_for(w: u64, floor: u64, ceiling: u64) -> Option<usize> {
    if w == 0 || ceiling == 0 {
        return None;
    }
    let low = w.div_ceil(ceiling).max(1);
    let high = w.checked_div(floor).unwrap_or(low);
    if low > high {
        return None;
    }
    let middle = (floor + ceiling) as f64 / 2.0;
    (low..=high.min(low + 64))
        .min_by(|&a, &b| {
            let da = (w as f64 / a as f64 - middle).abs();
            let db = (w as f64 / b as f64 - middle).abs();
            da.total_cmp(&db).then(a.cmp(&b))
        })
        .map(|k| k as usize)
}

/// The unit vector of greatest patient-weighted spread of these units.
fn principal_axis(units: &Units, members: &[u32]) -> (f64, f64) {
    let (mut w, mut sx, mut sy) = (0.0, 0.0, 0.0);
    for &u in members {
        let wu = units.w[u as usize] as f64 + 1.0;
        w += wu;
        sx += wu * units.x[u as usize];
        sy += wu * units.y[u as usize];
    }
    let (cx, cy) = (sx / w, sy / w);
    let (mut cxx, mut cyy, mut cxy) = (0.0, 0.0, 0.0);
    for &u in members {
        let wu = units.w[u as usize] as f64 + 1.0;
        let (dx, dy) = (units.x[u as usize] - cx, units.y[u as usize] - cy);
        cxx += wu * dx * dx;
        cyy += wu * dy * dy;
        cxy += wu * dx * dy;
    }
    // The angle of the major axis of the covariance ellipse.
    let angle = 0.5 * (2.0 * cxy).atan2(cxx - cyy);
    (angle.cos(), angle.sin())
}

/// The connected pieces of a set of units, each in ascending order, in order
/// of their lowest unit; `inside` says whether a unit belongs to the set.
pub(crate) fn pieces_of(units: &Units, set: &[u32], inside: impl Fn(u32) -> bool) -> Vec<Vec<u32>> {
    let mut sorted = set.to_vec();
    sorted.sort_unstable();
    let mut seen = std::collections::HashSet::new();
    let mut pieces = Vec::new();
    for &s in &sorted {
        if !seen.insert(s) {
            continue;
        }
        let mut piece = vec![s];
        let mut stack = vec![s];
        while let Some(v) = stack.pop() {
            for &n in units.neighbours(v as usize) {
                if inside(n) && seen.insert(n) {
                    piece.push(n);
                    stack.push(n);
                }
            }
        }
        piece.sort_unstable();
        pieces.push(piece);
    }
    pieces
}
