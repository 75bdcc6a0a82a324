//! The siloscope binary: everything lives in the `api` library.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match api::cli::run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("siloscope: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
