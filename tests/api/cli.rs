//! The command line, run as a user runs it: the built binary, configured by
//! environment variables only.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{spawn_app, SECRET};

const SILOSCOPE: &str = env!("CARGO_BIN_EXE_siloscope");

/// Runs the binary with only the given SILOSCOPE_* variables.
pub fn siloscope(args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut command = Command::new(SILOSCOPE);
    command.args(args);
    for (name, _) in std::env::vars() {
        if name.starts_with("SILOSCOPE_") {
            command.env_remove(name);
        }
    }
    command.envs(vars.iter().copied());
    command.output().expect("the binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn export_schema_reads_no_configuration() {
    let output = siloscope(&["export-schema"], &[("SILOSCOPE_NOT_A_SETTING", "x")]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("type Query"));
}

#[test]
fn every_command_names_the_variables_it_reads_in_its_help() {
    for command in [
        &["serve"][..],
        &["migrate"],
        &["token"],
        &["demo"],
        &["org", "create"],
        &["org", "list"],
    ] {
        let mut args = command.to_vec();
        args.push("--help");
        let help = stdout(&siloscope(&args, &[]));
        assert!(help.contains("SILOSCOPE_"), "{command:?} --help: {help}");
    }
    let help = stdout(&siloscope(&["export-schema", "--help"], &[]));
    assert!(help.contains("Reads no configuration"), "{help}");
    // Every flag says what it is for.
    for command in [
        &["token"][..],
        &["org", "create"],
        &["export-schema"],
        &["demo"],
    ] {
        let mut args = command.to_vec();
        args.push("--help");
        let help = stdout(&siloscope(&args, &[]));
        for line in help.lines().filter(|l| l.trim_start().starts_with("--")) {
            let described = line.trim().split_once("  ").is_some();
            assert!(described, "{command:?}: `{line}` has no description");
        }
    }
}

#[tokio::test]
async fn org_list_and_token_work_on_the_configured_database_only() {
    let app = spawn_app().await;
    let url = app.database_url.as_str();
    let list = siloscope(&["org", "list"], &[("SILOSCOPE_DATABASE_URL", url)]);
    assert!(list.status.success(), "{}", stderr(&list));
    assert_eq!(stdout(&list), "acme\tAcme\nother\tOther Org\n");

    let vars = [
        ("SILOSCOPE_DATABASE_URL", url),
        ("SILOSCOPE_JWT_SECRET", SECRET),
    ];
    let token = siloscope(&["token", "--org", "acme", "--role", "VIEWER"], &vars);
    assert!(token.status.success(), "{}", stderr(&token));
    let (status, body) = app
        .post(
            Some(stdout(&token).trim()),
            "{ viewer { roles } }",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(
        (status, &body["data"]["viewer"]["roles"]),
        (200, &serde_json::json!(["VIEWER"]))
    );

    let missing = siloscope(&["token", "--org", "nope", "--role", "VIEWER"], &vars);
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("no organization `nope`"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn commands_that_only_read_never_create_a_database() {
    let dir = std::env::temp_dir().join(format!("siloscope_cli_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("absent.db");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let vars = [
        ("SILOSCOPE_DATABASE_URL", url.as_str()),
        ("SILOSCOPE_JWT_SECRET", SECRET),
    ];
    for args in [
        &["org", "list"][..],
        &["token", "--org", "acme", "--role", "ADMIN"],
    ] {
        let output = siloscope(args, &vars);
        assert!(!output.status.success(), "{args:?} succeeded");
        assert!(
            stderr(&output).contains("no database at"),
            "{}",
            stderr(&output)
        );
    }
    assert!(!file.exists(), "a database file was created");
}

#[test]
fn migrating_logs_one_line_without_colour_when_not_on_a_terminal() {
    let file =
        std::env::temp_dir().join(format!("siloscope_cli_migrate_{}.db", std::process::id()));
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let output = siloscope(&["migrate"], &[("SILOSCOPE_DATABASE_URL", &url)]);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    assert!(output.status.success(), "{}", stderr(&output));
    let log = stderr(&output);
    assert_eq!(log.lines().count(), 1, "{log}");
    assert!(log.contains("migrated the database"), "{log}");
    assert!(!log.contains('\u{1b}'), "ANSI escapes in {log:?}");
}

/// Kills the demo when the test ends, however it ends.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_running_demo_is_never_replaced_and_its_env_file_mints_tokens() {
    let dir = std::env::temp_dir().join(format!("siloscope_demo_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("demo.db");
    let file_arg = file.display().to_string();
    let demo_args = ["demo", "--file", file_arg.as_str(), "--interactions", "200"];
    let mut child = Command::new(SILOSCOPE);
    child
        .args(demo_args)
        .env("SILOSCOPE_LISTEN", "127.0.0.1:0")
        .env_remove("SILOSCOPE_JWT_SECRET")
        .env_remove("SILOSCOPE_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut first = Running(child.spawn().unwrap());
    let mut printed = String::new();
    let mut lines = BufReader::new(first.0.stdout.take().unwrap()).lines();
    let started = Instant::now();
    while !printed.contains("More tokens") && started.elapsed() < Duration::from_secs(120) {
        match lines.next() {
            Some(Ok(line)) => printed.push_str(&(line + "\n")),
            _ => break,
        }
    }
    for role in ["VIEWER", "EDITOR", "INTEGRATION"] {
        assert!(
            printed.contains(&format!("  {role} ")),
            "no {role} token in {printed}"
        );
    }

    // A second demo on the same file refuses, and the first one's data stays.
    let second = siloscope(&demo_args, &[("SILOSCOPE_LISTEN", "127.0.0.1:0")]);
    assert!(!second.status.success());
    assert!(
        stderr(&second).contains("another siloscope demo is running"),
        "{}",
        stderr(&second)
    );
    assert!(file.exists());

    // The env file holds what `token` needs.
    let env_file = std::fs::read_to_string(format!("{file_arg}.env")).unwrap();
    let vars: Vec<(String, String)> = env_file
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.trim_matches('\'').to_owned()))
        .collect();
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let token = siloscope(&["token", "--org", "demo", "--role", "EDITOR"], &vars);
    assert!(token.status.success(), "{}", stderr(&token));
    drop(first);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Errors name what they are about: the empty field, the server that refused.
#[test]
fn errors_name_the_field_and_the_server() {
    let dir = std::env::temp_dir().join(format!("siloscope_cli_names_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join("names.db").display());
    let output = siloscope(
        &["org", "create", "--slug", "acme", "--name", " "],
        &[("SILOSCOPE_DATABASE_URL", url.as_str())],
    );
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("the name must not be empty"),
        "{}",
        stderr(&output)
    );

    // Nothing listens on port 1: refused at once, and said so, not "pool timed out".
    let started = std::time::Instant::now();
    let output = siloscope(
        &["migrate"],
        &[(
            "SILOSCOPE_DATABASE_URL",
            "postgres://postgres@127.0.0.1:1/postgres",
        )],
    );
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("connection refused at 127.0.0.1:1"),
        "{}",
        stderr(&output)
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(8));
}

/// `import --skip-invalid` records the good rows and writes the bad ones, as the file
/// had them, to a reject file beside it: one line per row with all its problems.
#[tokio::test]
async fn the_reject_file_holds_each_bad_row_as_the_file_had_it() {
    let app = spawn_app().await;
    app.create_function("Sales", false).await;
    let dir = std::env::temp_dir().join(format!("siloscope-rejects-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("log.csv");
    let bad = "r2,,2026-01-01T10:00:00Z,Nobody";
    let ragged = "r3,C3,2026-01-01T11:00:00Z,Sales,surplus";
    std::fs::write(
        &file,
        format!(
            "external_id,case_ref,occurred_at,function\r\nr1,C1,2026-01-01T09:00:00Z,Sales\r\n{bad}\r\n{ragged}\r\n"
        ),
    )
    .unwrap();
    let output = siloscope(
        &[
            "import",
            "interactions",
            file.to_str().unwrap(),
            "--org",
            "acme",
            "--skip-invalid",
        ],
        &[("SILOSCOPE_DATABASE_URL", &app.database_url)],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("recorded 1,"),
        "{}",
        stdout(&output)
    );
    assert!(
        stdout(&output).contains("rejected 2 (3 problem(s))"),
        "{}",
        stdout(&output)
    );
    let rejects = std::fs::read_to_string(format!("{}.rejects.csv", file.display())).unwrap();
    let mut reader = csv::Reader::from_reader(rejects.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["line", "columns", "reasons", "row"]
    );
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(rows.len(), 2, "{rejects}");
    assert_eq!(
        (rows[0][0].as_str(), rows[0][1].as_str()),
        ("3", "case_ref, function")
    );
    assert_eq!(rows[0][3], bad);
    assert_eq!(rows[1][0], "4");
    assert_eq!(rows[1][3], ragged);
    let _ = std::fs::remove_dir_all(&dir);
}
