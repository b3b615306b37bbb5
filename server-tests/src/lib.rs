//! Nothing: this package holds the server's tests from outside (`tests/`), which build
//! against the `server` library and run its `patio` binary.
