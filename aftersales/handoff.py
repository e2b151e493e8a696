"""When the bot hands a conversation to a person: the rules, read from the turn, its decision and the customer's mood."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aftersales.policy.decisions import Decision
from aftersales.errors import InvalidInput

# In the order they are checked: the first that holds is the reason given.
HANDOFF_REASONS = ("customer_asked", "policy_manual", "angry_repeated", "angry_customer", "low_confidence")
# Intents too plain to need understanding well: "hi" read at low confidence is still only "hi".
_SMALL_TALK = frozenset({"greeting_thanks"})


@dataclass(frozen=True)
class HandoffRules:
    """The shop's hand-over rules.

    Attributes:
        angry_turns: Angry turns running (this one included, on any channel) after which a person takes over, however
            concrete the bot's answer.
        angry_window_h: How far back the earlier angry turns may lie, in hours.
        min_confidence: Below this intent confidence, with no defect shown to go by, a person reads the message.
    """

    angry_turns: int = 2
    angry_window_h: float = 24.0
    min_confidence: float = 0.4

    def __post_init__(self) -> None:
        if self.angry_turns < 1 or self.angry_window_h <= 0 or not 0 <= self.min_confidence <= 1:
            raise InvalidInput("handoff rules: angry_turns ≥ 1, angry_window_h > 0, min_confidence in [0, 1]")

    def reason(self, intent: str, confidence: float, emotion: str, decision: Decision,
               earlier_emotions: Sequence[str], has_evidence: bool) -> str | None:
        """Why a person must take this turn over, None when the bot may answer alone.

        Args:
            intent, confidence, emotion: What the understanding read (after defects overrode a weak intent).
            decision: The policy's decision.
            earlier_emotions: The customer's previous turns' emotions within the window, newest first.
            has_evidence: A defect shown or described, which the answer can rest on however the words were read.
        """
        if intent == "ask_human":
            return "customer_asked"
        if decision.manual:
            return "policy_manual"
        if emotion == "angry":
            streak = 1
            for earlier in earlier_emotions:
                if earlier != "angry":
                    break
                streak += 1
            if streak >= self.angry_turns:
                return "angry_repeated"
            if not decision.concrete:
                return "angry_customer"
        if confidence < self.min_confidence and not has_evidence and intent not in _SMALL_TALK:
            return "low_confidence"
        return None
