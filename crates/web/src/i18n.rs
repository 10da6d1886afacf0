//! User-facing strings from message files (`locales/zh-CN.ftl`, `locales/en.ftl`).
//!
//! The files use the plain `key = value` subset of Fluent (no placeables or selectors yet);
//! templates call `t.get("key")`. Chinese is the default; `?lang=en` sets a cookie to switch.
//! A key missing from English falls back to Chinese, and a missing key shows itself, which the
//! test suite catches by checking every key used in templates exists in both files.

use std::collections::HashMap;
use std::sync::OnceLock;

/// A UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

const ZH: &str = include_str!("../locales/zh-CN.ftl");
const EN: &str = include_str!("../locales/en.ftl");

/// Parse the `key = value` lines of a message file.
pub fn parse(src: &str) -> HashMap<String, String> {
    src.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn tables() -> &'static (HashMap<String, String>, HashMap<String, String>) {
    static T: OnceLock<(HashMap<String, String>, HashMap<String, String>)> = OnceLock::new();
    T.get_or_init(|| (parse(ZH), parse(EN)))
}

/// Message lookup for one language.
#[derive(Debug, Clone, Copy)]
pub struct T {
    pub lang: Lang,
}

impl T {
    pub fn new(lang: Lang) -> T {
        T { lang }
    }

    pub fn get<'a>(&self, key: &'a str) -> &'a str
    where
        'static: 'a,
    {
        let (zh, en) = tables();
        let hit = match self.lang {
            Lang::En => en.get(key).or_else(|| zh.get(key)),
            Lang::Zh => zh.get(key),
        };
        hit.map(String::as_str).unwrap_or(key)
    }

    /// `zh-CN` or `en`, for the `lang` attribute.
    pub fn code(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn is_en(&self) -> bool {
        self.lang == Lang::En
    }
}

/// Both message files, for the completeness test.
pub fn all_keys() -> (Vec<String>, Vec<String>) {
    let (zh, en) = tables();
    let mut a: Vec<String> = zh.keys().cloned().collect();
    let mut b: Vec<String> = en.keys().cloned().collect();
    a.sort();
    b.sort();
    (a, b)
}
