//! The two languages people read hosync in, and a label said in both.

/// The language a reader reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    /// Vietnamese, what members and staff read unless they switch.
    #[default]
    Vi,
    En,
}

impl Lang {
    /// The language tag, as `Accept-Language` and the apps name it.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// The language an `Accept-Language` value prefers among the two spoken here: the known
    /// tag with the highest weight (the first of equal ones); Vietnamese when it names neither.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(Lang, f32)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let mut weight = 1.0_f32;
            for param in parts {
                if let Some(q) = param.trim().strip_prefix("q=") {
                    weight = q.trim().parse().unwrap_or(0.0);
                }
            }
            let primary = tag.split(['-', '_']).next().unwrap_or("");
            let lang = match primary {
                "vi" => Lang::Vi,
                "en" => Lang::En,
                _ => continue,
            };
            if weight > 0.0 && best.is_none_or(|(_, w)| weight > w) {
                best = Some((lang, weight));
            }
        }
        best.map_or(Lang::Vi, |(lang, _)| lang)
    }
}

/// A name for people in both languages: a coded value's, a staff action's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Label {
    pub vi: &'static str,
    pub en: &'static str,
}

impl Label {
    /// The label in `lang`.
    pub fn get(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Vi => self.vi,
            Lang::En => self.en,
        }
    }
}
