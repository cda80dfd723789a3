//! The domaincall server: configuration, HTTP routes, GraphQL, workers and shutdown.

pub mod data_dir;
pub mod db;
pub mod graphql;
pub mod http;
pub mod nats_bus;
pub mod rewards;
pub mod secrets;
pub mod settings;
pub mod shutdown;
pub mod signaling;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod turn;

pub use settings::Settings;
pub use startup::Application;
