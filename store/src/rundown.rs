//! A rundown: the references that keep a disk's memory (and its device) alive while
//! requests use it, and the closing that waits for the last of them.
//!
//! Every IRP that reaches a device takes a reference ([`Rundown::acquire`]) before it
//! reads the device's state and gives it back when it is done ([`Guard`]'s drop).
//! Removal [`Rundown::close`]s the rundown: from then on no new reference is granted,
//! and the remover waits until the references held at that moment are given back —
//! the last holder wakes it ([`Wake`]). After that nothing can be using the device,
//! which is the proof the remover needs to delete it and free its store.
//!
//! Windows has this primitive (`ExAcquireRundownProtection` & co.); Wine 8 exports
//! those functions as stubs that abort the process, and its `IoAcquireRemoveLock` checks
//! and increments in two steps, so the driver keeps its own: one `AtomicU32` whose top
//! bit says "closed" and whose other 31 bits count the references. `acquire` is a
//! compare-exchange that fails once the bit is set, so no reference can be taken after
//! the close was seen; `release` is one `fetch_sub`, and exactly one caller sees the
//! count reach zero with the bit set (the remover when nothing was held at the close,
//! else the last releaser). The waiting itself (a `KEVENT` in the driver) is the
//! caller's: [`Wake`] says when.
//!
//! The tests (`tests.rs`, also under Miri) free a heap block once the rundown is
//! drained while other threads keep trying to use it.
//!
//! A dynamic disk's store also counts on its device's rundown: a reference is a
//! request in flight that may hold one of the store's chunks, so a chunk a TRIM
//! detached may be freed once the count (less the freer's own reference) was seen at
//! zero ([`crate::Store::attach`], [`crate::reclaim`] has the argument). That is why
//! `acquire` is a `SeqCst` compare-exchange: the freer's `SeqCst` load of the count
//! must be ordered after every acquire whose holder loaded a chunk pointer before the
//! TRIM's swap. (On x86 the instruction is the same `lock cmpxchg` either way.)

use core::sync::atomic::{AtomicU32, Ordering};

/// The "closed" bit.
const CLOSED: u32 = 1 << 31;

/// The reference count and the closed bit of one device.
#[derive(Debug, Default)]
pub struct Rundown(AtomicU32);

/// How the closer learns that the last reference is gone.
pub trait Wake {
    /// Called once, by the holder whose release drained a closed rundown.
    fn wake(&self);
}

/// A reference; given back (and the closer woken if it was the last) on drop.
#[must_use = "the reference is given back when the guard drops"]
pub struct Guard<'a, W: Wake> {
    rundown: &'a Rundown,
    wake: &'a W,
}

/// Proof that the holder has a reference on a rundown for `'a`.
///
/// Borrowed from a [`Guard`]: what a store attached to that rundown takes instead of
/// counting the request itself ([`crate::Store::read_held`]).
#[derive(Clone, Copy, Debug)]
pub struct Held<'a> {
    rundown: &'a Rundown,
}

impl<'a> Held<'a> {
    /// The rundown the reference is on.
    #[must_use]
    pub const fn rundown(self) -> &'a Rundown {
        self.rundown
    }
}

impl<W: Wake> Guard<'_, W> {
    /// The proof of this reference, for as long as the guard is borrowed.
    #[must_use]
    pub const fn held(&self) -> Held<'_> {
        Held {
            rundown: self.rundown,
        }
    }
}

impl<W: Wake> Drop for Guard<'_, W> {
    fn drop(&mut self) {
        if self.rundown.release() {
            self.wake.wake();
        }
    }
}

impl Rundown {
    /// Open, no reference held.
    #[must_use]
    pub const fn new() -> Self {
        Self(AtomicU32::new(0))
    }

    /// Takes a reference: `false` once the rundown is closed (or, never in practice,
    /// when 2^31 − 1 references are held).
    pub fn acquire(&self) -> bool {
        let mut seen = self.0.load(Ordering::Relaxed);
        loop {
            if seen & CLOSED != 0 || seen == CLOSED - 1 {
                return false;
            }
            match self
                .0
                .compare_exchange_weak(seen, seen + 1, Ordering::SeqCst, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(now) => seen = now,
            }
        }
    }

    /// Takes a reference as a [`Guard`] that wakes `wake` if it turns out to be the
    /// last one of a closed rundown; `None` once closed.
    pub fn enter<'a, W: Wake>(&'a self, wake: &'a W) -> Option<Guard<'a, W>> {
        if self.acquire() {
            Some(Guard {
                rundown: self,
                wake,
            })
        } else {
            None
        }
    }

    /// Gives a reference back (one taken by [`Rundown::acquire`]); `true` when it was
    /// the last one of a closed rundown, so the closer must be woken.
    ///
    /// Crate-private: a release without its acquire would let a store attached to this
    /// rundown free a chunk another holder is still copying ([`crate::reclaim`]), so
    /// outside this crate references are given back only by dropping a [`Guard`].
    #[must_use = "the closer must be woken when this returns true"]
    pub(crate) fn release(&self) -> bool {
        let before = self.0.fetch_sub(1, Ordering::AcqRel);
        before == CLOSED | 1
    }

    /// Closes the rundown: no reference is granted from now on. `true` when none was
    /// held (nothing to wait for); otherwise the last holder's release returns `true`
    /// (and a [`Guard`] calls [`Wake::wake`]). Closing twice is harmless (the second
    /// call reports whether the rundown is drained).
    #[must_use = "when this returns false, wait for the wake-up"]
    pub fn close(&self) -> bool {
        let before = self.0.fetch_or(CLOSED, Ordering::AcqRel);
        before & !CLOSED == 0
    }

    /// Whether the rundown is closed.
    pub fn is_closed(&self) -> bool {
        self.0.load(Ordering::Acquire) & CLOSED != 0
    }

    /// Whether it is closed and no reference is held: nothing uses the device any more.
    pub fn is_drained(&self) -> bool {
        self.0.load(Ordering::Acquire) == CLOSED
    }

    /// The references held now (a snapshot, for log lines and tests).
    pub fn held(&self) -> u32 {
        self.0.load(Ordering::Relaxed) & !CLOSED
    }

    /// The references held, read `SeqCst` (the reclamation's check).
    pub(crate) fn held_seqcst(&self) -> u32 {
        self.0.load(Ordering::SeqCst) & !CLOSED
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::boxed::Box;
    use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize};
    use std::sync::{Arc, Condvar, Mutex};
    use std::thread;
    use std::vec::Vec;

    /// Wakes a closer blocked in [`Event::wait`]; counts the wake-ups.
    #[derive(Default)]
    struct Event {
        set: Mutex<bool>,
        cond: Condvar,
        wakes: AtomicUsize,
    }

    impl Wake for Event {
        fn wake(&self) {
            self.wakes.fetch_add(1, Ordering::SeqCst);
            *self.set.lock().unwrap() = true;
            self.cond.notify_all();
        }
    }

    impl Event {
        fn wait(&self) {
            drop(
                self.cond
                    .wait_while(self.set.lock().unwrap(), |set| !*set)
                    .unwrap(),
            );
        }
    }

    /// Close, and wait for the last holder when one is left: what the driver does.
    fn close_and_wait(r: &Rundown, e: &Event) {
        if !r.close() {
            e.wait();
        }
        assert!(r.is_drained());
    }

    #[test]
    fn sequential_rules() {
        let r = Rundown::new();
        let e = Event::default();
        assert!(!r.is_closed());
        let a = r.enter(&e).unwrap();
        let b = r.enter(&e).unwrap();
        assert_eq!(r.held(), 2);
        assert!(!r.close(), "two references are held");
        assert!(r.is_closed() && !r.is_drained());
        assert!(r.enter(&e).is_none(), "no reference after the close");
        assert!(!r.acquire());
        assert_eq!(r.held(), 2, "a refused acquire leaves no reference");
        drop(a);
        assert_eq!(e.wakes.load(Ordering::SeqCst), 0);
        drop(b);
        assert_eq!(e.wakes.load(Ordering::SeqCst), 1, "the last one wakes");
        assert!(r.is_drained());
        assert!(r.close(), "closing again reports drained");

        let idle = Rundown::new();
        assert!(idle.close(), "nothing held: nothing to wait for");
        assert!(idle.is_drained());
        assert!(idle.enter(&e).is_none());
        assert_eq!(e.wakes.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn the_count_never_reaches_the_closed_bit() {
        let r = Rundown(AtomicU32::new(CLOSED - 2));
        assert!(r.acquire());
        assert!(!r.acquire(), "2^31 - 1 references is the most");
        assert!(!r.is_closed());
        assert!(!r.release());
    }

    #[derive(Clone, Copy, Debug)]
    enum Op {
        Acquire,
        Release,
        Close,
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: if cfg!(miri) { 8 } else { 256 },
            // No persistence file: Miri's isolation has no working directory.
            failure_persistence: None,
            ..ProptestConfig::default()
        })]
        /// Any sequence against the obvious model: a count and a flag.
        #[test]
        fn matches_a_model(ops in proptest::collection::vec(
            prop_oneof![Just(Op::Acquire), Just(Op::Release), Just(Op::Close)], 0..64)) {
            let r = Rundown::new();
            let (mut count, mut closed, mut wakes) = (0u32, false, 0u32);
            for op in ops {
                match op {
                    Op::Acquire => {
                        let got = r.acquire();
                        prop_assert_eq!(got, !closed);
                        if got { count += 1; }
                    }
                    Op::Release if count > 0 => {
                        count -= 1;
                        let last = r.release();
                        prop_assert_eq!(last, closed && count == 0);
                        if last { wakes += 1; }
                    }
                    Op::Release => {}
                    Op::Close => {
                        let first = !closed;
                        closed = true;
                        let drained = r.close();
                        prop_assert_eq!(drained, count == 0);
                        if first && drained { wakes += 1; }
                    }
                }
                prop_assert_eq!(r.held(), count);
                prop_assert_eq!(r.is_closed(), closed);
                prop_assert_eq!(r.is_drained(), closed && count == 0);
            }
            // Exactly one party learns "drained" (the closer or the last releaser).
            prop_assert!(wakes <= 1);
            prop_assert_eq!(wakes == 1, closed && count == 0);
        }
    }

    /// Holders read a heap block through a raw pointer only while they hold a
    /// reference; the closer frees the block once the rundown is drained. A reference
    /// granted after the close, or a wake-up before the last release, would be a read
    /// of freed memory, which Miri reports (and which the poison value shows natively).
    #[test]
    fn nothing_uses_the_block_after_the_drain() {
        const WORDS: usize = 64;
        let (threads, rounds) = if cfg!(miri) { (3, 3) } else { (8, 200) };
        for _ in 0..rounds {
            let block: Box<[AtomicU64; WORDS]> = Box::new([const { AtomicU64::new(7) }; WORDS]);
            let ptr = Arc::new(AtomicPtr::new(Box::into_raw(block)));
            let shared = Arc::new((Rundown::new(), Event::default()));
            let freed = Arc::new(AtomicBool::new(false));
            let holders: Vec<_> = (0..threads)
                .map(|t| {
                    let (ptr, shared, freed) = (ptr.clone(), shared.clone(), freed.clone());
                    thread::spawn(move || {
                        let mut refused = 0u32;
                        for i in 0..if cfg!(miri) { 20 } else { 2000 } {
                            let (rundown, event) = &*shared;
                            let Some(_guard) = rundown.enter(event) else {
                                refused += 1;
                                if refused > 3 {
                                    break;
                                }
                                continue;
                            };
                            assert!(!freed.load(Ordering::SeqCst), "a reference while freed");
                            let block = ptr.load(Ordering::Acquire);
                            // SAFETY: a reference is held, so the closer has not freed
                            // the block (it frees only after the drain).
                            let words = unsafe { &*block };
                            let slot = &words[(t * 7 + i) % WORDS];
                            slot.fetch_add(1, Ordering::Relaxed);
                        }
                    })
                })
                .collect();
            if !cfg!(miri) {
                thread::yield_now();
            }
            let (rundown, event) = &*shared;
            close_and_wait(rundown, event);
            assert!(!rundown.acquire());
            freed.store(true, Ordering::SeqCst);
            let block = ptr.swap(core::ptr::null_mut(), Ordering::AcqRel);
            // SAFETY: drained: no holder has a reference, and none can take one, so
            // nobody reads the block any more; it came from Box::into_raw above.
            drop(unsafe { Box::from_raw(block) });
            for h in holders {
                h.join().unwrap();
            }
            assert!(event.wakes.load(Ordering::SeqCst) <= 1);
        }
    }

    /// Many closers racing many holders: every close returns, the rundown ends
    /// drained, and at most one wake-up happens.
    #[test]
    fn racing_closers_and_holders() {
        let rounds = if cfg!(miri) { 4 } else { 500 };
        for _ in 0..rounds {
            let shared = Arc::new((Rundown::new(), Event::default()));
            let workers: Vec<_> = (0..4)
                .map(|n| {
                    let shared = shared.clone();
                    thread::spawn(move || {
                        let (rundown, event) = &*shared;
                        if n == 0 {
                            close_and_wait(rundown, event);
                        } else {
                            for _ in 0..if cfg!(miri) { 5 } else { 50 } {
                                drop(rundown.enter(event));
                            }
                        }
                    })
                })
                .collect();
            for w in workers {
                w.join().unwrap();
            }
            let (rundown, event) = &*shared;
            assert!(rundown.is_drained());
            assert!(event.wakes.load(Ordering::SeqCst) <= 1);
        }
    }
}
