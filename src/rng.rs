//! A small deterministic generator seeded from host-supplied entropy.
//!
//! The core never reads a system RNG: the host passes entropy (a seed in tests
//! and the CLI, `crypto.getRandomValues` in the browser), so a decision is
//! reproducible from its inputs. SplitMix64 is enough here — exploration needs
//! uniform, independent-looking draws, not secrecy — and costs a few lines
//! instead of a dependency in the WASM build.

/// SplitMix64 (Steele, Lea & Flood 2014).
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator seeded with `seed`.
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// A generator seeded from arbitrary entropy bytes (all of them count).
    pub fn from_entropy(entropy: &[u8]) -> Self {
        let mut seed = 0x6F66_6665_722D_6564_u64; // "offer-ed"
        for chunk in entropy.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            seed = Self::new(seed ^ u64::from_le_bytes(word)).next_u64();
        }
        Self::new(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform draw in `[0, 1)` with 53 bits of precision.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// 16 random bytes (decision ids, event ids).
    pub fn next_bytes16(&mut self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        out[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_entropy_same_stream_and_different_entropy_differs() {
        let a: Vec<u64> = (0..4)
            .scan(SplitMix64::from_entropy(b"seed-1"), |r, _| {
                Some(r.next_u64())
            })
            .collect();
        let b: Vec<u64> = (0..4)
            .scan(SplitMix64::from_entropy(b"seed-1"), |r, _| {
                Some(r.next_u64())
            })
            .collect();
        let c: Vec<u64> = (0..4)
            .scan(SplitMix64::from_entropy(b"seed-2"), |r, _| {
                Some(r.next_u64())
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn uniform_draws_cover_the_unit_interval_evenly() {
        let mut rng = SplitMix64::new(7);
        let mut bins = [0u32; 10];
        for _ in 0..100_000 {
            let x = rng.next_f64();
            assert!((0.0..1.0).contains(&x));
            bins[(x * 10.0) as usize] += 1;
        }
        assert!(
            bins.iter().all(|&n| (9_500..10_500).contains(&n)),
            "{bins:?}"
        );
    }
}
