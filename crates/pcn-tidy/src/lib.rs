//! Nothing here: the architecture tests are in `tests/`, reading the
//! workspace's own sources and manifests (see ARCHITECTURE.md).
