//! Fuzz target `save`: `IOCTL_RAMDISK_SAVE`'s parser and result codec and the save
//! decisions; the body lives in `core/tests/fuzz_bodies`, shared with the stable
//! corpus replay in `core/tests/fuzz_corpus.rs`.

#![no_main]

#[path = "../../tests/fuzz_bodies/mod.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::save(data));
