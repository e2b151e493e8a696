"""The transformers rewriter end to end on a tiny random GPT-2 built here, offline: loads, generates, is guarded."""

from __future__ import annotations

from pathlib import Path

import pytest

from aftersales.replies.templates import ReplyWriter
from aftersales.replies.guard import GuardedRewriter, facts_of
from models.errors import WeightsNotFound
from models.text.rewriter import DEFAULT_PROMPT, CausalLMRewriter, RewriterConfig
from tests.unit.aftersales.test_replies import EXAMPLES, _decision

SPECIALS = ["<unk>", "<pad>", "<s>", "</s>"]


def _zh_reply() -> str:
    return ReplyWriter().render(_decision(EXAMPLES[0]), "zh", "friendly")


def _make_tiny_lm(folder: Path, corpus: str) -> Path:
    """A character-level tokenizer over `corpus` and a one-layer random GPT-2, saved as a Hub model folder would be."""
    import torch
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    chars = sorted(set(corpus) | set(" \n0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.,:;!?¥元"))
    vocab = {token: i for i, token in enumerate(SPECIALS + chars)}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    core.decoder = decoders.Fuse()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, unk_token="<unk>", pad_token="<pad>",
                                        bos_token="<s>", eos_token="</s>")
    tokenizer.save_pretrained(folder)
    torch.manual_seed(0)
    config = GPT2Config(n_layer=1, n_head=2, n_embd=32, vocab_size=len(vocab), n_positions=1024,
                        bos_token_id=vocab["<s>"], eos_token_id=vocab["</s>"], pad_token_id=vocab["<pad>"])
    GPT2LMHeadModel(config).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory) -> Path:
    return _make_tiny_lm(tmp_path_factory.mktemp("tiny-lm"), DEFAULT_PROMPT + _zh_reply())


@pytest.fixture(scope="module")
def rewriter(tiny_lm) -> CausalLMRewriter:
    return CausalLMRewriter(RewriterConfig(model=str(tiny_lm), max_new_tokens=24))


def test_loads_and_generates_only_new_text(rewriter):
    reply = _zh_reply()
    prompt = rewriter.prompt_for(reply, "zh", "friendly")
    assert prompt == DEFAULT_PROMPT.format(language="zh", tone="friendly", reply=reply) + "\n"
    out = rewriter.rewrite(reply, "zh", "friendly")
    assert isinstance(out, str) and len(out) <= 24
    # Greedy decoding: the same reply rewrites the same way.
    assert rewriter.rewrite(reply, "zh", "friendly") == out


def test_random_model_cannot_keep_the_facts(rewriter):
    reply = _zh_reply()
    result = GuardedRewriter(rewriter).apply(reply, "zh", "friendly")
    assert not result.used and result.text == reply
    assert result.problems and set(facts_of(reply)) == {"3", "299.00元", "269.00元", "1", "7", "30.00元"}


def test_sampling_also_runs(tiny_lm):
    sampler = CausalLMRewriter(RewriterConfig(model=str(tiny_lm), max_new_tokens=8, temperature=0.8))
    assert isinstance(sampler.rewrite("亲，退款30.00元。", "zh", "soothing"), str)


def test_a_prompt_too_long_for_the_context_is_refused_by_the_guard(tiny_lm):
    rewriter = CausalLMRewriter(RewriterConfig(model=str(tiny_lm), max_new_tokens=1000))
    reply = _zh_reply()
    result = GuardedRewriter(rewriter).apply(reply, "zh", "friendly")
    assert not result.used and result.text == reply
    assert result.problems[0].startswith("rewriter failed: ModelError") and "context of 1024" in result.problems[0]


def test_missing_folder_names_the_path(tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(WeightsNotFound, match="no-such-model"):
        CausalLMRewriter(RewriterConfig(model=str(missing)))


@pytest.mark.parametrize("bad", [dict(max_new_tokens=0), dict(temperature=-1.0), dict(device="tpu"),
                                 dict(prompt="no placeholder"), dict(prompt="{reply} {customer}"), dict(model=" ")])
def test_config_rejects_nonsense(bad):
    with pytest.raises(ValueError):
        RewriterConfig(**{"model": "/models/qwen", **bad})


def test_a_chat_model_gets_its_chat_template(tiny_lm, tmp_path):
    import shutil

    chat = shutil.copytree(tiny_lm, tmp_path / "chat")
    (chat / "chat_template.jinja").write_text(
        "{% for m in messages %}<s>{{ m['role'] }}:{{ m['content'] }}</s>{% endfor %}"
        "{% if add_generation_prompt %}<s>assistant:{% endif %}", encoding="utf-8")
    rewriter = CausalLMRewriter(RewriterConfig(model=str(chat), max_new_tokens=8))
    prompt = rewriter.prompt_for("亲，退款30.00元。", "zh", "friendly")
    assert prompt.startswith("<s>user:") and prompt.endswith("</s><s>assistant:") and "30.00元" in prompt
    assert isinstance(rewriter.rewrite("亲，退款30.00元。", "zh", "friendly"), str)
