//! End-to-end tests live in `tests/e2e_*.rs`; this library holds their shared helpers.
