//! Progress for long steps: a bar on a terminal, and a log line at start and end everywhere
//! (CI logs and redirected output see what is happening without bar noise).

use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    bar: ProgressBar,
    step: String,
    started: Instant,
}

impl Progress {
    pub fn new(step: impl Into<String>, total: u64) -> Self {
        let step = step.into();
        tracing::info!(step = %step, total, "started");
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{msg:>24} [{bar:30}] {pos}/{len} {per_sec} eta {eta}")
                .expect("static template")
                .progress_chars("=> "),
        );
        bar.set_message(step.clone());
        Self { bar, step, started: Instant::now() }
    }

    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
    }

    pub fn set_message(&self, msg: impl Into<String>) {
        self.bar.set_message(format!("{} {}", self.step, msg.into()));
    }

    pub fn finish(self, summary: impl std::fmt::Display) {
        self.bar.finish_and_clear();
        tracing::info!(step = %self.step, secs = format!("{:.1}", self.started.elapsed().as_secs_f64()), "{summary}");
    }
}
