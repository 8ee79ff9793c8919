//! `motcua-bench links`: press to last byte on every printer link, against the emupos emulator
//! started here (its pty as a serial port and as the `usb:` character device, its TCP port as a
//! LAN printer), and through `counter serve` for a kiosk on the LAN (`kiosk --server`, the
//! release `counter` beside this binary, on loopback).

use std::path::Path;
use std::process::Stdio;
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::Utc;
use motcua::{Config, Store};
use motcua_e2e::emupos::Emupos;

use crate::{PRINT_CONFIG, Served, percentile, server_binary, tempfile_dir};

/// Options of `motcua-bench links`.
#[derive(clap::Args)]
pub struct Links {
    /// Tickets per link.
    #[arg(long, default_value_t = 200)]
    count: u32,
}

fn kiosk_config(dir: &Path, name: &str, port: &str) -> anyhow::Result<Config> {
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "{}\n[printer]\nport = \"{port}\"\n",
            PRINT_CONFIG.replace("\"print.db\"", &format!("\"{name}.db\""))
        ),
    )?;
    Ok(Config::load(Some(&path))?)
}

/// Issues `count` tickets on `k`, each printed; milliseconds per ticket, sorted.
pub fn press_to_last_byte(k: &mut kiosk::Kiosk, count: u32) -> anyhow::Result<Vec<f64>> {
    let mut lat = Vec::new();
    for _ in 0..count {
        let t0 = Instant::now();
        let issued = k.issue("TP", Some("elderly"), true, Utc::now())?;
        lat.push(t0.elapsed().as_secs_f64() * 1000.0);
        if !issued.printed {
            bail!(
                "ticket {} not printed: {:?}",
                issued.ticket.number,
                issued.print_error
            );
        }
    }
    lat.sort_by(f64::total_cmp);
    Ok(lat)
}

fn report(what: &str, count: u32, lat: &[f64]) {
    println!(
        "| {what} | {count} | {:.2} ms | {:.2} ms | {:.2} ms |",
        percentile(lat, 50.0),
        percentile(lat, 99.0),
        lat.last().copied().unwrap_or(f64::NAN)
    );
}

fn printer(cfg: &Config) -> anyhow::Result<kiosk::printer::Printer> {
    kiosk::printer::Printer::open(cfg.printer.as_ref().context("[printer]")?)
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// Runs the benchmark.
pub fn links_bench(o: Links) -> anyhow::Result<()> {
    let dir = tempfile_dir();
    std::fs::create_dir_all(&dir)?;
    let result = (|| -> anyhow::Result<()> {
        let emu = Emupos::start();
        let pty = emu.port().display().to_string();
        println!("| link | tickets | p50 | p99 | max |\n|---|---|---|---|---|");
        for (name, port, what) in [
            ("serial", pty.clone(), "serial (emupos pty)"),
            (
                "usb",
                format!("usb:{pty}"),
                "usb: (emupos pty as the device)",
            ),
            ("tcp", emu.tcp(), "tcp:// (emupos TCP, loopback)"),
        ] {
            let cfg = kiosk_config(&dir, name, &port)?;
            let mut k = kiosk::Kiosk::new(Store::open(&cfg)?, Some(printer(&cfg)?));
            let lat = press_to_last_byte(&mut k, o.count)?;
            report(what, o.count, &lat);
        }

        // The kiosk on the LAN: the server numbers and records, the kiosk prints on TCP.
        // `NAME.SECRET`, the secret 48 hex digits as `counter device-token` makes them.
        let secret: String = (0..24)
            .map(|_| format!("{:02x}", fastrand::u8(..)))
            .collect();
        let token = format!("kiosk-bench.{secret}");
        let hash = motcua::secret::hash_token(&token).map_err(anyhow::Error::msg)?;
        let server_cfg = dir.join("server.toml");
        std::fs::write(
            &server_cfg,
            format!(
                "{}\n[[devices]]\nname = \"kiosk-bench\"\nrole = \"kiosk\"\ntoken_hash = \"{hash}\"\n",
                PRINT_CONFIG.replace("\"print.db\"", "\"server.db\"")
            ),
        )?;
        let served = Served::start(&server_binary()?, &server_cfg, Stdio::null())?;
        let cfg = kiosk_config(&dir, "lan", &emu.tcp())?;
        let remote = kiosk::Remote::new(cfg.clone(), &served.base, &token);
        let mut k = kiosk::Kiosk::new(remote, Some(printer(&cfg)?));
        let lat = press_to_last_byte(&mut k, o.count)?;
        report("kiosk --server (loopback) + tcp:// printer", o.count, &lat);
        let waiting = server_check(&server_cfg)?;
        if waiting != i64::from(o.count) {
            bail!("the server holds {waiting} tickets, not {}", o.count);
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// The server's tickets (all waiting: nobody calls), after checking that none was left print
/// pending (each `printed` report reached it).
fn server_check(server_cfg: &Path) -> anyhow::Result<i64> {
    let store = Store::open_reader(&Config::load(Some(server_cfg))?)?;
    let n = store.unprinted(Some("kiosk-bench"), Utc::now())?.len();
    if n != 0 {
        bail!("{n} tickets left print pending on the server");
    }
    Ok(store
        .state(Utc::now())?
        .waiting
        .iter()
        .map(|(_, n)| i64::from(*n))
        .sum())
}
