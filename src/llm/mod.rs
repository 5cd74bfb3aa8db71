//! The LLM adapter: one small trait ([`Llm`]) and its backends.
//!
//! - `none`: no LLM; explanations use the template alone.
//! - `openai`: any OpenAI-compatible chat endpoint (OpenAI, Ollama, vLLM, llama.cpp's server),
//!   through async-openai ([`openai`]).
//! - `local`: a GGUF model run in-process by llama.cpp (llama-cpp-2, cargo feature `llm-local`)
//!   on one dedicated worker thread with a bounded queue ([`local`]).
//!
//! Why our own trait rather than a framework: all genekg asks of a model is "rewrite this text,
//! at most N tokens, within T seconds, streaming"; the guard in `explain` decides what may come
//! out. A stream is a channel, so a backend never runs generation on the async workers and a
//! caller that goes away (a closed SSE connection) stops generation at the next token.

#[cfg(feature = "llm-local")]
pub mod local;
pub mod openai;

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

/// Which backend answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    None,
    Local,
    #[value(name = "openai")]
    #[serde(rename = "openai")]
    OpenAi,
}

impl BackendKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Local => "local",
            Self::OpenAi => "openai",
        }
    }

    /// Parses a user's choice (`none`, `local`, `openai`, any case).
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" | "template" => Ok(Self::None),
            "local" => Ok(Self::Local),
            "openai" => Ok(Self::OpenAi),
            other => Err(format!("unknown LLM backend `{other}`; use none, local or openai")),
        }
    }
}

/// Bounds on one generation. Both are enforced by the backend (it stops generating) and by
/// [`collect`] (it stops waiting).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_tokens: u32,
    pub timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_tokens: 320, timeout: Duration::from_secs(60) }
    }
}

/// A chat prompt: instructions and the material.
#[derive(Debug, Clone)]
pub struct Prompt {
    pub system: String,
    pub user: String,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum LlmError {
    /// The local worker's queue is full; the caller should answer without the LLM.
    #[error("the local LLM is busy (queue of {0} full)")]
    Busy(usize),
    #[error("the LLM did not finish within {0:?}")]
    Timeout(Duration),
    #[error("LLM backend error: {0}")]
    Backend(String),
    #[error("LLM configuration: {0}")]
    Config(String),
}

/// Pieces of text as the model produces them; ends when generation ends.
pub struct TokenStream {
    rx: mpsc::Receiver<Result<String, LlmError>>,
    deadline: Instant,
    timeout: Duration,
}

impl TokenStream {
    /// A stream and the sender a backend feeds it through. The channel is short so a slow
    /// reader slows generation down rather than buffering it (readers are async tasks, far
    /// faster than any model).
    pub fn channel(limits: Limits) -> (mpsc::Sender<Result<String, LlmError>>, Self) {
        let (tx, rx) = mpsc::channel(4);
        (tx, Self { rx, deadline: Instant::now() + limits.timeout, timeout: limits.timeout })
    }

    /// The next piece; `None` at the end. Past the time limit this yields a timeout error once.
    pub async fn next(&mut self) -> Option<Result<String, LlmError>> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, self.rx.recv()).await {
            Ok(item) => item,
            Err(_) => {
                self.rx.close();
                Some(Err(LlmError::Timeout(self.timeout)))
            }
        }
    }
}

/// A model behind a backend.
pub trait Llm: Send + Sync {
    fn kind(&self) -> BackendKind;
    /// Model name and, for a file, its sha256 (e.g. `SmolLM2-135M-Instruct.Q4_1.gguf
    /// sha256:b179c952…`); part of every cache key of LLM output.
    fn model_id(&self) -> &str;
    /// Starts generating. Returns at once; an error means nothing was started (e.g. `Busy`).
    fn stream(&self, prompt: &Prompt, limits: Limits) -> Result<TokenStream, LlmError>;
    /// Starts generating an answer constrained to one of `choices`: a GBNF grammar for the
    /// local model, a strict JSON schema (`{"choice": one of choices}`) for OpenAI-compatible
    /// servers. Read the result with [`choose`], which also checks it.
    fn stream_choice(&self, prompt: &Prompt, choices: &[String], limits: Limits) -> Result<TokenStream, LlmError>;
    /// Reads `prompt` ahead of time so later prompts sharing its start (the fixed system
    /// prompt) skip that part. Returns at once; a backend without a prompt cache ignores it.
    fn warm(&self, _prompt: &Prompt) {}
}

/// The JSON schema of a constrained answer: `{"choice": "<one of choices>"}`.
pub fn choice_schema(choices: &[String]) -> serde_json::Value {
    serde_json::json!({
        "type": "object",
        "properties": {"choice": {"type": "string", "enum": choices}},
        "required": ["choice"],
        "additionalProperties": false
    })
}

/// One of `choices` from a constrained answer (the JSON object of [`choice_schema`] or the bare
/// choice); `None` for anything else, so a server that ignores the schema cannot slip another
/// value through.
pub fn parse_choice(text: &str, choices: &[String]) -> Option<String> {
    let text = text.trim();
    let picked = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(o)) => o.get("choice")?.as_str()?.trim().to_string(),
        _ => text.trim_matches('"').to_string(),
    };
    choices.iter().find(|c| **c == picked).cloned()
}

/// Asks `llm` to pick one of `choices`; `Ok(None)` when its answer is none of them.
pub async fn choose(llm: &dyn Llm, prompt: &Prompt, choices: &[String], limits: Limits) -> Result<Option<String>, LlmError> {
    let text = collect_stream(llm.stream_choice(prompt, choices, limits), Instant::now()).await?;
    Ok(parse_choice(&text, choices))
}

/// A whole completion, with when its first piece came.
#[derive(Debug, Clone)]
pub struct Completion {
    pub text: String,
    pub first_token: Option<Duration>,
    pub total: Duration,
}

/// Runs a prompt to the end (or the limits).
pub async fn complete(llm: &dyn Llm, prompt: &Prompt, limits: Limits) -> Result<Completion, LlmError> {
    let started = Instant::now();
    let stream = llm.stream(prompt, limits)?;
    collect(stream, started, |_| {}).await
}

/// The whole text of a stream that may have failed to start.
pub async fn collect_stream(stream: Result<TokenStream, LlmError>, started: Instant) -> Result<String, LlmError> {
    Ok(collect(stream?, started, |_| {}).await?.text)
}

/// Drains a stream, calling `on_piece` for each piece as it arrives.
pub async fn collect(mut stream: TokenStream, started: Instant, mut on_piece: impl FnMut(&str)) -> Result<Completion, LlmError> {
    let mut text = String::new();
    let mut first_token = None;
    while let Some(piece) = stream.next().await {
        let piece = piece?;
        first_token.get_or_insert_with(|| started.elapsed());
        on_piece(&piece);
        text.push_str(&piece);
    }
    Ok(Completion { text, first_token, total: started.elapsed() })
}

/// How the server (or the CLI) reaches its LLM, from flags and environment.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LlmArgs {
    /// LLM that rewrites explanations: none (template only), local (llama.cpp, GGUF file) or
    /// openai (any OpenAI-compatible server).
    #[arg(long = "llm", env = "GENEKG_LLM", value_enum)]
    pub llm: Option<BackendKind>,
    /// GGUF model for `--llm local` (default: the default model in the cache,
    /// $GENEKG_CACHE or ~/.cache/genekg, llm/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf).
    #[arg(long = "llm-model-path", env = "GENEKG_LLM_MODEL_PATH")]
    pub model_path: Option<std::path::PathBuf>,
    /// Base URL of the OpenAI-compatible API (default https://api.openai.com/v1; also
    /// OPENAI_BASE_URL).
    #[arg(long = "llm-base-url", env = "GENEKG_LLM_BASE_URL")]
    pub base_url: Option<String>,
    /// Model name for `--llm openai` (also OPENAI_MODEL).
    #[arg(long = "llm-model", env = "GENEKG_LLM_MODEL")]
    pub model: Option<String>,
    /// API key for `--llm openai` (also OPENAI_API_KEY; may be empty for local servers).
    #[arg(long = "llm-api-key", env = "GENEKG_LLM_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// CPU threads for the local model (1 by default: on a busy 2-core machine two threads
    /// were 10x slower).
    #[arg(long = "llm-threads", env = "GENEKG_LLM_THREADS", default_value_t = 1)]
    pub threads: u32,
    /// Generations that may wait for the local model; more get the template at once.
    #[arg(long = "llm-queue", env = "GENEKG_LLM_QUEUE", default_value_t = 4)]
    pub queue: usize,
}

/// The file name of the default local model in the cache.
pub const DEFAULT_LOCAL_MODEL: &str = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf";

/// Where scripts fetch models to: `$GENEKG_CACHE/llm` or `~/.cache/genekg/llm`.
pub fn model_cache_dir() -> std::path::PathBuf {
    std::env::var_os("GENEKG_CACHE")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cache/genekg")))
        .unwrap_or_else(|| std::path::PathBuf::from(".cache/genekg"))
        .join("llm")
}

impl LlmArgs {
    /// The backend these flags ask for (`None` when none is), or an error naming what is
    /// missing.
    pub fn build(&self) -> anyhow::Result<Option<Arc<dyn Llm>>> {
        match self.llm.unwrap_or(BackendKind::None) {
            BackendKind::None => Ok(None),
            BackendKind::OpenAi => {
                let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
                let base = self.base_url.clone().or_else(|| env("OPENAI_BASE_URL")).unwrap_or_else(|| "https://api.openai.com/v1".into());
                let model = self.model.clone().or_else(|| env("OPENAI_MODEL")).ok_or_else(|| {
                    anyhow::anyhow!("--llm openai needs a model name: --llm-model, GENEKG_LLM_MODEL or OPENAI_MODEL")
                })?;
                let key = self.api_key.clone().or_else(|| env("OPENAI_API_KEY")).unwrap_or_default();
                Ok(Some(Arc::new(openai::OpenAiLlm::new(&base, &model, &key))))
            }
            BackendKind::Local => self.build_local(),
        }
    }

    #[cfg(feature = "llm-local")]
    fn build_local(&self) -> anyhow::Result<Option<Arc<dyn Llm>>> {
        let path = self.model_path.clone().unwrap_or_else(|| model_cache_dir().join(DEFAULT_LOCAL_MODEL));
        if !path.is_file() {
            anyhow::bail!(
                "no local model at {}; run scripts/run.sh (it fetches the default model) or pass --llm-model-path FILE.gguf",
                path.display()
            );
        }
        let opts = local::LocalOptions { threads: self.threads.max(1), queue: self.queue.max(1), ..Default::default() };
        Ok(Some(Arc::new(local::LocalLlm::load(&path, opts)?)))
    }

    #[cfg(not(feature = "llm-local"))]
    fn build_local(&self) -> anyhow::Result<Option<Arc<dyn Llm>>> {
        anyhow::bail!("this genekg was built without the local LLM (cargo feature `llm-local`)")
    }
}

/// sha256 of a file, hex (model files are hashed once at load).
pub fn sha256_file(path: &std::path::Path) -> std::io::Result<String> {
    use sha2::Digest;
    let mut f = std::fs::File::open(path)?;
    let mut h = sha2::Sha256::new();
    std::io::copy(&mut f, &mut h)?;
    Ok(hex::encode(h.finalize()))
}
