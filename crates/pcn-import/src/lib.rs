//! Readers for the official NHS files.
