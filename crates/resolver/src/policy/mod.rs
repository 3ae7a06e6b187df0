//! Local policy applied around resolution: locally served zones
//! (`local`), negative trust anchors (`nta`) and the RFC 8509 root key
//! sentinel (`sentinel`).

pub(crate) mod local;
pub(crate) mod nta;
pub(crate) mod sentinel;
