"""The prompt texts: the detection question per prompt language, and the few-shot translation examples.

The question follows Multi3Hate's shape (an image, its caption, a yes/no question); its wording is
ours (README, reproduction notes). A native prompt asks in the caption's language and scores that
language's yes/no words; an English prompt asks in English and scores "Yes" / "No".
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Question:
    template: str   # holds {caption}
    yes: str
    no: str

    def text(self, caption: str) -> str:
        if not isinstance(caption, str):
            raise TypeError(f"caption must be str, got {type(caption).__name__}")
        return self.template.format(caption=caption)


QUESTIONS = {
    "en": Question('The caption of this meme reads: "{caption}"\nIs this meme hateful? Answer Yes or No.',
                   "Yes", "No"),
    "de": Question('Der Text dieses Memes lautet: "{caption}"\nIst dieses Meme hasserfüllt? Antworte mit Ja '
                   "oder Nein.", "Ja", "Nein"),
    "es": Question('El texto de este meme dice: "{caption}"\n¿Este meme es de odio? Responde Sí o No.',
                   "Sí", "No"),
    "hi": Question('इस मीम का कैप्शन है: "{caption}"\nक्या यह मीम नफ़रत भरा है? हाँ या नहीं में उत्तर दें।',
                   "हाँ", "नहीं"),
    "zh": Question('这个表情包的文字是："{caption}"\n这个表情包是仇恨内容吗？请回答是或否。', "是", "否"),
}

LANGUAGE_NAMES = {"en": "English", "de": "German", "es": "Spanish", "hi": "Hindi", "zh": "Chinese"}

# Two short meme-like sentences in every language, the few-shot examples of the translator (the same
# sentences both ways: English -> X for the mini captions, X -> English for translate-then-detect).
# Two, not more: the prompt is run for every caption, and its length is most of the translation's cost.
EXAMPLES = {
    "en": ["When you finally finish your homework.", "Nobody: my cat at 3 am."],
    "de": ["Wenn du endlich deine Hausaufgaben fertig hast.", "Niemand: meine Katze um 3 Uhr morgens."],
    "es": ["Cuando por fin terminas tu tarea.", "Nadie: mi gato a las 3 de la mañana."],
    "hi": ["जब तुम आखिरकार अपना होमवर्क खत्म कर लेते हो।", "कोई नहीं: सुबह 3 बजे मेरी बिल्ली।"],
    "zh": ["当你终于写完作业的时候。", "没有人：凌晨三点的我的猫。"],
}


def question(language: str) -> Question:
    if language not in QUESTIONS:
        raise ValueError(f"no prompt text for language {language!r}; known: {', '.join(QUESTIONS)}")
    return QUESTIONS[language]


def translation_turns(source: str, target: str) -> list[tuple[str, str]]:
    """The few-shot transcript for source -> target: an instruction, then example (user, assistant) turns."""
    for lang in (source, target):
        if lang not in EXAMPLES:
            raise ValueError(f"no translation examples for language {lang!r}; known: {', '.join(EXAMPLES)}")
    instruction = f"Translate each {LANGUAGE_NAMES[source]} text into {LANGUAGE_NAMES[target]}."
    turns = [("system", instruction)]
    for src, tgt in zip(EXAMPLES[source], EXAMPLES[target]):
        turns += [("user", src), ("assistant", tgt)]
    return turns
