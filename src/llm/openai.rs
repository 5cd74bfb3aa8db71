//! Any OpenAI-compatible chat endpoint, streaming, through async-openai.

use async_openai::config::OpenAIConfig;
use async_openai::types::chat::{
    ChatCompletionRequestMessage, ChatCompletionRequestSystemMessage, ChatCompletionRequestUserMessage,
    CreateChatCompletionRequest, ResponseFormat, ResponseFormatJsonSchema,
};
use async_openai::Client;
use futures_util::StreamExt;

use super::{BackendKind, Limits, Llm, LlmError, Prompt, TokenStream};

pub struct OpenAiLlm {
    client: Client<OpenAIConfig>,
    model: String,
    id: String,
}

/// reqwest 0.13 needs a rustls crypto provider chosen once per process; we build with ring
/// (see Cargo.toml). Installing twice is harmless: the second call is refused and ignored.
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl OpenAiLlm {
    pub fn new(base_url: &str, model: &str, api_key: &str) -> Self {
        install_crypto_provider();
        let config = OpenAIConfig::new().with_api_base(base_url.trim_end_matches('/')).with_api_key(api_key);
        Self { client: Client::with_config(config), model: model.to_string(), id: format!("{model} at {base_url}") }
    }
}

impl Llm for OpenAiLlm {
    fn kind(&self) -> BackendKind {
        BackendKind::OpenAi
    }

    fn model_id(&self) -> &str {
        &self.id
    }

    fn stream(&self, prompt: &Prompt, limits: Limits) -> Result<TokenStream, LlmError> {
        self.start(prompt, None, limits)
    }

    fn stream_choice(&self, prompt: &Prompt, choices: &[String], limits: Limits) -> Result<TokenStream, LlmError> {
        let format = ResponseFormat::JsonSchema {
            json_schema: ResponseFormatJsonSchema {
                description: Some("The one choice that fits.".into()),
                name: "choice".into(),
                schema: super::choice_schema(choices),
                strict: Some(true),
            },
        };
        self.start(prompt, Some(format), limits)
    }
}

impl OpenAiLlm {
    fn start(&self, prompt: &Prompt, response_format: Option<ResponseFormat>, limits: Limits) -> Result<TokenStream, LlmError> {
        let request = CreateChatCompletionRequest {
            model: self.model.clone(),
            messages: vec![
                ChatCompletionRequestMessage::System(ChatCompletionRequestSystemMessage { content: prompt.system.clone().into(), name: None }),
                ChatCompletionRequestMessage::User(ChatCompletionRequestUserMessage { content: prompt.user.clone().into(), name: None }),
            ],
            max_completion_tokens: Some(limits.max_tokens),
            temperature: Some(0.0),
            stream: Some(true),
            response_format,
            ..Default::default()
        };
        let (tx, stream) = TokenStream::channel(limits);
        let client = self.client.clone();
        let handle = tokio::runtime::Handle::try_current().map_err(|_| LlmError::Config("the openai backend needs a Tokio runtime".into()))?;
        handle.spawn(async move {
            let mut chunks = match client.chat().create_stream(request).await {
                Ok(s) => s,
                Err(e) => {
                    let _ = tx.send(Err(LlmError::Backend(e.to_string()))).await;
                    return;
                }
            };
            let mut pieces = 0u32;
            while let Some(chunk) = chunks.next().await {
                let item = match chunk {
                    Ok(c) => c.choices.into_iter().filter_map(|c| c.delta.content).collect::<String>(),
                    Err(e) => {
                        let _ = tx.send(Err(LlmError::Backend(e.to_string()))).await;
                        return;
                    }
                };
                if item.is_empty() {
                    continue;
                }
                // A server that ignores max_completion_tokens is cut off here (a chunk is
                // usually one token).
                pieces += 1;
                if tx.send(Ok(item)).await.is_err() || pieces >= limits.max_tokens {
                    return;
                }
            }
        });
        Ok(stream)
    }
}
