//! Making sure a PostgreSQL server answers before the integration tests run: use the one that
//! `HOSYNC_TEST_POSTGRES_URL` names, else start the local Debian cluster, else install one.

use std::{
    env, fs,
    net::{IpAddr, TcpStream, ToSocketAddrs},
    path::{Path, PathBuf},
    process::Command,
    thread,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail, ensure};

use crate::run;

/// The variable the integration tests read; they create a fresh database on it per test.
pub const URL_VAR: &str = "HOSYNC_TEST_POSTGRES_URL";
const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// Where Debian's postgresql-common keeps one folder per installed major version.
const CLUSTERS: &str = "/etc/postgresql";
/// How long a cluster that was just started may take to open its port.
const START_WAIT: Duration = Duration::from_secs(20);

/// Returns the URL of a server that answers, starting or installing one where that is possible.
pub fn ensure_running() -> Result<String> {
    let url = env::var(URL_VAR).unwrap_or_else(|_| DEFAULT_URL.to_owned());
    let (host, port) = host_port(&url)?;
    let at = format!("{host}:{port}");
    if answers(&host, port) {
        println!("PostgreSQL answers at {at}");
        return Ok(url);
    }
    println!("nothing answers at {at}");
    // Starting or installing a server here cannot help a URL that points at another machine.
    if !is_loopback(&host) {
        bail!(help(&at));
    }

    let mut versions = installed_versions();
    if versions.is_empty() {
        if !can_install() {
            bail!(help(&at));
        }
        install()?;
        versions = installed_versions();
    }
    for version in &versions {
        let started = run(Command::new("pg_ctlcluster").args([
            "--skip-systemctl-redirect",
            version,
            "main",
            "start",
        ]));
        // One cluster failing (already running, another port) is no reason to stop trying.
        if let Err(err) = started {
            println!("{err:#}");
        }
    }

    let deadline = Instant::now() + START_WAIT;
    while Instant::now() < deadline {
        if answers(&host, port) {
            println!("PostgreSQL answers at {at}");
            return Ok(url);
        }
        thread::sleep(Duration::from_millis(250));
    }
    bail!(help(&at))
}

fn help(at: &str) -> String {
    format!(
        "no PostgreSQL server answers at {at}, and none could be started here. Start one, or set \
         {URL_VAR}=postgres://USER[:PASSWORD]@HOST:PORT/DATABASE to a server where USER may \
         CREATE DATABASE (the default is {DEFAULT_URL})"
    )
}

/// The host and port of a `postgres://` URL: enough for a reachability check, not a full parser
/// (no multi-host lists, no socket paths).
fn host_port(url: &str) -> Result<(String, u16)> {
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
        .with_context(|| format!("{URL_VAR} must start with postgres://"))?;
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let (host, port) = match host_port.strip_prefix('[') {
        Some(v6) => {
            let (host, after) = v6
                .split_once(']')
                .with_context(|| format!("{URL_VAR} has an unclosed [ in its host"))?;
            (host, after.strip_prefix(':'))
        }
        None => match host_port.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        },
    };
    ensure!(
        !host.is_empty(),
        "{URL_VAR} needs a TCP host such as 127.0.0.1 (socket paths are not supported)"
    );
    let port = match port {
        Some(port) => port
            .parse()
            .with_context(|| format!("{URL_VAR} has a bad port `{port}`"))?,
        None => 5432,
    };
    Ok((host.to_owned(), port))
}

fn answers(host: &str, port: u16) -> bool {
    let Ok(addrs) = (host, port).to_socket_addrs() else {
        return false;
    };
    addrs
        .into_iter()
        .any(|addr| TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok())
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The major versions with a `main` cluster, as Debian's postgresql-common lays them out.
fn installed_versions() -> Vec<String> {
    let Ok(entries) = fs::read_dir(CLUSTERS) else {
        return Vec::new();
    };
    let mut versions: Vec<String> = entries
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().join("main").is_dir())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .collect();
    versions.sort();
    versions
}

fn can_install() -> bool {
    let can = crate::can_apt_install();
    if !can {
        println!("PostgreSQL is not installed, and installing it needs root and apt-get");
    }
    can
}

/// Installs Debian's PostgreSQL, which creates a `main` cluster, and lets loopback connections in
/// without a password so that the default URL works as it does on a developer's machine.
fn install() -> Result<()> {
    crate::apt_install(&["postgresql"])?;
    let versions = installed_versions();
    ensure!(
        !versions.is_empty(),
        "apt-get installed postgresql but no cluster appeared under {CLUSTERS}"
    );
    for version in &versions {
        trust_loopback(&Path::new(CLUSTERS).join(version).join("main"))?;
        // The package may have started the cluster already; a reload makes it read the new rule.
        // It fails harmlessly on a cluster that is down, which the caller then starts.
        let _ = run(Command::new("pg_ctlcluster").args([
            "--skip-systemctl-redirect",
            version,
            "main",
            "reload",
        ]));
    }
    Ok(())
}

/// Puts `trust` rules for loopback TCP first in `pg_hba.conf`, where the first match wins. Only a
/// server this step installed itself is touched: it exists for the test suite alone.
fn trust_loopback(cluster: &Path) -> Result<()> {
    let hba: PathBuf = cluster.join("pg_hba.conf");
    let old =
        fs::read_to_string(&hba).with_context(|| format!("could not read {}", hba.display()))?;
    let new = format!(
        "# Added by `cargo xtask ci`: the test suite connects over loopback without a password.\n\
         host all all 127.0.0.1/32 trust\n\
         host all all ::1/128 trust\n\n{old}"
    );
    fs::write(&hba, new).with_context(|| format!("could not write {}", hba.display()))?;
    println!("{}: trust loopback connections", hba.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: &str, expected: Option<(&str, u16)>) {
        let got = host_port(url).ok();
        let got = got.as_ref().map(|(host, port)| (host.as_str(), *port));
        assert_eq!(got, expected, "{url}");
    }

    #[test]
    fn host_and_port_from_url() {
        check(DEFAULT_URL, Some(("127.0.0.1", 5432)));
        check("postgresql://localhost/db", Some(("localhost", 5432)));
        check(
            "postgres://u:p@w@db.example:6543/x?sslmode=off",
            Some(("db.example", 6543)),
        );
        check("postgres://[::1]:5433/x", Some(("::1", 5433)));
        check("postgres://[::1]/x", Some(("::1", 5432)));
        check("postgres://h:notaport/x", None);
        check("postgres:///db?host=/run/postgresql", None);
        check("mysql://h/x", None);
    }

    #[test]
    fn loopback_hosts() {
        assert!(is_loopback("localhost"));
        assert!(is_loopback("127.0.0.1"));
        assert!(is_loopback("::1"));
        assert!(!is_loopback("db.example"));
        assert!(!is_loopback("10.0.0.1"));
    }
}
