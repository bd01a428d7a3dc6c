//! Progress of long work (seeding, an import, re-projecting documents, a load run): a bar on a
//! terminal, and on anything else (a log, a CI run) a plain line every tenth of the way, so
//! that a log holds no control codes and still says the work is moving. Both go to standard
//! error, apart from what a command prints as its result.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// One piece of long work, counted in `unit`s.
#[derive(Debug)]
pub struct Progress {
    bar: Option<ProgressBar>,
    what: String,
    unit: &'static str,
    total: u64,
    done: u64,
    /// The tenth of the way last written as a plain line.
    tenth: u64,
}

impl Progress {
    /// Starts showing `what` (say "seeding the demo district"), out of `total` `unit`s.
    pub fn new(what: impl Into<String>, total: u64, unit: &'static str) -> Progress {
        let what = what.into();
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total);
            let template = format!("{{msg}} [{{bar:30}}] {{pos}}/{{len}} {unit} ({{eta}} left)");
            if let Ok(style) = ProgressStyle::with_template(&template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(what.clone());
            bar
        });
        if bar.is_none() {
            eprintln!("{what}: 0/{total} {unit}");
        }
        Progress {
            bar,
            what,
            unit,
            total,
            done: 0,
            tenth: 0,
        }
    }

    /// `n` more done.
    pub fn advance(&mut self, n: u64) {
        self.done = (self.done + n).min(self.total);
        match &self.bar {
            Some(bar) => bar.set_position(self.done),
            None => {
                let tenth = (self.done * 10).checked_div(self.total).unwrap_or(10);
                if tenth > self.tenth && self.done < self.total {
                    self.tenth = tenth;
                    eprintln!("{}: {}/{} {}", self.what, self.done, self.total, self.unit);
                }
            }
        }
    }

    /// The work is over.
    pub fn finish(self) {
        match &self.bar {
            Some(bar) => bar.finish_and_clear(),
            None => eprintln!(
                "{}: {}/{} {}, done",
                self.what, self.done, self.total, self.unit
            ),
        }
    }
}
