//! The pieces of the `bench` tool: the server process it starts and watches, the data it
//! seeds, the WebSocket clients it plays, and the two load phases.

pub mod client;
pub mod memory;
pub mod relay;
pub mod seed;
pub mod server;
pub mod setup;
