//! A small deterministic generator (xorshift64*) for benchmark offsets and test data.
//!
//! Not for anything secret: it makes the same sequence for the same seed, so a
//! benchmark or an end-to-end check touches the same offsets on every run.

/// The generator.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (0 is replaced by a constant).
    #[must_use]
    pub const fn new(seed: u64) -> Self {
        Self(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// The next 64 random bits.
    pub const fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish in `0..n` (`n` > 0).
    pub const fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// A `block`-aligned offset of a `block`-sized piece inside `start..start+len`.
    pub const fn block_in(&mut self, start: u64, len: u64, block: u64) -> u64 {
        let blocks = len / block;
        start + self.below(if blocks == 0 { 1 } else { blocks }) * block
    }

    /// Fills `buf` with random bytes.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng() {
        let mut r = Rng::new(0);
        let mut s = Rng::new(0);
        assert_eq!(r.next_u64(), s.next_u64());
        for _ in 0..1000 {
            let o = r.block_in(4096, 1 << 20, 4096);
            assert!(o >= 4096 && o + 4096 <= 4096 + (1 << 20) && o.is_multiple_of(4096));
        }
        let mut buf = [0u8; 13];
        r.fill(&mut buf);
        assert!(buf.iter().any(|&b| b != 0));
        assert_eq!(r.block_in(0, 100, 4096), 0);
    }
}
