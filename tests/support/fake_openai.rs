//! A fake OpenAI-compatible server on loopback: real HTTP, answering every
//! `POST …/chat/completions` with the configured text as streamed SSE chunks (one per word),
//! and recording the request bodies it got.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub struct FakeOpenAi {
    pub base_url: String,
    pub requests: Arc<Mutex<Vec<serde_json::Value>>>,
    pub reply: Arc<Mutex<String>>,
}

fn chunk(content: &str) -> String {
    let c = serde_json::json!({
        "id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1, "model": "fake-model",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": null}]
    });
    format!("data: {c}\n\n")
}

impl FakeOpenAi {
    pub async fn start(reply: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}/v1", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let reply = Arc::new(Mutex::new(reply.to_string()));
        let (reqs, rep) = (requests.clone(), reply.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else { return };
                let (reqs, rep) = (reqs.clone(), rep.clone());
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut tmp = [0u8; 4096];
                    let (head_end, len) = loop {
                        let n = sock.read(&mut tmp).await.unwrap();
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&tmp[..n]);
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            let head = String::from_utf8_lossy(&buf[..i]).to_lowercase();
                            let len = head
                                .lines()
                                .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap()))
                                .unwrap_or(0);
                            break (i + 4, len);
                        }
                    };
                    while buf.len() < head_end + len {
                        let n = sock.read(&mut tmp).await.unwrap();
                        buf.extend_from_slice(&tmp[..n]);
                    }
                    let body: serde_json::Value = serde_json::from_slice(&buf[head_end..head_end + len]).unwrap_or_default();
                    reqs.lock().unwrap().push(body);
                    let text = rep.lock().unwrap().clone();
                    let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n";
                    sock.write_all(head.as_bytes()).await.unwrap();
                    for (i, word) in text.split_inclusive(' ').enumerate() {
                        sock.write_all(chunk(word).as_bytes()).await.unwrap();
                        sock.flush().await.unwrap();
                        if i % 8 == 0 {
                            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                        }
                    }
                    sock.write_all(b"data: [DONE]\n\n").await.unwrap();
                    let _ = sock.shutdown().await;
                });
            }
        });
        Self { base_url, requests, reply }
    }

    pub fn set_reply(&self, text: &str) {
        *self.reply.lock().unwrap() = text.to_string();
    }
}
