"""An Ollama Modelfile beside the GGUF, so `ollama create NAME -f Modelfile` just works.

Ollama's TEMPLATE is a Go template, not Jinja, so it is written per chat-template style rather than
translated. The style is recognised from the Jinja template's markers (ChatML: `<|im_start|>`,
used by SmolLM2 and Qwen; Llama 3: `<|start_header_id|>`). A default system prompt that the Jinja
template inserts when none is given (SmolLM2 does) becomes the Modelfile's SYSTEM line, found by
rendering the template rather than parsing it. For an unknown style no TEMPLATE is written, and
Ollama falls back to the chat template stored in the GGUF.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CHATML_TEMPLATE = (
    "{{ if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}"
    "{{ if .Prompt }}<|im_start|>user\n{{ .Prompt }}<|im_end|>\n{{ end }}"
    "<|im_start|>assistant\n{{ .Response }}<|im_end|>\n"
)
LLAMA3_TEMPLATE = (
    "{{ if .System }}<|start_header_id|>system<|end_header_id|>\n\n{{ .System }}<|eot_id|>{{ end }}"
    "{{ if .Prompt }}<|start_header_id|>user<|end_header_id|>\n\n{{ .Prompt }}<|eot_id|>{{ end }}"
    "<|start_header_id|>assistant<|end_header_id|>\n\n{{ .Response }}<|eot_id|>"
)
STYLES = {
    "chatml": (CHATML_TEMPLATE, ["<|im_start|>", "<|im_end|>"]),
    "llama3": (LLAMA3_TEMPLATE, ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]),
}
_PROBE = "PROBE-USER-MESSAGE"


@dataclass(frozen=True)
class ChatStyle:
    name: str | None  # "chatml", "llama3", or None when not recognised
    default_system: str | None  # what the template inserts when the conversation has no system turn


def chat_style(tokenizer) -> ChatStyle:
    template = getattr(tokenizer, "chat_template", None) or ""
    if "<|im_start|>" in template:
        name = "chatml"
    elif "<|start_header_id|>" in template:
        name = "llama3"
    else:
        return ChatStyle(None, None)
    rendered = tokenizer.apply_chat_template([{"role": "user", "content": _PROBE}], tokenize=False, add_generation_prompt=True)
    head = rendered.split(_PROBE)[0]
    system = None
    if name == "chatml" and "<|im_start|>system\n" in head:
        system = head.split("<|im_start|>system\n", 1)[1].split("<|im_end|>", 1)[0]
    elif name == "llama3" and "system<|end_header_id|>\n\n" in head:
        system = head.split("system<|end_header_id|>\n\n", 1)[1].split("<|eot_id|>", 1)[0]
    return ChatStyle(name, system or None)


def render_ollama_prompt(style: str, system: str | None, prompt: str) -> str:
    """What Ollama sends the model for one turn with this style's TEMPLATE (the text before the
    response); the tests compare it with the Jinja template's rendering. Evaluates only what our
    templates use: `{{ if .X }}...{{ end }}` blocks and `{{ .X }}` values."""
    values = {"System": system or "", "Prompt": prompt}
    text = STYLES[style][0].split("{{ .Response }}")[0]
    text = re.sub(r"\{\{ if \.(\w+) \}\}(.*?)\{\{ end \}\}", lambda m: m.group(2) if values[m.group(1)] else "", text, flags=re.S)
    return re.sub(r"\{\{ \.(\w+) \}\}", lambda m: values[m.group(1)], text)


def modelfile_text(gguf_name: str, tokenizer) -> str:
    """The Modelfile for `./gguf_name` with the tokenizer's chat style and stop tokens."""
    style = chat_style(tokenizer)
    lines = [f"# Written by rlvr export. Create the model with: ollama create <name> -f Modelfile", f"FROM ./{gguf_name}"]
    if style.name is None:
        lines.append("# Chat template style not recognised: Ollama will use the template stored in the GGUF.")
        stops = [t for t in {tokenizer.eos_token} if t]
    else:
        template, stops = STYLES[style.name]
        lines.append(f'TEMPLATE """{template}"""')
        if style.default_system:
            lines.append(f'SYSTEM """{style.default_system}"""')
    for stop in stops:
        lines.append(f'PARAMETER stop "{stop}"')
    return "\n".join(lines) + "\n"
