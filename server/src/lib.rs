//! The hosync server: HTTP API, storage and the CLI behind the `hosync` binary.
