//! Deferred freeing of chunks that a concurrent request may still be copying.
//!
//! A dynamic store frees a chunk when a TRIM covers it whole. Another request on
//! another thread may have loaded that chunk's pointer a moment earlier and still be
//! copying to or from it; freeing it then would be a use-after-free (a stale read
//! returns another allocation's bytes, a stale write corrupts it). `Reclaim`
//! (crate-private) makes such frees wait.
//!
//! # The scheme: in-flight slots and a retire list
//!
//! * A request that holds a reference on the **rundown the store is attached to**
//!   ([`crate::Store::attach`]: the disk device's, on which every IRP holds one while
//!   it runs) is counted by that reference and claims nothing more: the driver's
//!   reads, writes and TRIMs pass its proof ([`Held`]) and pay no locked instruction
//!   of their own. Their check on the way out is one load of the retire stack's head
//!   (below), made while the reference is still held.
//! * Every other read, write and trim of a dynamic store runs inside a
//!   `Reclaim::enter` guard that holds one **slot**: one of [`SLOTS`] words, each on a cache line of
//!   its own in a block the store allocates with its directory. A request claims a
//!   free slot with a `SeqCst` compare-exchange (0 → 1), starting at a slot picked
//!   from the address of its own stack (so concurrent requests on different threads
//!   usually start at different slots and never share a line), and gives it back
//!   with a plain `Release` store of 0 — one locked instruction per request instead
//!   of two, and none after the copy, where a locked instruction would wait for the
//!   copy's stores to drain. A request that finds every slot taken counts itself in
//!   an `overflow` counter instead (one `SeqCst` read-modify-write in, one out).
//! * A trimmer *detaches* a chunk (an atomic swap of its table slot to null) before
//!   anything else happens to it. Nothing writes chunk bytes on the way to the free:
//!   a stale reader keeps reading the old bytes, a stale writer's bytes land in the
//!   detached chunk (its write overlapped the TRIM, so "written, then trimmed" is a
//!   correct outcome).
//! * The trimmer collects detached chunks in a *retire node* of its own (a 4 KiB
//!   block of `(pointer, length)` pairs). When the node is full, and when the trim
//!   ends, it checks the slots: if every other slot is free, no other request is
//!   counted in `overflow` and the attached rundown holds no reference but the
//!   trimmer's own ("quiet"), it frees the node's chunks at once; otherwise it pushes
//!   the node onto a lock-free stack.
//! * A request leaving its guard that finds the stack non-empty (a `SeqCst` load
//!   after it gave its slot back, or before it gives its rundown reference back)
//!   *drains*: it takes the whole stack (a swap of its head to null) and, if the
//!   store is then quiet but for itself, frees it; otherwise it pushes the chain
//!   back, and tries once more if the store turned quiet meanwhile.
//!
//! # Why a freed chunk is never in use (the argument)
//!
//! The claims and `overflow` RMWs, the rundown's acquiring compare-exchange
//! ([`Rundown::acquire`]), the slot and rundown checks, the table-slot loads and swaps
//! of a dynamic store and every operation on the stack head are `SeqCst`, so they are
//! totally ordered (call the order *S*), and *S* agrees with program order and with
//! each location's modification order (a `SeqCst` load that follows a `SeqCst`
//! modification of the same location in *S* reads it or a later one).
//!
//! Let request X hold chunk P: it loaded P from its table slot after claiming its
//! slot (or counting itself in `overflow`, or acquiring its rundown reference), so
//! `X.claim <S X.load(P)`, and the load
//! read a value earlier than the trimmer's swap, so `X.load(P) <S swap(P)`. P is freed
//! only by a thread F (the trimmer itself, or a drainer that took a chain holding P,
//! which was pushed after `swap(P)`, so `swap(P) <S push <S take`) after F checked the
//! slots, and every one of those checks comes after `swap(P)` in *S*:
//!
//! * **X held a slot.** F's load of X's slot follows X's claim in *S*, so it reads the
//!   claim or a later value. F frees only if it reads 0, i.e. X's release store or a
//!   release store of a later holder of that slot, whose claim read (through a chain
//!   of claims and release stores) X's release: either way X's release store
//!   happens before F's load, and with it everything X did to P.
//! * **X counted itself in `overflow`.** F's load of `overflow` reads X's increment or
//!   a later value; the value is the number of such requests in flight (F's own
//!   included, if F is one), so F frees only if X's decrement is in it, and since
//!   every modification of `overflow` is an RMW, F's load reads from the release
//!   sequence X's decrement heads: X's accesses happen before the free.
//! * **X held a reference on the attached rundown.** The same argument on the
//!   rundown's word: every change to it is an RMW (acquire, release, close), F's
//!   load reads X's acquire or a later value, and F frees only if the count it reads
//!   is F's own (1 when F itself holds a reference, else 0). Every reference counted
//!   before X's acquire in the word's modification order but not given back must then
//!   be F's, so X's `Release` decrement is in what F read, and X's accesses happen
//!   before the free. (F must not give its own reference back before its check: it
//!   drains while it still holds it, and counts it as its own.) The store is attached
//!   before its device is published (a `Release` store an IRP reads with `Acquire`
//!   before it can use the store) and detached only after the rundown drained, so a
//!   holder's proof and F's check see the same rundown.
//! * A request that claims its slot after F's check, or after `swap(P)` in *S*, loads
//!   P's table slot after the swap and sees null or a newer chunk, never P.
//!
//! Nodes themselves are private to whoever holds them (the trimmer filling one, the
//! drainer that took a chain), and a chain handed over through the head is
//! published by a release RMW and taken by an acquire one. The stack only ever has
//! whole-chain pushes and whole-stack takes, so it has no ABA problem. The slots only
//! ever go 0 → 1 by a compare-exchange and 1 → 0 by their holder, so a slot has at
//! most one holder.
//!
//! # Costs and limits
//!
//! Per request counted by the attached rundown: a comparison of two pointers and a
//! load of the stack head; the reference itself is the IRP's, which fixed disks pay
//! too (the benchmark's `rundown-` rows measure it). Per request counted by a slot:
//! one `SeqCst` compare-exchange on a line no other thread is likely to touch, a
//! `Release` store and a load of the stack head (fixed stores skip the guard, they
//! never free). Both are measured by the benchmark against `copy_from_slice`. A slot
//! check reads [`SLOTS`] lines, so a trim checks once per retire node (up to 255
//! chunks), not per chunk; a drain checks once per attempt. A retired chunk waits for
//! the first drain that finds the slots quiet: under uninterrupted overlapping load
//! the stack can grow, and because a release store is not ordered before the next
//! load, two requests leaving at the same moment as a chain is pushed back may both
//! miss it; it then waits for the next request to leave (it is freed at the latest
//! when the store is dropped). Retired chunks leave the store's allocated bytes when
//! they are detached (the memory limit applies to what the disk holds, so a write
//! never fails for memory a TRIM has given up) and are counted as pending until freed
//! ([`crate::Store::pending_free_bytes`]). A trimmer that cannot get a retire node (no
//! memory) zeroes the chunk in place instead of freeing it.
//!
//! Miri runs the store's concurrency tests (readers, writers and trimmers on the
//! same chunks) with this scheme; a use-after-free or a data race there fails them.

use core::ptr::{self, NonNull};
use core::sync::atomic::{
    AtomicPtr, AtomicUsize,
    Ordering::{Relaxed, Release, SeqCst},
};

use crate::ChunkAlloc;
use crate::rundown::{Held, Rundown};

/// Bytes of one retire node: a page.
pub const NODE_BYTES: usize = 4096;
/// `(pointer, length)` pairs one node holds.
const NODE_ENTRIES: usize = (NODE_BYTES - 2 * size_of::<usize>()) / size_of::<Retired>();

/// In-flight slots of a dynamic store (`log2`): 64, more than the processors most
/// machines run requests on at once; more requests than that count in `overflow`.
const SLOT_BITS: u32 = 6;
/// In-flight slots of a dynamic store.
pub const SLOTS: usize = 1 << SLOT_BITS;
/// Bytes between two slots: a cache line, so that requests on different processors
/// never write the same line.
const SLOT_STRIDE: usize = 64;
/// Bytes of the slot block a dynamic store allocates: a page.
pub const SLOT_BYTES: usize = SLOTS * SLOT_STRIDE;

/// A free slot.
const FREE: usize = 0;
/// A slot held by a request in flight.
const HELD: usize = 1;

/// One retired chunk.
#[repr(C)]
struct Retired {
    block: *mut u8,
    len: usize,
}

/// A block of retired chunks; all-zero bytes are a valid empty node.
#[repr(C)]
struct Node {
    next: *mut Self,
    count: usize,
    entries: [Retired; NODE_ENTRIES],
}

const _: () = assert!(size_of::<Node>() <= NODE_BYTES);
const _: () = assert!(align_of::<Node>() <= crate::MIN_ALIGN);
const _: () = assert!(SLOT_STRIDE >= size_of::<AtomicUsize>());

/// The in-flight slots, the overflow count, the retire stack and one spare node of a
/// dynamic store. See the module documentation for the argument.
#[derive(Debug)]
pub(crate) struct Reclaim {
    /// [`SLOTS`] atomics, [`SLOT_STRIDE`] bytes apart (zeroed: all free); null until
    /// [`Reclaim::set_slots`] (and in a fixed store, which never enters).
    slots: *mut AtomicUsize,
    /// The slots requests may claim, less one: `SLOTS - 1` (tests use fewer to drive
    /// requests into `overflow`).
    slot_mask: usize,
    /// Requests in flight that found no free slot.
    overflow: AtomicUsize,
    head: AtomicPtr<Node>,
    spare: AtomicPtr<Node>,
    /// The device rundown whose references count as requests in flight
    /// ([`Reclaim::attach`]); null when none is attached.
    external: AtomicPtr<Rundown>,
}

// SAFETY: atomics, and a pointer to a block of atomics the store owns and frees only
// in its `drop` (`drain_all`); nothing here is tied to a thread.
unsafe impl Send for Reclaim {}
// SAFETY: as for `Send`: shared use goes through the atomics only.
unsafe impl Sync for Reclaim {}

/// What a request in flight holds: a slot, or a share of the overflow count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Token {
    /// Slot `n`.
    Slot(usize),
    /// Counted in `overflow`.
    Overflow,
    /// Counted by a reference on the attached rundown (the caller's [`Held`]).
    Held,
}

/// What [`Reclaim::retire`] did with a node.
pub(crate) enum Retire {
    /// Its chunks are freed; the node is empty and the caller's again.
    Freed(RetireNode),
    /// It is on the retire stack.
    Pushed,
}

/// How many times one leaving request tries to drain before it stops (the next
/// request's exit, or the store's drop, frees whatever is left).
const MAX_HANDOVERS: usize = 4;

/// Where a request on this thread starts looking for a free slot: a hash of the
/// address of its stack (threads have stacks of their own, so concurrent requests
/// mostly start at different slots). Any start is correct; this only spreads them.
fn slot_hint() -> usize {
    // Fibonacci hashing (2^64 / golden ratio): the top SLOT_BITS bits of the product.
    #[expect(
        clippy::cast_possible_truncation,
        reason = "a hash multiplier: on a 32-bit target its low half serves as well"
    )]
    const GOLDEN: usize = 0x9E37_79B9_7F4A_7C15_u64 as usize;
    let probe = 0u8;
    let page = ptr::addr_of!(probe).addr() >> 12;
    page.wrapping_mul(GOLDEN) >> (usize::BITS - SLOT_BITS)
}

impl Reclaim {
    /// No slots yet, nothing in flight, nothing retired.
    pub(crate) const fn new() -> Self {
        Self {
            slots: ptr::null_mut(),
            slot_mask: SLOTS - 1,
            overflow: AtomicUsize::new(0),
            head: AtomicPtr::new(ptr::null_mut()),
            spare: AtomicPtr::new(ptr::null_mut()),
            external: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// Counts the references on `rundown` as requests in flight from now on, so that
    /// a request holding one ([`Reclaim::held`]) needs no slot.
    ///
    /// # Safety
    /// `rundown` stays valid until [`Reclaim::detach`] or the drop of the store.
    pub(crate) unsafe fn attach(&self, rundown: &Rundown) {
        self.external
            .store(ptr::from_ref(rundown).cast_mut(), SeqCst);
    }

    /// Stops counting the attached rundown's references.
    ///
    /// # Safety
    /// No request counted by them ([`Token::Held`]) is in flight.
    pub(crate) unsafe fn detach(&self) {
        self.external.store(ptr::null_mut(), SeqCst);
    }

    /// The attached rundown, if any.
    fn external(&self) -> Option<&Rundown> {
        let raw = self.external.load(SeqCst);
        // SAFETY: non-null only between `attach` and `detach`, while the rundown is
        // valid (`attach`'s contract).
        unsafe { raw.as_ref() }
    }

    /// [`Token::Held`] when `held` is a reference on the attached rundown: the request
    /// is counted already, and claims nothing.
    #[inline]
    pub(crate) fn held(&self, held: Held<'_>) -> Option<Token> {
        ptr::eq(self.external.load(Relaxed), held.rundown()).then_some(Token::Held)
    }

    /// Gives the scheme its slots: a zeroed block of [`SLOT_BYTES`] from the store's
    /// allocator (freed by [`Reclaim::drain_all`]). Before this, every request counts
    /// in `overflow`.
    pub(crate) const fn set_slots(&mut self, block: NonNull<u8>) {
        self.slots = block.as_ptr().cast();
    }

    /// Lets requests claim only the first `n` slots (a power of two, at most
    /// [`SLOTS`]): tests drive requests into `overflow` with it.
    #[cfg(test)]
    pub(crate) fn limit_slots(&mut self, n: usize) {
        assert!(n.is_power_of_two() && n <= SLOTS);
        self.slot_mask = n - 1;
    }

    /// Slot `n` (< [`SLOTS`]); `None` without slots.
    fn slot(&self, n: usize) -> Option<&AtomicUsize> {
        debug_assert!(n < SLOTS);
        if self.slots.is_null() {
            return None;
        }
        // SAFETY: `n < SLOTS`: inside the slot block of SLOT_BYTES.
        let slot = unsafe { self.slots.byte_add(n * SLOT_STRIDE) };
        // SAFETY: the slot block holds SLOTS atomics SLOT_STRIDE bytes apart
        // (`set_slots`: zeroed, aligned: `allocate` checks MIN_ALIGN), live until the
        // store is dropped; atomics may be shared.
        Some(unsafe { &*slot })
    }

    /// Counts one request in: a free slot if there is one, else `overflow`.
    #[inline]
    pub(crate) fn enter(&self) -> Token {
        if !self.slots.is_null() {
            let (start, mask) = (slot_hint(), self.slot_mask);
            for i in 0..=mask {
                let n = (start + i) & mask;
                let Some(slot) = self.slot(n) else { break };
                if slot.load(Relaxed) == FREE
                    && slot.compare_exchange(FREE, HELD, SeqCst, Relaxed).is_ok()
                {
                    return Token::Slot(n);
                }
            }
        }
        self.overflow.fetch_add(1, SeqCst);
        Token::Overflow
    }

    /// Whether no request but the caller's (`me`: its token, `None` for a caller
    /// that holds none) is in flight. Called after detaching chunks: `true` means
    /// they may be freed at once (module docs, the argument).
    pub(crate) fn quiet(&self, me: Option<Token>) -> bool {
        let own = usize::from(me == Some(Token::Overflow));
        if self.overflow.load(SeqCst) != own {
            return false;
        }
        if let Some(rundown) = self.external()
            && rundown.held_seqcst() != u32::from(me == Some(Token::Held))
        {
            return false;
        }
        (0..SLOTS).all(|n| {
            Some(Token::Slot(n)) == me || self.slot(n).is_none_or(|s| s.load(SeqCst) == FREE)
        })
    }

    /// Counts one request out; frees what was retired when nothing else is in flight.
    /// `free(block, len)` frees one retired chunk (and releases its accounting).
    #[inline]
    pub(crate) fn exit<A: ChunkAlloc>(
        &self,
        token: Token,
        alloc: &A,
        free: impl FnMut(NonNull<u8>, usize),
    ) {
        // A held reference is given back by its holder, after this: the drain runs
        // with it held (and counted as the drainer's own).
        let me = match token {
            Token::Slot(n) => {
                if let Some(slot) = self.slot(n) {
                    slot.store(FREE, Release);
                }
                None
            }
            Token::Overflow => {
                self.overflow.fetch_sub(1, SeqCst);
                None
            }
            Token::Held => Some(Token::Held),
        };
        if !self.head.load(SeqCst).is_null() {
            self.drain(me, alloc, free);
        }
    }

    /// Takes the retire stack and frees it if nothing but the caller (`me`: `None`,
    /// or [`Token::Held`]) is in flight, else pushes it back (and tries again if the
    /// requests in flight left meanwhile).
    #[inline(never)]
    fn drain<A: ChunkAlloc>(
        &self,
        me: Option<Token>,
        alloc: &A,
        mut free: impl FnMut(NonNull<u8>, usize),
    ) {
        for _ in 0..MAX_HANDOVERS {
            let taken = self.head.swap(ptr::null_mut(), SeqCst);
            if taken.is_null() {
                return;
            }
            if self.quiet(me) {
                // SAFETY: the chain was taken before the check that found nothing in
                // flight (module docs, the argument).
                unsafe { Self::free_chain(alloc, taken, &mut free) };
                continue;
            }
            // SAFETY: the chain is ours (taken above) and every node in it came
            // from `push_chain`.
            unsafe { self.push_chain(taken) };
            if !self.quiet(me) {
                // Whoever is in flight drains when it leaves.
                return;
            }
        }
    }

    /// A node to retire into: the spare one, or a new one; `None` without memory.
    pub(crate) fn node<A: ChunkAlloc>(&self, alloc: &A) -> Option<RetireNode> {
        let spare = self.spare.swap(ptr::null_mut(), SeqCst);
        let node = NonNull::new(spare).or_else(|| {
            crate::allocate(alloc, NODE_BYTES)
                .ok()
                .map(NonNull::cast::<Node>)
        })?;
        Some(RetireNode { node })
    }

    /// Retires a trimmer's node of detached chunks: frees them at once when nothing
    /// but the trimmer (`me`) is in flight and hands the emptied node back
    /// ([`Retire::Freed`]), otherwise pushes the node onto the retire stack
    /// ([`Retire::Pushed`]).
    pub(crate) fn retire(
        &self,
        me: Token,
        mut node: RetireNode,
        free: impl FnMut(NonNull<u8>, usize),
    ) -> Retire {
        if node.len() == 0 {
            return Retire::Freed(node);
        }
        if self.quiet(Some(me)) {
            // SAFETY: every chunk in the node was detached before this check found
            // nothing else in flight (module docs, the argument).
            unsafe { node.free_all(free) };
            return Retire::Freed(node);
        }
        let raw = node.into_raw().as_ptr();
        // SAFETY: a single node of ours with `next` null: a chain of one.
        unsafe { self.push_chain(raw) };
        Retire::Pushed
    }

    /// Gives an empty node back: kept as the spare, or freed if there is one already.
    pub(crate) fn put<A: ChunkAlloc>(&self, alloc: &A, node: RetireNode) {
        debug_assert_eq!(node.len(), 0);
        let node = node.into_raw();
        if self
            .spare
            .compare_exchange(ptr::null_mut(), node.as_ptr(), SeqCst, SeqCst)
            .is_err()
        {
            // SAFETY: an empty node of ours, from `allocate(NODE_BYTES)`.
            unsafe { alloc.free(node.cast(), NODE_BYTES) };
        }
    }

    /// Pushes a private chain (linked by `next`, last `next` null) onto the stack.
    ///
    /// # Safety
    /// `chain` is a non-null chain of nodes owned by the caller, which gives them up.
    unsafe fn push_chain(&self, chain: *mut Node) {
        let mut tail = chain;
        // SAFETY: every node of a private chain is live and ours to read.
        while let Some(next) = NonNull::new(unsafe { (*tail).next }) {
            tail = next.as_ptr();
        }
        let mut head = self.head.load(SeqCst);
        loop {
            // SAFETY: `tail` is the last node of our private chain.
            unsafe { (*tail).next = head };
            match self.head.compare_exchange(head, chain, SeqCst, SeqCst) {
                Ok(_) => return,
                Err(now) => head = now,
            }
        }
    }

    /// Frees every chunk of a chain, then its nodes.
    ///
    /// # Safety
    /// The chain is the caller's, and no request can hold any chunk in it.
    unsafe fn free_chain<A: ChunkAlloc>(
        alloc: &A,
        mut node: *mut Node,
        free: &mut impl FnMut(NonNull<u8>, usize),
    ) {
        while let Some(n) = NonNull::new(node) {
            // SAFETY: a live node of the caller's chain.
            node = unsafe { (*n.as_ptr()).next };
            let mut retired = RetireNode { node: n };
            // SAFETY: the caller's contract.
            unsafe { retired.free_all(&mut *free) };
            // SAFETY: the node came from `allocate(NODE_BYTES)`; its chunks are freed.
            unsafe { alloc.free(n.cast(), NODE_BYTES) };
        }
    }

    /// Frees everything still retired, the spare node and the slots. Only from the
    /// store's `drop` (no request can be in flight).
    ///
    /// # Safety
    /// No request is in flight and none can start.
    pub(crate) unsafe fn drain_all<A: ChunkAlloc>(
        &mut self,
        alloc: &A,
        mut free: impl FnMut(NonNull<u8>, usize),
    ) {
        let chain = self.head.swap(ptr::null_mut(), SeqCst);
        // SAFETY: the caller's contract: nothing is in flight, the chain is ours.
        unsafe { Self::free_chain(alloc, chain, &mut free) };
        if let Some(spare) = NonNull::new(self.spare.swap(ptr::null_mut(), SeqCst)) {
            // SAFETY: the spare is an empty node from `allocate(NODE_BYTES)`.
            unsafe { alloc.free(spare.cast(), NODE_BYTES) };
        }
        if let Some(slots) = NonNull::new(self.slots.cast::<u8>()) {
            self.slots = ptr::null_mut();
            // SAFETY: the block `set_slots` got, of SLOT_BYTES, from this allocator;
            // nothing is in flight to use it.
            unsafe { alloc.free(slots, SLOT_BYTES) };
        }
    }
}

/// A retire node being filled by one trimmer (private to it).
pub(crate) struct RetireNode {
    node: NonNull<Node>,
}

impl RetireNode {
    /// Gives the node up to the retire stack or the allocator.
    const fn into_raw(self) -> NonNull<Node> {
        self.node
    }

    fn len(&self) -> usize {
        // SAFETY: a live node private to its holder.
        unsafe { (*self.node.as_ptr()).count }
    }

    /// Frees every chunk in the node with `free(block, len)` and empties it.
    ///
    /// # Safety
    /// No request can hold any chunk in the node.
    unsafe fn free_all(&mut self, mut free: impl FnMut(NonNull<u8>, usize)) {
        let raw = self.node.as_ptr();
        for i in 0..self.len().min(NODE_ENTRIES) {
            // SAFETY: `i < count <= NODE_ENTRIES`: in bounds of our live node.
            let at = unsafe { ptr::addr_of!((*raw).entries[i]) };
            // SAFETY: an initialised entry (`Room::fill` wrote it).
            let entry = unsafe { at.read() };
            if let Some(block) = NonNull::new(entry.block) {
                free(block, entry.len);
            }
        }
        // SAFETY: a live node private to us.
        unsafe { (*raw).count = 0 };
    }

    /// Reserves room for one more chunk, before the caller detaches it: `None` when
    /// the node is full.
    pub(crate) fn room(&mut self) -> Option<Room<'_>> {
        (self.len() < NODE_ENTRIES).then_some(Room { node: self })
    }
}

/// Room for one chunk in a [`RetireNode`], reserved before the chunk is detached.
pub(crate) struct Room<'a> {
    node: &'a mut RetireNode,
}

impl Room<'_> {
    /// Records a detached chunk.
    pub(crate) fn fill(self, block: NonNull<u8>, len: usize) {
        let raw = self.node.node.as_ptr();
        let count = self.node.len();
        // SAFETY: a live node private to us; `count < NODE_ENTRIES` (checked when
        // the room was made, and nothing else can add entries meanwhile).
        let entry = unsafe { ptr::addr_of_mut!((*raw).entries[count]) };
        // SAFETY: `entry` is in bounds of our node.
        unsafe {
            entry.write(Retired {
                block: block.as_ptr(),
                len,
            });
        };
        // SAFETY: as above.
        unsafe { (*raw).count = count + 1 };
    }
}
