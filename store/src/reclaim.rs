//! Deferred freeing of chunks that a concurrent request may still be copying.
//!
//! A dynamic store frees a chunk when a TRIM covers it whole. Another request on
//! another thread may have loaded that chunk's pointer a moment earlier and still be
//! copying to or from it; freeing it then would be a use-after-free (a stale read
//! returns another allocation's bytes, a stale write corrupts it). `Reclaim`
//! (crate-private) makes such frees wait.
//!
//! # The scheme: an in-flight count and a retire list
//!
//! * Every read, write and trim of a dynamic store runs inside a `Reclaim::enter`
//!   guard: `active` counts the requests in flight (one `SeqCst` RMW at the start,
//!   one at the end).
//! * A trimmer *detaches* a chunk (an atomic swap of its table slot to null) before
//!   anything else happens to it. Nothing writes chunk bytes on the way to the free:
//!   a stale reader keeps reading the old bytes, a stale writer's bytes land in the
//!   detached chunk (its write overlapped the TRIM, so "written, then trimmed" is a
//!   correct outcome).
//! * If `active` is 1 right after the swap (only the trimmer itself), the chunk is
//!   freed at once. Otherwise it goes into a *retire node* (a 4 KiB block of
//!   `(pointer, length)` pairs) that is pushed onto a lock-free stack when full or
//!   when the trim ends.
//! * A request leaving its guard takes the whole stack (a swap of its head to null)
//!   **before** it decrements `active`. If the decrement shows it was the only one
//!   in flight, it frees what it took; otherwise it pushes the chain back.
//! * Whoever leaves with `active` at 0 and finds the stack non-empty drains it (it
//!   re-enters for that, so the rule above applies to it too). This handover closes
//!   the gap where one request pushes a chain back while the last other one leaves.
//!
//! # Why a freed chunk is never in use (the argument)
//!
//! All operations on `active`, on the table slots of a dynamic store and on the
//! stack head are `SeqCst`, so they are totally ordered (call the order *S*), and
//! *S* agrees with program order and with each location's modification order.
//!
//! Let request X hold chunk P: it loaded P from its slot after entering, so
//! `X.enter <S X.load(P)`, and the load read a value earlier than the trimmer's
//! swap, so `X.load(P) <S swap(P)`.
//!
//! * **Freed at once**: the trimmer loads `active` after `swap(P)` and reads 1. The
//!   load sees every RMW on `active` before it in *S*, X's enter among them; a
//!   count of 1 (the trimmer) means X's exit is before it as well. X's exit is a
//!   release RMW heading a release sequence (every later modification of `active` is
//!   an RMW) that the trimmer's acquire load reads from, so everything X did to P
//!   happens before the free.
//! * **Freed from the stack**: P was pushed after `swap(P)`, and the drainer's swap of
//!   the head reads that push or a later RMW of the head (pushes, take-alls and
//!   push-backs are all RMWs), so `swap(P) <S take`. The drainer decrements `active`
//!   after its take and sees 1. Every request whose enter precedes that decrement in
//!   *S* (X among them: `X.enter <S swap(P) <S take <S decrement`) and that has not
//!   left would make the count larger than 1, so X's exit precedes the decrement, and
//!   the decrement (acquire) reads from X's release sequence: X's accesses happen
//!   before the free.
//! * A request that enters after `swap(P)` in *S* loads the slot after it and sees
//!   null or a newer chunk, never P.
//!
//! Nodes themselves are private to whoever holds them (the trimmer filling one, the
//! drainer that took a chain), and a chain handed over through the head is
//! published by a release RMW and taken by an acquire one. The stack only ever has
//! whole-chain pushes and whole-stack takes, so it has no ABA problem.
//!
//! # Costs and limits
//!
//! Two `SeqCst` RMWs per request on one shared counter (measured by the benchmark
//! against `copy_from_slice`; fixed stores skip the guard, they never free). A
//! retired chunk waits for the next moment with no request in flight: under
//! uninterrupted overlapping load the stack can grow (it is freed at the latest when
//! the store is dropped). Retired chunks leave the store's allocated bytes when they
//! are detached (the memory limit applies to what the disk holds, so a write never
//! fails for memory a TRIM has given up) and are counted as pending until freed
//! ([`crate::Store::pending_free_bytes`]). A trimmer that cannot get
//! a retire node (no memory) zeroes the chunk in place instead of freeing it.
//!
//! Miri runs the store's concurrency tests (readers, writers and trimmers on the
//! same chunks) with this scheme; a use-after-free or a data race there fails them.

use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering::SeqCst};

use crate::ChunkAlloc;

/// Bytes of one retire node: a page.
pub const NODE_BYTES: usize = 4096;
/// `(pointer, length)` pairs one node holds.
const NODE_ENTRIES: usize = (NODE_BYTES - 2 * size_of::<usize>()) / size_of::<Retired>();

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

/// The in-flight count, the retire stack and one spare node of a dynamic store.
/// See the module documentation for the argument.
#[derive(Debug)]
pub(crate) struct Reclaim {
    active: AtomicUsize,
    head: AtomicPtr<Node>,
    spare: AtomicPtr<Node>,
}

/// How many times one leaving request takes over the drain before it stops (the
/// next request's exit, or the store's drop, frees whatever is left).
const MAX_HANDOVERS: usize = 4;

impl Reclaim {
    /// Nothing in flight, nothing retired.
    pub(crate) const fn new() -> Self {
        Self {
            active: AtomicUsize::new(0),
            head: AtomicPtr::new(ptr::null_mut()),
            spare: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// Counts one request in.
    pub(crate) fn enter(&self) {
        self.active.fetch_add(1, SeqCst);
    }

    /// Whether the caller (inside a guard) is the only request in flight. Called after
    /// detaching a chunk: `true` means the chunk may be freed at once.
    pub(crate) fn alone(&self) -> bool {
        self.active.load(SeqCst) == 1
    }

    /// Counts one request out; frees what was retired when nothing else is in flight.
    /// `free(block, len)` frees one retired chunk (and releases its accounting).
    ///
    /// The common case (nothing retired, before and after) is inline: the first turn
    /// of [`Reclaim::exit_slow`]'s loop with nothing taken.
    #[inline]
    pub(crate) fn exit<A: ChunkAlloc>(&self, alloc: &A, free: impl FnMut(NonNull<u8>, usize)) {
        if self.head.load(SeqCst).is_null() {
            self.active.fetch_sub(1, SeqCst);
            if self.active.load(SeqCst) != 0 || self.head.load(SeqCst).is_null() {
                return;
            }
            // Someone pushed a chain back meanwhile and we are the last one out:
            // take over the drain, as the loop below does.
            self.enter();
            self.exit_slow(alloc, free, 1);
        } else {
            self.exit_slow(alloc, free, 0);
        }
    }

    /// [`Reclaim::exit`] with something retired, after `handovers` handovers.
    #[inline(never)]
    fn exit_slow<A: ChunkAlloc>(
        &self,
        alloc: &A,
        mut free: impl FnMut(NonNull<u8>, usize),
        mut handovers: usize,
    ) {
        loop {
            let taken = if self.head.load(SeqCst).is_null() {
                ptr::null_mut()
            } else {
                self.head.swap(ptr::null_mut(), SeqCst)
            };
            let before = self.active.fetch_sub(1, SeqCst);
            if !taken.is_null() {
                if before == 1 {
                    // SAFETY: the chain was taken before the decrement that found no
                    // other request in flight (module docs: "freed from the stack").
                    unsafe { Self::free_chain(alloc, taken, &mut free) };
                } else {
                    // SAFETY: the chain is ours (taken above) and every node in it
                    // came from `push`.
                    unsafe { self.push_chain(taken) };
                }
            }
            // Handover: the last one out drains what someone pushed back meanwhile.
            if handovers < MAX_HANDOVERS
                && self.active.load(SeqCst) == 0
                && !self.head.load(SeqCst).is_null()
            {
                handovers += 1;
                self.enter();
                continue;
            }
            return;
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

    /// Gives a node back: pushed when it holds chunks, otherwise kept as the spare
    /// (or freed if there is one already).
    pub(crate) fn put<A: ChunkAlloc>(&self, alloc: &A, node: RetireNode) {
        let empty = node.len() == 0;
        let node = node.into_raw();
        let raw = node.as_ptr();
        if empty {
            if self
                .spare
                .compare_exchange(ptr::null_mut(), raw, SeqCst, SeqCst)
                .is_err()
            {
                // SAFETY: an empty node of ours, from `allocate(NODE_BYTES)`.
                unsafe { alloc.free(node.cast(), NODE_BYTES) };
            }
            return;
        }
        // SAFETY: a single node of ours with `next` null: a chain of one.
        unsafe { self.push_chain(raw) };
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
            let raw = n.as_ptr();
            // SAFETY: a live node of the caller's chain.
            let next = unsafe { (*raw).next };
            // SAFETY: as above.
            let count = unsafe { (*raw).count };
            for i in 0..count.min(NODE_ENTRIES) {
                // SAFETY: `i < count <= NODE_ENTRIES`: in bounds of the live node.
                let at = unsafe { ptr::addr_of!((*raw).entries[i]) };
                // SAFETY: an initialised entry (the node's filler wrote it).
                let entry = unsafe { at.read() };
                if let Some(block) = NonNull::new(entry.block) {
                    free(block, entry.len);
                }
            }
            // SAFETY: the node came from `allocate(NODE_BYTES)`; its chunks are freed.
            unsafe { alloc.free(n.cast(), NODE_BYTES) };
            node = next;
        }
    }

    /// Frees everything still retired, and the spare node. Only from the store's
    /// `drop` (no request can be in flight).
    ///
    /// # Safety
    /// No request is in flight and none can start.
    pub(crate) unsafe fn drain_all<A: ChunkAlloc>(
        &self,
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

    /// Reserves room for one more chunk, before the caller detaches it: `None` when
    /// the node is full.
    pub(crate) fn slot(&mut self) -> Option<Slot<'_>> {
        (self.len() < NODE_ENTRIES).then_some(Slot { node: self })
    }
}

/// Room for one chunk in a [`RetireNode`], reserved before the chunk is detached.
pub(crate) struct Slot<'a> {
    node: &'a mut RetireNode,
}

impl Slot<'_> {
    /// Records a detached chunk.
    pub(crate) fn fill(self, block: NonNull<u8>, len: usize) {
        let raw = self.node.node.as_ptr();
        let count = self.node.len();
        // SAFETY: a live node private to us; `count < NODE_ENTRIES` (checked when
        // the slot was made, and nothing else can add entries meanwhile).
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
