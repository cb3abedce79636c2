//! Named presets: TOML files in `datasets/`, embedded in the binary.
//!
//! A preset is one TOML document with a section per stage (`[data]`, `[diffusion]`, `[model]`,
//! `[train]`, `[sample]`). Each stage's module deserialises its own section with
//! [`Preset::section`], so adding a stage never touches the others. A user may pass a path to
//! their own TOML file wherever a preset name is accepted ([`Preset::load`]).

use crate::error::{Error, Result};
use serde::de::DeserializeOwned;
use std::path::Path;

/// The embedded presets: `(name, TOML text)`.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("lorenz96-quick", include_str!("../../datasets/lorenz96-quick.toml")),
    ("lorenz96-paper", include_str!("../../datasets/lorenz96-paper.toml")),
    ("kolmogorov-quick", include_str!("../../datasets/kolmogorov-quick.toml")),
    ("kolmogorov-paper", include_str!("../../datasets/kolmogorov-paper.toml")),
    ("lorenz96-quick-fno", include_str!("../../datasets/lorenz96-quick-fno.toml")),
];

/// The sections a preset may have, one per stage.
pub const SECTIONS: &[&str] = &["data", "diffusion", "model", "train", "sample", "eval", "ddpm"];

/// A parsed preset: its name and its TOML table.
#[derive(Debug, Clone, PartialEq)]
pub struct Preset {
    /// The preset's name (the embedded name, or the file stem of a user file).
    pub name: String,
    table: toml::Table,
}

impl Preset {
    /// Names of the embedded presets.
    pub fn names() -> Vec<&'static str> {
        EMBEDDED.iter().map(|(n, _)| *n).collect()
    }

    /// An embedded preset by name.
    pub fn named(name: &str) -> Result<Self> {
        let (_, text) = EMBEDDED.iter().find(|(n, _)| *n == name).ok_or_else(|| {
            Error::UnknownPreset { name: name.to_string(), known: Self::names().join(", ") }
        })?;
        Self::parse(name, text)
    }

    /// An embedded preset name, or else a path to a TOML file.
    pub fn load(name_or_path: &str) -> Result<Self> {
        if EMBEDDED.iter().any(|(n, _)| *n == name_or_path) {
            return Self::named(name_or_path);
        }
        let path = Path::new(name_or_path);
        if path.extension().is_some_and(|e| e == "toml") || path.exists() {
            let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
            let stem =
                path.file_stem().map_or("custom".into(), |s| s.to_string_lossy().into_owned());
            return Self::parse(&stem, &text);
        }
        Self::named(name_or_path)
    }

    /// Parses TOML text as a preset called `name`. Every top-level entry must be one of the
    /// [`SECTIONS`] and a table: a misspelt section (`[sampel]`) or a stray top-level key is an
    /// error naming it (with the closest section name), not silently ignored.
    ///
    /// A top-level `extends = "BASE"` (an embedded preset's name) starts from `BASE` and
    /// overrides only what the text sets, table by table (a variant in three lines).
    ///
    /// Every float anywhere must be finite (`inf`, `nan` are refused naming the key); ranges
    /// are checked where each section is read (docs/validation.md).
    pub fn parse(name: &str, text: &str) -> Result<Self> {
        let mut table: toml::Table = toml::from_str(text)
            .map_err(|e| Error::config(format!("preset {name}"), e.to_string()))?;
        if let Some(base) = table.remove("extends") {
            let base = base.as_str().ok_or_else(|| {
                Error::config("extends", format!("preset `{name}`: must name a preset"))
            })?;
            let mut merged = Self::named(base)?.table;
            merge(&mut merged, table);
            table = merged;
        }
        crate::validate::finite_toml("", &toml::Value::Table(table.clone()))?;
        for (key, value) in &table {
            if !SECTIONS.contains(&key.as_str()) {
                let hint = crate::error::did_you_mean(key, SECTIONS)
                    .map_or(String::new(), |s| format!("; did you mean [{s}]?"));
                let known = SECTIONS.join(", ");
                return Err(Error::config(
                    key,
                    format!("preset `{name}`: unknown section (known: {known}){hint}"),
                ));
            }
            if !value.is_table() {
                let reason =
                    format!("preset `{name}`: `{key}` must be a section `[{key}]`, not a value");
                return Err(Error::config(key, reason));
            }
        }
        Ok(Self { name: name.to_string(), table })
    }

    /// Deserialises section `key` (e.g. `"data"`) into `T`; a missing section is an error
    /// naming it, and a bad field is an error naming `key.field`.
    pub fn section<T: DeserializeOwned>(&self, key: &str) -> Result<T> {
        let value = self.table.get(key).ok_or_else(|| {
            Error::config(key, format!("preset `{}` has no [{key}] section", self.name))
        })?;
        value.clone().try_into().map_err(|e: toml::de::Error| {
            // "invalid type/value" does not say where; "unknown/missing field `x`" does
            let field = if e.message().starts_with("invalid") {
                field_of::<T>(key, value)
            } else {
                key.to_string()
            };
            Error::config(field, e.message().to_string())
        })
    }

    /// Whether the preset has section `key`.
    pub fn has_section(&self, key: &str) -> bool {
        self.table.contains_key(key)
    }

    /// The whole TOML table.
    pub fn table(&self) -> &toml::Table {
        &self.table
    }

    /// The same preset with the setting at the dotted `path` (`"model.window"`,
    /// `"diffusion.mass_factor"`) set to `value`; missing tables on the way are created. The
    /// path must start with one of the [`SECTIONS`] and have a key below it; whether the value
    /// suits the field is checked where the section is read ([`section`](Self::section)).
    ///
    /// ```
    /// use pdd::presets::Preset;
    /// let p = Preset::named("lorenz96-quick")?.with_value("model.window", 1)?;
    /// assert_eq!(p.table()["model"]["window"].as_integer(), Some(1));
    /// # Ok::<(), pdd::Error>(())
    /// ```
    pub fn with_value(mut self, path: &str, value: impl Into<toml::Value>) -> Result<Self> {
        let keys: Vec<&str> = path.split('.').collect();
        let bad = |why: &str| Error::config(path, format!("preset `{}`: {why}", self.name));
        if keys.len() < 2 || keys.iter().any(|k| k.is_empty()) {
            return Err(bad("a setting is `section.key` (e.g. `model.window`)"));
        }
        if !SECTIONS.contains(&keys[0]) {
            return Err(bad(&format!("unknown section (known: {})", SECTIONS.join(", "))));
        }
        let mut table = &mut self.table;
        for key in &keys[..keys.len() - 1] {
            let entry = table
                .entry(key.to_string())
                .or_insert_with(|| toml::Value::Table(Default::default()));
            table = match entry {
                toml::Value::Table(t) => t,
                _ => return Err(bad(&format!("`{key}` is a value, not a table"))),
            };
        }
        table.insert(keys[keys.len() - 1].to_string(), value.into());
        Ok(self)
    }

    /// The preset as TOML text.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(&self.table).expect("a TOML table serialises")
    }
}

/// Writes `over` into `base`: tables merge key by key, anything else replaces.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// The dotted name (`train.steps`, `data.lorenz96.j`) of the field of section `key` that
/// fails to deserialise into `T`, found by deserialising the section's text (whose error has a
/// position); just `key` when it cannot be told.
fn field_of<T: DeserializeOwned>(key: &str, value: &toml::Value) -> String {
    let Ok(text) = toml::to_string(value) else { return key.to_string() };
    let Some(at) = toml::from_str::<T>(&text).err().and_then(|e| e.span()).map(|s| s.start) else {
        return key.to_string();
    };
    let end = text.get(at..).and_then(|rest| rest.find('\n')).map_or(text.len(), |i| at + i);
    let (mut table, mut field) = (String::new(), None);
    for line in text[..end].lines().map(str::trim) {
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            table = format!(".{}", header.trim());
            field = None;
        } else if let Some((k, _)) = line.split_once('=') {
            field = Some(k.trim().trim_matches('"').to_string());
        }
    }
    field.map_or(format!("{key}{table}"), |f| format!("{key}{table}.{f}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_preset_parses() {
        for name in Preset::names() {
            let p = Preset::named(name).unwrap();
            assert!(p.has_section("data"), "{name} lacks [data]");
        }
    }

    #[test]
    fn extends_overrides_only_what_it_sets() {
        let fno = Preset::named("lorenz96-quick-fno").unwrap();
        let quick = Preset::named("lorenz96-quick").unwrap();
        for key in ["data", "diffusion", "train", "sample", "eval"] {
            assert_eq!(fno.table().get(key), quick.table().get(key), "[{key}]");
        }
        let (m, q) = (&fno.table()["model"], &quick.table()["model"]);
        assert_eq!(m["backbone"].as_str(), Some("fno"));
        assert_eq!(m["window"], q["window"]);
        assert_eq!(m["fno"]["modes"].as_integer(), Some(16));
        let e = Preset::parse("x", "extends = 3\n").unwrap_err().to_string();
        assert!(e.contains("must name a preset"), "{e}");
        assert!(Preset::parse("x", "extends = \"nope\"\n").is_err());
    }

    #[test]
    fn unknown_preset_lists_known_names() {
        let e = Preset::named("nope").unwrap_err().to_string();
        assert!(e.contains("nope") && e.contains("lorenz96-quick"), "{e}");
    }

    #[test]
    fn unknown_section_or_top_level_key_is_refused() {
        let e = Preset::parse("t", "[data]\nx = 1\n[sampel]\nsnr = 1\n").unwrap_err().to_string();
        assert!(e.contains("`sampel`") && e.contains("did you mean [sample]"), "{e}");
        let e = Preset::parse("t", "steps = 3\n[data]\nx = 1\n").unwrap_err().to_string();
        assert!(e.contains("`steps`"), "{e}");
        let e = Preset::parse("t", "train = 3\n").unwrap_err().to_string();
        assert!(e.contains("must be a section"), "{e}");
    }

    #[test]
    fn wrong_type_names_the_key() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct T {
            a: usize,
            b: usize,
        }
        let p = Preset::parse("t", "[train]\na = 1\nb = \"x\"\n").unwrap();
        let e = p.section::<T>("train").unwrap_err().to_string();
        assert!(e.contains("`train.b`"), "{e}");
    }

    #[test]
    fn with_value_sets_only_that_setting() {
        let quick = Preset::named("lorenz96-quick").unwrap();
        let p = quick.clone().with_value("diffusion.mass_factor", 0.5).unwrap();
        assert_eq!(p.table()["diffusion"]["mass_factor"].as_float(), Some(0.5));
        for key in ["data", "model", "train", "sample", "eval"] {
            assert_eq!(p.table().get(key), quick.table().get(key), "[{key}]");
        }
        for bad in ["window", "modle.window", "model.", "data.lorenz96.k.x"] {
            assert!(quick.clone().with_value(bad, 1).is_err(), "{bad}");
        }
    }

    #[test]
    fn missing_section_is_named() {
        let p = Preset::parse("t", "[data]\nx = 1\n").unwrap();
        let e = p.section::<toml::Table>("model").unwrap_err().to_string();
        assert!(e.contains("[model]"), "{e}");
    }
}
