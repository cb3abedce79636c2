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
];

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
            let stem = path.file_stem().map_or("custom".into(), |s| s.to_string_lossy().into_owned());
            return Self::parse(&stem, &text);
        }
        Self::named(name_or_path)
    }

    /// Parses TOML text as a preset called `name`.
    pub fn parse(name: &str, text: &str) -> Result<Self> {
        let table: toml::Table = toml::from_str(text)
            .map_err(|e| Error::config(format!("preset {name}"), e.to_string()))?;
        Ok(Self { name: name.to_string(), table })
    }

    /// Deserialises section `key` (e.g. `"data"`) into `T`; a missing section is an error
    /// naming it, and a bad field is an error naming `key.field`.
    pub fn section<T: DeserializeOwned>(&self, key: &str) -> Result<T> {
        let value = self.table.get(key).ok_or_else(|| {
            Error::config(key, format!("preset `{}` has no [{key}] section", self.name))
        })?;
        value
            .clone()
            .try_into()
            .map_err(|e: toml::de::Error| Error::config(key, e.message().to_string()))
    }

    /// Whether the preset has section `key`.
    pub fn has_section(&self, key: &str) -> bool {
        self.table.contains_key(key)
    }

    /// The whole TOML table.
    pub fn table(&self) -> &toml::Table {
        &self.table
    }

    /// The preset as TOML text.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(&self.table).expect("a TOML table serialises")
    }
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
    fn unknown_preset_lists_known_names() {
        let e = Preset::named("nope").unwrap_err().to_string();
        assert!(e.contains("nope") && e.contains("lorenz96-quick"), "{e}");
    }

    #[test]
    fn missing_section_is_named() {
        let p = Preset::parse("t", "[data]\nx = 1\n").unwrap();
        let e = p.section::<toml::Table>("model").unwrap_err().to_string();
        assert!(e.contains("[model]"), "{e}");
    }
}
