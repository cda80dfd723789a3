//! One cache of the call directory: its entries (each with when it was read), its
//! generation (bumped by every invalidation), its limits, and which entries are being read
//! again ahead of their expiry.
//!
//! **Refresh ahead.** An entry older than [`Limits::refresh_after`] but younger than
//! [`Limits::max_age`] is still served, and the first lookup that finds it so is told to
//! read it again in the background ([`Lookup::Refresh`]); the lookups after it are served
//! the old answer without another read until the new one lands. So an entry in use is
//! never read on a call's path, and entries filled together (the first calls after a
//! start) do not all expire in the same instant and stall the calls of that second.
//! An entry nobody asks for in that window expires at `max_age` as before. Each entry's
//! refresh age is drawn between `refresh_after` and `refresh_after + spread`, so entries
//! filled in the same second are read again over many seconds, not as one wave.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// How many entries a map holds and for how long.
#[derive(Clone, Copy, Debug)]
pub(super) struct Limits {
    pub cap: usize,
    /// Past this age an entry is read again before it is served.
    pub max_age: Duration,
    /// Past this age (and before `max_age`) an entry is served and read again meanwhile…
    pub refresh_after: Duration,
    /// …plus a random part of this much, drawn per entry.
    pub spread: Duration,
}

impl Limits {
    /// `cap` entries served for `max_age`, refreshed ahead from between half and three
    /// quarters of that age.
    pub fn new(cap: usize, max_age: Duration) -> Self {
        Self {
            cap,
            max_age,
            refresh_after: max_age / 2,
            spread: max_age / 4,
        }
    }

    /// The age at which an entry read now is refreshed ahead.
    fn refresh_age(&self) -> Duration {
        self.refresh_after + self.spread.mul_f64(rand::random::<f64>())
    }
}

struct Entry<V> {
    value: V,
    read: Instant,
    /// From this age on, a lookup has it read again ([`Limits::refresh_age`]).
    refresh_at: Duration,
    /// A background read of this entry is under way.
    refreshing: bool,
}

/// What a lookup found.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Lookup<V> {
    /// Serve this.
    Hit(V),
    /// Serve this, and read the entry again in the background: install the answer with
    /// [`Map::refreshed`] under this generation.
    Refresh(V, u64),
    /// Read it now; install the answer with [`Map::install`] under this generation.
    Miss(u64),
}

/// A bounded map of answers read from the database.
pub(super) struct Map<K, V> {
    entries: HashMap<K, Entry<V>>,
    generation: u64,
    limits: Limits,
    /// Whether an entry is still worth keeping when a full map makes room (expired caller
    /// cards are not); the map is emptied only if that frees nothing.
    keep: fn(&V) -> bool,
}

impl<K: Eq + Hash, V: Clone> Map<K, V> {
    pub fn new(limits: Limits) -> Self {
        Self::pruned_by(limits, |_| true)
    }

    /// A map that first drops the entries `keep` refuses when it is full.
    pub fn pruned_by(limits: Limits, keep: fn(&V) -> bool) -> Self {
        Self {
            entries: HashMap::new(),
            generation: 0,
            limits,
            keep,
        }
    }

    /// The generation a miss starting now installs under.
    #[cfg(test)]
    pub fn generation(&self) -> u64 {
        self.generation
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    #[cfg(test)]
    pub fn contains<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.entries.contains_key(key)
    }

    /// The answer for `key` at `now`, and whether it should be read again (see the
    /// module's doc).
    pub fn lookup<Q>(&mut self, key: &Q, now: Instant) -> Lookup<V>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let limits = self.limits;
        match self.entries.get_mut(key) {
            Some(entry) => {
                let age = now.saturating_duration_since(entry.read);
                if age >= limits.max_age {
                    Lookup::Miss(self.generation)
                } else if age >= entry.refresh_at && !entry.refreshing {
                    entry.refreshing = true;
                    Lookup::Refresh(entry.value.clone(), self.generation)
                } else {
                    Lookup::Hit(entry.value.clone())
                }
            }
            None => Lookup::Miss(self.generation),
        }
    }

    /// The value of `key`'s entry, to change in place (its age stays as it is).
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.entries.get_mut(key).map(|e| &mut e.value)
    }

    /// Forgets `key`'s entry.
    pub fn remove<Q>(&mut self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.entries.remove(key);
    }

    /// Stores an answer read at generation `seen` (at `read`), unless the map was
    /// invalidated since. A full map first drops what it need not keep, and is emptied if
    /// that was nothing. Returns whether it was stored.
    pub fn install(&mut self, seen: u64, key: K, value: V, read: Instant) -> bool {
        if seen != self.generation {
            return false;
        }
        if self.entries.len() >= self.limits.cap && !self.entries.contains_key(&key) {
            let keep = self.keep;
            self.entries.retain(|_, e| keep(&e.value));
            if self.entries.len() >= self.limits.cap {
                self.entries.clear();
            }
        }
        let entry = Entry {
            value,
            read,
            refresh_at: self.limits.refresh_age(),
            refreshing: false,
        };
        self.entries.insert(key, entry);
        true
    }

    /// Settles a background read of `key` begun at `read` under generation `seen`: the new
    /// answer replaces the old, `None` (the thing is gone) drops it, and an error keeps the
    /// old answer for the next lookup to try again. After an invalidation the answer is
    /// not installed (it may predate the change).
    pub fn refreshed(&mut self, seen: u64, key: K, answer: Result<Option<V>, ()>, read: Instant) {
        match answer {
            Ok(Some(value)) if seen == self.generation => {
                self.install(seen, key, value, read);
            }
            Ok(None) if seen == self.generation => {
                self.entries.remove(&key);
            }
            _ => {
                if let Some(entry) = self.entries.get_mut(&key) {
                    entry.refreshing = false;
                }
            }
        }
    }

    /// Keeps only the entries `keep` accepts, and fails the installs of reads in flight.
    pub fn invalidate(&mut self, mut keep: impl FnMut(&K, &V) -> bool) {
        self.generation = self.generation.wrapping_add(1);
        self.entries.retain(|k, e| keep(k, &e.value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    /// Refreshed ahead from exactly half a minute.
    fn limits(cap: usize) -> Limits {
        Limits {
            spread: Duration::ZERO,
            ..Limits::new(cap, MINUTE)
        }
    }

    fn filled(at: Instant) -> Map<&'static str, u32> {
        let mut map = Map::new(limits(10));
        assert!(map.install(0, "a", 1, at));
        map
    }

    #[test]
    fn an_entry_is_served_then_refreshed_ahead_then_read_again() {
        let t0 = Instant::now();
        let mut map = filled(t0);
        assert_eq!(
            map.lookup("a", t0 + Duration::from_secs(29)),
            Lookup::Hit(1)
        );
        let half = t0 + Duration::from_secs(30);
        assert_eq!(map.lookup("a", half), Lookup::Refresh(1, 0));
        // One background read at a time: the next lookups are served without another.
        assert_eq!(map.lookup("a", half), Lookup::Hit(1));
        assert_eq!(
            map.lookup("a", t0 + Duration::from_secs(59)),
            Lookup::Hit(1)
        );
        // Past the max age it is read on the lookup's path, refreshing or not.
        assert_eq!(map.lookup("a", t0 + MINUTE), Lookup::Miss(0));
    }

    #[test]
    fn a_refreshed_answer_is_young_again() {
        let t0 = Instant::now();
        let mut map = filled(t0);
        let half = t0 + Duration::from_secs(30);
        let Lookup::Refresh(_, seen) = map.lookup("a", half) else {
            panic!("not refreshed ahead");
        };
        map.refreshed(seen, "a", Ok(Some(2)), half);
        assert_eq!(
            map.lookup("a", t0 + Duration::from_secs(59)),
            Lookup::Hit(2)
        );
        // Its age counts from the background read: half of it again, and it is refreshed.
        assert_eq!(
            map.lookup("a", half + Duration::from_secs(30)),
            Lookup::Refresh(2, 0)
        );
        assert_eq!(map.lookup("a", half + MINUTE), Lookup::Miss(0));
    }

    #[test]
    fn a_failed_refresh_is_tried_again_and_a_vanished_answer_is_dropped() {
        let t0 = Instant::now();
        let mut map = filled(t0);
        let half = t0 + Duration::from_secs(30);
        assert_eq!(map.lookup("a", half), Lookup::Refresh(1, 0));
        map.refreshed(0, "a", Err(()), half);
        // The old answer stays, and the next lookup asks for another read.
        assert_eq!(map.lookup("a", half), Lookup::Refresh(1, 0));
        map.refreshed(0, "a", Ok(None), half);
        assert_eq!(map.lookup("a", half), Lookup::Miss(0));
    }

    #[test]
    fn a_refresh_read_before_an_invalidation_is_not_installed() {
        let t0 = Instant::now();
        let mut map = filled(t0);
        assert!(map.install(0, "b", 7, t0));
        let half = t0 + Duration::from_secs(30);
        let Lookup::Refresh(_, seen) = map.lookup("b", half) else {
            panic!("not refreshed ahead");
        };
        // "a" changes while "b" is being read; "b" is kept (the change is not about it)…
        map.invalidate(|k, _| *k != "a");
        map.refreshed(seen, "b", Ok(Some(8)), half);
        // …but the answer read before the invalidation is not installed; the old one is
        // still served and a later lookup reads it again under the new generation.
        assert_eq!(map.lookup("b", half), Lookup::Refresh(7, 1));
    }

    #[test]
    fn refresh_ages_are_spread_between_half_and_three_quarters_of_the_max_age() {
        let limits = Limits::new(10, MINUTE);
        let ages: Vec<Duration> = (0..200).map(|_| limits.refresh_age()).collect();
        assert!(ages
            .iter()
            .all(|a| *a >= MINUTE / 2 && *a <= MINUTE * 3 / 4));
        let (low, high) = (ages.iter().min(), ages.iter().max());
        assert!(
            high.zip(low).is_some_and(|(h, l)| *h - *l > MINUTE / 8),
            "not spread"
        );
    }

    #[test]
    fn a_full_map_drops_what_it_need_not_keep_before_emptying() {
        let t0 = Instant::now();
        let mut map: Map<u32, u32> = Map::pruned_by(limits(3), |v| v % 2 == 0);
        for k in 0..3 {
            assert!(map.install(0, k, k, t0));
        }
        // Full: the odd value goes, the even ones stay.
        assert!(map.install(0, 10, 10, t0));
        assert_eq!(map.len(), 3);
        assert!(map.contains(&0) && map.contains(&2) && !map.contains(&1));
        // Full of keepers: emptied, and the new one stored.
        assert!(map.install(0, 12, 12, t0));
        assert_eq!(map.len(), 1);
        assert!(map.contains(&12));
    }
}
