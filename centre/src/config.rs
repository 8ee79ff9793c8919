//! The centre's config file (`centre.toml`): its NATS link, its PostgreSQL database, where the
//! leaders' page listens, and the offices it accepts.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

/// The whole file.
#[derive(Debug, Clone)]
pub struct CentreConfig {
    /// Where it was read from.
    pub path: PathBuf,
    /// The centre's name, the heading of the leaders' page.
    pub name: String,
    /// Where the leaders' page listens.
    pub listen: std::net::SocketAddr,
    /// The NATS server (`nats://…` or `tls://…`).
    pub nats_url: String,
    /// The centre's own nkey seed file.
    pub credentials: PathBuf,
    /// The PostgreSQL connection string (libpq style: `host=… dbname=… user=…`).
    pub postgres: String,
    /// The offices, in file order.
    pub offices: Vec<OfficeEntry>,
}

/// One office the centre accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeEntry {
    /// Its id (`[centre] office_id` in the office's config).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its NATS user's public nkey (`U…`); the seed stays at the office.
    pub nkey: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    centre: RawCentre,
    #[serde(default)]
    offices: Vec<RawOffice>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCentre {
    name: String,
    listen: Option<String>,
    nats_url: String,
    credentials: String,
    postgres: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOffice {
    id: String,
    name: String,
    nkey: String,
}

/// The leaders' page's address when `listen` is not set.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8090";

impl CentreConfig {
    /// Reads and checks the file.
    pub fn load(path: &Path) -> anyhow::Result<CentreConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the centre's config {}", path.display()))?;
        Self::parse(&text, path)
    }

    /// Parses and checks config text; `path` names it in errors and anchors relative paths.
    pub fn parse(text: &str, path: &Path) -> anyhow::Result<CentreConfig> {
        let file = path.display();
        let raw: Raw = toml::from_str(text).map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let c = raw.centre;
        if c.name.trim().is_empty() {
            bail!("{file}: `centre.name` must not be empty");
        }
        let listen = c.listen.as_deref().unwrap_or(DEFAULT_LISTEN);
        let listen = listen.parse().map_err(|_| {
            anyhow::anyhow!(
                "{file}: `centre.listen` = '{listen}': use HOST:PORT, e.g. 0.0.0.0:8090"
            )
        })?;
        if !["nats://", "tls://"]
            .iter()
            .any(|p| c.nats_url.starts_with(p))
        {
            bail!(
                "{file}: `centre.nats_url` = '{}': use nats://HOST:4222 or tls://HOST:4222",
                c.nats_url
            );
        }
        let mut offices: Vec<OfficeEntry> = Vec::with_capacity(raw.offices.len());
        for (i, o) in raw.offices.into_iter().enumerate() {
            if !motcua::config::is_slug(&o.id) {
                bail!(
                    "{file}: `offices[{i}].id` = '{}': use 1-32 of a-z, 0-9, '_' and '-'",
                    o.id
                );
            }
            if offices.iter().any(|x| x.id == o.id) {
                bail!("{file}: office '{}' is listed twice", o.id);
            }
            if o.name.trim().is_empty() {
                bail!("{file}: `offices[{i}].name` must not be empty");
            }
            if !(o.nkey.starts_with('U') && nkeys::KeyPair::from_public_key(&o.nkey).is_ok()) {
                bail!(
                    "{file}: `offices[{i}].nkey` of '{}' is not a user public key (U…, printed by `motcua-centre office add`)",
                    o.id
                );
            }
            offices.push(OfficeEntry {
                id: o.id,
                name: o.name.trim().to_string(),
                nkey: o.nkey,
            });
        }
        Ok(CentreConfig {
            path: path.to_path_buf(),
            name: c.name.trim().to_string(),
            listen,
            nats_url: c.nats_url,
            credentials: base.join(c.credentials),
            postgres: c.postgres,
            offices,
        })
    }

    /// The office with this id.
    pub fn office(&self, id: &str) -> Option<&OfficeEntry> {
        self.offices.iter().find(|o| o.id == id)
    }

    /// The nats-server `authorization` block: the centre's user may use the JetStream API and
    /// acknowledge, never publish events; each office may publish only to its own subjects and
    /// read only its own replies.
    pub fn nats_authorization(&self, centre_public_key: &str) -> String {
        let mut out = String::from("authorization {\n  users = [\n");
        out.push_str(&format!(
            "    {{ nkey: \"{centre_public_key}\", permissions: {{ publish: {{ allow: [\"$JS.API.>\", \"$JS.ACK.>\"] }}, subscribe: {{ allow: [\"_INBOX.>\"] }} }} }}\n"
        ));
        for o in &self.offices {
            out.push_str(&format!(
                "    {{ nkey: \"{}\", permissions: {{ publish: {{ allow: [\"{}\", \"{}\"] }}, subscribe: {{ allow: [\"{}.>\"] }} }} }}  # {}\n",
                o.nkey,
                motcua::centre::events_subject(&o.id),
                motcua::centre::state_subject(&o.id),
                motcua::centre::inbox_prefix(&o.id),
                o.name.replace('\n', " "),
            ));
        }
        out.push_str("  ]\n}\n");
        out
    }
}

/// Reads an nkey seed file (one line, `SU…`).
pub fn read_seed(path: &Path) -> anyhow::Result<nkeys::KeyPair> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the key file {}", path.display()))?;
    nkeys::KeyPair::from_seed(text.trim()).map_err(|e| {
        anyhow::anyhow!(
            "{}: not an nkey seed ({e}); make one with `motcua-centre key`",
            path.display()
        )
    })
}

/// Writes a new user key pair's seed to `path` (readable by its owner only) and returns the
/// public key.
pub fn write_new_seed(path: &Path) -> anyhow::Result<String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let kp = nkeys::KeyPair::new_user();
    let seed = kp
        .seed()
        .map_err(|e| anyhow::anyhow!("cannot make a key: {e}"))?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {} (it must not exist yet)", path.display()))?;
    writeln!(f, "{seed}")?;
    Ok(kp.public_key())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user_key() -> String {
        nkeys::KeyPair::new_user().public_key()
    }

    fn text(offices: &str) -> String {
        format!(
            "[centre]\nname = \"Tỉnh\"\nnats_url = \"nats://127.0.0.1:4222\"\ncredentials = \"c.nk\"\npostgres = \"host=/run/postgresql\"\n{offices}"
        )
    }

    #[test]
    fn offices_are_checked_and_each_may_publish_only_its_own_subjects() {
        let (a, b) = (user_key(), user_key());
        let cfg = CentreConfig::parse(
            &text(&format!(
                "[[offices]]\nid = \"ba-dinh\"\nname = \"Ba Đình\"\nnkey = \"{a}\"\n[[offices]]\nid = \"hoan-kiem\"\nname = \"Hoàn Kiếm\"\nnkey = \"{b}\"\n"
            )),
            Path::new("/etc/motcua-centre/centre.toml"),
        )
        .unwrap();
        assert_eq!(cfg.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(cfg.credentials, Path::new("/etc/motcua-centre/c.nk"));
        let auth = cfg.nats_authorization("UCENTRE");
        let line = auth.lines().find(|l| l.contains(&a)).unwrap();
        assert!(
            line.contains("\"motcua.events.ba-dinh\"")
                && line.contains("\"$KV.motcua-state.ba-dinh\"")
        );
        assert!(
            line.contains("\"_INBOX_ba-dinh.>\"") && !line.contains("hoan-kiem"),
            "{line}"
        );
        let centre = auth.lines().find(|l| l.contains("UCENTRE")).unwrap();
        assert!(
            !centre.contains("motcua.events"),
            "the centre publishes no events: {centre}"
        );

        let bad = |offices: String, needle: &str| {
            let e = CentreConfig::parse(&text(&offices), Path::new("c.toml")).unwrap_err();
            assert!(e.to_string().contains(needle), "{e} lacks {needle}");
        };
        bad(
            format!("[[offices]]\nid = \"Ba Đình\"\nname = \"x\"\nnkey = \"{a}\"\n"),
            "offices[0].id",
        );
        bad(
            "[[offices]]\nid = \"x\"\nname = \"x\"\nnkey = \"SUABC\"\n".to_string(),
            "not a user public key",
        );
        bad(
            format!(
                "[[offices]]\nid = \"x\"\nname = \"x\"\nnkey = \"{a}\"\n[[offices]]\nid = \"x\"\nname = \"y\"\nnkey = \"{b}\"\n"
            ),
            "listed twice",
        );
    }
}
