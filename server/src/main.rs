//! `domaincall [serve|migrate|worker]` — see the README for configuration.

use anyhow::Context;
use server::{data_dir, db, settings::Settings, shutdown, startup, telemetry, Application};

const USAGE: &str = "usage: domaincall [serve|migrate|worker|schema]
  serve    run the web server and the job workers (default)
  migrate  apply pending database migrations and exit
  worker   run only the job workers
  schema   print the GraphQL schema (SDL)
Configuration: DOMAINCALL_* environment variables (see README).";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let command = std::env::args().nth(1).unwrap_or_else(|| "serve".into());
    if command == "schema" {
        print!("{}", server::graphql::sdl());
        return Ok(());
    }
    if !matches!(command.as_str(), "serve" | "migrate" | "worker") {
        eprintln!("{USAGE}");
        std::process::exit(if matches!(command.as_str(), "help" | "--help" | "-h") {
            0
        } else {
            2
        });
    }
    let settings = Settings::from_env()?;
    telemetry::init_logging(&settings);
    match command.as_str() {
        "migrate" => {
            data_dir::secure(&settings.data_dir);
            let conn = db::connect(&settings.database_url).await?;
            let applied = db::migrate(&conn).await?;
            tracing::info!(applied, "migrations up to date");
        }
        "worker" => {
            data_dir::secure(&settings.data_dir);
            let conn = db::connect(&settings.database_url).await?;
            db::migrate(&conn).await?;
            let events = startup::event_bus(&settings).await?;
            let background = startup::build_background(&settings, &conn, events).await?;
            background
                .run(shutdown::signal())
                .await
                .context("running workers")?;
        }
        _ => {
            let app = Application::build(settings).await?;
            app.run_until_stopped(shutdown::signal()).await?;
        }
    }
    Ok(())
}
