//! Fuzz target `control`: the control device's input parsers and reply encoders; the
//! body lives in `core/tests/fuzz_bodies`, shared with the stable corpus replay in
//! `core/tests/fuzz_corpus.rs`.

#![no_main]

#[path = "../../tests/fuzz_bodies/mod.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::control(data));
