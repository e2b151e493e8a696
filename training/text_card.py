"""The kefu-text model card: the evaluation table and the card written beside the ONNX."""

from __future__ import annotations


def table(evaluation: dict) -> str:
    """The per-language evaluation as a Markdown table."""
    head = "| language | n | intent | emotion | language id | noisy intent | noisy emotion |\n|---|---|---|---|---|---|---|"
    rows = [f"| {lang} | {r['n']} | {r['intent']:.3f} | {r['emotion']:.3f} | {r['language']:.3f} | "
            f"{r['noisy_intent']:.3f} | {r['noisy_emotion']:.3f} |" for lang, r in evaluation["per_language"].items()]
    m = evaluation["macro"]
    rows.append(f"| **macro** | {evaluation['test']} | {m['intent']:.3f} | {m['emotion']:.3f} | {m['language']:.3f} "
                f"| {m['noisy_intent']:.3f} | {m['noisy_emotion']:.3f} |")
    return "\n".join([head, *rows])


def render_card(meta: dict) -> str:
    """The model card (models/weights/kefu-text.md) from the export's JSON."""
    ev, tr = meta["evaluation"], meta["training"]
    opts, slot = tr["options"], ev["slot_f1"]
    slot_rows = "\n".join(f"| {name} | {v['gold']} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} |"
                           for name, v in slot.items())
    feat = meta["featurizer"]
    return f"""# kefu-text — model card

kefu's small multilingual text-understanding model. For one customer chat message it gives the intent (13),
the emotion (4), the language (7) and slot values (order id, SKU, amount, date, phone) as character spans. It is a
character-level CNN trained from scratch; it runs on onnxruntime through `models/text/model.py` (no torch).

- **Files**: `models/weights/{meta['onnx']}` ({meta['size_mb']:.2f} MB, ONNX opset {meta['opset']}, sha256
  `{meta['sha256']}`) and `kefu-text.json` (vocabulary, labels, featuriser settings, training record, this
  evaluation). `TextModel` refuses an ONNX whose sha256 differs from the JSON's.
- **Labels**: intents {", ".join(f"`{x}`" for x in meta["intents"])}; emotions
  {", ".join(f"`{x}`" for x in meta["emotions"])}; languages {", ".join(f"`{x}`" for x in meta["languages"])}.
- **Parameters**: {tr['parameters']:,}.

## Data

The hand-written corpus `training/text_corpus/<lang>.jsonl` (sha256 of each file in the JSON's `corpus`), about
450 messages per language, written to sound like real chats (typos, slang, code-mixing, emoji). Split per
language and intent by the sha256 of the text: {meta['split']['test']:.0%} test (held out: never trained on,
never used for a choice), {meta['split']['val']:.0%} val (chooses the epoch), the rest train ({tr['train']}
train, {tr['val']} val, {ev['test']} test messages).

Each epoch the training split is seen once as written and {opts['copies']} times augmented (`training/text_data.py`):
letter typos (drop, double, swap, keyboard neighbour), lower case and shouting upper case, diacritics stripped
(half of the Vietnamese copies), punctuation removed or emotion-fitting endings and emoji added, and slot values
replaced by fresh ones of the same kind written the language's way (spans follow). The *noisy* test set is the
test split with 5 % letter typos and every diacritic stripped (seed {meta['split']['noisy_seed']}).

## Architecture

NFKC-normalised text, at most {feat['max_len']} characters. Per character the sum of three embeddings of
{opts['embed_dim']} values: the lower-cased character ({len(feat['vocab'])} characters seen at least
{opts['min_count']} times in train, others hashed into {feat['oov_buckets']} buckets by code point), the hashed
character bigram ({feat['bigram_buckets']} buckets) and an is-upper-case flag. Parallel 1-D convolutions of widths
{", ".join(map(str, opts['widths']))} ({opts['filters']} filters each, ReLU) detect character n-grams; their max over
the message (dropout {opts['dropout']}) feeds three heads (intent, emotion, language). For the slots, the embeddings
go through {len(opts['dilations'])} pre-norm residual 1-D convolutions of {opts['channels']} channels (kernel
{opts['kernel']}, dilations {", ".join(map(str, opts['dilations']))}, GELU) to a per-character BIO head
({len(meta['tags'])} tags). Loss: the sum of the four cross-entropies (label smoothing {opts['label_smoothing']} on
intent and emotion; the tag loss on real characters
only). AdamW (lr {opts['lr']}, weight decay {opts['weight_decay']}, one-cycle), batch {opts['batch_size']},
{opts['epochs']} epochs, seed {opts['seed']}; the epoch with the best val mean of intent and emotion accuracy was
kept (epoch {tr['best_epoch']}, val {tr['best_val']:.3f}). Training took {tr['minutes']:.1f} min on
{opts['threads']} CPU threads (torch {tr['torch']}).

## Evaluation (held-out test split, through the ONNX export)

{table(ev)}

Language id is the share of messages whose language was named right. Slot spans (name, start and end must all be
exact; `gold` is the number of true spans):

| slot | gold | precision | recall | F1 |
|---|---|---|---|---|
{slot_rows}

## Limitations

- About 60-70 test messages per language: one message moves an accuracy by about 0.015, so differences of a few
  points between languages are noise.
- The corpus is written by a few authors, not collected from real shops; real customers will write things it
  never saw. Emotion is a judgement call (anxious vs angry, neutral vs happy) and the labels carry that noise.
- Indonesian and Malay share most of their words; short messages between them (and Taglish vs English) are the
  usual language-id errors.
- Character spans only: a slot value is not validated (an order id is not looked up) and amounts are not parsed.
- Messages are cut at {feat['max_len']} characters.

## Retrain

    python -m training.text_model train --out models/weights --epochs {opts['epochs']} --seed {opts['seed']}
    python -m training.text_model evaluate

The first writes the ONNX, this JSON and this card; the second re-reads the shipped export through `models/text/model.py`
and prints the table above. `tests/unit/test_text_model.py` recomputes the table and fails if it drifts.
"""


__all__ = ["render_card", "table"]
