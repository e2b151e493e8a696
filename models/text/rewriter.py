"""Reply rewriter on any local Hugging Face causal LM (transformers); aftersales/replies/guard.py guards what it writes."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pydantic.dataclasses
from pydantic import Field, field_validator

from models.errors import ModelError, WeightsNotFound
from models.fields import Count, Device, Name

logger = logging.getLogger("kefu.models")

DEFAULT_PROMPT = (
    "You are a customer-service agent of an online shop. Rewrite the reply below so that it sounds warm and natural, "
    "in the same language ({language}) and a {tone} tone. Keep every number, amount, date, order id and link exactly "
    "as written, add no new facts, promises or amounts, and answer with the rewritten reply only.\n\n"
    "Reply:\n{reply}"
)


@pydantic.dataclasses.dataclass
class RewriterConfig:
    """How to build the reply rewriter.

    Attributes:
        model: Local folder of a Hugging Face causal LM (config.json, tokenizer files, weights), as written by
            `save_pretrained`; nothing is ever downloaded.
        max_new_tokens: Most tokens generated per reply; a rewrite longer than that is cut and will usually lose a
            fact, so the template is sent instead.
        temperature: 0 decodes greedily (the same reply rewrites the same way every time); above 0 samples.
        device: "auto" (CUDA when torch sees a GPU, else CPU), "cpu", "cuda", "cuda:N" or "mps".
        prompt: The instruction, with {language}, {tone} and {reply} placeholders. Sent through the tokenizer's chat
            template as the user's message when the model has one, else as plain text followed by a newline.
    """

    model: Name
    max_new_tokens: Count = 160
    temperature: float = Field(0.0, strict=True, ge=0.0)
    device: Device = "cpu"
    prompt: str = DEFAULT_PROMPT

    @field_validator("prompt")
    @classmethod
    def _placeholders(cls, value: str) -> str:
        try:
            value.format(language="", tone="", reply="")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"rewriter prompt must use only {{language}}, {{tone}} and {{reply}}: {exc!r}") from None
        if "{reply}" not in value:
            raise ValueError("rewriter prompt must contain {reply}")
        return value


class CausalLMRewriter:
    """A local causal LM that restyles finished replies (aftersales.replies.guard.Rewriter).

    One generate at a time: a replica serves turns from several threads, and a model's forward pass is not safe to
    share between them.
    """

    def __init__(self, config: RewriterConfig):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from models.device import pick_device

        self.config = config
        path = Path(config.model).expanduser()
        if not path.is_dir():
            raise WeightsNotFound(f"rewriter model folder {path} does not exist; point the rewriter's `model` at a "
                                  "local Hugging Face causal LM folder (config.json, tokenizer files, weights)")
        self.device = pick_device(config.device)
        started = time.perf_counter()
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
            self.model = AutoModelForCausalLM.from_pretrained(path, local_files_only=True).to(self.device).eval()
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise ModelError(f"could not load a causal LM and its tokenizer from {path}: {exc}") from exc
        self._torch = torch
        self._lock = threading.Lock()
        self._chat = bool(getattr(self.tokenizer, "chat_template", None))
        logger.info("loaded rewriter %s on %s in %.1f s (chat template: %s)", path, self.device,
                    time.perf_counter() - started, self._chat)

    def prompt_for(self, reply: str, language: str, tone: str) -> str:
        """The exact text the model continues."""
        instruction = self.config.prompt.format(language=language, tone=tone, reply=reply)
        if self._chat:
            return self.tokenizer.apply_chat_template([{"role": "user", "content": instruction}], tokenize=False,
                                                      add_generation_prompt=True)
        return instruction + "\n"

    def rewrite(self, reply: str, language: str, tone: str) -> str:
        """The model's rewrite of `reply`: only the generated continuation, stripped.

        Raises:
            ModelError: The prompt and `max_new_tokens` do not fit the model's context.
        """
        text = self.prompt_for(reply, language, tone)
        # A chat template already writes the special tokens it wants; adding them again confuses the model.
        encoded = self.tokenizer(text, return_tensors="pt", add_special_tokens=not self._chat)
        prompt_tokens = encoded["input_ids"].shape[1]
        context = getattr(self.model.config, "max_position_embeddings", None)
        if context and prompt_tokens + self.config.max_new_tokens > context:
            raise ModelError(f"prompt of {prompt_tokens} tokens plus {self.config.max_new_tokens} new ones exceeds the "
                             f"rewriter's context of {context}")
        encoded = {k: v.to(self.device) for k, v in encoded.items()}
        with self._lock, self._torch.inference_mode():
            output = self.model.generate(**encoded, generation_config=self._generation_config())
        return self.tokenizer.decode(output[0, prompt_tokens:], skip_special_tokens=True).strip()

    def _generation_config(self):
        from transformers import GenerationConfig

        # A fresh config rather than the model's own: a checkpoint's sampling defaults (temperature 0.7, top_p ...)
        # must not turn greedy decoding into sampling; only its stop tokens are kept.
        own = self.model.generation_config
        sample = self.config.temperature > 0
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else own.eos_token_id
        if isinstance(pad, list):
            pad = pad[0]
        return GenerationConfig(max_new_tokens=self.config.max_new_tokens, do_sample=sample,
                                temperature=self.config.temperature if sample else None,
                                eos_token_id=own.eos_token_id, bos_token_id=own.bos_token_id, pad_token_id=pad)
