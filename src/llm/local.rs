//! A GGUF model run in-process by llama.cpp (llama-cpp-2).
//!
//! Generation never runs on the async workers: one dedicated thread owns the model and its
//! context and takes jobs from a bounded queue. When the queue is full, [`Llm::stream`] fails at
//! once with [`LlmError::Busy`] and the caller answers with the template (and says so): a
//! server stays responsive however many people ask for explanations.
//!
//! Pitfalls measured here: on a busy 2-core machine two threads made the 1.5B model about 10x
//! slower than one, hence one thread by default and `OMP_WAIT_POLICY=PASSIVE` (spinning OpenMP
//! workers steal the other core). Sampling is greedy: `sample` already accepts the token, and
//! accepting it again aborts with a grammar sampler (used by [`Llm::stream_choice`]).
//!
//! Prompt cache: the worker keeps the tokens its context holds and, for the next prompt, reads
//! only what follows the longest common start (as llama.cpp's server does). Every explanation
//! opens with the same system prompt, so on one thread, where reading the prompt dominates the
//! time to the first token, a request pays for its own facts only.

use std::num::NonZeroU32;
use std::path::Path;
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaModel};
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;

use super::{BackendKind, Limits, Llm, LlmError, Prompt, TokenStream};

#[derive(Debug, Clone)]
pub struct LocalOptions {
    pub threads: u32,
    /// Jobs that may wait (besides the one running).
    pub queue: usize,
    /// Context window in tokens (prompt + answer).
    pub context: u32,
}

impl Default for LocalOptions {
    fn default() -> Self {
        Self { threads: 1, queue: 4, context: 4096 }
    }
}

struct Job {
    prompt: Prompt,
    /// Only read the prompt into the cache ([`Llm::warm`]); nobody waits for an answer.
    warm: bool,
    /// A GBNF grammar the answer must follow (root rule `root`).
    grammar: Option<String>,
    limits: Limits,
    out: tokio::sync::mpsc::Sender<Result<String, LlmError>>,
}

pub struct LocalLlm {
    id: String,
    /// Prompt tokens taken from the cache rather than read, over all jobs.
    reused: Arc<AtomicU64>,
    /// `None` once dropped, which ends the worker's loop.
    jobs: Option<SyncSender<Job>>,
    queue: usize,
    worker: Option<std::thread::JoinHandle<()>>,
}

impl Drop for LocalLlm {
    /// Waits for the worker to free the model: llama.cpp freeing it while the process exits
    /// crashes (seen as SIGSEGV at the end of a test run).
    fn drop(&mut self) {
        self.jobs.take();
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

/// llama.cpp's backend may be initialised once per process.
fn backend() -> Result<&'static LlamaBackend, LlmError> {
    static BACKEND: OnceLock<Result<LlamaBackend, String>> = OnceLock::new();
    BACKEND
        .get_or_init(|| {
            if std::env::var_os("OMP_WAIT_POLICY").is_none() {
                // Read by OpenMP when its first parallel region starts, which is after this.
                std::env::set_var("OMP_WAIT_POLICY", "PASSIVE");
            }
            let mut b = LlamaBackend::init().map_err(|e| e.to_string())?;
            b.void_logs();
            Ok(b)
        })
        .as_ref()
        .map_err(|e| LlmError::Backend(e.clone()))
}

impl LocalLlm {
    /// Loads `path` on a new worker thread; returns once the model is loaded (or failed to).
    pub fn load(path: &Path, options: LocalOptions) -> Result<Self, LlmError> {
        let sha = super::sha256_file(path).map_err(|e| LlmError::Config(format!("cannot read {}: {e}", path.display())))?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let id = format!("{name} sha256:{sha}");
        let (jobs, rx) = sync_channel::<Job>(options.queue);
        let (ready_tx, ready_rx) = sync_channel::<Result<(), LlmError>>(1);
        let path = path.to_path_buf();
        let reused = Arc::new(AtomicU64::new(0));
        let counter = reused.clone();
        let worker = std::thread::Builder::new()
            .name("genekg-llm".into())
            .spawn(move || {
                let backend = match backend() {
                    Ok(b) => b,
                    Err(e) => return drop(ready_tx.send(Err(e))),
                };
                let model = match LlamaModel::load_from_file(backend, &path, &LlamaModelParams::default()) {
                    Ok(m) => m,
                    Err(e) => return drop(ready_tx.send(Err(LlmError::Config(format!("cannot load {}: {e}", path.display()))))),
                };
                let params = LlamaContextParams::default()
                    .with_n_ctx(NonZeroU32::new(options.context))
                    .with_n_batch(512)
                    .with_n_threads(options.threads as i32)
                    .with_n_threads_batch(options.threads as i32);
                let mut ctx = match model.new_context(backend, params) {
                    Ok(c) => c,
                    Err(e) => return drop(ready_tx.send(Err(LlmError::Config(format!("cannot create a llama.cpp context: {e}"))))),
                };
                let _ = ready_tx.send(Ok(()));
                let mut cached = Vec::new();
                while let Ok(job) = rx.recv() {
                    if job.out.is_closed() && !job.warm {
                        continue;
                    }
                    if let Err(e) = generate(&model, &mut ctx, &mut cached, &counter, &job) {
                        // What the context holds is unknown after a failed decode.
                        ctx.clear_kv_cache();
                        cached.clear();
                        let _ = job.out.blocking_send(Err(e));
                    }
                }
            })
            .map_err(|e| LlmError::Backend(format!("cannot start the LLM thread: {e}")))?;
        ready_rx.recv().map_err(|_| LlmError::Backend("the LLM thread died while loading".into()))??;
        tracing::info!(model = %id, threads = options.threads, queue = options.queue, "local LLM loaded");
        Ok(Self { id, reused, jobs: Some(jobs), queue: options.queue, worker: Some(worker) })
    }

    /// Prompt tokens the worker took from its cache instead of reading them, so far.
    pub fn prompt_tokens_reused(&self) -> u64 {
        self.reused.load(Ordering::Relaxed)
    }
}

/// Runs one job. `cached` holds the tokens in the context's KV cache (sequence 0), in order;
/// it is kept true as tokens are decoded.
fn generate(
    model: &LlamaModel,
    ctx: &mut llama_cpp_2::context::LlamaContext<'_>,
    cached: &mut Vec<LlamaToken>,
    reused: &AtomicU64,
    job: &Job,
) -> Result<(), LlmError> {
    let err = |what: &str, e: &dyn std::fmt::Display| LlmError::Backend(format!("{what}: {e}"));
    let started = Instant::now();
    let template = model.chat_template(None).map_err(|e| err("the model has no chat template", &e))?;
    let messages = [("system", &job.prompt.system), ("user", &job.prompt.user)]
        .into_iter()
        .map(|(role, text)| LlamaChatMessage::new(role.into(), text.clone()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| err("bad prompt", &e))?;
    let text = model.apply_chat_template(&template, &messages, true).map_err(|e| err("chat template", &e))?;
    let vocab = model.vocab();
    let tokens = vocab.tokenize(text.as_bytes(), true, true);
    let n_ctx = ctx.n_ctx() as usize;
    if tokens.len() + job.limits.max_tokens as usize > n_ctx {
        return Err(LlmError::Backend(format!("prompt of {} tokens and {} to generate exceed the context of {n_ctx}", tokens.len(), job.limits.max_tokens)));
    }
    // Keep the common start; at least the last prompt token is decoded again, for its logits.
    let common = cached.iter().zip(&tokens).take_while(|(a, b)| a == b).count().min(tokens.len().saturating_sub(1));
    let kept = common > 0 && ctx.clear_kv_cache_seq(Some(0), Some(common as u32), None).unwrap_or(false);
    if kept {
        cached.truncate(common);
    } else {
        ctx.clear_kv_cache();
        cached.clear();
    }
    let n_batch = ctx.n_batch() as usize;
    let mut batch = LlamaBatch::new(n_batch, 1);
    let fresh = tokens[cached.len()..].to_vec();
    for chunk in fresh.chunks(n_batch) {
        batch.clear();
        for &t in chunk {
            let pos = cached.len();
            batch.add(t, pos as i32, &[0], pos + 1 == tokens.len()).map_err(|e| err("batch", &e))?;
            cached.push(t);
        }
        ctx.decode(&mut batch).map_err(|e| err("decode", &e))?;
    }
    reused.fetch_add((tokens.len() - fresh.len()) as u64, Ordering::Relaxed);
    tracing::debug!(prompt = tokens.len(), reused = tokens.len() - fresh.len(), "local LLM read its prompt");
    // `sample` applies the whole chain and accepts the token into it, grammar included.
    let mut sampler = match &job.grammar {
        None => LlamaSampler::greedy(),
        Some(g) => LlamaSampler::chain_simple([
            LlamaSampler::grammar(model, g, "root").map_err(|e| err("grammar", &e))?,
            LlamaSampler::greedy(),
        ]),
    };
    let mut pos = tokens.len() as i32;
    let mut bytes: Vec<u8> = Vec::new();
    for _ in 0..job.limits.max_tokens {
        if started.elapsed() > job.limits.timeout {
            return Err(LlmError::Timeout(job.limits.timeout));
        }
        let token = sampler.sample(ctx, batch.n_tokens() - 1);
        if vocab.is_eog(token) {
            break;
        }
        vocab.token_to_piece_into(token, &mut bytes, false, None);
        // A piece may end inside a multi-byte character; send only complete characters.
        let valid = match std::str::from_utf8(&bytes) {
            Ok(s) => s.len(),
            Err(e) => e.valid_up_to(),
        };
        if valid > 0 {
            let piece = String::from_utf8(bytes.drain(..valid).collect()).expect("checked UTF-8");
            if job.out.blocking_send(Ok(piece)).is_err() {
                return Ok(()); // the reader went away
            }
        }
        batch.clear();
        batch.add(token, pos, &[0], true).map_err(|e| err("batch", &e))?;
        pos += 1;
        cached.push(token);
        ctx.decode(&mut batch).map_err(|e| err("decode", &e))?;
    }
    Ok(())
}

impl Llm for LocalLlm {
    fn kind(&self) -> BackendKind {
        BackendKind::Local
    }

    fn model_id(&self) -> &str {
        &self.id
    }

    fn stream(&self, prompt: &Prompt, limits: Limits) -> Result<TokenStream, LlmError> {
        self.submit(prompt, None, limits)
    }

    fn stream_choice(&self, prompt: &Prompt, choices: &[String], limits: Limits) -> Result<TokenStream, LlmError> {
        self.submit(prompt, Some(choice_grammar(choices)), limits)
    }

    fn warm(&self, prompt: &Prompt) {
        let (out, _) = TokenStream::channel(Limits::default());
        if let Some(jobs) = &self.jobs {
            // A full queue means the cache will be warmed by real work anyway.
            let _ = jobs.try_send(Job { prompt: prompt.clone(), warm: true, grammar: None, limits: Limits { max_tokens: 0, ..Limits::default() }, out });
        }
    }
}

/// A GBNF grammar whose only sentences are the `choices`, bare (no JSON around them: fewer
/// tokens to generate, and `parse_choice` reads either form).
pub fn choice_grammar(choices: &[String]) -> String {
    let quoted: Vec<String> = choices.iter().map(|c| format!("\"{}\"", c.replace('\\', "\\\\").replace('"', "\\\""))).collect();
    format!("root ::= {}", quoted.join(" | "))
}

impl LocalLlm {
    fn submit(&self, prompt: &Prompt, grammar: Option<String>, limits: Limits) -> Result<TokenStream, LlmError> {
        let (out, stream) = TokenStream::channel(limits);
        let jobs = self.jobs.as_ref().ok_or_else(|| LlmError::Backend("the LLM thread has stopped".into()))?;
        match jobs.try_send(Job { prompt: prompt.clone(), warm: false, grammar, limits, out }) {
            Ok(()) => Ok(stream),
            Err(TrySendError::Full(_)) => Err(LlmError::Busy(self.queue)),
            Err(TrySendError::Disconnected(_)) => Err(LlmError::Backend("the LLM thread has stopped".into())),
        }
    }
}
